"""The InferenceExperiment reconciler: a pure function, no I/O (same shape as the IC reconciler).

``reconcile(desired, observed, memory)`` decides ONE action (or none), the conditions and how soon
to look again; ``reconcile_delete`` does the same while the CR is being deleted; ``after_error``
folds a failed action back into a decision. Time is an input (``Desired.now``).

SageMaker status x spec.desiredState:

| status              | Running                                   | Completed / Cancelled           |
|---------------------|-------------------------------------------|---------------------------------|
| (absent)            | Create                                    | nothing (Ready: not created)    |
| Creating, Updating, | wait (Reconciling)                        | wait (Reconciling)              |
| Starting, Stopping  |                                           |                                 |
| Created             | Update if the spec differs; Start when    | wait for the start, then Stop   |
|                     | schedule.startTime is absent or <= now    | (SageMaker stops only Running)  |
|                     | (early start); else Ready False Scheduled |                                 |
| Running             | Update description/endTime/sampling;      | Stop (actions, state, reason)   |
|                     | other changes -> Stalled (refused)        |                                 |
| Completed           | Ready (ended at its end time)             | Ready                           |
| Cancelled           | Stalled (SageMaker cancelled it)          | Cancelled: Ready; Completed:    |
|                     |                                           | Stalled                         |

A create/update/start/stop that SageMaker rejects is not retried for the same generation
(``failedGeneration``): the resource is Stalled until the spec changes.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from ..conditions import Verdict
from ..errors import Kind, SageMakerError
from ..models.inference_experiment import InferenceExperimentSpec
from ..ownership import OWNERSHIP_TAGS, Claim, Owner, claim, describe
from ..requeue import Pace
from .common import Event, same

TRANSITIONAL = frozenset({"Creating", "Updating", "Starting", "Stopping"})
TERMINAL = frozenset({"Completed", "Cancelled"})
# Members UpdateInferenceExperiment may change while the experiment runs.
RUNNING_MUTABLE = frozenset({"description", "schedule.endTime", "samplingPercentage"})
_TIME_TOLERANCE = 1.0  # seconds: SageMaker may store timestamps with another precision


@dataclass(frozen=True)
class Desired:
    name: str  # the SageMaker experiment name
    generation: int
    owner: Owner
    spec: InferenceExperimentSpec
    now: datetime  # wall clock, for the early-start rule and the wake-up at start/end times


@dataclass(frozen=True)
class Observed:
    experiment: dict[str, Any] | None  # DescribeInferenceExperiment output, None when not found
    tags: dict[str, str] | None = None  # the experiment's tags
    endpoint: dict[str, Any] | None = None  # DescribeEndpoint output (only looked up before creating)


@dataclass(frozen=True)
class Memory:
    failed_generation: int | None = None
    failure_message: str | None = None
    managed_tag_keys: tuple[str, ...] = ()

    @classmethod
    def from_status(cls, status: dict[str, Any] | None) -> Memory:
        status = status or {}
        return cls(
            failed_generation=status.get("failedGeneration"),
            failure_message=status.get("failureMessage"),
            managed_tag_keys=tuple(status.get("managedTagKeys") or ()),
        )

    def to_status(self) -> dict[str, Any]:
        """Status fields (None values mean "remove the field")."""
        return {
            "failedGeneration": self.failed_generation,
            "failureMessage": self.failure_message,
            "managedTagKeys": list(self.managed_tag_keys) if self.managed_tag_keys else None,
        }


class ActionKind(enum.Enum):
    CREATE = "Create"
    ADOPT = "Adopt"
    UPDATE = "Update"
    START = "Start"
    STOP = "Stop"
    UPDATE_TAGS = "UpdateTags"
    DELETE = "Delete"
    RELEASE = "Release"


# Actions that carry the spec to SageMaker: not repeated for a generation SageMaker rejected.
_SPEC_ACTIONS = frozenset({ActionKind.CREATE, ActionKind.UPDATE, ActionKind.START, ActionKind.STOP})


@dataclass(frozen=True)
class Action:
    kind: ActionKind
    calls: tuple[tuple[str, dict[str, Any]], ...]  # SageMaker operations, in order
    event: Event | None = None  # posted when the calls succeed
    memory: Memory | None = None  # bookkeeping to keep when the calls succeed


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    pace: Pace
    memory: Memory
    action: Action | None = None
    events: tuple[Event, ...] = ()
    done: bool = False  # deletion: SageMaker is finished with the experiment; release the finalizer
    due: float | None = None  # seconds until SageMaker changes the experiment by itself (start/end time)


# --- helpers -----------------------------------------------------------------------------------
def _stalled(memory: Memory, reason: str, message: str) -> Decision:
    return Decision(Verdict(False, reason, message, stalled=True), Pace.STEADY, memory)


def _working(memory: Memory, reason: str, message: str, pace: Pace = Pace.TRANSITIONAL) -> Decision:
    return Decision(Verdict(False, reason, message, reconciling=True), pace, memory)


def _act(decision: Decision, kind: ActionKind, calls: list[tuple[str, dict[str, Any]]], event: Event) -> Decision:
    return replace(decision, action=Action(kind, tuple(calls), event))


def _ts(value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        return _ts(datetime.fromisoformat(value.replace("Z", "+00:00")))
    return None


def _iso(value: Any) -> str:
    ts = _ts(value)
    if ts is None:
        return "?"
    return datetime.fromtimestamp(ts, UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def _differ(a: Any, b: Any) -> bool:
    ta, tb = _ts(a), _ts(b)
    if ta is None or tb is None:
        return ta is not tb
    return abs(ta - tb) > _TIME_TOLERANCE


def _due(at: Any, now: datetime) -> float | None:
    ts = _ts(at)
    return None if ts is None else max(0.0, ts - now.timestamp())


def production_variant(experiment: dict[str, Any]) -> str:
    return str((experiment.get("ShadowModeConfig") or {}).get("SourceModelVariantName") or "")


def shadow_variants(experiment: dict[str, Any]) -> list[str]:
    shadow = experiment.get("ShadowModeConfig") or {}
    return [str(s.get("ShadowModelVariantName")) for s in shadow.get("ShadowModelVariants") or []]


def stop_actions(spec: InferenceExperimentSpec, experiment: dict[str, Any]) -> dict[str, str]:
    """ModelVariantActions for every variant of the experiment.

    Explicit ``spec.modelVariantActions`` win; a promoted shadow implies removing the production
    variant (SageMaker requires it) and everything else is retained. Without explicit actions they
    are derived like CloudFormation does: when spec.modelVariants no longer lists the experiment's
    production variant, that variant is removed and the shadow promoted; otherwise all are retained.
    """
    production = production_variant(experiment)
    shadows = shadow_variants(experiment)
    names = [str(v.get("VariantName")) for v in experiment.get("ModelVariants") or []] or [production, *shadows]
    explicit = dict(spec.model_variant_actions or {})
    if explicit:
        promoting = any(explicit.get(s) == "Promote" for s in shadows)
        actions: dict[str, str] = {n: explicit.get(n, "Retain") for n in names}
        if production in actions and production not in explicit:
            actions[production] = "Remove" if promoting else "Retain"
        return actions
    listed = {v.variant_name for v in spec.model_variants}
    if production and production not in listed:
        return {n: "Remove" if n == production else "Promote" if n in shadows else "Retain" for n in names}
    return dict.fromkeys(names, "Retain")


def stop_request(spec: InferenceExperimentSpec, name: str, experiment: dict[str, Any]) -> dict[str, Any]:
    request: dict[str, Any] = {
        "Name": name,
        "ModelVariantActions": stop_actions(spec, experiment),
        "DesiredState": spec.desired_state if spec.desired_state != "Running" else "Completed",
    }
    if spec.stop_reason:
        request["Reason"] = spec.stop_reason
    return request


def wants_start(spec: InferenceExperimentSpec, now: datetime) -> bool:
    """The early-start rule: a Created experiment whose spec has no start time, or one that has
    come, is started now (SageMaker would otherwise wait for the start time it was given)."""
    start = spec.schedule.start_time if spec.schedule else None
    return start is None or (_ts(start) or 0.0) <= now.timestamp()


def differences(spec: InferenceExperimentSpec, name: str, experiment: dict[str, Any], now: datetime) -> list[str]:
    """Spec members SageMaker's experiment does not match (only members the spec sets).

    Once started, schedule.startTime is history: it is compared only while Created.
    """
    want = spec.create_request(name)
    out: list[str] = []
    if "Description" in want and want["Description"] != experiment.get("Description"):
        out.append("description")
    want_schedule = want.get("Schedule") or {}
    have_schedule = experiment.get("Schedule") or {}
    if experiment.get("Status") == "Created":
        start = want_schedule.get("StartTime")
        if (
            start is not None
            and (_ts(start) or 0.0) > now.timestamp()
            and _differ(start, have_schedule.get("StartTime"))
        ):
            out.append("schedule.startTime")
    if want_schedule.get("EndTime") is not None and _differ(want_schedule["EndTime"], have_schedule.get("EndTime")):
        out.append("schedule.endTime")
    have_variants = {v.get("VariantName"): v for v in experiment.get("ModelVariants") or []}
    want_variants = want["ModelVariants"]
    if len(want_variants) != len(have_variants) or not all(
        same(v, have_variants.get(v["VariantName"])) for v in want_variants
    ):
        out.append("modelVariants")
    if "DataStorageConfig" in want and not same(want["DataStorageConfig"], experiment.get("DataStorageConfig")):
        out.append("dataStorageConfig")
    want_shadow = want["ShadowModeConfig"]
    have_shadow = experiment.get("ShadowModeConfig") or {}
    want_names = [s["ShadowModelVariantName"] for s in want_shadow["ShadowModelVariants"]]
    if want_shadow["SourceModelVariantName"] != have_shadow.get("SourceModelVariantName") or want_names != [
        s.get("ShadowModelVariantName") for s in have_shadow.get("ShadowModelVariants") or []
    ]:
        out.append("shadowModeConfig")
    else:
        have_sampling = {
            s.get("ShadowModelVariantName"): s.get("SamplingPercentage") for s in have_shadow["ShadowModelVariants"]
        }
        if any(
            s["SamplingPercentage"] != have_sampling.get(s["ShadowModelVariantName"])
            for s in want_shadow["ShadowModelVariants"]
        ):
            out.append("samplingPercentage")
    return out


def update_request(spec: InferenceExperimentSpec, name: str, status: str, now: datetime) -> dict[str, Any]:
    """UpdateInferenceExperiment's input. While Running only what SageMaker lets change is sent;
    while Created a start time that is absent or past is left out (StartInferenceExperiment follows)."""
    request = spec.update_request(name)
    schedule = dict(request.get("Schedule") or {})
    if status == "Running":
        request = {k: v for k, v in request.items() if k in ("Name", "Description", "ShadowModeConfig")}
        schedule.pop("StartTime", None)
    elif schedule.get("StartTime") is not None and (_ts(schedule["StartTime"]) or 0.0) <= now.timestamp():
        schedule.pop("StartTime")
    if schedule:
        request["Schedule"] = schedule
    else:
        request.pop("Schedule", None)
    return request


def desired_tags(spec: InferenceExperimentSpec) -> dict[str, str]:
    return {t.key: t.value for t in spec.tags or []}


def _tag_calls(desired: Desired, arn: str, tags: dict[str, str], memory: Memory) -> list[tuple[str, dict[str, Any]]]:
    want = desired_tags(desired.spec)
    want.update(desired.owner.tags())  # our ownership tags always stay (re-added if removed)
    add = {k: v for k, v in want.items() if tags.get(k) != v}
    remove = sorted(k for k in memory.managed_tag_keys if k not in want and k in tags and k not in OWNERSHIP_TAGS)
    calls: list[tuple[str, dict[str, Any]]] = []
    if add:
        calls.append(("AddTags", {"ResourceArn": arn, "Tags": [{"Key": k, "Value": v} for k, v in add.items()]}))
    if remove:
        calls.append(("DeleteTags", {"ResourceArn": arn, "TagKeys": remove}))
    return calls


def _status(experiment: dict[str, Any]) -> str:
    return str(experiment.get("Status") or "")


def _endpoint_problem(name: str, endpoint: dict[str, Any] | None) -> str | None:
    if endpoint is None:
        return f'endpoint "{name}" does not exist (yet)'
    status = endpoint.get("EndpointStatus")
    if status == "InService":
        return None
    message = f'endpoint "{name}" is {status}'
    if endpoint.get("FailureReason"):
        message += f": {endpoint['FailureReason']}"
    return message


# --- the reconciler ----------------------------------------------------------------------------
def reconcile(desired: Desired, observed: Observed, memory: Memory) -> Decision:
    decision = _reconcile(desired, observed, memory)
    action = decision.action
    if action is not None and action.kind in _SPEC_ACTIONS and memory.failed_generation == desired.generation:
        # SageMaker rejected this generation already: report, don't hammer (until the spec changes).
        return _stalled(memory, "Failed", memory.failure_message or "SageMaker rejected this generation")
    if action is None and not decision.verdict.stalled:
        # Nothing to carry to SageMaker: a past failure no longer matters.
        decision = replace(decision, memory=replace(decision.memory, failed_generation=None, failure_message=None))
    return decision


def _reconcile(desired: Desired, observed: Observed, memory: Memory) -> Decision:
    spec, name = desired.spec, desired.name
    experiment = observed.experiment
    if experiment is None:
        return _absent(desired, observed, memory)

    owned = claim(observed.tags, desired.owner)
    if owned is Claim.OTHER:
        return _stalled(memory, "NotOwned", f'inference experiment "{name}" is owned by {describe(observed.tags)}')
    if owned in (Claim.UNMANAGED, Claim.PREVIOUS):
        if not spec.adopt_existing:
            what = "is not managed by this operator" if owned is Claim.UNMANAGED else "was created for another uid"
            return _stalled(
                memory,
                "AlreadyExists",
                f'inference experiment "{name}" already exists and {what}; set spec.adoptExisting: true to adopt it',
            )
        if (experiment.get("EndpointMetadata") or {}).get("EndpointName") != spec.endpoint_name:
            return _stalled(memory, "EndpointMismatch", _endpoint_mismatch(name, experiment, spec))
        calls = [("AddTags", {"ResourceArn": experiment["Arn"], "Tags": _tag_list(desired.owner.tags())})]
        working = _working(memory, "Adopting", f'adopting inference experiment "{name}"', Pace.NOW)
        return _act(
            working, ActionKind.ADOPT, calls, Event("Adopted", f'Adopted existing inference experiment "{name}"')
        )
    if (experiment.get("EndpointMetadata") or {}).get("EndpointName") != spec.endpoint_name:
        return _stalled(memory, "EndpointMismatch", _endpoint_mismatch(name, experiment, spec))

    status = _status(experiment)
    if status in TRANSITIONAL:
        return _working(memory, status, f'inference experiment "{name}" is {status}')
    if status in TERMINAL:
        return _finished(desired, experiment, memory)

    # Created or Running: the spec can be carried over, and tags kept in line.
    want_running = spec.desired_state == "Running"
    diffs = differences(spec, name, experiment, desired.now) if want_running else []
    if status == "Running" and not want_running:
        request = stop_request(spec, name, experiment)
        actions = ", ".join(f"{k}: {v}" for k, v in request["ModelVariantActions"].items())
        text = f'Stopping inference experiment "{name}" as {request["DesiredState"]} ({actions})'
        working = _working(memory, "Stopping", text, Pace.NOW)
        return _act(working, ActionKind.STOP, [("StopInferenceExperiment", request)], Event("Stopping", text))
    if status == "Running" and diffs:
        refused = [d for d in diffs if d not in RUNNING_MUTABLE]
        if refused:
            message = (
                f'inference experiment "{name}" is Running: SageMaker cannot change {", ".join(refused)} now '
                f"(only description, schedule.endTime and samplingPercentage); revert the change, or stop the "
                f"experiment and create a new one"
            )
            return _stalled(memory, "UpdateRefused", message)
    if diffs:
        text = f'Updating inference experiment "{name}" ({", ".join(diffs)})'
        request = update_request(spec, name, status, desired.now)
        working = _working(memory, "Updating", text, Pace.NOW)
        return _act(working, ActionKind.UPDATE, [("UpdateInferenceExperiment", request)], Event("Updated", text))
    if status == "Created" and want_running and wants_start(spec, desired.now):
        text = f'Starting inference experiment "{name}" now (spec.schedule.startTime is absent or has come)'
        working = _working(memory, "Starting", text, Pace.NOW)
        return _act(working, ActionKind.START, [("StartInferenceExperiment", {"Name": name})], Event("Starting", text))

    tag_calls = _tag_calls(desired, experiment["Arn"], observed.tags or {}, memory)
    memory = replace(memory, managed_tag_keys=tuple(sorted(desired_tags(spec))))
    if tag_calls:
        working = _working(memory, "Updating", "updating tags", Pace.NOW)
        return _act(working, ActionKind.UPDATE_TAGS, tag_calls, Event("Updated", f'Updated tags of "{name}"'))

    schedule = experiment.get("Schedule") or {}
    if status == "Created":
        start = _iso(schedule.get("StartTime"))
        due = _due(schedule.get("StartTime"), desired.now)
        if not want_running:
            message = (
                f'inference experiment "{name}" has not started (scheduled for {start}); SageMaker stops only a '
                f"running experiment: it is stopped as {spec.desired_state} once it starts. Delete this resource "
                f"to drop the experiment before it starts"
            )
            return Decision(Verdict(False, "WaitingToStop", message, reconciling=True), Pace.STEADY, memory, due=due)
        message = f'inference experiment "{name}" is scheduled to start at {start}'
        return Decision(Verdict(False, "Scheduled", message), Pace.STEADY, memory, due=due)
    end = _iso(schedule.get("EndTime"))
    message = f'inference experiment "{name}" is Running until {end}'
    return Decision(
        Verdict(True, "Running", message), Pace.STEADY, memory, due=_due(schedule.get("EndTime"), desired.now)
    )


def _finished(desired: Desired, experiment: dict[str, Any], memory: Memory) -> Decision:
    spec, name = desired.spec, desired.name
    status = _status(experiment)
    reason = experiment.get("StatusReason")
    if status == "Cancelled" and spec.desired_state != "Cancelled":
        message = (
            f'SageMaker cancelled inference experiment "{name}": {reason or "no reason given"}. A cancelled '
            f"experiment cannot be restarted: delete and re-create this resource to run it again, or set "
            f"desiredState: Cancelled to accept it"
        )
        decision = _stalled(memory, "Cancelled", message)
        return replace(decision, events=(Event("Cancelled", message, warning=True),))
    if status == spec.desired_state:
        message = f'inference experiment "{name}" is {status} as requested'
    elif spec.desired_state == "Running":
        message = f'inference experiment "{name}" completed at its end time ({_iso(experiment.get("CompletionTime"))})'
    else:
        message = f'inference experiment "{name}" completed before it could be cancelled'
    if reason:
        message += f": {reason}"
    return Decision(Verdict(True, status, message), Pace.STEADY, memory)


def _absent(desired: Desired, observed: Observed, memory: Memory) -> Decision:
    spec, name = desired.spec, desired.name
    if spec.desired_state != "Running":
        message = f'desiredState is {spec.desired_state}: inference experiment "{name}" is not created'
        return Decision(Verdict(True, "NotCreated", message), Pace.STEADY, memory)
    problem = _endpoint_problem(spec.endpoint_name, observed.endpoint)
    if problem is not None:
        return _working(memory, "EndpointNotReady", f"waiting: {problem}")
    request = spec.create_request(name, desired.owner.tags())
    new_memory = replace(memory, managed_tag_keys=tuple(sorted(desired_tags(spec))))
    text = f'Created SageMaker inference experiment "{name}"'
    working = _working(memory, "Creating", f'creating inference experiment "{name}"', Pace.NOW)
    return replace(
        working,
        action=Action(ActionKind.CREATE, (("CreateInferenceExperiment", request),), Event("Created", text), new_memory),
    )


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _endpoint_mismatch(name: str, experiment: dict[str, Any], spec: InferenceExperimentSpec) -> str:
    have = (experiment.get("EndpointMetadata") or {}).get("EndpointName")
    return (
        f'inference experiment "{name}" runs on endpoint "{have}", not "{spec.endpoint_name}" '
        f"(the endpoint cannot change: use another name)"
    )


# --- deletion ----------------------------------------------------------------------------------
def reconcile_delete(desired: Desired, observed: Observed, memory: Memory, remove_tags_on_retain: bool) -> Decision:
    """Stop a running experiment (all variants retained, Completed), wait out Stopping, delete.
    Never gives up: the finalizer stays until SageMaker says the experiment is gone."""
    name, spec = desired.name, desired.spec
    experiment = observed.experiment
    gone = Decision(Verdict(False, "Deleted", f'inference experiment "{name}" is gone'), Pace.NOW, memory, done=True)
    if experiment is None:
        return gone
    owned = claim(observed.tags, desired.owner)
    if owned is not Claim.OURS:
        message = f'inference experiment "{name}" is not ours ({describe(observed.tags)}); left in place'
        return replace(gone, verdict=Verdict(False, "Released", message), events=(Event("Released", message),))
    if spec.deletion_policy == "Retain":
        message = f'deletionPolicy is Retain: inference experiment "{name}" is left as it is'
        released = replace(gone, verdict=Verdict(False, "Retained", message))
        if not remove_tags_on_retain or not any(k in (observed.tags or {}) for k in OWNERSHIP_TAGS):
            return released
        calls = [("DeleteTags", {"ResourceArn": experiment["Arn"], "TagKeys": list(OWNERSHIP_TAGS)})]
        return _act(
            _working(memory, "Releasing", message, Pace.NOW), ActionKind.RELEASE, calls, Event("Retained", message)
        )
    status = _status(experiment)
    if status in TRANSITIONAL:
        return _working(memory, "Deleting", f'waiting for inference experiment "{name}" ({status}) before deleting it')
    if status == "Running":
        actions = dict.fromkeys([*(str(v.get("VariantName")) for v in experiment.get("ModelVariants") or [])], "Retain")
        request = {"Name": name, "ModelVariantActions": actions, "DesiredState": "Completed"}
        text = f'Stopping inference experiment "{name}" (all variants retained) before deleting it'
        working = _working(memory, "Deleting", text, Pace.NOW)
        return _act(working, ActionKind.STOP, [("StopInferenceExperiment", request)], Event("Stopping", text))
    calls = [("DeleteInferenceExperiment", {"Name": name})]
    working = _working(memory, "Deleting", f'deleting inference experiment "{name}"', Pace.NOW)
    return _act(
        working, ActionKind.DELETE, calls, Event("Deleted", f'Deleting SageMaker inference experiment "{name}"')
    )


# --- errors --------------------------------------------------------------------------------------
def after_error(desired: Desired, decision: Decision, error: SageMakerError, deleting: bool = False) -> Decision:
    """Fold a failed action into the decision: transient -> retry later; permanent -> Stalled."""
    kind = decision.action.kind if decision.action else None
    memory = decision.memory
    if error.kind is Kind.ALREADY_EXISTS:
        return _working(memory, "Creating", f"{error.message}; re-observing", Pace.NOW)
    if error.kind is Kind.NOT_FOUND:
        if kind in (ActionKind.DELETE, ActionKind.RELEASE):
            return replace(decision, action=None, done=True)
        if kind is ActionKind.CREATE:  # the endpoint (or a model) is missing: it may come
            return _working(memory, "EndpointNotReady", f"{error.operation}: {error.message}", Pace.ERROR)
        return _working(memory, "Reconciling", f"{error.message}; re-observing", Pace.NOW)
    if error.kind.transient:
        reason = {Kind.THROTTLED: "Throttled", Kind.IN_PROGRESS: "Waiting"}.get(error.kind, "Retrying")
        return _working(memory, reason, f"{error.operation}: {error.message}", Pace.ERROR)
    message = f"{error.operation} failed: {error.code}: {error.message}"
    if deleting or kind in (ActionKind.DELETE, ActionKind.RELEASE):
        return _stalled(memory, "DeleteFailed", message)  # re-checked slowly; the finalizer stays
    if kind not in _SPEC_ACTIONS:
        return _stalled(memory, error.kind.value, message)
    memory = replace(memory, failed_generation=desired.generation, failure_message=message)
    decision = _stalled(memory, error.kind.value, message)
    return replace(decision, events=(Event("Failed", message, warning=True),))


def observe_failed(memory: Memory, error: SageMakerError) -> Decision:
    if error.kind.transient:
        return _working(memory, "Retrying", f"{error.operation}: {error.message}", Pace.ERROR)
    return _stalled(memory, error.kind.value, f"{error.operation} failed: {error.code}: {error.message}")
