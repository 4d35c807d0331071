"""Security (issue #8): ownership is checked before every mutating call, no cross-namespace
takeover, no credentials or request bodies in the operator's logs, and the operator works with
nothing but the RBAC the Helm chart grants (or, without the chart, the minimal rules below).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from kube_testenv.controlplane import ControlPlane
from sagemaker_emulator.backend import Backend
from sagemaker_emulator.clock import Clock
from sagemaker_emulator.forced import force_failure
from sagemaker_emulator.server import EmulatorServer

from .harness import OWNER_TAG, ROLE, ROOT, UID_TAG, CallRecorder, OperatorProcess, condition, install_crds, wait_for

pytestmark = [pytest.mark.controlplane, pytest.mark.slow]

CHART = ROOT / "helm" / "sagemaker-inference-operator"
CLUSTER_TAG = "sagemaker.inference-operator.dev/cluster"


@dataclass
class Stack:
    kube: ControlPlane
    server: EmulatorServer
    recorder: CallRecorder
    sm: Any
    endpoint: str
    model: str
    tmp: Path

    def manifest(self, ns: str, name: str, **spec: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "endpointName": self.endpoint,
            "variantName": "AllTraffic",
            "specification": {
                "modelName": self.model,
                "computeResourceRequirements": {"minMemoryRequiredInMb": 1024, "numberOfCpuCoresRequired": 1},
            },
            "runtimeConfig": {"copyCount": 1},
        }
        body.update(spec)
        return {
            "apiVersion": "sagemaker.inference-operator.dev/v1alpha1",
            "kind": "InferenceComponent",
            "metadata": {"name": name, "namespace": ns},
            "spec": body,
        }

    def apply(self, obj: dict[str, Any]) -> None:
        self.kube.kubectl("apply", "-f", "-", input=json.dumps(obj))

    def cr(self, ns: str, name: str) -> dict[str, Any]:
        data: dict[str, Any] = json.loads(self.kube.kubectl("get", "smic", name, "-n", ns, "-o", "json").stdout)
        return data

    def wait_condition(self, ns: str, name: str, type_: str) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            obj = self.cr(ns, name)
            c = condition(obj, type_)
            ok = c and c["status"] == "True"
            return (
                c
                if ok and (obj.get("status") or {}).get("observedGeneration") == obj["metadata"]["generation"]
                else None
            )

        found: dict[str, Any] = wait_for(check, what=f"{ns}/{name} {type_}")
        return found

    def tags(self, name: str) -> dict[str, str]:
        arn = self.sm.describe_inference_component(InferenceComponentName=name)["InferenceComponentArn"]
        return {t["Key"]: t["Value"] for t in self.sm.list_tags(ResourceArn=arn)["Tags"]}

    def operator(self, namespaces: list[str], **kwargs: Any) -> OperatorProcess:
        log = self.tmp / f"operator-{uuid.uuid4().hex[:6]}.log"
        return OperatorProcess(self.kube, self.server.url, log, namespaces, **kwargs)


@pytest.fixture(scope="module")
def stack(controlplane: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    install_crds(controlplane)
    server = EmulatorServer(Backend(clock=Clock(0.002), seed=5)).start()
    recorder = CallRecorder(server.backend)
    sm = boto3.client(
        "sagemaker",
        endpoint_url=server.url,
        region_name="us-west-2",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    sm.create_model(ModelName="sec-model", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img:1"})
    sm.create_model(ModelName="sec-model-2", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img:2"})
    sm.create_endpoint_config(
        EndpointConfigName="sec-ep",
        ExecutionRoleArn=ROLE,
        ProductionVariants=[{"VariantName": "AllTraffic", "InstanceType": "ml.g5.12xlarge", "InitialInstanceCount": 1}],
    )
    sm.create_endpoint(EndpointName="sec-ep", EndpointConfigName="sec-ep")
    wait_for(lambda: sm.describe_endpoint(EndpointName="sec-ep")["EndpointStatus"] == "InService", what="endpoint")
    yield Stack(controlplane, server, recorder, sm, "sec-ep", "sec-model", tmp_path_factory.mktemp("security"))
    server.stop()


def _namespace(kube: ControlPlane, stem: str) -> str:
    name = f"{stem}-{uuid.uuid4().hex[:6]}"
    kube.create_namespace(name)
    return name


def test_foreign_tagged_component_is_never_touched(stack: Stack) -> None:
    """Tags saying another namespace, another cluster or another CR: Stalled, no mutating call,
    even with adoptExisting; deleting the CR leaves the component alone."""
    ns = _namespace(stack.kube, "sec-foreign")
    foreign = {
        "foreign-ns": {
            OWNER_TAG: "someone-else/InferenceComponent/foreign-ns",
            UID_TAG: "1111",
            CLUSTER_TAG: "default",
        },
        "foreign-cluster": {
            OWNER_TAG: f"{ns}/InferenceComponent/foreign-cluster",
            UID_TAG: "2222",
            CLUSTER_TAG: "prod-eu",
        },
        "foreign-cr": {OWNER_TAG: f"{ns}/InferenceComponent/another-cr", UID_TAG: "3333", CLUSTER_TAG: "default"},
    }
    for name, tags in foreign.items():
        stack.sm.create_inference_component(
            InferenceComponentName=name,
            EndpointName=stack.endpoint,
            VariantName="AllTraffic",
            Specification={"ModelName": stack.model, "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024}},
            RuntimeConfig={"CopyCount": 1},
            Tags=[{"Key": k, "Value": v} for k, v in tags.items()],
        )
    operator = stack.operator([ns])
    operator.start()
    try:
        mark = stack.recorder.mark()
        for name in foreign:
            # everything differs from SageMaker: model, copies, tags; and adoption is asked for
            stack.apply(
                stack.manifest(
                    ns,
                    name,
                    adoptExisting=True,
                    runtimeConfig={"copyCount": 3},
                    tags=[{"key": "team", "value": "thief"}],
                    specification={
                        "modelName": "sec-model-2",
                        "computeResourceRequirements": {"minMemoryRequiredInMb": 2048, "numberOfCpuCoresRequired": 1},
                    },
                )
            )
        for name in foreign:
            stalled = stack.wait_condition(ns, name, "Stalled")
            assert stalled["reason"] == "NotOwned" and "is owned by" in stalled["message"]
        time.sleep(3.0)  # several steady re-checks
        for name in foreign:
            stack.kube.kubectl("delete", "smic", name, "-n", ns, "--timeout=30s")
        sent = stack.recorder.mutations(mark, foreign)
        assert sent == [], f"mutating calls on components owned by others: {[(c.operation, c.name) for c in sent]}"
        for name, tags in foreign.items():
            described = stack.sm.describe_inference_component(InferenceComponentName=name)
            assert described["InferenceComponentStatus"] == "InService"
            assert described["Specification"]["ModelName"] == stack.model
            assert described["RuntimeConfig"]["DesiredCopyCount"] == 1
            assert stack.tags(name) == tags
    finally:
        operator.stop()


def test_cross_namespace_takeover_refused(stack: Stack) -> None:
    ns_a, ns_b = _namespace(stack.kube, "sec-owner"), _namespace(stack.kube, "sec-thief")
    operator = stack.operator([ns_a, ns_b])
    operator.start()
    try:
        stack.apply(stack.manifest(ns_a, "payments-model"))
        stack.wait_condition(ns_a, "payments-model", "Ready")
        mark = stack.recorder.mark()
        thief = stack.manifest(ns_b, "innocent-name", inferenceComponentName="payments-model", adoptExisting=True)
        thief["spec"]["runtimeConfig"] = {"copyCount": 0}
        thief["spec"]["deletionPolicy"] = "Delete"
        stack.apply(thief)
        stalled = stack.wait_condition(ns_b, "innocent-name", "Stalled")
        assert stalled["reason"] == "NotOwned" and f"{ns_a}/InferenceComponent/payments-model" in stalled["message"]
        time.sleep(3.0)
        stack.kube.kubectl("delete", "smic", "innocent-name", "-n", ns_b, "--timeout=30s")
        assert stack.recorder.mutations(mark, ["payments-model"]) == []
        assert stack.tags("payments-model")[OWNER_TAG] == f"{ns_a}/InferenceComponent/payments-model"
        described = stack.sm.describe_inference_component(InferenceComponentName="payments-model")
        assert described["RuntimeConfig"]["DesiredCopyCount"] == 1
        assert (condition(stack.cr(ns_a, "payments-model"), "Ready") or {}).get("status") == "True"
    finally:
        operator.stop()


def test_no_credentials_or_request_bodies_in_debug_logs(stack: Stack) -> None:
    marker = uuid.uuid4().hex[:10]
    secret_key = f"SECRETKEY{marker}wJalrXUtnFEMI"
    session_token = f"SESSIONTOKEN{marker}IQoJb3JpZ2luX2VjE"
    env_values = [f"ENVSECRET{marker}one", f"ENVSECRET{marker}two"]
    ns = _namespace(stack.kube, "sec-logs")
    operator = stack.operator(
        [ns],
        extra_args=["--debug"],
        env={"AWS_SECRET_ACCESS_KEY": secret_key, "AWS_SESSION_TOKEN": session_token},
    )
    operator.start()
    try:
        body = stack.manifest(ns, "leaky")
        body["spec"]["specification"]["container"] = {"environment": {"API_TOKEN": env_values[0]}}
        stack.apply(body)
        stack.wait_condition(ns, "leaky", "Ready")
        # an update SageMaker rolls back (a warning with SageMaker's answer is logged) ...
        force_failure(stack.server.backend, "inference-component", "leaky", "Model failed health checks")
        body["spec"]["specification"]["container"]["environment"]["API_TOKEN"] = env_values[1]
        stack.apply(body)
        stack.wait_condition(ns, "leaky", "Stalled")
        # ... a rejected call (the request echoes nothing back) ...
        body["spec"]["specification"]["modelName"] = "no-such-model"
        stack.apply(body)
        wait_for(lambda: "Could not find model" in str(stack.cr(ns, "leaky").get("status")), what="rejected update")
        # ... and the deletion
        stack.kube.kubectl("delete", "smic", "leaky", "-n", ns, "--timeout=60s")
    finally:
        operator.stop()
    log = operator.output()
    assert "Starting Kopf" in log or "kopf" in log.lower()  # the log is really the operator's
    assert len(log) > 2000, "debug logging produced almost nothing: the test would prove nothing"
    for value in (secret_key, session_token, *env_values):
        assert value not in log, f"{value[:12]}... appears in the operator's log"
    for needle in ("X-Amz-Security-Token", '"Environment"', "API_TOKEN"):
        assert needle not in log, f"{needle} (a request header or body) appears in the operator's log"


MINIMAL_RBAC = """
# What the operator needs when it watches given namespaces (the Helm chart's namespaced mode).
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: NAME-crds}
rules:
  - {apiGroups: [apiextensions.k8s.io], resources: [customresourcedefinitions], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: NAME-crds}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: NAME-crds}
