"""The pure InferenceComponent reconciler, driven with plain data."""

from __future__ import annotations

from typing import Any

import pytest

from sagemaker_operator.errors import Kind, SageMakerError
from sagemaker_operator.models.inference_component import InferenceComponentSpec
from sagemaker_operator.ownership import CLUSTER_TAG, OWNER_TAG, UID_TAG, Owner
from sagemaker_operator.reconcile.inference_component import (
    ActionKind,
    Desired,
    Memory,
    Observed,
    after_error,
    reconcile,
    reconcile_delete,
    spec_hash,
)
from sagemaker_operator.requeue import Pace

ME = Owner("ns1", "InferenceComponent", "ic", "uid-1", "default")
ARN = "arn:aws:sagemaker:us-west-2:123456789012:inference-component/ic"
OURS = ME.tags()
ENDPOINT = {"EndpointName": "ep", "EndpointStatus": "InService"}


def spec(**over: Any) -> InferenceComponentSpec:
    body: dict[str, Any] = {
        "endpointName": "ep",
        "variantName": "AllTraffic",
        "specification": {
            "modelName": "m",
            "computeResourceRequirements": {"minMemoryRequiredInMb": 1024, "numberOfCpuCoresRequired": 1},
        },
    }
    body.update(over)
    return InferenceComponentSpec.model_validate(body)


def desired(gen: int = 1, **over: Any) -> Desired:
    return Desired("ic", gen, ME, spec(**over))


def component(status: str = "InService", copies: int = 1, **over: Any) -> dict[str, Any]:
    c: dict[str, Any] = {
        "InferenceComponentName": "ic",
        "InferenceComponentArn": ARN,
        "EndpointName": "ep",
        "VariantName": "AllTraffic",
        "InferenceComponentStatus": status,
        "Specification": {
            "ModelName": "m",
            "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024, "NumberOfCpuCoresRequired": 1.0},
        },
        "RuntimeConfig": {"DesiredCopyCount": copies, "CurrentCopyCount": copies},
    }
    c.update(over)
    return c


def settled(d: Desired) -> Memory:
    return Memory(applied_spec_hash=spec_hash(d.spec, d.name), known_arn=ARN)


def test_waits_for_missing_endpoint_with_backoff() -> None:
    dec = reconcile(desired(), Observed(None, None), Memory())
    assert dec.action is None
    assert dec.verdict.reason == "EndpointNotReady" and dec.verdict.reconciling and not dec.verdict.ready
    assert dec.pace is Pace.TRANSITIONAL


@pytest.mark.parametrize("status", ["Creating", "Updating", "Failed", "RollingBack"])
def test_waits_for_endpoint_not_in_service(status: str) -> None:
    dec = reconcile(desired(), Observed({"EndpointName": "ep", "EndpointStatus": status}, None), Memory())
    assert dec.action is None and dec.verdict.reason == "EndpointNotReady"
    assert status in dec.verdict.message


def test_creates_with_ownership_tags_and_one_copy_when_unset() -> None:
    dec = reconcile(desired(tags=[{"key": "team", "value": "a"}]), Observed(ENDPOINT, None), Memory())
    assert dec.action is not None and dec.action.kind is ActionKind.CREATE
    op, params = dec.action.calls[0]
    assert op == "CreateInferenceComponent"
    assert params["RuntimeConfig"] == {"CopyCount": 1}
    tags = {t["Key"]: t["Value"] for t in params["Tags"]}
    assert tags == {"team": "a", **OURS}
    assert dec.action.event and dec.action.event.reason == "Created"
    assert dec.action.memory and dec.action.memory.managed_tag_keys == ("team",)


def test_out_of_band_delete_is_recreated_with_drift_event() -> None:
    dec = reconcile(desired(), Observed(ENDPOINT, None), Memory(known_arn=ARN))
    assert dec.action and dec.action.kind is ActionKind.CREATE
    assert dec.action.event and dec.action.event.reason == "DriftCorrected"


