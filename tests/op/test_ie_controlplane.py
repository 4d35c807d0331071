"""The InferenceExperiment controller end to end: the real kube-apiserver (kube_testenv), the
emulator over HTTP and ``sagemaker-operator run`` as a real subprocess, driven with kubectl.
Reuses the IC end-to-end fixtures (emulator, operator process, boto3 client)."""

# ruff: noqa: F811  (the IC end-to-end fixtures are imported, then requested by name)
from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import yaml

pytest.importorskip("kube_testenv.pytest_plugin", reason="kube_testenv control plane not merged yet")

from sagemaker_emulator.admin import run_oob
from sagemaker_emulator.server import EmulatorServer

from .test_ic_controlplane import ROOT, Operator, emulator, operator, sm, wait_for  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.controlplane, pytest.mark.slow]

ROLE = "arn:aws:iam::123456789012:role/sagemaker"
V1_IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/demo:v1"
V2_IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/demo:v2"
DAY = 86400.0
SHADOW_COUNT = "/spec/modelVariants/1/infrastructureConfig/realTimeInferenceConfig/instanceCount"


@pytest.fixture(scope="module")
def kube(controlplane: Any) -> Any:
    controlplane.kubectl("apply", "--server-side", "-f", str(ROOT / "crds"))
    controlplane.kubectl(
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        "crd/inferencecomponents.sagemaker.inference-operator.dev",
        "crd/inferenceexperiments.sagemaker.inference-operator.dev",
    )
    return controlplane


class Env:
    """One namespace, one endpoint (serving v1 as variant ``production``) and experiment ``ie``."""

    def __init__(self, kube: Any, sm: Any, emulator: EmulatorServer, ns: str) -> None:
        self.kube, self.sm, self.emulator, self.ns = kube, sm, emulator, ns
        self.endpoint_name = f"ep-{uuid.uuid4().hex[:8]}"
        self.v1, self.v2 = f"{self.endpoint_name}-v1", f"{self.endpoint_name}-v2"
        for name, image in ((self.v1, V1_IMAGE), (self.v2, V2_IMAGE)):
            sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": image})
        sm.create_endpoint_config(
            EndpointConfigName=self.endpoint_name,
            ProductionVariants=[
                {
                    "VariantName": "production",
                    "ModelName": self.v1,
                    "InstanceType": "ml.m5.xlarge",
                    "InitialInstanceCount": 1,
                }
            ],
        )
        sm.create_endpoint(EndpointName=self.endpoint_name, EndpointConfigName=self.endpoint_name)

    def manifest(self, **spec: Any) -> dict[str, Any]:
        data: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "inference-experiment.yaml").read_text())
        data["metadata"] = {"name": "ie", "namespace": self.ns}
        data["spec"]["endpointName"] = self.endpoint_name
        data["spec"]["modelVariants"][0]["modelName"] = self.v1
        data["spec"]["modelVariants"][1]["modelName"] = self.v2
        data["spec"]["name"] = f"ie-{self.endpoint_name}"
        data["spec"].update(spec)
        return data

    def apply(self, **spec: Any) -> None:
        self.kube.kubectl("apply", "-f", "-", input=yaml.safe_dump(self.manifest(**spec)))

    def patch(self, patch: dict[str, Any], kind: str = "merge") -> None:
        self.kube.kubectl("patch", "smie", "ie", "-n", self.ns, f"--type={kind}", "-p", json.dumps(patch))

    def status(self) -> dict[str, Any]:
        out = self.kube.kubectl("get", "smie", "ie", "-n", self.ns, "-o", "json").stdout
        data: dict[str, Any] = json.loads(out)
        return dict(data.get("status") or {})

    def condition(self, type_: str = "Ready") -> dict[str, Any]:
        return next((c for c in self.status().get("conditions", []) if c["type"] == type_), {})

    def wait(self, status: str, ready: str | None = None, timeout: float = 60.0) -> dict[str, Any]:
        def reached() -> dict[str, Any] | None:
            st = self.status()
            cond = next((c for c in st.get("conditions", []) if c["type"] == "Ready"), {})
            if st.get("status") == status and (ready is None or cond.get("status") == ready):
                return st
            return None

        result: dict[str, Any] = wait_for(reached, timeout=timeout, what=f"status {status} ready={ready}")
        return result

    def endpoint(self) -> dict[str, Any]:
        result: dict[str, Any] = self.sm.describe_endpoint(EndpointName=self.endpoint_name)
        return result

    def images(self) -> list[str]:
        return [i["SpecifiedImage"] for v in self.endpoint()["ProductionVariants"] for i in v.get("DeployedImages", [])]

    def shadows(self) -> list[str]:
        return [v["VariantName"] for v in self.endpoint().get("ShadowProductionVariants", [])]

    def events(self, reason: str) -> int:
        out = self.kube.kubectl("get", "events", "-n", self.ns, "-o", "json").stdout
        return sum(1 for e in json.loads(out)["items"] if e.get("reason") == reason)


@pytest.fixture
def env(kube: Any, sm: Any, emulator: EmulatorServer, operator: Operator, unique_namespace: str) -> Iterator[Env]:
    e = Env(kube, sm, emulator, unique_namespace)
    wait_for(lambda: e.endpoint()["EndpointStatus"] == "InService", what="endpoint")
    yield e


