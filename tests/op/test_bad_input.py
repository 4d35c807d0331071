"""Bad-input catalogue (issue #8): every case is either refused by the real API server with a
message that names the field, or (when only SageMaker can tell) ends Stalled with SageMaker's
message, without a retry loop, and recovers as soon as the spec is fixed.

The table is the documentation: `case id -> (kind, how the manifest is broken, text that must
appear in kubectl's error)`. Immutable fields are edited on a stored object (CEL transition rules);
unknown fields go through `kubectl apply --validate=strict` and `kubectl create` (strict by default).
"""

# ruff: noqa: E501  (the catalogue is a table: one case per line)
from __future__ import annotations

import copy
import json
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from kube_testenv.controlplane import ControlPlane
from sagemaker_emulator.backend import Backend
from sagemaker_emulator.clock import Clock
from sagemaker_emulator.limits import set_instance_limits
from sagemaker_emulator.server import EmulatorServer

from .harness import ROLE, ROOT, CallRecorder, OperatorProcess, condition, install_crds, wait_for

pytestmark = [pytest.mark.controlplane, pytest.mark.slow]

Mutate = Callable[[dict[str, Any]], None]


def example(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "examples" / name).read_text())
    return data


IC = example("inference-component.yaml")
IE = example("inference-experiment.yaml")


