"""The pure InferenceExperiment reconciler, driven with plain data (Describe output as boto3 returns it)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from sagemaker_operator.errors import Kind, SageMakerError
from sagemaker_operator.models.inference_experiment import InferenceExperimentSpec
from sagemaker_operator.ownership import OWNER_TAG, UID_TAG, Owner
from sagemaker_operator.reconcile.inference_experiment import (
    ActionKind,
    Decision,
    Desired,
    Memory,
    Observed,
    after_error,
    reconcile,
    reconcile_delete,
    stop_actions,
)
from sagemaker_operator.requeue import Pace

ME = Owner("ns1", "InferenceExperiment", "ie", "uid-1", "default")
ARN = "arn:aws:sagemaker:us-west-2:123456789012:inference-experiment/ie"
ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
NOW = datetime(2030, 1, 1, tzinfo=UTC)
OURS = ME.tags()
ENDPOINT = {"EndpointName": "ep", "EndpointStatus": "InService"}


def variant(name: str, model: str, count: int = 1) -> dict[str, Any]:
    return {
        "modelName": model,
        "variantName": name,
        "infrastructureConfig": {
            "infrastructureType": "RealTimeInference",
            "realTimeInferenceConfig": {"instanceType": "ml.m5.xlarge", "instanceCount": count},
        },
    }


def spec(**over: Any) -> InferenceExperimentSpec:
    body: dict[str, Any] = {
        "roleArn": ROLE,
        "endpointName": "ep",
        "modelVariants": [variant("prod", "m1"), variant("shadow", "m2")],
        "shadowModeConfig": {
            "sourceModelVariantName": "prod",
            "shadowModelVariants": [{"shadowModelVariantName": "shadow", "samplingPercentage": 50}],
        },
    }
    body.update(over)
    return InferenceExperimentSpec.model_validate(body)


def wire_variant(name: str, model: str, count: int = 1, status: str = "InService") -> dict[str, Any]:
    return {
        "ModelName": model,
        "VariantName": name,
        "InfrastructureConfig": {
            "InfrastructureType": "RealTimeInference",
            "RealTimeInferenceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": count},
        },
        "Status": status,
    }


def experiment(status: str, **over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "Arn": ARN,
        "Name": "ie",
        "Type": "ShadowMode",
        "Schedule": {"StartTime": NOW - timedelta(hours=1), "EndTime": NOW + timedelta(days=7)},
        "Status": status,
        "RoleArn": ROLE,
        "EndpointMetadata": {"EndpointName": "ep", "EndpointStatus": "InService"},
        "ModelVariants": [wire_variant("prod", "m1"), wire_variant("shadow", "m2")],
        "ShadowModeConfig": {
            "SourceModelVariantName": "prod",
            "ShadowModelVariants": [{"ShadowModelVariantName": "shadow", "SamplingPercentage": 50}],
        },
    }
    body.update(over)
    return body


def desired(s: InferenceExperimentSpec | None = None, generation: int = 1, now: datetime = NOW) -> Desired:
    return Desired("ie", generation, ME, s or spec(), now)


def run(
    s: InferenceExperimentSpec | None = None,
    exp: dict[str, Any] | None = None,
    tags: dict[str, str] | None = None,
    memory: Memory | None = None,
    generation: int = 1,
    endpoint: dict[str, Any] | None = ENDPOINT,
) -> Decision:
    observed = Observed(exp, dict(OURS) if tags is None and exp is not None else tags, endpoint)
    return reconcile(desired(s, generation), observed, memory or Memory())


def ops(decision: Decision) -> list[str]:
    return [op for op, _ in decision.action.calls] if decision.action else []


def params(decision: Decision, index: int = 0) -> dict[str, Any]:
    assert decision.action is not None
    return decision.action.calls[index][1]


def cond(decision: Decision) -> tuple[bool, str, bool, bool]:
    v = decision.verdict
    return v.ready, v.reason, v.reconciling, v.stalled


# --- every status x desiredState ---------------------------------------------------------------
FUTURE = NOW + timedelta(days=1)
SCHEDULED = {"startTime": FUTURE.isoformat(), "endTime": (FUTURE + timedelta(days=2)).isoformat()}


def scheduled_experiment(status: str = "Created") -> dict[str, Any]:
    return experiment(status, Schedule={"StartTime": FUTURE, "EndTime": FUTURE + timedelta(days=2)})


@pytest.mark.parametrize(
    ("status", "state", "expected_ops", "expected"),
    [
        (None, "Running", ["CreateInferenceExperiment"], (False, "Creating", True, False)),
        (None, "Completed", [], (True, "NotCreated", False, False)),
        (None, "Cancelled", [], (True, "NotCreated", False, False)),
        ("Creating", "Running", [], (False, "Creating", True, False)),
        ("Creating", "Completed", [], (False, "Creating", True, False)),
        ("Created", "Running", [], (False, "Scheduled", False, False)),
        ("Created", "Completed", [], (False, "WaitingToStop", True, False)),
        ("Created", "Cancelled", [], (False, "WaitingToStop", True, False)),
        ("Updating", "Running", [], (False, "Updating", True, False)),
        ("Starting", "Running", [], (False, "Starting", True, False)),
        ("Starting", "Cancelled", [], (False, "Starting", True, False)),
        ("Running", "Running", [], (True, "Running", False, False)),
        ("Running", "Completed", ["StopInferenceExperiment"], (False, "Stopping", True, False)),
        ("Running", "Cancelled", ["StopInferenceExperiment"], (False, "Stopping", True, False)),
        ("Stopping", "Running", [], (False, "Stopping", True, False)),
        ("Stopping", "Completed", [], (False, "Stopping", True, False)),
        ("Completed", "Running", [], (True, "Completed", False, False)),
        ("Completed", "Completed", [], (True, "Completed", False, False)),
        ("Completed", "Cancelled", [], (True, "Completed", False, False)),
        ("Cancelled", "Running", [], (False, "Cancelled", False, True)),
        ("Cancelled", "Completed", [], (False, "Cancelled", False, True)),
        ("Cancelled", "Cancelled", [], (True, "Cancelled", False, False)),
    ],
)
def test_status_by_desired_state(
    status: str | None, state: str, expected_ops: list[str], expected: tuple[bool, str, bool, bool]
) -> None:
    s = spec(desiredState=state, schedule=SCHEDULED) if status == "Created" else spec(desiredState=state)
    exp = None if status is None else scheduled_experiment() if status == "Created" else experiment(status)
    decision = run(s, exp)
    assert ops(decision) == expected_ops
    assert cond(decision) == expected


def test_transitional_states_poll_with_backoff_and_steady_states_slowly() -> None:
    assert run(exp=experiment("Stopping")).pace is Pace.TRANSITIONAL
    running = run(exp=experiment("Running"))
    assert running.pace is Pace.STEADY
    assert running.due == pytest.approx(7 * 86400)  # wakes up at the end time at the latest
    created = run(spec(schedule=SCHEDULED), scheduled_experiment())
    assert created.pace is Pace.STEADY and created.due == pytest.approx(86400)
    assert "scheduled to start at 2030-01-02T00:00:00Z" in created.verdict.message


def test_create_carries_the_spec_and_ownership_tags() -> None:
    s = spec(tags=[{"key": "team", "value": "ml"}], description="d")
    decision = run(s, None)
    request = params(decision)
    assert request["Name"] == "ie" and request["EndpointName"] == "ep" and request["Description"] == "d"
    tags = {t["Key"]: t["Value"] for t in request["Tags"]}
    assert tags == {"team": "ml", **OURS}
    assert decision.action is not None and decision.action.memory is not None
    assert decision.action.memory.managed_tag_keys == ("team",)


def test_create_waits_for_the_endpoint() -> None:
    decision = run(spec(), None, endpoint=None)
    assert ops(decision) == [] and decision.verdict.reason == "EndpointNotReady"
    creating = run(spec(), None, endpoint={"EndpointName": "ep", "EndpointStatus": "Creating"})
    assert "is Creating" in creating.verdict.message


# --- early start ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("schedule", "starts"),
    [
        (None, True),  # no start time: start now
        ({"endTime": (NOW + timedelta(days=3)).isoformat()}, True),
        ({"startTime": (NOW - timedelta(minutes=1)).isoformat()}, True),  # its time has come
        ({"startTime": FUTURE.isoformat()}, False),  # scheduled: SageMaker starts it
    ],
)
def test_created_experiment_starts_early_when_the_spec_has_no_future_start(
    schedule: dict[str, Any] | None, starts: bool
) -> None:
    exp = scheduled_experiment()
    if schedule and "endTime" in schedule:
        exp["Schedule"]["EndTime"] = NOW + timedelta(days=3)
    decision = run(spec(schedule=schedule), exp)
    assert ops(decision) == (["StartInferenceExperiment"] if starts else [])
    if starts:
        assert params(decision) == {"Name": "ie"}


def test_new_future_start_time_is_an_update_while_created() -> None:
    later = FUTURE + timedelta(hours=5)
    decision = run(spec(schedule={"startTime": later.isoformat()}), scheduled_experiment())
    assert ops(decision) == ["UpdateInferenceExperiment"]
    assert params(decision)["Schedule"] == {"StartTime": later}


def test_created_updates_anything_then_starts() -> None:
    s = spec(modelVariants=[variant("prod", "m1"), variant("shadow", "m3", 2)])
    decision = run(s, scheduled_experiment())
    assert ops(decision) == ["UpdateInferenceExperiment"]
    request = params(decision)
    assert "Schedule" not in request  # the start time is absent from the spec: Start follows
    assert request["ModelVariants"][1]["ModelName"] == "m3"


# --- updates while Running ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"description": "new"}, "Description"),
        ({"schedule": {"endTime": (NOW + timedelta(days=3)).isoformat()}}, "Schedule"),
        (
            {
                "shadowModeConfig": {
                    "sourceModelVariantName": "prod",
                    "shadowModelVariants": [{"shadowModelVariantName": "shadow", "samplingPercentage": 20}],
                }
            },
            "ShadowModeConfig",
        ),
    ],
)
def test_running_updates_what_sagemaker_allows(over: dict[str, Any], field: str) -> None:
    decision = run(spec(**over), experiment("Running"))
    assert ops(decision) == ["UpdateInferenceExperiment"]
    request = params(decision)
    assert field in request
    assert set(request) <= {"Name", "Description", "Schedule", "ShadowModeConfig"}
    assert "StartTime" not in request.get("Schedule", {})


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"modelVariants": [variant("prod", "m1"), variant("shadow", "m3")]}, "modelVariants"),
        ({"modelVariants": [variant("prod", "m1"), variant("shadow", "m2", 3)]}, "modelVariants"),
        ({"dataStorageConfig": {"destination": "s3://b/p"}}, "dataStorageConfig"),
    ],
)
def test_running_refuses_other_changes_as_stalled_without_calling(over: dict[str, Any], field: str) -> None:
    decision = run(spec(**over, description="also"), experiment("Running"))
    assert ops(decision) == []
    assert cond(decision) == (False, "UpdateRefused", False, True)
    assert field in decision.verdict.message and "description" not in decision.verdict.message.split("now")[0]
    assert decision.pace is Pace.STEADY
    # Fixed (the spec changed back): the allowed part goes through.
    fixed = run(spec(description="also"), experiment("Running"), generation=2)
    assert ops(fixed) == ["UpdateInferenceExperiment"]


def test_start_time_is_history_once_running() -> None:
    decision = run(spec(schedule={"startTime": FUTURE.isoformat()}), experiment("Running"))
    assert ops(decision) == [] and decision.verdict.ready


def test_timestamps_compare_with_tolerance() -> None:
    end = NOW + timedelta(days=7, milliseconds=400)
    assert ops(run(spec(schedule={"endTime": end.isoformat()}), experiment("Running"))) == []


# --- stop actions --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("over", "actions"),
    [
        ({}, {"prod": "Retain", "shadow": "Retain"}),
        ({"modelVariantActions": {"shadow": "Promote"}}, {"prod": "Remove", "shadow": "Promote"}),
        ({"modelVariantActions": {"shadow": "Remove"}}, {"prod": "Retain", "shadow": "Remove"}),
        ({"modelVariantActions": {"prod": "Retain", "shadow": "Remove"}}, {"prod": "Retain", "shadow": "Remove"}),
        # Derived like CloudFormation: the production variant left the spec -> promote the shadow.
        (
            {
                "modelVariants": [variant("shadow", "m2"), variant("next", "m3")],
                "shadowModeConfig": {
                    "sourceModelVariantName": "shadow",
                    "shadowModelVariants": [{"shadowModelVariantName": "next", "samplingPercentage": 10}],
                },
            },
            {"prod": "Remove", "shadow": "Promote"},
        ),
    ],
)
def test_stop_actions(over: dict[str, Any], actions: dict[str, str]) -> None:
    s = spec(desiredState="Completed", stopReason="done", **over)
    assert stop_actions(s, experiment("Running")) == actions
    decision = run(s, experiment("Running"))
    assert params(decision) == {
        "Name": "ie",
        "ModelVariantActions": actions,
        "DesiredState": "Completed",
        "Reason": "done",
    }


def test_stop_as_cancelled() -> None:
    decision = run(spec(desiredState="Cancelled"), experiment("Running"))
    assert params(decision)["DesiredState"] == "Cancelled" and "Reason" not in params(decision)


def test_stop_wins_over_pending_updates() -> None:
    decision = run(spec(desiredState="Completed", description="x"), experiment("Running"))
    assert ops(decision) == ["StopInferenceExperiment"]


# --- terminal states ------------------------------------------------------------------------------
def test_sagemaker_cancellation_is_stalled_with_its_reason_until_accepted() -> None:
    exp = experiment("Cancelled", StatusReason="endpoint failed")
    decision = run(spec(), exp)
    assert cond(decision) == (False, "Cancelled", False, True)
    assert "endpoint failed" in decision.verdict.message
    assert decision.events and decision.events[0].warning
    accepted = run(spec(desiredState="Cancelled"), exp)
    assert accepted.verdict.ready


def test_automatic_completion_is_ready() -> None:
    decision = run(spec(), experiment("Completed", CompletionTime=NOW))
    assert cond(decision) == (True, "Completed", False, False)
    assert "completed at its end time" in decision.verdict.message


def test_finished_experiment_ignores_spec_edits() -> None:
    assert ops(run(spec(description="new", desiredState="Completed"), experiment("Completed"))) == []


# --- ownership and tags ---------------------------------------------------------------------------
def test_unmanaged_experiment_is_reported_unless_adopted() -> None:
    decision = run(spec(), experiment("Running"), tags={})
    assert cond(decision) == (False, "AlreadyExists", False, True)
    adopted = run(spec(adoptExisting=True), experiment("Running"), tags={})
    assert ops(adopted) == ["AddTags"] and adopted.action is not None
    assert adopted.action.kind is ActionKind.ADOPT


def test_another_owner_is_never_touched() -> None:
    tags = {OWNER_TAG: "other/InferenceExperiment/ie", UID_TAG: "x"}
    assert cond(run(spec(adoptExisting=True), experiment("Running"), tags=tags))[1] == "NotOwned"
    delete = reconcile_delete(desired(), Observed(experiment("Running"), tags), Memory(), True)
    assert delete.done and delete.action is None


def test_endpoint_mismatch_is_stalled() -> None:
    exp = experiment("Running", EndpointMetadata={"EndpointName": "other"})
    assert cond(run(spec(), exp))[1] == "EndpointMismatch"


def test_tags_follow_the_spec() -> None:
    memory = Memory(managed_tag_keys=("old",))
    decision = run(spec(tags=[{"key": "team", "value": "ml"}]), experiment("Running"), {**OURS, "old": "1"}, memory)
    assert ops(decision) == ["AddTags", "DeleteTags"]
    assert params(decision, 1)["TagKeys"] == ["old"]


# --- failures ------------------------------------------------------------------------------------
def test_rejected_action_is_not_retried_for_the_same_generation() -> None:
    d = desired(spec(description="new"))
    decision = run(spec(description="new"), experiment("Running"))
    err = SageMakerError(Kind.VALIDATION, "ValidationException", "nope", "UpdateInferenceExperiment")
    failed = after_error(d, decision, err)
    assert cond(failed) == (False, "Validation", False, True) and failed.memory.failed_generation == 1
    again = run(spec(description="new"), experiment("Running"), memory=failed.memory)
    assert ops(again) == [] and again.verdict.stalled and "nope" in again.verdict.message
    changed = run(spec(description="newer"), experiment("Running"), memory=failed.memory, generation=2)
    assert ops(changed) == ["UpdateInferenceExperiment"]
    settled = run(spec(), experiment("Running"), memory=failed.memory, generation=3)
    assert settled.verdict.ready and settled.memory.failed_generation is None


@pytest.mark.parametrize(
    ("kind", "reason", "pace"),
    [
        (Kind.THROTTLED, "Throttled", Pace.ERROR),
        (Kind.IN_PROGRESS, "Waiting", Pace.ERROR),
        (Kind.TRANSIENT, "Retrying", Pace.ERROR),
        (Kind.ALREADY_EXISTS, "Creating", Pace.NOW),
        (Kind.NOT_FOUND, "EndpointNotReady", Pace.ERROR),
    ],
)
def test_transient_create_errors_retry(kind: Kind, reason: str, pace: Pace) -> None:
    decision = run(spec(), None)
    after = after_error(desired(), decision, SageMakerError(kind, "X", "m", "CreateInferenceExperiment"))
    assert (after.verdict.reason, after.pace, after.verdict.stalled) == (reason, pace, False)
    assert after.memory.failed_generation is None


# --- deletion ------------------------------------------------------------------------------------
def delete(exp: dict[str, Any] | None, s: InferenceExperimentSpec | None = None, tags: Any = None) -> Decision:
    return reconcile_delete(desired(s), Observed(exp, dict(OURS) if tags is None else tags), Memory(), True)


@pytest.mark.parametrize(
    ("status", "expected_ops", "done"),
    [
        (None, [], True),
        ("Creating", [], False),
        ("Created", ["DeleteInferenceExperiment"], False),
        ("Updating", [], False),
        ("Starting", [], False),
        ("Running", ["StopInferenceExperiment"], False),
        ("Stopping", [], False),
        ("Completed", ["DeleteInferenceExperiment"], False),
        ("Cancelled", ["DeleteInferenceExperiment"], False),
    ],
)
def test_delete_by_status(status: str | None, expected_ops: list[str], done: bool) -> None:
    decision = delete(None if status is None else experiment(status))
    assert ops(decision) == expected_ops and decision.done is done
    if status == "Running":
        assert params(decision) == {
            "Name": "ie",
            "ModelVariantActions": {"prod": "Retain", "shadow": "Retain"},
            "DesiredState": "Completed",
        }


def test_delete_with_retain_releases_the_experiment() -> None:
    decision = delete(experiment("Running"), spec(deletionPolicy="Retain"))
    assert ops(decision) == ["DeleteTags"] and not decision.done
    released = delete(experiment("Running"), spec(deletionPolicy="Retain"), tags={})
    assert released.done and ops(released) == []


def test_delete_never_gives_up() -> None:
    decision = delete(experiment("Completed"))
    err = SageMakerError(Kind.ACCESS_DENIED, "AccessDenied", "no", "DeleteInferenceExperiment")
    after = after_error(desired(), decision, err, deleting=True)
    assert not after.done and after.verdict.stalled and after.verdict.reason == "DeleteFailed"
    stop = delete(experiment("Running"))
    after_stop = after_error(desired(), stop, err, deleting=True)
    assert not after_stop.done and after_stop.verdict.reason == "DeleteFailed"
    gone = after_error(desired(), decision, SageMakerError(Kind.NOT_FOUND, "X", "gone", "DeleteInferenceExperiment"))
    assert gone.done
