"""The InferenceComponent controller end to end: the real kube-apiserver (kube_testenv), the
emulator over HTTP and ``sagemaker-operator run`` as a real subprocess, driven with kubectl."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from sagemaker_emulator.admin import run_oob
from sagemaker_emulator.backend import Backend
from sagemaker_emulator.clock import Clock
from sagemaker_emulator.forced import force_failure
from sagemaker_emulator.server import EmulatorServer

pytestmark = [pytest.mark.controlplane, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ROLE = "arn:aws:iam::123456789012:role/sagemaker"
OWNER_TAG = "sagemaker.inference-operator.dev/owner"
UID_TAG = "sagemaker.inference-operator.dev/uid"


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    server = EmulatorServer(Backend(clock=Clock(0.002), seed=11)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def kube(controlplane: Any) -> Any:
    controlplane.kubectl("apply", "--server-side", "-f", str(ROOT / "crds"))
    controlplane.kubectl(
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        "crd/inferencecomponents.sagemaker.inference-operator.dev",
    )
    return controlplane


class Operator:
    def __init__(self, kube: Any, emulator: EmulatorServer, log: Path) -> None:
        self.env = {
            **os.environ,
            **kube.env(),
            "SAGEMAKER_ENDPOINT_URL": emulator.url,
            "AWS_REGION": "us-west-2",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
        self.log = log
        self.proc: subprocess.Popen[bytes] | None = None
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.metrics_port = sock.getsockname()[1]

    def metrics(self) -> str:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=5) as resp:
            return str(resp.read().decode())

    def start(self) -> None:
        argv = [sys.executable, "-m", "sagemaker_operator", "run", "-A", "--standalone", "--verbose"]
        argv += ["--metrics-port", str(self.metrics_port)]
        argv += ["--poll-fast", "0.2", "--poll-cap", "1", "--poll-steady", "1.5", "--poll-error", "0.3"]
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(argv, env=self.env, stdout=out, stderr=subprocess.STDOUT)

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None


@pytest.fixture(scope="module")
def operator(kube: Any, emulator: EmulatorServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Operator]:
    op = Operator(kube, emulator, tmp_path_factory.mktemp("operator") / "operator.log")
    op.start()
    yield op
    op.stop()
    print(op.log.read_text()[-5000:])


@pytest.fixture
def sm(emulator: EmulatorServer) -> Any:
    return boto3.client(
        "sagemaker",
        endpoint_url=emulator.url,
        region_name="us-west-2",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def wait_for(predicate: Callable[[], Any], timeout: float = 45.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.2)
    raise AssertionError(f"{what} not met within {timeout}s (last: {last!r})")


def make_endpoint(sm: Any, name: str, wait: bool = True) -> None:
    sm.create_endpoint_config(
        EndpointConfigName=name,
        ExecutionRoleArn=ROLE,
        ProductionVariants=[
            {
                "VariantName": "AllTraffic",
                "InstanceType": "ml.g5.12xlarge",
                "InitialInstanceCount": 1,
                "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"},
            }
        ],
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    if wait:
        wait_for(lambda: sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService", what="endpoint")


def make_model(sm: Any, name: str) -> None:
    sm.create_model(
        ModelName=name,
        ExecutionRoleArn=ROLE,
        PrimaryContainer={"Image": "123456789012.dkr.ecr.us-west-2.amazonaws.com/llm:1"},
    )


def manifest(name: str, ns: str, endpoint: str, model: str, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "endpointName": endpoint,
        "variantName": "AllTraffic",
        "specification": {
            "modelName": model,
            "computeResourceRequirements": {"minMemoryRequiredInMb": 1024, "numberOfCpuCoresRequired": 1},
        },
    }
    body.update(spec)
    return {
        "apiVersion": "sagemaker.inference-operator.dev/v1alpha1",
        "kind": "InferenceComponent",
        "metadata": {"name": name, "namespace": ns},
        "spec": body,
    }


class Env:
    def __init__(self, kube: Any, sm: Any, emulator: EmulatorServer, ns: str) -> None:
        self.kube, self.sm, self.emulator, self.ns = kube, sm, emulator, ns
        self.endpoint = f"ep-{uuid.uuid4().hex[:8]}"
        self.model = f"m-{uuid.uuid4().hex[:8]}"

    def apply(self, body: dict[str, Any]) -> None:
        self.kube.kubectl("apply", "-f", "-", input=yaml.safe_dump(body))

    def get(self, name: str) -> dict[str, Any] | None:
        out = self.kube.kubectl("get", "smic", name, "-n", self.ns, "-o", "json", check=False)
        text = out.stdout if hasattr(out, "stdout") else out
        if not text or (hasattr(out, "returncode") and out.returncode != 0):
            return None
        return dict(json.loads(text))

    def status(self, name: str) -> dict[str, Any]:
        return dict((self.get(name) or {}).get("status") or {})

    def condition(self, name: str, type_: str) -> dict[str, Any] | None:
        for c in self.status(name).get("conditions") or []:
            if c["type"] == type_:
                return dict(c)
        return None

    def wait_ready(self, name: str, generation: int | None = None) -> dict[str, Any]:
        def ready() -> dict[str, Any] | None:
            obj = self.get(name) or {}
            st = obj.get("status") or {}
            gen = generation or obj.get("metadata", {}).get("generation")
            c = next((c for c in st.get("conditions") or [] if c["type"] == "Ready"), None)
            ok = c and c["status"] == "True" and st.get("observedGeneration") == gen
            return st if ok else None

        return dict(wait_for(ready, what=f"{name} Ready"))

    def describe(self, name: str) -> dict[str, Any]:
        return dict(self.sm.describe_inference_component(InferenceComponentName=name))

    def tags(self, name: str) -> dict[str, str]:
        arn = self.describe(name)["InferenceComponentArn"]
        return {t["Key"]: t["Value"] for t in self.sm.list_tags(ResourceArn=arn)["Tags"]}

    def events(self, name: str) -> list[str]:
        out = self.kube.kubectl(
            "get", "events", "-n", self.ns, "--field-selector", f"involvedObject.name={name}", "-o", "json"
        )
        text = out.stdout if hasattr(out, "stdout") else out
        return [e.get("reason", "") for e in json.loads(text)["items"]]

    def oob(self, action: str, **params: Any) -> Any:
        return run_oob(self.emulator.backend, action, params)


@pytest.fixture
def env(kube: Any, sm: Any, emulator: EmulatorServer, operator: Operator, unique_namespace: str) -> Env:
    e = Env(kube, sm, emulator, unique_namespace)
    make_model(sm, e.model)
    return e


def test_create_waits_for_endpoint_then_mirrors_status(env: Env, operator: Operator) -> None:
    env.apply(manifest("ic-a", env.ns, env.endpoint, env.model, tags=[{"key": "team", "value": "a"}]))
    wait_for(
        lambda: (c := env.condition("ic-a", "Ready")) and c["reason"] == "EndpointNotReady", what="EndpointNotReady"
    )
    assert (env.condition("ic-a", "Reconciling") or {}).get("status") == "True"
    make_endpoint(env.sm, env.endpoint, wait=False)
    st = env.wait_ready("ic-a")
    assert st["inferenceComponentStatus"] == "InService"
    assert st["inferenceComponentArn"].endswith("/ic-a")
    assert st["runtimeConfig"]["desiredCopyCount"] == 1 and st["runtimeConfig"]["currentCopyCount"] == 1
    assert st["endpoint"]["status"] == "InService"
    assert st["specification"]["modelName"] == env.model
    assert [c["type"] for c in st["conditions"]] == ["Ready"]
    tags = env.tags("ic-a")
    assert tags["team"] == "a" and tags[OWNER_TAG] == f"{env.ns}/InferenceComponent/ic-a"
    wait_for(lambda: "Created" in env.events("ic-a"), what="a Created event")  # events are posted async
    obj = env.get("ic-a") or {}
    assert "kopf" not in obj.get("status", {})
    assert "sagemaker.inference-operator.dev/finalizer" in obj["metadata"]["finalizers"]
    scraped = operator.metrics()
    assert 'sagemaker_operator_resources{kind="InferenceComponent",sagemaker_status="InService"}' in scraped
    assert 'sagemaker_operator_time_to_ready_seconds_count{kind="InferenceComponent"}' in scraped
    assert 'operation="CreateInferenceComponent",outcome="ok"' in scraped
    assert (
        'sagemaker_operator_reconciles_total{action="Create",kind="InferenceComponent",result="progressing"}' in scraped
    )


def test_updates_copies_scale_tags_and_drift(env: Env) -> None:
    make_endpoint(env.sm, env.endpoint)
    body = manifest("ic-b", env.ns, env.endpoint, env.model, runtimeConfig={"copyCount": 1})
    env.apply(body)
    env.wait_ready("ic-b")
    calls = env.emulator.backend.counters

    # copy count only -> UpdateInferenceComponentRuntimeConfig, not UpdateInferenceComponent
    updates = calls["UpdateInferenceComponent"]
    body["spec"]["runtimeConfig"]["copyCount"] = 2
    env.apply(body)
    st = env.wait_ready("ic-b", generation=2)
    assert st["runtimeConfig"]["currentCopyCount"] == 2
    assert calls["UpdateInferenceComponent"] == updates and calls["UpdateInferenceComponentRuntimeConfig"] >= 1

    # kubectl scale goes through the scale subresource
    env.kube.kubectl("scale", "smic/ic-b", "-n", env.ns, "--replicas=3")
    wait_for(lambda: env.describe("ic-b")["RuntimeConfig"]["CurrentCopyCount"] == 3, what="scaled to 3")
    body["spec"]["runtimeConfig"]["copyCount"] = 3

    # spec update
    model2 = f"m2-{uuid.uuid4().hex[:6]}"
    make_model(env.sm, model2)
    body["spec"]["specification"]["modelName"] = model2
    body["spec"]["tags"] = [{"key": "stage", "value": "prod"}]
    env.apply(body)
    wait_for(lambda: env.describe("ic-b")["Specification"]["ModelName"] == model2, what="model updated")
    wait_for(lambda: env.tags("ic-b").get("stage") == "prod", what="tag added")
    env.wait_ready("ic-b")

    # tag removed from spec is removed; tags others added stay
    arn = env.describe("ic-b")["InferenceComponentArn"]
    env.sm.add_tags(ResourceArn=arn, Tags=[{"Key": "someone-else", "Value": "x"}])
    body["spec"]["tags"] = []
    env.apply(body)
    wait_for(lambda: "stage" not in env.tags("ic-b"), what="tag removed")
    assert env.tags("ic-b")["someone-else"] == "x"

    # console drift -> corrected back to spec
    env.oob("update-ic-spec", name="ic-b", specification={"ModelName": env.model})
    wait_for(lambda: "DriftCorrected" in env.events("ic-b"), what="DriftCorrected event")
    wait_for(lambda: env.describe("ic-b")["Specification"]["ModelName"] == model2, what="drift corrected")

    # enforced copy count drifts back too
    wait_for(lambda: env.describe("ic-b")["InferenceComponentStatus"] == "InService", what="in service")
    env.oob("set-ic-copy-count", name="ic-b", copyCount=1)
    wait_for(lambda: env.describe("ic-b")["RuntimeConfig"]["DesiredCopyCount"] == 3, what="copies enforced")

    # out-of-band delete -> recreated
    wait_for(lambda: env.describe("ic-b")["InferenceComponentStatus"] == "InService", what="in service")
    env.oob("delete-ic", name="ic-b", immediate=True)
    wait_for(lambda: env.events("ic-b").count("DriftCorrected") >= 2, what="recreate event")
    env.wait_ready("ic-b")


def test_autoscaler_owned_copy_count_is_left_alone(env: Env) -> None:
    make_endpoint(env.sm, env.endpoint)
    env.apply(manifest("ic-c", env.ns, env.endpoint, env.model))
    env.wait_ready("ic-c")
    env.oob("set-ic-copy-count", name="ic-c", copyCount=2)
    wait_for(lambda: env.status("ic-c").get("runtimeConfig", {}).get("currentCopyCount") == 2, what="status copies")
    time.sleep(3)
    assert env.describe("ic-c")["RuntimeConfig"]["DesiredCopyCount"] == 2


def test_failed_update_is_stalled_then_recovers(env: Env) -> None:
    make_endpoint(env.sm, env.endpoint)
    body = manifest("ic-d", env.ns, env.endpoint, env.model)
    env.apply(body)
    env.wait_ready("ic-d")
    force_failure(env.emulator.backend, "inference-component", "ic-d", "Model failed health checks")
    model2 = f"m2-{uuid.uuid4().hex[:6]}"
    make_model(env.sm, model2)
    body["spec"]["specification"]["modelName"] = model2
    env.apply(body)
    stalled = wait_for(lambda: env.condition("ic-d", "Stalled"), what="Stalled")
    assert "health checks" in stalled["message"]
    assert env.status("ic-d")["failedGeneration"] == 2
    updates = env.emulator.backend.counters["UpdateInferenceComponent"]
    time.sleep(3)  # not retried for the same generation
    assert env.emulator.backend.counters["UpdateInferenceComponent"] == updates
    body["spec"]["specification"]["computeResourceRequirements"]["minMemoryRequiredInMb"] = 2048
    env.apply(body)
    env.wait_ready("ic-d", generation=3)
    assert env.condition("ic-d", "Stalled") is None


def test_capacity_failure_is_stalled(env: Env) -> None:
    make_endpoint(env.sm, env.endpoint)
    env.apply(manifest("ic-e", env.ns, env.endpoint, env.model, runtimeConfig={"copyCount": 500}))
    stalled = wait_for(lambda: env.condition("ic-e", "Stalled"), what="Stalled")
    assert "CapacityError" in stalled["message"]
    assert (env.condition("ic-e", "Ready") or {})["status"] == "False"


def test_adoption_refused_then_allowed(env: Env) -> None:
    make_endpoint(env.sm, env.endpoint)
    env.sm.create_inference_component(
        InferenceComponentName="ic-f",
        EndpointName=env.endpoint,
        VariantName="AllTraffic",
        Specification={"ModelName": env.model, "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024}},
        RuntimeConfig={"CopyCount": 1},
    )
    body = manifest("ic-f", env.ns, env.endpoint, env.model)
    env.apply(body)
    stalled = wait_for(lambda: env.condition("ic-f", "Stalled"), what="Stalled")
    assert "adoptExisting" in stalled["message"]
    body["spec"]["adoptExisting"] = True
    env.apply(body)
    env.wait_ready("ic-f")
    assert env.tags("ic-f")[OWNER_TAG] == f"{env.ns}/InferenceComponent/ic-f"
    assert "Adopted" in env.events("ic-f")


def test_cross_namespace_takeover_refused_and_delete_is_safe(env: Env, kube: Any) -> None:
    make_endpoint(env.sm, env.endpoint)
    env.apply(manifest("ic-g", env.ns, env.endpoint, env.model))
    env.wait_ready("ic-g")
    other = f"other-{uuid.uuid4().hex[:6]}"
    kube.create_namespace(other)
    thief = Env(kube, env.sm, env.emulator, other)
    thief.apply(manifest("ic-g", other, env.endpoint, env.model, adoptExisting=True))
    stalled = wait_for(lambda: thief.condition("ic-g", "Stalled"), what="Stalled")
    assert "owned by" in stalled["message"]
    kube.kubectl("delete", "smic", "ic-g", "-n", other, "--wait=true", "--timeout=60s")
    assert env.describe("ic-g")["InferenceComponentStatus"] == "InService"
    assert env.tags("ic-g")[OWNER_TAG] == f"{env.ns}/InferenceComponent/ic-g"


def test_delete_while_creating_and_retain(env: Env) -> None:
    make_endpoint(env.sm, env.endpoint)
    clock = env.emulator.backend.clock
    scale, clock.time_scale = clock.time_scale, 0.05  # creation takes ~9 s: long enough to delete mid-way
    try:
        env.apply(manifest("ic-h", env.ns, env.endpoint, env.model))
        wait_for(lambda: env.status("ic-h").get("inferenceComponentStatus") == "Creating", what="Creating")
    finally:
        clock.time_scale = scale
    env.kube.kubectl("delete", "smic", "ic-h", "-n", env.ns, "--wait=true", "--timeout=60s")
    with pytest.raises(env.sm.exceptions.ClientError):
        env.describe("ic-h")

    env.apply(manifest("ic-i", env.ns, env.endpoint, env.model, deletionPolicy="Retain"))
    env.wait_ready("ic-i")
    env.kube.kubectl("delete", "smic", "ic-i", "-n", env.ns, "--wait=true", "--timeout=60s")
    assert env.describe("ic-i")["InferenceComponentStatus"] == "InService"
    assert OWNER_TAG not in env.tags("ic-i")


def test_restart_mid_create_creates_once(env: Env, operator: Operator) -> None:
    make_endpoint(env.sm, env.endpoint)
    before = env.emulator.backend.counters["CreateInferenceComponent"]
    env.apply(manifest("ic-j", env.ns, env.endpoint, env.model))
    wait_for(lambda: env.emulator.backend.counters["CreateInferenceComponent"] > before, what="create call")
    operator.stop()
    operator.start()
    env.wait_ready("ic-j")
    assert env.emulator.backend.counters["CreateInferenceComponent"] == before + 1
    assert env.tags("ic-j")[UID_TAG] == (env.get("ic-j") or {})["metadata"]["uid"]


def test_replace_without_finalizer_or_annotations_is_safe(env: Env) -> None:
    """`kubectl replace` / ArgoCD `Replace=true` send the manifest as it is: no finalizer, none of
    kopf's annotations. The finalizer must come back, and nothing may be created twice."""
    make_endpoint(env.sm, env.endpoint)
    env.apply(manifest("ic-r", env.ns, env.endpoint, env.model, runtimeConfig={"copyCount": 1}))
    env.wait_ready("ic-r")
    creates = env.emulator.backend.counters["CreateInferenceComponent"]
    obj = env.get("ic-r") or {}
    obj["metadata"] = {
        "name": "ic-r",
        "namespace": env.ns,
        "resourceVersion": obj["metadata"]["resourceVersion"],
    }
    obj.pop("status", None)
    env.kube.kubectl("replace", "-f", "-", input=json.dumps(obj))
    wait_for(
        lambda: (
            "sagemaker.inference-operator.dev/finalizer"
            in ((env.get("ic-r") or {})["metadata"].get("finalizers") or [])
        ),
        what="finalizer re-added",
    )
    env.wait_ready("ic-r")
    assert env.emulator.backend.counters["CreateInferenceComponent"] == creates
    env.kube.kubectl("delete", "smic", "ic-r", "-n", env.ns, "--wait=true", "--timeout=60s")
    with pytest.raises(env.sm.exceptions.ClientError):
        env.describe("ic-r")