subjects: [{kind: ServiceAccount, name: NAME, namespace: SA_NS}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: NAME, namespace: WATCHED}
rules:
  - apiGroups: [sagemaker.inference-operator.dev]
    resources: [inferencecomponents, inferenceexperiments]
    verbs: [get, list, watch, patch]
  - apiGroups: [sagemaker.inference-operator.dev]
    resources: [inferencecomponents/status, inferenceexperiments/status]
    verbs: [get, patch]
  - {apiGroups: [""], resources: [events], verbs: [create, patch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: NAME, namespace: WATCHED}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: NAME}
subjects: [{kind: ServiceAccount, name: NAME, namespace: SA_NS}]
"""


def _rbac(kube: ControlPlane, sa_ns: str, sa: str, watched: str) -> tuple[str, str]:
    """The chart's RBAC (helm template) when the chart is in the tree, else MINIMAL_RBAC."""
    if CHART.is_dir():
        rendered = kube.helm(
            "template",
            sa,
            str(CHART),
            "--namespace",
            sa_ns,
            "--show-only",
            "templates/rbac.yaml",
            "--set",
            "serviceAccount.create=false",
            "--set",
            f"serviceAccount.name={sa}",
            "--set",
            f"watchNamespaces={{{watched}}}",
        ).stdout
        return rendered, "helm chart templates/rbac.yaml"
    text = MINIMAL_RBAC.replace("SA_NS", sa_ns).replace("WATCHED", watched).replace("NAME", sa)
    return text, "minimal rules in tests/op/test_security.py (no chart on this branch)"