def test_in_service_matching_is_ready_and_steady() -> None:
    d = desired()
    dec = reconcile(d, Observed(ENDPOINT, component(), OURS), settled(d))
    assert dec.action is None and dec.verdict.ready and dec.pace is Pace.STEADY
    assert not dec.verdict.reconciling and not dec.verdict.stalled


def test_adopts_back_own_component_after_lost_status() -> None:
    dec = reconcile(desired(), Observed(ENDPOINT, component(), OURS), Memory())
    assert dec.action is None and dec.verdict.ready
    assert dec.memory.applied_spec_hash is not None


@pytest.mark.parametrize("status", ["Creating", "Updating", "Deleting"])
def test_transitional_component_waits(status: str) -> None:
    dec = reconcile(desired(), Observed(ENDPOINT, component(status), OURS), Memory())
    assert dec.action is None and dec.verdict.reason == status and dec.pace is Pace.TRANSITIONAL


def test_foreign_component_without_adopt_is_stalled() -> None:
    dec = reconcile(desired(), Observed(ENDPOINT, component(), {}), Memory())
    assert dec.action is None and dec.verdict.stalled and "adoptExisting" in dec.verdict.message


def test_foreign_component_with_adopt_is_tagged_ours() -> None:
    dec = reconcile(desired(adoptExisting=True), Observed(ENDPOINT, component(), {"x": "y"}), Memory())
    assert dec.action and dec.action.kind is ActionKind.ADOPT
    assert dec.action.calls[0][0] == "AddTags"
    assert dec.action.event and dec.action.event.reason == "Adopted"


@pytest.mark.parametrize(
    "tags",
    [
        {OWNER_TAG: "ns2/InferenceComponent/ic", UID_TAG: "uid-9", CLUSTER_TAG: "default"},
        {OWNER_TAG: "ns1/InferenceComponent/ic", UID_TAG: "uid-1", CLUSTER_TAG: "other-cluster"},
        {OWNER_TAG: "ns1/InferenceComponent/other", UID_TAG: "uid-1", CLUSTER_TAG: "default"},
    ],
)
def test_component_owned_by_another_cr_is_never_adopted(tags: dict[str, str]) -> None:
    dec = reconcile(desired(adoptExisting=True), Observed(ENDPOINT, component(), tags), Memory())
    assert dec.action is None and dec.verdict.stalled and dec.verdict.reason == "NotOwned"
    dd = reconcile_delete(desired(), Observed(ENDPOINT, component(), tags), Memory(), True)
    assert dd.action is None and dd.done  # released, never deleted


def test_previous_uid_needs_adopt_existing() -> None:
    tags = {**OURS, UID_TAG: "old-uid"}
    assert reconcile(desired(), Observed(ENDPOINT, component(), tags), Memory()).verdict.stalled
    dec = reconcile(desired(adoptExisting=True), Observed(ENDPOINT, component(), tags), Memory())
    assert dec.action and dec.action.kind is ActionKind.ADOPT


def test_spec_change_updates_with_deployment_config() -> None:
    old = desired()
    new = desired(
        2,
        specification={"modelName": "m2", "computeResourceRequirements": {"minMemoryRequiredInMb": 1024}},
        deploymentConfig={
            "rollingUpdatePolicy": {"maximumBatchSize": {"type": "COPY_COUNT", "value": 1}, "waitIntervalInSeconds": 0}
        },
    )
    dec = reconcile(new, Observed(ENDPOINT, component(), OURS), settled(old))
    assert dec.action and dec.action.kind is ActionKind.UPDATE
    op, params = dec.action.calls[0]
    assert op == "UpdateInferenceComponent"
    assert params["Specification"]["ModelName"] == "m2" and "DeploymentConfig" in params
    assert dec.action.event and dec.action.event.reason == "Updated"
    assert dec.action.memory and dec.action.memory.pending_update and dec.action.memory.pending_update["kind"] == "spec"


def test_console_change_is_drift_corrected() -> None:
    d = desired()
    drifted = component(Specification={"ModelName": "console", "ComputeResourceRequirements": {}})
    dec = reconcile(d, Observed(ENDPOINT, drifted, OURS), settled(d))
    assert dec.action and dec.action.kind is ActionKind.UPDATE
    assert dec.action.event and dec.action.event.reason == "DriftCorrected"


