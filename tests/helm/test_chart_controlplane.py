"""The chart on the real kube-apiserver (kube_testenv): `helm install` of the main value
combinations with every object accepted, PodSecurity "restricted" admission of the operator's pod,
the ServiceAccount's RBAC (`kubectl auth can-i`), and the operator itself running with the chart's
args, env and ServiceAccount token, driving an InferenceComponent to Ready on the SageMaker emulator.

There is no kubelet: Deployments never get pods, so the operator runs here as a subprocess instead.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from kube_testenv.controlplane import ControlPlane, free_port
from sagemaker_emulator.backend import Backend
from sagemaker_emulator.clock import Clock
from sagemaker_emulator.server import EmulatorServer

from .conftest import CHART, CRS, GROUP, KOPF_CRDS, set_args

pytestmark = [pytest.mark.controlplane, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
ROLE = "arn:aws:iam::123456789012:role/sagemaker"
IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/llm:1"
IRSA_ROLE = "arn:aws:iam::123456789012:role/sagemaker-inference-operator"


@dataclass
class Release:
    plane: ControlPlane
    name: str
    namespace: str
    values: dict[str, Any]
    docs: list[dict[str, Any]] = field(default_factory=list)

    @property
    def fullname(self) -> str:
        return f"{self.name}-sagemaker-inference-operator"

    @property
    def user(self) -> str:
        return f"system:serviceaccount:{self.namespace}:{self.fullname}"

    def install(self, *flags: str) -> Release:
        self.plane.helm(
            "install", self.name, str(CHART), "-n", self.namespace, *flags, *set_args(self.values), timeout=180
        )
        manifest = self.plane.helm("get", "manifest", self.name, "-n", self.namespace).stdout
        self.docs = [d for d in yaml.safe_load_all(manifest) if d]
        return self

    def uninstall(self) -> None:
        self.plane.helm("uninstall", self.name, "-n", self.namespace, "--wait", timeout=180)

    def kind(self, kind: str) -> list[dict[str, Any]]:
        return [d for d in self.docs if d["kind"] == kind]

    def can_i(self, verb: str, resource: str, namespace: str | None = None) -> bool:
        where = ["-n", namespace] if namespace else ["--all-namespaces"]
        done = self.plane.kubectl("auth", "can-i", verb, resource, *where, f"--as={self.user}", check=False)
        assert done.stdout.strip() in ("yes", "no"), done.stdout + done.stderr
        return done.stdout.strip() == "yes"


def wait_for(predicate: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(0.25)
    raise AssertionError(f"{what} not met within {timeout}s (last: {last!r})")


def namespace(plane: ControlPlane, stem: str) -> str:
    name = f"{stem}-{uuid.uuid4().hex[:6]}"
    plane.create_namespace(name)
    return name


@pytest.fixture(scope="module")
def emulator() -> Iterator[EmulatorServer]:
    server = EmulatorServer(Backend(clock=Clock(0.002), seed=7)).start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def cluster_release(controlplane: ControlPlane, emulator: EmulatorServer) -> Iterator[Release]:
    """The default, cluster-wide release, configured as on EKS with IRSA (plus the emulator's URL and
    fast polling for the operator test). It takes over the CRDs if another test applied them."""
    values: dict[str, Any] = {
        "serviceAccount.iamRoleArn": IRSA_ROLE,
        "aws.region": "us-west-2",
        "aws.endpointUrl": emulator.url,
        "livenessProbe.port": free_port(),
        "metrics.port": free_port(),
        "operator.logLevel": "debug",
        "operator.poll": {"fast": 0.2, "cap": 1, "steady": 1.5},
    }
    release = Release(controlplane, f"sio-{uuid.uuid4().hex[:6]}", namespace(controlplane, "sagemaker-system"), values)
    release.install("--take-ownership")
    yield release
    release.uninstall()


def test_every_rendered_object_is_on_the_server(cluster_release: Release) -> None:
    plane = cluster_release.plane
    kinds = sorted({d["kind"] for d in cluster_release.docs})
    assert kinds == sorted(
        {"ServiceAccount", "ClusterRole", "ClusterRoleBinding", "Service", "Deployment", "CustomResourceDefinition"}
    )
    for doc in cluster_release.docs:
        meta = doc["metadata"]
        where = ["-n", meta["namespace"]] if "namespace" in meta else []
        got = json.loads(
            plane.kubectl(
                "get",
                f"{doc['kind']}.{doc['apiVersion'].split('/')[0]}" if "/" in doc["apiVersion"] else doc["kind"],
                meta["name"],
                *where,
                "-o",
                "json",
            ).stdout
        )
        assert (
            got["metadata"]["labels"].get("app.kubernetes.io/managed-by") == "Helm"
            or doc["kind"] == "CustomResourceDefinition"
        )
    crds = [f"crd/{plural}.{GROUP}" for plural in CRS]
    plane.kubectl("wait", "--for=condition=Established", "--timeout=60s", *crds)
    sa = json.loads(
        plane.kubectl("get", "sa", cluster_release.fullname, "-n", cluster_release.namespace, "-o", "json").stdout
    )
    assert sa["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == IRSA_ROLE


def test_crds_on_the_server_are_the_generated_ones(cluster_release: Release) -> None:
    plane = cluster_release.plane
    for path in sorted((ROOT / "crds").glob("*.yaml")):
        expected = yaml.safe_load(path.read_text())
        live = json.loads(plane.kubectl("get", "crd", expected["metadata"]["name"], "-o", "json").stdout)
        assert live["metadata"]["annotations"]["helm.sh/resource-policy"] == "keep"
        assert live["spec"]["names"] == expected["spec"]["names"]
        (version,) = live["spec"]["versions"]
        assert version["schema"] == expected["spec"]["versions"][0]["schema"]
        assert version["subresources"] == expected["spec"]["versions"][0]["subresources"]


def test_service_account_rbac_is_least_privilege(cluster_release: Release) -> None:
    release = cluster_release
    other = namespace(release.plane, "elsewhere")
    for plural in CRS:
        for verb in ("get", "list", "watch", "patch"):
            assert release.can_i(verb, f"{plural}.{GROUP}"), (verb, plural)
            assert release.can_i(verb, f"{plural}.{GROUP}", other), (verb, plural, other)
        assert release.can_i("patch", f"{plural}.{GROUP}/status", other)
        for verb in ("create", "update", "delete", "deletecollection"):
            assert not release.can_i(verb, f"{plural}.{GROUP}", other), (verb, plural)
    assert release.can_i("create", "events", other) and release.can_i("patch", "events", other)
    for verb in ("get", "list", "watch"):
        assert release.can_i(verb, "customresourcedefinitions.apiextensions.k8s.io")
    assert release.can_i("list", "namespaces") and release.can_i("watch", "namespaces")
    assert not release.can_i("create", "customresourcedefinitions.apiextensions.k8s.io")
    for verb, resource in [
        ("get", "secrets"),
        ("list", "configmaps"),
        ("create", "pods"),
        ("delete", "events"),
        ("patch", "clusterkopfpeerings.kopf.dev"),
        ("create", "namespaces"),
        ("escalate", "clusterroles.rbac.authorization.k8s.io"),
    ]:
        assert not release.can_i(verb, resource, other), (verb, resource)


def test_pod_template_passes_restricted_pod_security(cluster_release: Release) -> None:
    """The namespace enforces the "restricted" Pod Security Standard; the API server's PodSecurity
    admission accepts the chart's pod (server dry run) and rejects a weakened copy (control)."""
    plane, ns = cluster_release.plane, cluster_release.namespace
    plane.kubectl("label", "namespace", ns, "pod-security.kubernetes.io/enforce=restricted", "--overwrite")
    (deployment,) = cluster_release.kind("Deployment")
    template = deployment["spec"]["template"]
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {**template["metadata"], "name": "psa-check"}}
    pod["spec"] = template["spec"]

    def create(body: dict[str, Any]) -> subprocess.CompletedProcess[str]:
        return plane.kubectl("create", "--dry-run=server", "-n", ns, "-f", "-", input=json.dumps(body), check=False)

    accepted = create(pod)
    assert accepted.returncode == 0, accepted.stderr
    assert "violate" not in accepted.stderr.lower() and "warning" not in accepted.stderr.lower(), accepted.stderr
    weakened = json.loads(json.dumps(pod))
    weakened["spec"]["containers"][0]["securityContext"]["allowPrivilegeEscalation"] = True
    del weakened["spec"]["securityContext"]["seccompProfile"]
    rejected = create(weakened)
    assert rejected.returncode != 0 and "restricted" in rejected.stderr, rejected.stderr