def test_least_privilege_rbac_drives_create_and_delete(stack: Stack) -> None:
    kube = stack.kube
    sa_ns, watched = _namespace(kube, "sec-operator"), _namespace(kube, "sec-watched")
    sa = f"sio-{uuid.uuid4().hex[:6]}"
    rbac, source = _rbac(kube, sa_ns, sa, watched)
    kinds = [d["kind"] for d in yaml.safe_load_all(rbac) if d]
    assert set(kinds) <= {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}, kinds
    kube.kubectl("apply", "-f", "-", input=rbac)
    kubeconfig = kube.service_account_kubeconfig(sa_ns, sa)
    # least privilege: no secrets, no other namespace, no CR creation or deletion
    for verb, what, ns in (
        ("list", "secrets", watched),
        ("get", "inferencecomponents", "default"),
        ("delete", "inferencecomponents", watched),
        ("create", "inferencecomponents", watched),
    ):
        answer = kube.kubectl("auth", "can-i", verb, what, "-n", ns, kubeconfig=kubeconfig, check=False)
        assert answer.stdout.strip() == "no", f"{source}: the operator may {verb} {what} in {ns}"
    operator = stack.operator([watched], kubeconfig=kubeconfig)
    operator.start()
    try:
        stack.apply(stack.manifest(watched, "rbac-ic"))
        stack.wait_condition(watched, "rbac-ic", "Ready")
        kube.kubectl("delete", "smic", "rbac-ic", "-n", watched, "--timeout=60s")
        found = stack.sm.list_inference_components(NameContains="rbac-ic")["InferenceComponents"]
        assert found == [], f"{source}: the component survived its CR"
    finally:
        operator.stop()
    # namespaced mode needs no RBAC on namespaces (kopf's namespace scan is off): not a single 403
    forbidden = [line for line in operator.output().splitlines() if "Forbidden" in line or " 403" in line]
    assert forbidden == [], "\n".join(forbidden[:5])