def test_run_update_refuse_fix_promote_delete(env: Env) -> None:
    env.apply()
    st = env.wait("Running", "True")
    assert st["endpointMetadata"]["endpointName"] == env.endpoint_name and env.shadows() == ["shadow"]
    sampling = [{"shadowModelVariantName": "shadow", "samplingPercentage": 20}]
    shadow = {"sourceModelVariantName": "production", "shadowModelVariants": sampling}
    env.patch({"spec": {"shadowModeConfig": shadow}})
    wait_for(lambda: env.status()["shadowModeConfig"]["shadowModelVariants"][0]["samplingPercentage"] == 20)
    env.patch([{"op": "replace", "path": SHADOW_COUNT, "value": 2}], "json")
    stalled = wait_for(lambda: env.condition("Stalled"), what="Stalled")
    assert stalled["reason"] == "UpdateRefused" and "modelVariants" in stalled["message"]
    env.patch([{"op": "replace", "path": SHADOW_COUNT, "value": 1}], "json")
    wait_for(lambda: not env.condition("Stalled") and env.condition()["status"] == "True", what="fixed")
    env.patch({"spec": {"desiredState": "Completed", "modelVariantActions": {"shadow": "Promote"}}})
    env.wait("Completed", "True")
    assert env.images() == [V2_IMAGE] and env.shadows() == []
    env.kube.kubectl("delete", "smie", "ie", "-n", env.ns, "--wait=true", "--timeout=60s")
    names = [e["Name"] for e in env.sm.list_inference_experiments()["InferenceExperiments"]]
    assert f"ie-{env.endpoint_name}" not in names


def test_scheduled_then_early_start(env: Env) -> None:
    start = datetime.now(UTC) + timedelta(days=2)
    env.apply(schedule={"startTime": start.isoformat().replace("+00:00", "Z")})
    env.wait("Created", "False")
    assert env.condition()["reason"] == "Scheduled" and not env.condition("Reconciling")
    env.patch({"spec": {"schedule": None}})  # early start: no start time in the spec
    st = env.wait("Running", "True")
    assert st["observedGeneration"] == 2


def test_scheduled_start_and_completion_follow_the_clock(env: Env) -> None:
    start = datetime.now(UTC) + timedelta(days=1)
    end = start + timedelta(days=1)
    iso = {"startTime": start.isoformat(), "endTime": end.isoformat()}
    env.apply(schedule=iso)
    env.wait("Created", "False")
    env.emulator.backend.clock.advance(DAY + 10)
    env.wait("Running", "True")
    env.emulator.backend.clock.advance(DAY + 10)
    st = env.wait("Completed", "True")
    assert "end time" in next(c for c in st["conditions"] if c["type"] == "Ready")["message"]


def test_cancellation_by_sagemaker_is_stalled(env: Env) -> None:
    env.apply()
    env.wait("Running", "True")
    run_oob(env.emulator.backend, "cancel-ie", {"name": f"ie-{env.endpoint_name}", "reason": "capacity lost"})
    stalled = wait_for(lambda: env.condition("Stalled"), what="Stalled")
    assert stalled["reason"] == "Cancelled" and "capacity lost" in stalled["message"]


def test_delete_while_running_stops_first(env: Env) -> None:
    env.apply()
    env.wait("Running", "True")
    env.kube.kubectl("delete", "smie", "ie", "-n", env.ns, "--wait=true", "--timeout=60s")
    names = [e["Name"] for e in env.sm.list_inference_experiments()["InferenceExperiments"]]
    assert f"ie-{env.endpoint_name}" not in names and env.shadows() == ["shadow"]


def test_restart_mid_stop_converges_without_a_second_stop(env: Env, operator: Operator) -> None:
    env.apply()
    env.wait("Running", "True")
    stops = env.emulator.backend.counters["StopInferenceExperiment"]
    clock = env.emulator.backend.clock
    scale = clock.time_scale
    clock.time_scale = 1.0  # a 60 s stop: long enough to restart the operator in the middle
    try:
        env.patch({"spec": {"desiredState": "Completed", "modelVariantActions": {"shadow": "Promote"}}})
        env.wait("Stopping")
        operator.stop()
        operator.start()
        clock.advance(120)
        env.wait("Completed", "True")
    finally:
        clock.time_scale = scale
    assert env.images() == [V2_IMAGE] and not env.condition("Stalled")
    assert env.emulator.backend.counters["StopInferenceExperiment"] == stops + 1


def test_stop_with_retain_keeps_the_shadow(env: Env) -> None:
    env.apply()
    env.wait("Running", "True")
    env.patch(
        {"spec": {"desiredState": "Completed", "modelVariantActions": {"production": "Retain", "shadow": "Retain"}}}
    )
    st = env.wait("Completed", "True")
    assert {v["variantName"]: v["status"] for v in st["modelVariants"]} == {
        "production": "InService",
        "shadow": "InService",
    }
    assert env.images() == [V1_IMAGE] and env.shadows() == ["shadow"]


def test_cancel_asked_by_the_user_is_ready(env: Env) -> None:
    env.apply()
    env.wait("Running", "True")
    env.patch(
        {
            "spec": {
                "desiredState": "Cancelled",
                "stopReason": "bad latency",
                "modelVariantActions": {"shadow": "Remove"},
            }
        }
    )
    st = env.wait("Cancelled", "True")
    assert st["statusReason"] == "bad latency" and not env.condition("Stalled")
    assert env.images() == [V1_IMAGE] and env.shadows() == []