def _set(path: str, value: Any) -> Mutate:
    """Set a dotted path (list indexes as numbers) in the manifest; value None removes it."""

    def mutate(obj: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node: Any = obj
        for part in parents:
            node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
        if value is None:
            del node[int(last) if last.isdigit() else last]
        else:
            node[int(last) if last.isdigit() else last] = copy.deepcopy(value)

    return mutate


def _both(*mutations: Mutate) -> Mutate:
    def mutate(obj: dict[str, Any]) -> None:
        for m in mutations:
            m(obj)

    return mutate


SPEC = "spec.specification"
ENV = f"{SPEC}.container.environment"
SHADOW = "spec.shadowModeConfig.shadowModelVariants.0"
RTI = "spec.modelVariants.1.infrastructureConfig.realTimeInferenceConfig"


@dataclass(frozen=True)
class Case:
    kind: str  # "ic" | "ie"
    mutate: Mutate
    names: str  # must appear in kubectl's stderr (the field path, or the field in a CEL message)
    how: str = "apply"  # apply | strict (apply --validate=strict) | create | patch (edit a stored object)


# fmt: off
REJECTED: dict[str, Case] = {
    # malformed names
    "ic-metadata-name-not-sagemaker": Case("ic", _set("metadata.name", "has.dots"), "metadata.name"),
    "ic-name-pattern": Case("ic", _set("spec.inferenceComponentName", "bad_name!"), "spec.inferenceComponentName"),
    "ic-name-too-long": Case("ic", _set("spec.inferenceComponentName", "a" * 64), "spec.inferenceComponentName"),
    "ic-endpoint-pattern": Case("ic", _set("spec.endpointName", "ep_1"), "spec.endpointName"),
    "ic-variant-too-long": Case("ic", _set("spec.variantName", "v" * 64), "spec.variantName"),
    "ic-model-pattern": Case("ic", _set(f"{SPEC}.modelName", "model.v2"), f"{SPEC}.modelName"),
    "ie-name-pattern": Case("ie", _set("spec.name", "shadow_test"), "spec.name"),
    "ie-variant-pattern": Case("ie", _set("spec.modelVariants.0.variantName", "prod/1"), "spec.modelVariants[0].variantName"),
    # out-of-range numbers, wrong types
    "ic-copy-count-negative": Case("ic", _set("spec.runtimeConfig.copyCount", -1), "spec.runtimeConfig.copyCount"),
    "ic-copy-count-string": Case("ic", _set("spec.runtimeConfig.copyCount", "two"), "spec.runtimeConfig.copyCount"),
    "ic-memory-too-small": Case("ic", _set(f"{SPEC}.computeResourceRequirements.minMemoryRequiredInMb", 64), f"{SPEC}.computeResourceRequirements.minMemoryRequiredInMb"),
    "ic-cpu-too-small": Case("ic", _set(f"{SPEC}.computeResourceRequirements.numberOfCpuCoresRequired", 0.1), f"{SPEC}.computeResourceRequirements.numberOfCpuCoresRequired"),
    "ic-download-timeout": Case("ic", _set(f"{SPEC}.startupParameters.modelDataDownloadTimeoutInSeconds", 5000), f"{SPEC}.startupParameters.modelDataDownloadTimeoutInSeconds"),
    "ic-health-timeout": Case("ic", _set(f"{SPEC}.startupParameters.containerStartupHealthCheckTimeoutInSeconds", 10), f"{SPEC}.startupParameters.containerStartupHealthCheckTimeoutInSeconds"),
    "ic-wait-interval": Case("ic", _set("spec.deploymentConfig", {"rollingUpdatePolicy": {"maximumBatchSize": {"type": "COPY_COUNT", "value": 1}, "waitIntervalInSeconds": 4000}}), "spec.deploymentConfig.rollingUpdatePolicy.waitIntervalInSeconds"),
    "ic-adopt-not-bool": Case("ic", _set("spec.adoptExisting", "yes"), "spec.adoptExisting"),
    "ie-sampling-over-100": Case("ie", _set(f"{SHADOW}.samplingPercentage", 101), "spec.shadowModeConfig.shadowModelVariants[0].samplingPercentage"),
    "ie-instance-count-negative": Case("ie", _set(f"{RTI}.instanceCount", -1), "spec.modelVariants[1].infrastructureConfig.realTimeInferenceConfig.instanceCount"),
    "ie-description-too-long": Case("ie", _set("spec.description", "d" * 1025), "spec.description"),
    # wrong enums and shapes
    "ic-deletion-policy": Case("ic", _set("spec.deletionPolicy", "Orphan"), "spec.deletionPolicy"),
    "ic-placement-strategy": Case("ic", _set(f"{SPEC}.schedulingConfig", {"placementStrategy": "RANDOM"}), f"{SPEC}.schedulingConfig.placementStrategy"),
    "ic-batch-size-type": Case("ic", _set("spec.deploymentConfig", {"rollingUpdatePolicy": {"maximumBatchSize": {"type": "PODS", "value": 1}, "waitIntervalInSeconds": 60}}), "spec.deploymentConfig.rollingUpdatePolicy.maximumBatchSize.type"),
    "ic-instance-type": Case("ic", _set(f"{SPEC}.instanceType", "g5.xlarge"), f"{SPEC}.instanceType"),
    "ic-artifact-url": Case("ic", _set(f"{SPEC}.container.artifactUrl", "ftp://models/m.tar.gz"), f"{SPEC}.container.artifactUrl"),
    "ic-image-space": Case("ic", _set(f"{SPEC}.container.image", "my image"), f"{SPEC}.container.image"),
    "ic-region": Case("ic", _set("spec.region", "mars"), "spec.region"),
    "ie-type": Case("ie", _set("spec.type", "ABTest"), "spec.type"),
    "ie-desired-state": Case("ie", _set("spec.desiredState", "Paused"), "spec.desiredState"),
    "ie-infrastructure-type": Case("ie", _set("spec.modelVariants.0.infrastructureConfig.infrastructureType", "Serverless"), "spec.modelVariants[0].infrastructureConfig.infrastructureType"),
    "ie-variant-action": Case("ie", _set("spec.modelVariantActions", {"shadow": "Keep"}), "spec.modelVariantActions.shadow"),
    "ie-role-arn": Case("ie", _set("spec.roleArn", "arn:aws:iam::123:user/bob"), "spec.roleArn"),
    "ie-start-time": Case("ie", _set("spec.schedule", {"startTime": "tomorrow"}), "spec.schedule.startTime"),
    "ie-destination": Case("ie", _set("spec.dataStorageConfig.destination", "file:///tmp/x"), "spec.dataStorageConfig.destination"),
    "ie-kms-key": Case("ie", _set("spec.kmsKey", "key with spaces"), "spec.kmsKey"),
    # missing required fields
    "ic-endpoint-missing": Case("ic", _set("spec.endpointName", None), "spec.endpointName"),
    "ic-memory-missing": Case("ic", _set(f"{SPEC}.computeResourceRequirements.minMemoryRequiredInMb", None), f"{SPEC}.computeResourceRequirements.minMemoryRequiredInMb"),
    "ic-rolling-policy-missing": Case("ic", _set("spec.deploymentConfig", {"autoRollbackConfiguration": {"alarms": [{"alarmName": "a"}]}}), "spec.deploymentConfig.rollingUpdatePolicy"),
    "ie-role-missing": Case("ie", _set("spec.roleArn", None), "spec.roleArn"),
    "ie-shadow-config-missing": Case("ie", _set("spec.shadowModeConfig", None), "spec.shadowModeConfig"),
    "ie-instance-type-missing": Case("ie", _set(f"{RTI}.instanceType", None), "spec.modelVariants[1].infrastructureConfig.realTimeInferenceConfig.instanceType"),
    # impossible combinations (CEL)
    "ic-specification-and-specifications": Case("ic", lambda o: o["spec"].__setitem__("specifications", [o["spec"]["specification"]]), "specifications"),
    "ic-multi-spec-without-instance-type": Case("ic", lambda o: o["spec"].__setitem__("specifications", [o["spec"].pop("specification")] * 2), "specifications[].instanceType"),
    "ic-adapter-with-compute": Case("ic", _set(f"{SPEC}.baseInferenceComponentName", "llama-base"), "computeResourceRequirements"),
    "ie-action-for-unknown-variant": Case("ie", _set("spec.modelVariantActions", {"nope": "Retain"}), "modelVariantActions"),
    "ie-shadow-not-a-variant": Case("ie", _set(f"{SHADOW}.shadowModelVariantName", "ghost"), "shadowModeConfig"),
    "ie-too-many-variants": Case("ie", lambda o: o["spec"]["modelVariants"].append({**o["spec"]["modelVariants"][1], "variantName": "third"}), "spec.modelVariants"),
    "ie-no-variants": Case("ie", _set("spec.modelVariants", []), "spec.modelVariants"),
    # unknown fields (server-side field validation)
    "ic-unknown-field-strict": Case("ic", _set("spec.bogusField", 1), "bogusField", how="strict"),
    "ic-unknown-nested-field-create": Case("ic", _set(f"{SPEC}.container.imageUri", "x"), "imageUri", how="create"),
    "ie-unknown-field-strict": Case("ie", _set("spec.shadowModeConfig.samplingPercent", 5), "samplingPercent", how="strict"),
    # oversized maps and lists
    "ic-too-many-tags": Case("ic", _set("spec.tags", [{"key": f"k{i}", "value": "v"} for i in range(51)]), "spec.tags"),
    "ic-duplicate-tag-key": Case("ic", _set("spec.tags", [{"key": "team", "value": "a"}, {"key": "team", "value": "b"}]), "spec.tags[1]"),
    "ic-empty-tag-key": Case("ic", _set("spec.tags", [{"key": "", "value": "a"}]), "spec.tags[0].key"),
    "ic-tag-value-too-long": Case("ic", _set("spec.tags", [{"key": "k", "value": "v" * 257}]), "spec.tags[0].value"),
    "ic-reserved-tag-key": Case("ic", _set("spec.tags", [{"key": "sagemaker.inference-operator.dev/owner", "value": "other-ns/InferenceComponent/x"}]), "spec.tags[0].key"),
    "ic-environment-too-many": Case("ic", _set(ENV, {f"VAR_{i}": "x" for i in range(101)}), ENV),
    "ic-environment-value-too-long": Case("ic", _set(ENV, {"HF_MODEL_ID": "x" * 1025}), f"{ENV}.HF_MODEL_ID"),
    "ic-environment-key-invalid": Case("ic", _set(ENV, {"MAX-TOKENS": "1"}), ENV),
    "ie-too-many-tags": Case("ie", _set("spec.tags", [{"key": f"k{i}", "value": "v"} for i in range(51)]), "spec.tags"),
    # immutable fields (CEL transition rules on a stored object)
    "ic-endpoint-immutable": Case("ic", _set("spec.endpointName", "other-endpoint"), "endpointName is immutable", how="patch"),
    "ic-variant-immutable": Case("ic", _set("spec.variantName", "Other"), "variantName is immutable", how="patch"),
    "ic-name-immutable": Case("ic", _set("spec.inferenceComponentName", "renamed"), "inferenceComponentName is immutable", how="patch"),
    "ie-role-immutable": Case("ie", _set("spec.roleArn", "arn:aws:iam::123456789012:role/Other"), "roleArn is immutable", how="patch"),
    "ie-endpoint-immutable": Case("ie", _set("spec.endpointName", "other-endpoint"), "endpointName is immutable", how="patch"),
}
# fmt: on


@pytest.fixture(scope="module")
def kube(controlplane: ControlPlane) -> ControlPlane:
    install_crds(controlplane)
    return controlplane


def _manifest(case: Case, ns: str) -> tuple[dict[str, Any], dict[str, Any]]:
    base = copy.deepcopy(IC if case.kind == "ic" else IE)
    base["metadata"]["namespace"] = ns
    bad = copy.deepcopy(base)
    case.mutate(bad)
    return base, bad


def test_catalogue_is_large_enough() -> None:
    assert len(REJECTED) >= 30
    assert {c.kind for c in REJECTED.values()} == {"ic", "ie"}


@pytest.mark.parametrize("case_id", sorted(REJECTED))
def test_rejected_by_api_server_naming_the_field(kube: ControlPlane, unique_namespace: str, case_id: str) -> None:
    case = REJECTED[case_id]
    base, bad = _manifest(case, unique_namespace)
    if case.how == "patch":
        kube.kubectl("apply", "-f", "-", input=json.dumps(base))
        result = kube.kubectl("apply", "-f", "-", input=json.dumps(bad), check=False)
    elif case.how == "create":
        result = kube.kubectl("create", "-f", "-", input=json.dumps(bad), check=False)
    else:
        extra = ["--validate=strict"] if case.how == "strict" else []
        result = kube.kubectl("apply", *extra, "-f", "-", input=json.dumps(bad), check=False)
    assert result.returncode != 0, f"{case_id}: accepted by the API server"
    assert case.names in result.stderr, f"{case_id}: {case.names!r} not named in: {result.stderr}"


# --- only SageMaker can tell ---------------------------------------------------------------------
@dataclass
class Stack:
    kube: ControlPlane
    backend: Backend
    recorder: CallRecorder
    sm: Any
    ns: str
    endpoint: str
    ie_endpoint: str

    def apply(self, obj: dict[str, Any]) -> None:
        self.kube.kubectl("apply", "-f", "-", input=json.dumps(obj))

    def get(self, plural: str, name: str) -> dict[str, Any]:
        out = self.kube.kubectl("get", plural, name, "-n", self.ns, "-o", "json").stdout
        data: dict[str, Any] = json.loads(out)
        return data

    def stalled(self, plural: str, name: str) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            obj = self.get(plural, name)
            st = obj.get("status") or {}
            c = condition(obj, "Stalled")
            return c if c and st.get("observedGeneration") == obj["metadata"]["generation"] else None

        found: dict[str, Any] = wait_for(check, what=f"{name} Stalled")
        return found

    def ready(self, plural: str, name: str) -> None:
        def check() -> bool:
            obj = self.get(plural, name)
            c = condition(obj, "Ready") or {}
            return (
                c.get("status") == "True"
                and (obj.get("status") or {}).get("observedGeneration") == obj["metadata"]["generation"]
            )

        wait_for(check, what=f"{name} Ready")

    def no_hot_loop(self, name: str, seconds: float = 3.0) -> None:
        """Stalled means: nothing more is sent for this generation (steady re-checks are reads)."""
        mark = self.recorder.mark()
        time.sleep(seconds)
        sent = self.recorder.mutations(mark, [name])
        assert sent == [], f"{name}: mutating calls while Stalled: {[c.operation for c in sent]}"


@pytest.fixture(scope="module")
def stack(kube: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    server = EmulatorServer(Backend(clock=Clock(0.002), seed=3)).start()
    recorder = CallRecorder(server.backend)
    ns = f"bad-input-{uuid.uuid4().hex[:6]}"
    kube.create_namespace(ns)
    sm = boto3.client(
        "sagemaker",
        endpoint_url=server.url,
        region_name="us-west-2",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    sm.create_model(ModelName="good-model", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img:1"})
    sm.create_model(ModelName="v1", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img:v1"})
    sm.create_model(ModelName="v2", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img:v2"})
    sm.create_endpoint_config(
        EndpointConfigName="ic-ep",
        ExecutionRoleArn=ROLE,
        ProductionVariants=[{"VariantName": "AllTraffic", "InstanceType": "ml.g5.12xlarge", "InitialInstanceCount": 1}],
    )
    sm.create_endpoint(EndpointName="ic-ep", EndpointConfigName="ic-ep")
    sm.create_endpoint_config(
        EndpointConfigName="ie-ep",
        ProductionVariants=[
            {"VariantName": "production", "ModelName": "v1", "InstanceType": "ml.m5.xlarge", "InitialInstanceCount": 1}
        ],
    )
    sm.create_endpoint(EndpointName="ie-ep", EndpointConfigName="ie-ep")
    log: Path = tmp_path_factory.mktemp("bad-input") / "operator.log"
    operator = OperatorProcess(kube, server.url, log, [ns])
    operator.start()
    yield Stack(kube, server.backend, recorder, sm, ns, "ic-ep", "ie-ep")
    operator.stop()
    server.stop()


def _ic(stack: Stack, name: str, **spec: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "endpointName": stack.endpoint,
        "variantName": "AllTraffic",
        "specification": {
            "modelName": "good-model",
            "computeResourceRequirements": {"minMemoryRequiredInMb": 1024, "numberOfCpuCoresRequired": 1},
        },
        "runtimeConfig": {"copyCount": 1},
    }
    body.update(spec)
    return {
        "apiVersion": "sagemaker.inference-operator.dev/v1alpha1",
        "kind": "InferenceComponent",
        "metadata": {"name": name, "namespace": stack.ns},
        "spec": body,
    }


def _ie(stack: Stack, name: str) -> dict[str, Any]:
    body = copy.deepcopy(IE)
    body["metadata"] = {"name": name, "namespace": stack.ns}
    body["spec"]["endpointName"] = stack.ie_endpoint
    body["spec"]["modelVariants"][0]["modelName"] = "v1"
    body["spec"]["modelVariants"][1]["modelName"] = "v2"
    del body["spec"]["dataStorageConfig"]
    return body


def test_sagemaker_missing_model_is_stalled_then_fixed(stack: Stack) -> None:
    body = _ic(stack, "no-such-model")
    body["spec"]["specification"]["modelName"] = "does-not-exist"
    stack.apply(body)
    stalled = stack.stalled("smic", "no-such-model")
    assert 'Could not find model "arn:aws:sagemaker:us-west-2:123456789012:model/does-not-exist"' in stalled["message"]
    stack.no_hot_loop("no-such-model")
    body["spec"]["specification"]["modelName"] = "good-model"
    stack.apply(body)
    stack.ready("smic", "no-such-model")


def test_sagemaker_capacity_error_is_stalled_then_fixed(stack: Stack) -> None:
    body = _ic(stack, "too-many-copies", runtimeConfig={"copyCount": 500})
    stack.apply(body)
    stalled = stack.stalled("smic", "too-many-copies")
    assert "CapacityError" in stalled["message"]
    stack.no_hot_loop("too-many-copies")
    body["spec"]["runtimeConfig"]["copyCount"] = 2
    stack.apply(body)
    stack.ready("smic", "too-many-copies")


def test_sagemaker_unknown_variant_is_stalled_and_deletable(stack: Stack) -> None:
    """variantName is immutable (CEL): the fix is a new CR; the stalled one deletes at once."""
    stack.apply(_ic(stack, "wrong-variant", variantName="NoSuchVariant"))
    stalled = stack.stalled("smic", "wrong-variant")
    assert 'Could not find production variant "NoSuchVariant"' in stalled["message"]
    stack.no_hot_loop("wrong-variant")
    stack.kube.kubectl("delete", "smic", "wrong-variant", "-n", stack.ns, "--timeout=30s")
    stack.apply(_ic(stack, "right-variant"))
    stack.ready("smic", "right-variant")


def test_sagemaker_negative_sampling_is_stalled_then_fixed(stack: Stack) -> None:
    """An IE sampling percentage below 0 passes the schema (botocore gives SageMaker's Percentage
    no minimum) but SageMaker refuses it: Stalled with its message, fixed by a spec change."""
    body = _ie(stack, "negative-sampling")
    body["spec"]["shadowModeConfig"]["shadowModelVariants"][0]["samplingPercentage"] = -5
    stack.apply(body)
    stalled = stack.stalled("smie", "negative-sampling")
    assert "SamplingPercentage" in stalled["message"]
    stack.no_hot_loop("negative-sampling")
    body["spec"]["shadowModeConfig"]["shadowModelVariants"][0]["samplingPercentage"] = 10
    stack.apply(body)
    wait_for(lambda: (stack.get("smie", "negative-sampling").get("status") or {}).get("status") == "Running")


def test_sagemaker_instance_quota_is_stalled_then_fixed(stack: Stack) -> None:
    """The shadow variant's instance type has no quota in this account (ResourceLimitExceeded)."""
    set_instance_limits(stack.backend, {"ml.g5.xlarge": 0})
    try:
        body = _ie(stack, "no-quota")
        body["spec"]["name"] = "no-quota"
        body["spec"]["endpointName"] = "quota-ep"
        stack.sm.create_endpoint_config(
            EndpointConfigName="quota-ep",
            ProductionVariants=[
                {
                    "VariantName": "production",
                    "ModelName": "v1",
                    "InstanceType": "ml.m5.xlarge",
                    "InitialInstanceCount": 1,
                }
            ],
        )
        stack.sm.create_endpoint(EndpointName="quota-ep", EndpointConfigName="quota-ep")
        rti = body["spec"]["modelVariants"][1]["infrastructureConfig"]["realTimeInferenceConfig"]
        rti["instanceType"] = "ml.g5.xlarge"
        stack.apply(body)
        stalled = stack.stalled("smie", "no-quota")
        assert "ml.g5.xlarge for endpoint usage" in stalled["message"]
        stack.no_hot_loop("no-quota")
        rti["instanceType"] = "ml.m5.xlarge"
        stack.apply(body)
        wait_for(lambda: (stack.get("smie", "no-quota").get("status") or {}).get("status") == "Running")
    finally:
        set_instance_limits(stack.backend, {"ml.g5.xlarge": None})