def operator_env(release: Release, kubeconfig: Path, pod: str) -> dict[str, str]:
    """The container's environment as the chart renders it (valueFrom resolved by hand)."""
    (deployment,) = release.kind("Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    env = {e["name"]: e.get("value", "") for e in container["env"]}
    env["POD_ID"] = pod
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SAGEMAKER_", "KUBE"))}
    creds = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    return {**base, **env, **creds, "KUBECONFIG": str(kubeconfig)}


@dataclass
class RunningOperator:
    release: Release
    args: list[str]
    log: Path
    workloads: str
    pod: str
    proc: subprocess.Popen[bytes] | None = None

    def stop(self) -> None:
        """SIGTERM, as the kubelet does: kopf leaves the peering on its way out."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def arg(self, flag: str) -> str:
        (value,) = [a.split("=", 1)[1] for a in self.args if a.startswith(flag + "=")]
        return value

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        done = self.release.plane.kubectl("get", kind, name, "-n", self.workloads, "-o", "json", check=False)
        return json.loads(done.stdout) if done.returncode == 0 else None

    def ready(self, kind: str, name: str) -> dict[str, Any] | None:
        got = self.get(kind, name) or {}
        conditions = {c["type"]: c["status"] for c in (got.get("status") or {}).get("conditions") or []}
        return got if conditions.get("Ready") == "True" else None

    def delete(self, kind: str, name: str) -> None:
        self.release.plane.kubectl("delete", kind, name, "-n", self.workloads, "--wait=false")
        wait_for(lambda: self.get(kind, name) is None, timeout=90, what=f"{kind} {name} deleted")

    def assert_no_forbidden(self, *allowed: str) -> None:
        """No request of the operator was refused, except for the `allowed` log fragments."""
        lines = [line for line in self.log.read_text().splitlines() if not any(a in line for a in allowed)]
        refused = [line for line in lines if " 403" in line or "forbidden" in line.lower()]
        assert not refused, "\n".join(refused[:5])


@contextlib.contextmanager
def run_operator(
    release: Release, tmp: Path, workloads: str, pod: str = "test", liveness_port: int | None = None
) -> Iterator[RunningOperator]:
    """`sagemaker-operator run` with exactly the chart's args and env, authenticated only by a token
    of the chart's ServiceAccount (no kubelet here to run the Deployment's pod). Several replicas on
    this one host need their own liveness ports (`liveness_port`)."""
    plane = release.plane
    kubeconfig = plane.service_account_kubeconfig(release.namespace, release.fullname, tmp / "kubeconfig", create=False)
    (deployment,) = release.kind("Deployment")
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    args = list(container["args"])
    if liveness_port is not None:
        args = [
            f"--liveness=http://0.0.0.0:{liveness_port}/healthz" if a.startswith("--liveness=") else a for a in args
        ]
    running = RunningOperator(release, args, tmp / f"operator-{pod}.log", workloads, f"{release.fullname}-{pod}")
    with running.log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "sagemaker_operator", "run", *running.args],
            env=operator_env(release, kubeconfig, running.pod),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    running.proc = proc
    try:
        yield running
    finally:
        running.stop()
        print(running.log.read_text()[-5000:])


@pytest.fixture(scope="module")
def chart_operator(cluster_release: Release, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningOperator]:
    tmp = tmp_path_factory.mktemp("chart-operator")
    with run_operator(cluster_release, tmp, namespace(cluster_release.plane, "workloads")) as running:
        assert running.args[:2] == ["--all-namespaces", "--standalone"]
        yield running


@pytest.fixture(scope="module")
def sm(emulator: EmulatorServer) -> Any:
    return boto3.client(
        "sagemaker",
        endpoint_url=emulator.url,
        region_name="us-west-2",
        aws_access_key_id="x",
        aws_secret_access_key="x",
    )


def make_endpoint(sm: Any, name: str, variant: str, model: str | None = None) -> None:
    config: dict[str, Any] = {"VariantName": variant, "InstanceType": "ml.g5.12xlarge", "InitialInstanceCount": 1}
    if model:
        config["ModelName"] = model
    sm.create_endpoint_config(EndpointConfigName=name, ExecutionRoleArn=ROLE, ProductionVariants=[config])
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
    wait_for(lambda: sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService", what="endpoint")


def make_model(sm: Any, name: str) -> None:
    sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})


def inference_component(sm: Any, name: str, ns: str) -> dict[str, Any]:
    """examples/inference-component.yaml on a fresh emulator endpoint and model."""
    model, endpoint = f"m-{uuid.uuid4().hex[:6]}", f"ep-{uuid.uuid4().hex[:6]}"
    make_model(sm, model)
    make_endpoint(sm, endpoint, "AllTraffic")
    body: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "inference-component.yaml").read_text())
    body["metadata"] = {"name": name, "namespace": ns}
    body["spec"].update(endpointName=endpoint, variantName="AllTraffic")
    body["spec"]["specification"] = {
        "modelName": model,
        "computeResourceRequirements": {"minMemoryRequiredInMb": 1024, "numberOfCpuCoresRequired": 1},
    }
    return body


def test_operator_as_the_chart_service_account_runs_an_inference_component(
    chart_operator: RunningOperator, sm: Any
) -> None:
    """The RBAC the chart grants is enough for a full InferenceComponent lifecycle."""
    op, plane, ns = chart_operator, chart_operator.release.plane, chart_operator.workloads
    plane.kubectl("apply", "-f", "-", input=json.dumps(inference_component(sm, "chart-ic", ns)))
    got = wait_for(lambda: op.ready("smic", "chart-ic"), timeout=90, what="InferenceComponent Ready")
    assert got["status"]["inferenceComponentStatus"] == "InService"
    assert f"{GROUP}/finalizer" in got["metadata"]["finalizers"]
    described = sm.describe_inference_component(InferenceComponentName="chart-ic")
    assert described["InferenceComponentStatus"] == "InService"
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=got["status"]["inferenceComponentArn"])["Tags"]}
    assert tags[f"{GROUP}/owner"] == f"{ns}/InferenceComponent/chart-ic"
    # The deletion handler (SageMaker delete, then the finalizer's removal) runs with the same RBAC.
    op.delete("smic", "chart-ic")
    names = {c["InferenceComponentName"] for c in sm.list_inference_components()["InferenceComponents"]}
    assert "chart-ic" not in names
    op.assert_no_forbidden()


def test_operator_as_the_chart_service_account_runs_an_inference_experiment(
    chart_operator: RunningOperator, sm: Any
) -> None:
    op, plane, ns = chart_operator, chart_operator.release.plane, chart_operator.workloads
    endpoint = f"ep-{uuid.uuid4().hex[:6]}"
    v1, v2 = f"{endpoint}-v1", f"{endpoint}-v2"
    make_model(sm, v1)
    make_model(sm, v2)
    make_endpoint(sm, endpoint, "production", v1)
    body: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "inference-experiment.yaml").read_text())
    body["metadata"] = {"name": "chart-ie", "namespace": ns}
    body["spec"].update(endpointName=endpoint, name=f"ie-{endpoint}")
    body["spec"]["modelVariants"][0]["modelName"] = v1
    body["spec"]["modelVariants"][1]["modelName"] = v2
    plane.kubectl("apply", "-f", "-", input=json.dumps(body))
    got = wait_for(lambda: op.ready("smie", "chart-ie"), timeout=90, what="InferenceExperiment Ready")
    assert got["status"]["status"] == "Running"
    shadows = sm.describe_endpoint(EndpointName=endpoint).get("ShadowProductionVariants", [])
    assert [v["VariantName"] for v in shadows] == ["shadow"]
    op.delete("smie", "chart-ie")
    op.assert_no_forbidden()


def test_operator_probes_answer_where_the_chart_looks(chart_operator: RunningOperator) -> None:
    """kopf's liveness endpoint (the chart's livenessProbe) and the metrics port (Service target)."""
    liveness = chart_operator.arg("--liveness").replace("0.0.0.0", "127.0.0.1")
    metrics = f"http://127.0.0.1:{chart_operator.arg('--metrics-port')}/metrics"

    def answers(url: str) -> str | None:
        try:
            with urllib.request.urlopen(url, timeout=5) as rsp:
                return str(rsp.read().decode()) if rsp.status == 200 else None
        except OSError:
            return None

    wait_for(lambda: answers(liveness), what="liveness endpoint")
    assert "sagemaker_operator_api_calls_total" in wait_for(lambda: answers(metrics), what="metrics endpoint")


def test_namespaced_release_and_crds_kept_on_uninstall(controlplane: ControlPlane) -> None:
    team_a, team_b = namespace(controlplane, "team-a"), namespace(controlplane, "team-b")
    values = {"watchNamespaces": [team_a, team_b]}
    release = Release(controlplane, f"sion-{uuid.uuid4().hex[:6]}", namespace(controlplane, "sio-ns"), values)
    release.install("--take-ownership")
    roles = {r["metadata"]["namespace"] for r in release.kind("Role")}
    assert roles == {team_a, team_b}
    other = namespace(controlplane, "not-watched")
    for ns in (team_a, team_b):
        assert release.can_i("patch", f"inferencecomponents.{GROUP}", ns)
        assert release.can_i("patch", f"inferenceexperiments.{GROUP}/status", ns)
        assert release.can_i("create", "events", ns)
    assert not release.can_i("list", f"inferencecomponents.{GROUP}", other)
    assert not release.can_i("list", f"inferencecomponents.{GROUP}")  # not cluster-wide
    assert not release.can_i("list", "namespaces")
    assert release.can_i("watch", "customresourcedefinitions.apiextensions.k8s.io")
    # `crds.keep`: uninstalling the release that owns the CRDs leaves them (and every CR) in place.
    release.uninstall()
    for plural in CRS:
        controlplane.kubectl("get", "crd", f"{plural}.{GROUP}")
    assert controlplane.kubectl("get", "role", release.fullname, "-n", team_a, check=False).returncode != 0


@pytest.mark.parametrize("scope", ["cluster-wide", "namespaced"])
def test_ha_release_with_kopf_peering(controlplane: ControlPlane, scope: str) -> None:
    """Peering CRDs (chart crds/) and the peering object install in one `helm install`."""
    watched = [namespace(controlplane, "team-ha")] if scope == "namespaced" else []
    values: dict[str, Any] = {"replicas": 2, "crds.install": False, "watchNamespaces": watched}
    release = Release(controlplane, f"sioha-{uuid.uuid4().hex[:6]}", namespace(controlplane, "sio-ha"), values)
    release.install()
    for name in KOPF_CRDS:
        controlplane.kubectl("wait", "--for=condition=Established", "--timeout=60s", f"crd/{name}")
    if scope == "cluster-wide":
        controlplane.kubectl("get", "clusterkopfpeering", release.fullname)
        assert release.can_i("patch", "clusterkopfpeerings.kopf.dev")
    else:
        controlplane.kubectl("get", "kopfpeering", release.fullname, "-n", watched[0])
        assert release.can_i("patch", "kopfpeerings.kopf.dev", watched[0])
        assert not release.can_i("patch", "clusterkopfpeerings.kopf.dev")
    (deployment,) = release.kind("Deployment")
    assert deployment["spec"]["replicas"] == 2
    release.uninstall()
    for name in KOPF_CRDS:
        controlplane.kubectl("get", "crd", name)  # crds/ CRDs are never deleted by Helm


def test_namespaced_operator_as_its_service_account(
    cluster_release: Release, emulator: EmulatorServer, sm: Any, tmp_path: Path
) -> None:
    """Namespaced mode: Role-based RBAC suffices (no namespaces, no cluster-wide CR access); objects
    in namespaces the release does not watch are left alone. (The CRDs come from `cluster_release`.)"""
    controlplane = cluster_release.plane
    team, other = namespace(controlplane, "team-op"), namespace(controlplane, "not-watched")
    values: dict[str, Any] = {
        "watchNamespaces": [team],
        "crds.install": False,
        "aws.endpointUrl": emulator.url,
        "livenessProbe.port": free_port(),
        "metrics.enabled": False,
        "operator.poll": {"fast": 0.2, "cap": 1, "steady": 1.5},
    }
    release = Release(controlplane, f"siono-{uuid.uuid4().hex[:6]}", namespace(controlplane, "sio-nsop"), values)
    release.install()
    try:
        with run_operator(release, tmp_path, team) as op:
            assert op.args[:2] == [f"--namespace={team}", "--standalone"]
            controlplane.kubectl("apply", "-f", "-", input=json.dumps(inference_component(sm, "ns-ic", team)))
            controlplane.kubectl("apply", "-f", "-", input=json.dumps(inference_component(sm, "ignored-ic", other)))
            wait_for(lambda: op.ready("smic", "ns-ic"), timeout=90, what="InferenceComponent Ready")
            op.delete("smic", "ns-ic")
            # The cluster-wide operator of this module may be running too: judge by this one's log.
            assert "ignored-ic" not in op.log.read_text()
            # Namespaced RBAC never grants listing namespaces, and the operator does not try (kopf's
            # scanning is off in namespaced mode): not a single refused request.
            op.assert_no_forbidden()
    finally:
        controlplane.kubectl("delete", "smic", "ignored-ic", "-n", other, "--wait=false", check=False)
        release.uninstall()