def test_copy_count_only_uses_runtime_config() -> None:
    d = desired(2, runtimeConfig={"copyCount": 3})
    dec = reconcile(d, Observed(ENDPOINT, component(), OURS), settled(d))
    assert dec.action and dec.action.kind is ActionKind.UPDATE_COPIES
    assert dec.action.calls[0] == (
        "UpdateInferenceComponentRuntimeConfig",
        {"InferenceComponentName": "ic", "DesiredRuntimeConfig": {"CopyCount": 3}},
    )


def test_unset_copy_count_leaves_autoscaler_alone() -> None:
    d = desired()
    dec = reconcile(d, Observed(ENDPOINT, component(copies=7), OURS), settled(d))
    assert dec.action is None and dec.verdict.ready


def test_rolled_back_update_is_stalled_and_not_retried() -> None:
    new = desired(2, specification={"modelName": "m2", "computeResourceRequirements": {"minMemoryRequiredInMb": 512}})
    pending = {"kind": "spec", "generation": 2, "specHash": spec_hash(new.spec, "ic"), "failureReason": None}
    mem = Memory(applied_spec_hash="old", known_arn=ARN, pending_update=pending)
    rolled = component(FailureReason="Rolled back: model m2 failed health checks")
    dec = reconcile(new, Observed(ENDPOINT, rolled, OURS), mem)
    assert dec.action is None and dec.verdict.stalled and dec.memory.failed_generation == 2
    assert "health checks" in dec.verdict.message
    assert [e.reason for e in dec.events] == ["Failed"]
    again = reconcile(new, Observed(ENDPOINT, rolled, OURS), dec.memory)
    assert again.action is None and again.verdict.stalled and not again.events
    # the next spec change tries again
    newer = desired(3, specification={"modelName": "m3", "computeResourceRequirements": {"minMemoryRequiredInMb": 512}})
    retry = reconcile(newer, Observed(ENDPOINT, rolled, OURS), dec.memory)
    assert retry.action and retry.action.kind is ActionKind.UPDATE


def test_capacity_failure_is_stalled_then_new_generation_retries() -> None:
    d = desired(1, runtimeConfig={"copyCount": 5})
    failed = component("Failed", FailureReason="CapacityError: not enough capacity")
    mem = Memory(pending_update={"kind": "create", "generation": 1}, known_arn=ARN)
    dec = reconcile(d, Observed(ENDPOINT, failed, OURS), mem)
    assert dec.verdict.stalled and "CapacityError" in dec.verdict.message and dec.memory.failed_generation == 1
    d2 = desired(2, runtimeConfig={"copyCount": 1})
    retry = reconcile(d2, Observed(ENDPOINT, failed, OURS), dec.memory)
    assert retry.action and retry.action.kind is ActionKind.UPDATE


def test_tags_added_and_previously_managed_removed() -> None:
    d = desired(tags=[{"key": "a", "value": "1"}])
    mem = replace_memory(settled(d), managed_tag_keys=("a", "b"))
    tags = {**OURS, "a": "0", "b": "2", "someone-else": "x"}
    dec = reconcile(d, Observed(ENDPOINT, component(), tags), mem)
    assert dec.action and dec.action.kind is ActionKind.UPDATE_TAGS
    calls = dict(dec.action.calls)
    assert calls["AddTags"]["Tags"] == [{"Key": "a", "Value": "1"}]
    assert calls["DeleteTags"]["TagKeys"] == ["b"]


def replace_memory(m: Memory, **over: Any) -> Memory:
    from dataclasses import replace

    return replace(m, **over)


def test_transient_errors_never_stall() -> None:
    d = desired()
    dec = reconcile(d, Observed(ENDPOINT, None), Memory())
    for kind in (Kind.THROTTLED, Kind.TRANSIENT, Kind.IN_PROGRESS):
        out = after_error(d, dec, SageMakerError(kind, "X", "boom", "CreateInferenceComponent"))
        assert not out.verdict.stalled and out.pace is Pace.ERROR and out.memory.failed_generation is None


