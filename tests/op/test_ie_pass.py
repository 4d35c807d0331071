"""The InferenceExperiment handler's observe -> reconcile -> act -> status pass against the emulator
over real HTTP (no Kubernetes: the status writer is replaced by one that records patches, like
test_ic_pass.py). Each scenario of issue #5: start (immediate, scheduled, early), stop (promote,
retain, cancel), completion at the end time, updates (allowed, refused, fixed), delete while
running, cancellation by SageMaker, and an operator restart in the middle of a stop.

The emulator runs at time scale 0.001 (a 60 s transition takes 60 ms); schedule times are
wall-clock, reached by advancing the emulator's clock.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest

from sagemaker_emulator.admin import run_oob
from sagemaker_emulator.backend import Backend
from sagemaker_emulator.clock import Clock
from sagemaker_emulator.server import EmulatorServer
from sagemaker_operator import config, status
from sagemaker_operator.gateway import gateways
from sagemaker_operator.handlers import common as handlers_common
from sagemaker_operator.handlers import inference_experiment as handler
from sagemaker_operator.reconcile.inference_experiment import Decision

ROLE = "arn:aws:iam::123456789012:role/sagemaker"
V1_IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/demo:v1"
V2_IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/demo:v2"
DAY = 86400.0
LOG = logging.getLogger("test")


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    s = EmulatorServer(Backend(clock=Clock(0.001), seed=5)).start()
    yield s
    s.stop()


class Recorder:
    """Stands in for the status subresource: records patches and posted events."""

    def __init__(self) -> None:
        self.patches: list[dict[str, Any]] = []
        self.events: list[str] = []

    def forget(self, namespace: str, name: str) -> None:
        self.forgotten = (namespace, name)

    async def write(self, namespace: str, name: str, current: dict[str, Any] | None, new: dict[str, Any]) -> bool:
        patch = status.merge_patch(current, new)
        if patch:
            self.patches.append(patch)
        return bool(patch)


class Env:
    def __init__(self, server: EmulatorServer, sm: Any, rec: Recorder) -> None:
        self.server, self.sm, self.rec = server, sm, rec

    def advance(self, seconds: float) -> None:
        self.server.backend.clock.advance(seconds)

    def describe(self) -> dict[str, Any]:
        result: dict[str, Any] = self.sm.describe_inference_experiment(Name="ie")
        return result

    def endpoint(self) -> dict[str, Any]:
        result: dict[str, Any] = self.sm.describe_endpoint(EndpointName="demo-shadow-endpoint")
        return result

    def production_images(self) -> list[str]:
        variants = self.endpoint()["ProductionVariants"]
        return [i["SpecifiedImage"] for v in variants for i in v.get("DeployedImages", [])]

    def shadow_variants(self) -> list[str]:
        return [v["VariantName"] for v in self.endpoint().get("ShadowProductionVariants", [])]


@pytest.fixture
def env(server: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Env]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    server.backend.reset()
    server.backend.clock.offset = 0.0
    # The per-resource path (every pass describes); test_observer_ie.py covers the batched one.
    config.install(config.Settings(endpoint_url=server.url, read_tps=0, mutate_tps=0, refresh_interval=0))
    gateways.close()
    rec = Recorder()
    monkeypatch.setattr(handler, "WRITER", rec)
    monkeypatch.setattr(handlers_common, "post_event", lambda body, event: rec.events.append(event.reason))
    sm = boto3.client("sagemaker", endpoint_url=server.url, region_name="us-west-2")
    # The demo's SageMaker side (examples/sagemaker/ of `make demo`).
    for name, image in (("demo-model-v1", V1_IMAGE), ("demo-model-v2", V2_IMAGE)):
        sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": image})
    sm.create_endpoint_config(
        EndpointConfigName="demo-shadow-endpoint-config",
        ProductionVariants=[
            {
                "VariantName": "production",
                "ModelName": "demo-model-v1",
                "InstanceType": "ml.m5.xlarge",
                "InitialInstanceCount": 1,
            }
        ],
    )
    sm.create_endpoint(EndpointName="demo-shadow-endpoint", EndpointConfigName="demo-shadow-endpoint-config")
    yield Env(server, sm, rec)
    gateways.close()
    config.install(config.Settings.from_env())


def variant(name: str, model: str, count: int = 1) -> dict[str, Any]:
    return {
        "modelName": model,
        "variantName": name,
        "infrastructureConfig": {
            "infrastructureType": "RealTimeInference",
            "realTimeInferenceConfig": {"instanceType": "ml.m5.xlarge", "instanceCount": count},
        },
    }


def body(generation: int = 1, **spec: Any) -> dict[str, Any]:
    s: dict[str, Any] = {
        "roleArn": ROLE,
        "endpointName": "demo-shadow-endpoint",
        "modelVariants": [variant("production", "demo-model-v1"), variant("shadow", "demo-model-v2")],
        "shadowModeConfig": {
            "sourceModelVariantName": "production",
            "shadowModelVariants": [{"shadowModelVariantName": "shadow", "samplingPercentage": 50}],
        },
    }
    s.update(spec)
    return {"metadata": {"name": "ie", "namespace": "ns", "uid": "u-1", "generation": generation}, "spec": s}


Pred = Callable[[Decision, dict[str, Any]], Any]


async def run_until(b: dict[str, Any], memo: dict[str, Any], pred: Pred, deleting: bool = False) -> Decision:
    for _ in range(200):
        decision = await handler.reconcile_once(b, memo, LOG, deleting=deleting)  # type: ignore[arg-type]
        if pred(decision, memo.get("status") or {}):
            return decision
        await asyncio.sleep(0.03)
    raise AssertionError(f"not reached; last status {memo.get('status')}")


def condition(st: dict[str, Any], type_: str = "Ready") -> dict[str, Any]:
    return next((c for c in st.get("conditions", []) if c["type"] == type_), {})


def ready(d: Decision, st: dict[str, Any]) -> bool:
    return d.verdict.ready


def state(name: str) -> Pred:
    return lambda d, st: st.get("status") == name


async def running(env: Env, memo: dict[str, Any], **spec: Any) -> dict[str, Any]:
    b = body(**spec)
    await run_until(b, memo, lambda d, st: st.get("status") == "Running" and d.verdict.ready)
    return b


# --- starting --------------------------------------------------------------------------------------
async def test_immediate_start_mirrors_status_and_shadows_the_endpoint(env: Env) -> None:
    memo: dict[str, Any] = {}
    b = body(description="demo")
    first = await run_until(b, memo, lambda d, st: True)
    assert first.verdict.reason in ("EndpointNotReady", "Creating")
    await run_until(b, memo, state("Running"))
    st = memo["status"]
    assert condition(st)["status"] == "True" and condition(st)["reason"] == "Running"
    assert st["arn"].endswith(":inference-experiment/ie") and st["description"] == "demo"
    assert st["endpointMetadata"]["endpointName"] == "demo-shadow-endpoint"
    assert {v["variantName"]: v["status"] for v in st["modelVariants"]} == {
        "production": "InService",
        "shadow": "InService",
    }
    assert isinstance(st["schedule"]["endTime"], str) and st["observedGeneration"] == 1
    assert env.shadow_variants() == ["shadow"]
    assert "Created" in env.rec.events
    tags = {t["Key"]: t["Value"] for t in env.sm.list_tags(ResourceArn=st["arn"])["Tags"]}
    assert tags["sagemaker.inference-operator.dev/owner"] == "ns/InferenceExperiment/ie"
    writes = len(env.rec.patches)
    await handler.reconcile_once(b, memo, LOG, deleting=False)  # type: ignore[arg-type]
    assert len(env.rec.patches) == writes  # nothing changed: nothing written


async def test_scheduled_start_waits_for_the_clock(env: Env) -> None:
    memo: dict[str, Any] = {}
    start = datetime.now(UTC) + timedelta(days=1)
    b = body(schedule={"startTime": start.isoformat(), "endTime": (start + timedelta(days=2)).isoformat()})
    decision = await run_until(b, memo, state("Created"))
    st = memo["status"]
    assert condition(st)["status"] == "False" and condition(st)["reason"] == "Scheduled"
    assert not condition(st, "Reconciling") and not condition(st, "Stalled")  # kstatus: Current
    assert decision.due is not None and DAY - 60 < decision.due <= DAY
    assert handler.delay_for({}, decision) <= config.current().poll.steady * 1.3
    env.advance(DAY + 1)
    await run_until(b, memo, lambda d, st: st.get("status") == "Running" and d.verdict.ready)
    assert "Starting" not in env.rec.events  # SageMaker started it, not the operator


async def test_early_start_via_the_spec(env: Env) -> None:
    memo: dict[str, Any] = {}
    start = datetime.now(UTC) + timedelta(days=1)
    b = body(schedule={"startTime": start.isoformat()})
    await run_until(b, memo, state("Created"))
    # The user removes the start time (desiredState stays Running): start now.
    b2 = body(2)
    await run_until(b2, memo, lambda d, st: st.get("status") == "Running" and d.verdict.ready)
    assert "Starting" in env.rec.events
    assert env.shadow_variants() == ["shadow"]


# --- stopping --------------------------------------------------------------------------------------
async def test_stop_with_promotion_makes_the_shadow_model_serve(env: Env) -> None:
    memo: dict[str, Any] = {}
    await running(env, memo)
    assert env.production_images() == [V1_IMAGE]
    b = body(2, desiredState="Completed", modelVariantActions={"shadow": "Promote"}, stopReason="v2 is better")
    await run_until(b, memo, lambda d, st: st.get("status") == "Completed" and d.verdict.ready)
    st = memo["status"]
    assert st["statusReason"] == "v2 is better" and condition(st)["reason"] == "Completed"
    assert {v["variantName"]: v["status"] for v in st["modelVariants"]} == {
        "production": "Deleted",
        "shadow": "InService",
    }
    endpoint = env.endpoint()
    assert [v["VariantName"] for v in endpoint["ProductionVariants"]] == ["shadow"]
    assert env.production_images() == [V2_IMAGE] and env.shadow_variants() == []


async def test_stop_retaining_everything_keeps_the_shadow(env: Env) -> None:
    memo: dict[str, Any] = {}
    await running(env, memo)
    await run_until(body(2, desiredState="Completed"), memo, lambda d, st: st.get("status") == "Completed")
    assert env.production_images() == [V1_IMAGE] and env.shadow_variants() == ["shadow"]


async def test_cancel(env: Env) -> None:
    memo: dict[str, Any] = {}
    await running(env, memo)
    b = body(2, desiredState="Cancelled", modelVariantActions={"shadow": "Remove"})
    await run_until(b, memo, lambda d, st: st.get("status") == "Cancelled" and d.verdict.ready)
    assert condition(memo["status"])["reason"] == "Cancelled"
    assert env.production_images() == [V1_IMAGE] and env.shadow_variants() == []


async def test_completes_by_itself_at_the_end_time(env: Env) -> None:
    memo: dict[str, Any] = {}
    end = datetime.now(UTC) + timedelta(days=1)
    b = await running(env, memo, schedule={"endTime": end.isoformat()})
    decision = await handler.reconcile_once(b, memo, LOG, deleting=False)  # type: ignore[arg-type]
    assert decision.due is not None and decision.due <= DAY  # the daemon looks again by the end time
    env.advance(DAY + 1)
    await run_until(b, memo, lambda d, st: st.get("status") == "Completed")
    st = memo["status"]
    assert condition(st)["status"] == "True" and "end time" in condition(st)["message"]
    assert env.shadow_variants() == []


# --- updates ---------------------------------------------------------------------------------------
async def test_update_while_running_allowed_refused_then_fixed(env: Env) -> None:
    memo: dict[str, Any] = {}
    await running(env, memo)
    shadow_20 = {
        "sourceModelVariantName": "production",
        "shadowModelVariants": [{"shadowModelVariantName": "shadow", "samplingPercentage": 20}],
    }
    b2 = body(2, description="now 20%", shadowModeConfig=shadow_20)
    await run_until(
        b2, memo, lambda d, st: d.verdict.ready and st.get("description") == "now 20%" and st["status"] == "Running"
    )
    sampling = memo["status"]["shadowModeConfig"]["shadowModelVariants"][0]["samplingPercentage"]
    assert sampling == 20 and "Updated" in env.rec.events
    # A bigger shadow fleet cannot change while Running: Stalled, and no call is made for it.
    b3 = body(
        3,
        description="now 20%",
        shadowModeConfig=shadow_20,
        modelVariants=[variant("production", "demo-model-v1"), variant("shadow", "demo-model-v2", 2)],
    )
    await run_until(b3, memo, lambda d, st: d.verdict.stalled)
    st = memo["status"]
    assert condition(st, "Stalled")["reason"] == "UpdateRefused" and "modelVariants" in condition(st)["message"]
    assert st["observedGeneration"] == 3
    updates = env.rec.events.count("Updated")
    for _ in range(3):  # not retried in a loop
        await handler.reconcile_once(b3, memo, LOG, deleting=False)  # type: ignore[arg-type]
    assert env.rec.events.count("Updated") == updates and env.describe()["Status"] == "Running"
    # Fixed: back to Ready.
    b4 = body(4, description="now 20%", shadowModeConfig=shadow_20)
    await run_until(b4, memo, ready)
    assert not condition(memo["status"], "Stalled")


# --- deletion --------------------------------------------------------------------------------------
async def test_delete_while_running_stops_then_deletes(env: Env) -> None:
    memo: dict[str, Any] = {}
    b = await running(env, memo)
    first = await handler.reconcile_once(b, memo, LOG, deleting=True)  # type: ignore[arg-type]
    assert not first.done and "Stopping" in env.rec.events
    assert env.describe()["Status"] == "Stopping"
    await run_until(b, memo, lambda d, st: d.done, deleting=True)
    assert env.sm.list_inference_experiments()["InferenceExperiments"] == []
    assert env.shadow_variants() == ["shadow"]  # stopped with every variant retained (as CloudFormation)


async def test_delete_with_retain_leaves_the_experiment_running(env: Env) -> None:
    memo: dict[str, Any] = {}
    await running(env, memo)
    b = body(deletionPolicy="Retain")
    await run_until(b, memo, lambda d, st: d.done, deleting=True)
    assert env.describe()["Status"] == "Running"
    tags = env.sm.list_tags(ResourceArn=env.describe()["Arn"])["Tags"]
    assert not [t for t in tags if t["Key"].startswith("sagemaker.inference-operator.dev/")]


# --- SageMaker on its own, restarts ----------------------------------------------------------------
async def test_cancellation_by_sagemaker_is_stalled_with_its_reason(env: Env) -> None:
    memo: dict[str, Any] = {}
    b = await running(env, memo)
    run_oob(env.server.backend, "cancel-ie", {"name": "ie", "reason": "The endpoint ran out of capacity."})
    await run_until(b, memo, lambda d, st: d.verdict.stalled)
    st = memo["status"]
    assert st["status"] == "Cancelled" and condition(st, "Stalled")["reason"] == "Cancelled"
    assert "ran out of capacity" in condition(st)["message"]
    # Accepting it (desiredState: Cancelled) makes it Ready; nothing is recreated.
    await run_until(body(2, desiredState="Cancelled"), memo, ready)
    assert len(env.sm.list_inference_experiments()["InferenceExperiments"]) == 1


async def test_restart_mid_stop_does_not_stop_twice(env: Env) -> None:
    memo: dict[str, Any] = {}
    await running(env, memo)
    env.server.backend.clock.time_scale = 1.0  # keep it Stopping while the "operator restarts"
    b = body(2, desiredState="Completed", modelVariantActions={"shadow": "Promote"})
    await handler.reconcile_once(b, memo, LOG, deleting=False)  # type: ignore[arg-type]
    assert env.describe()["Status"] == "Stopping" and env.rec.events.count("Stopping") == 1
    # A new operator process: no memo, status as last written to the API server.
    restarted: dict[str, Any] = {}
    b["status"] = memo["status"]
    for _ in range(3):
        decision = await handler.reconcile_once(b, restarted, LOG, deleting=False)  # type: ignore[arg-type]
        assert decision.action is None and decision.verdict.reason == "Stopping"
    assert env.rec.events.count("Stopping") == 1
    env.server.backend.clock.time_scale = 0.001
    env.advance(120)
    await run_until(b, restarted, lambda d, st: st.get("status") == "Completed" and d.verdict.ready)
    assert env.production_images() == [V2_IMAGE]