@pytest.mark.parametrize("kind", [Kind.VALIDATION, Kind.LIMIT_EXCEEDED, Kind.ACCESS_DENIED])
def test_permanent_errors_stall_for_the_generation(kind: Kind) -> None:
    d = desired()
    dec = reconcile(d, Observed(ENDPOINT, None), Memory())
    out = after_error(d, dec, SageMakerError(kind, "Code", "no way", "CreateInferenceComponent"))
    assert out.verdict.stalled and out.memory.failed_generation == 1 and "no way" in out.verdict.message
    again = reconcile(d, Observed(ENDPOINT, None), out.memory)
    assert again.action is None and again.verdict.stalled


def test_already_exists_reobserves() -> None:
    d = desired()
    dec = reconcile(d, Observed(ENDPOINT, None), Memory())
    out = after_error(d, dec, SageMakerError(Kind.ALREADY_EXISTS, "ValidationException", "exists", "Create"))
    assert not out.verdict.stalled and out.pace is Pace.NOW


@pytest.mark.parametrize("status", ["Creating", "Updating", "Deleting"])
def test_delete_waits_out_transitions(status: str) -> None:
    dec = reconcile_delete(desired(), Observed(ENDPOINT, component(status), OURS), Memory(), True)
    assert dec.action is None and not dec.done


def test_delete_deletes_ours_and_is_done_when_gone() -> None:
    dec = reconcile_delete(desired(), Observed(ENDPOINT, component(), OURS), Memory(), True)
    assert dec.action and dec.action.calls[0] == ("DeleteInferenceComponent", {"InferenceComponentName": "ic"})
    assert reconcile_delete(desired(), Observed(ENDPOINT, None), Memory(), True).done


def test_delete_base_with_adapters_waits() -> None:
    d = desired()
    dec = reconcile_delete(d, Observed(ENDPOINT, component(), OURS), Memory(), True)
    err = SageMakerError(
        Kind.IN_PROGRESS, "ValidationException", "ic is a base inference component for one or more associated", "D"
    )
    out = after_error(d, dec, err)
    assert not out.done and not out.verdict.stalled and out.pace is Pace.ERROR


def test_retain_releases_tags_then_done() -> None:
    d = desired(deletionPolicy="Retain")
    dec = reconcile_delete(d, Observed(ENDPOINT, component(), OURS), Memory(), True)
    assert dec.action and dec.action.kind is ActionKind.RELEASE and dec.action.calls[0][0] == "DeleteTags"
    assert reconcile_delete(d, Observed(ENDPOINT, component(), {}), Memory(), True).done
    assert reconcile_delete(d, Observed(ENDPOINT, component(), OURS), Memory(), False).done


ADAPTER = {"baseInferenceComponentName": "base", "container": {"artifactUrl": "s3://b/adapter.tar.gz"}}


@pytest.mark.parametrize(
    ("base", "state"), [(None, "does not exist"), ({"InferenceComponentStatus": "Creating"}, "is Creating")]
)
def test_adapter_waits_for_its_base(base: dict[str, Any] | None, state: str) -> None:
    d = Desired("ic", 1, ME, spec(specification=ADAPTER))
    dec = reconcile(d, Observed(ENDPOINT, None, None, base), Memory())
    assert dec.action is None and dec.verdict.reason == "BaseComponentNotReady" and dec.verdict.reconciling
    assert state in dec.verdict.message and not dec.verdict.stalled


def test_adapter_is_created_once_its_base_is_in_service() -> None:
    d = Desired("ic", 1, ME, spec(specification=ADAPTER))
    dec = reconcile(d, Observed(ENDPOINT, None, None, {"InferenceComponentStatus": "InService"}), Memory())
    assert dec.action is not None and dec.action.kind is ActionKind.CREATE
    assert dec.action.calls[0][1]["Specification"]["BaseInferenceComponentName"] == "base"
