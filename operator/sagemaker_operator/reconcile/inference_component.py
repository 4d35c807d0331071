"""The InferenceComponent reconciler: a pure function, no I/O.

``reconcile(desired, observed, memory)`` looks at what SageMaker reports and decides ONE action
(or none), the conditions to report and how soon to look again. ``after_error`` folds a failed
action back into a decision. The handler does the I/O around it; the tests drive it with dicts.

Bookkeeping the reconciler needs across passes lives in the CR's status (``Memory``):
- ``failedGeneration``: the generation whose create/update SageMaker rejected or rolled back; it
  is not retried until the spec changes (no hot loop on errors that won't go away by themselves).
- ``appliedSpecHash``: hash of the specification(s) SageMaker last accepted, to notice edits the
  Describe output cannot show (a removed optional field).
- ``managedTagKeys``: the spec.tags keys last applied; a key removed from spec.tags is removed from
  SageMaker, keys added by anyone else are left alone.
- ``pendingUpdate``: the update in flight (kind, generation, target), to tell a rolled-back update
  from one SageMaker has not started yet.
"""

from __future__ import annotations

import enum
import hashlib
import json
from dataclasses import dataclass, replace
from typing import Any

from ..conditions import Verdict
from ..errors import Kind, SageMakerError
from ..models.inference_component import InferenceComponentSpec
from ..ownership import OWNERSHIP_TAGS, Claim, Owner, claim, describe
from ..requeue import Pace
from .common import Event, same

TRANSITIONAL = frozenset({"Creating", "Updating", "Deleting"})
ENDPOINT_USABLE = frozenset({"InService", "Updating", "SystemUpdating"})


@dataclass(frozen=True)
class Desired:
    name: str  # the SageMaker inference component name
    generation: int
    owner: Owner
    spec: InferenceComponentSpec


@dataclass(frozen=True)
class Observed:
    endpoint: dict[str, Any] | None  # DescribeEndpoint output, None when not found
    component: dict[str, Any] | None  # DescribeInferenceComponent output, None when not found
    tags: dict[str, str] | None = None  # the component's tags
    base: dict[str, Any] | None = None  # an adapter's base component (observed before creating it)


@dataclass(frozen=True)
class Memory:
    failed_generation: int | None = None
    failure_message: str | None = None
    applied_spec_hash: str | None = None
    managed_tag_keys: tuple[str, ...] = ()
    pending_update: dict[str, Any] | None = None
    known_arn: str | None = None  # the component ARN status last showed (to tell out-of-band deletes)

    @classmethod
    def from_status(cls, status: dict[str, Any] | None) -> Memory:
        status = status or {}
        pending = status.get("pendingUpdate")
        return cls(
            failed_generation=status.get("failedGeneration"),
            failure_message=status.get("failureMessage"),
            applied_spec_hash=status.get("appliedSpecHash"),
            managed_tag_keys=tuple(status.get("managedTagKeys") or ()),
            pending_update=dict(pending) if isinstance(pending, dict) else None,
            known_arn=status.get("inferenceComponentArn"),
        )

    def to_status(self) -> dict[str, Any]:
        """Status fields (None values mean "remove the field")."""
        return {
            "failedGeneration": self.failed_generation,
            "failureMessage": self.failure_message,
            "appliedSpecHash": self.applied_spec_hash,
            "managedTagKeys": list(self.managed_tag_keys) if self.managed_tag_keys else None,
            "pendingUpdate": self.pending_update,
        }


class ActionKind(enum.Enum):
    CREATE = "Create"
    ADOPT = "Adopt"
    UPDATE = "Update"
    UPDATE_COPIES = "UpdateCopies"
    UPDATE_TAGS = "UpdateTags"
    DELETE = "Delete"
    RELEASE = "Release"


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
    events: tuple[Event, ...] = ()  # posted whatever happens next
    done: bool = False  # deletion: SageMaker is finished with the component; release the finalizer


# --- helpers -----------------------------------------------------------------------------------
def spec_hash(spec: InferenceComponentSpec, name: str) -> str:
    """Hash of what UpdateInferenceComponent would send for the specification(s)."""
    request = spec.update_request(name, include_copy_count=False)
    body = {k: request[k] for k in ("Specification", "Specifications") if k in request}
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()[:16]


def _same_specification(desired: dict[str, Any], observed: dict[str, Any] | None) -> bool:
    observed = observed or {}
    for key, want in desired.items():
        have = observed.get(key)
        if key == "Container":
            have = have or {}
            if "Image" in want and want["Image"] != (have.get("DeployedImage") or {}).get("SpecifiedImage"):
                return False
            if "ArtifactUrl" in want and want["ArtifactUrl"] != have.get("ArtifactUrl"):
                return False
            if (want.get("Environment") or {}) != (have.get("Environment") or {}):
                return False
        elif not same(want, have):
            return False
    return True


def spec_drift(spec: InferenceComponentSpec, name: str, component: dict[str, Any]) -> list[str]:
    """The top-level members of the specification that SageMaker no longer matches."""
    request = spec.update_request(name, include_copy_count=False)
    drift = []
    if "Specification" in request:
        want = request["Specification"]
        have = component.get("Specification") or {}
        drift += [k for k in want if not _same_specification({k: want[k]}, have)]
    if "Specifications" in request:
        want_list = request["Specifications"]
        have_list = component.get("Specifications") or []
        if len(want_list) != len(have_list) or not all(
            _same_specification(w, h) for w, h in zip(want_list, have_list, strict=False)
        ):
            drift.append("Specifications")
    return drift


def desired_tags(spec: InferenceComponentSpec) -> dict[str, str]:
    return {t.key: t.value for t in spec.tags or []}


def _status(component: dict[str, Any]) -> str:
    return str(component.get("InferenceComponentStatus") or "")


def _copies(component: dict[str, Any]) -> int | None:
    rc = component.get("RuntimeConfig") or {}
    value = rc.get("DesiredCopyCount")
    return int(value) if value is not None else None


def _failure(component: dict[str, Any]) -> str | None:
    reason = component.get("FailureReason")
    return str(reason) if reason else None


def _endpoint_problem(name: str, endpoint: dict[str, Any] | None) -> str | None:
    """Why the component cannot be created on this endpoint yet (None: it can)."""
    if endpoint is None:
        return f'endpoint "{name}" does not exist (yet)'
    status = endpoint.get("EndpointStatus")
    if status == "InService":
        return None
    message = f'endpoint "{name}" is {status}'
    if endpoint.get("FailureReason"):
        message += f": {endpoint['FailureReason']}"
    return message


def _stalled(memory: Memory, reason: str, message: str) -> Decision:
    return Decision(Verdict(False, reason, message, stalled=True), Pace.STEADY, memory)


def _working(memory: Memory, reason: str, message: str, pace: Pace = Pace.TRANSITIONAL) -> Decision:
    return Decision(Verdict(False, reason, message, reconciling=True), pace, memory)


# --- the reconciler ----------------------------------------------------------------------------
def reconcile(desired: Desired, observed: Observed, memory: Memory) -> Decision:
    spec, name, gen = desired.spec, desired.name, desired.generation
    component = observed.component

    if component is None:
        return _absent(desired, observed, memory)

    # Is it ours? Never touch anything another CR (or namespace, or cluster) owns.
    owned = claim(observed.tags, desired.owner)
    if owned is Claim.OTHER:
        return _stalled(
            memory,
            "NotOwned",
            f'inference component "{name}" is owned by {describe(observed.tags)}; it is left alone',
        )
    if owned in (Claim.UNMANAGED, Claim.PREVIOUS):
        if not spec.adopt_existing:
            what = "is not managed by this operator" if owned is Claim.UNMANAGED else "was created for another uid"
            return _stalled(
                memory,
                "AlreadyExists",
                f'inference component "{name}" already exists and {what}; set spec.adoptExisting: true to adopt it',
            )
        if component.get("EndpointName") != spec.endpoint_name:
            return _stalled(memory, "EndpointMismatch", _endpoint_mismatch(name, component, spec))
        calls = (
            ("AddTags", {"ResourceArn": component["InferenceComponentArn"], "Tags": _tag_list(desired.owner.tags())}),
        )
        event = Event("Adopted", f'Adopted existing SageMaker inference component "{name}"')
        return replace(
            _working(memory, "Adopting", f'adopting inference component "{name}"', Pace.NOW),
            action=Action(
                ActionKind.ADOPT, calls, event, replace(memory, known_arn=component["InferenceComponentArn"])
            ),
        )

    if component.get("EndpointName") != spec.endpoint_name:
        return _stalled(memory, "EndpointMismatch", _endpoint_mismatch(name, component, spec))

    status = _status(component)
    memory = replace(memory, known_arn=component.get("InferenceComponentArn"))
    if status in TRANSITIONAL:
        return _working(memory, status, f'inference component "{name}" is {status}')

    failure = _failure(component)
    pending = memory.pending_update
    current_hash = spec_hash(spec, name)
    drift = spec_drift(spec, name, component)
    spec_changed = bool(drift) or (memory.applied_spec_hash is not None and memory.applied_spec_hash != current_hash)
    want_copies = spec.desired_copy_count
    copies_changed = want_copies is not None and _copies(component) != want_copies

    # An update we started has finished: did it take?
    if pending is not None and pending.get("generation") == gen:
        failed = status == "Failed"
        if pending.get("kind") == "spec" and spec_changed and pending.get("specHash") == current_hash:
            failed = failed or bool(drift) or (failure is not None and failure != pending.get("failureReason"))
        if pending.get("kind") == "copies" and copies_changed and pending.get("copyCount") == want_copies:
            failed = True
        if failed:
            message = failure or f"SageMaker did not apply the {pending.get('kind')} update"
            memory = replace(memory, failed_generation=gen, failure_message=message, pending_update=None)
            decision = _stalled(memory, "UpdateFailed", f'update of inference component "{name}" failed: {message}')
            return replace(decision, events=(Event("Failed", message, warning=True),))
        if pending.get("kind") == "create" and status == "Failed":
            message = failure or "creation failed"
            memory = replace(memory, failed_generation=gen, failure_message=message, pending_update=None)
            decision = _stalled(memory, "CreateFailed", f'inference component "{name}" failed: {message}')
            return replace(decision, events=(Event("Failed", message, warning=True),))
        if pending.get("kind") == "spec" and pending.get("specHash") == current_hash and not drift:
            # Our update of this very spec finished and SageMaker shows it: it took. Without
            # recording that, the stale applied hash would read as a change and update again.
            memory = replace(memory, applied_spec_hash=current_hash, pending_update=None)
            spec_changed = False

    if memory.failed_generation == gen:
        return _stalled(memory, "Failed" if status == "Failed" else "UpdateFailed", memory.failure_message or "")

    if status == "Failed":
        # Failed without an update of ours in flight (creation failure, capacity loss, out of
        # band): a new generation gets one full update; otherwise report and wait for a spec change.
        if pending is None and memory.failed_generation is not None and memory.failed_generation != gen:
            return _update_spec(desired, component, memory, current_hash, failure, "Updated")
        message = failure or "the inference component is Failed"
        memory = replace(memory, failed_generation=gen, failure_message=message, pending_update=None)
        decision = _stalled(memory, "Failed", f'inference component "{name}" is Failed: {message}')
        return replace(decision, events=(Event("Failed", message, warning=True),))

    # InService from here on.
    if spec_changed:
        drifted = memory.applied_spec_hash == current_hash
        return _update_spec(
            desired, component, memory, current_hash, failure, "DriftCorrected" if drifted else "Updated"
        )
    if copies_changed:
        assert want_copies is not None
        drifted = pending is None and memory.failed_generation is None and memory.applied_spec_hash is not None
        calls = (("UpdateInferenceComponentRuntimeConfig", spec.runtime_config_request(name)),)
        text = f'Copy count of "{name}": {_copies(component)} -> {want_copies}'
        event = Event("DriftCorrected" if drifted else "Updated", text)
        new_memory = replace(
            memory,
            pending_update={"kind": "copies", "generation": gen, "copyCount": want_copies, "failureReason": failure},
        )
        return replace(
            _working(memory, "Updating", text, Pace.NOW),
            action=Action(ActionKind.UPDATE_COPIES, calls, event, new_memory),
        )

    # Spec and copies match: the update (if any) took.
    memory = replace(
        memory, pending_update=None, applied_spec_hash=current_hash, failed_generation=None, failure_message=None
    )
    tag_calls = _tag_calls(desired, component, observed.tags or {}, memory)
    if tag_calls:
        new_memory = replace(memory, managed_tag_keys=tuple(sorted(desired_tags(spec))))
        event = Event("Updated", f'Updated tags of inference component "{name}"')
        return replace(
            _working(memory, "Updating", "updating tags", Pace.NOW),
            action=Action(ActionKind.UPDATE_TAGS, tag_calls, event, new_memory),
        )
    memory = replace(memory, managed_tag_keys=tuple(sorted(desired_tags(spec))))
    return Decision(Verdict(True, "InService", f'inference component "{name}" is InService'), Pace.STEADY, memory)


def _absent(desired: Desired, observed: Observed, memory: Memory) -> Decision:
    spec, name, gen = desired.spec, desired.name, desired.generation
    if memory.failed_generation == gen:
        return _stalled(memory, "CreateFailed", memory.failure_message or f'creating "{name}" failed')
    problem = _endpoint_problem(spec.endpoint_name, observed.endpoint)
    if problem is not None:
        return _working(memory, "EndpointNotReady", f"waiting: {problem}")
    base_name = spec.base_component_name
    if base_name is not None and _status(observed.base or {}) != "InService":
        # Applied together (kubectl apply -f dir/, ArgoCD), an adapter may come before its base.
        state = "does not exist (yet)" if observed.base is None else f"is {_status(observed.base)}"
        return _working(memory, "BaseComponentNotReady", f'waiting: base inference component "{base_name}" {state}')
    recreate = memory.known_arn is not None
    tags = desired_tags(spec)
    request = spec.create_request(name, desired.owner.tags())
    event = (
        Event("DriftCorrected", f'Inference component "{name}" was deleted outside the operator; recreated it')
        if recreate
        else Event("Created", f'Created SageMaker inference component "{name}"')
    )
    new_memory = replace(
        memory,
        applied_spec_hash=spec_hash(spec, name),
        managed_tag_keys=tuple(sorted(tags)),
        pending_update={"kind": "create", "generation": gen},
        known_arn=None,
    )
    return replace(
        _working(replace(memory, known_arn=None), "Creating", f'creating inference component "{name}"', Pace.NOW),
        action=Action(ActionKind.CREATE, (("CreateInferenceComponent", request),), event, new_memory),
    )


def _update_spec(
    desired: Desired,
    component: dict[str, Any],
    memory: Memory,
    current_hash: str,
    failure: str | None,
    reason: str,
) -> Decision:
    spec, name, gen = desired.spec, desired.name, desired.generation
    request = spec.update_request(name, include_copy_count=True)
    text = f'Updating inference component "{name}"'
    new_memory = replace(
        memory,
        pending_update={"kind": "spec", "generation": gen, "specHash": current_hash, "failureReason": failure},
    )
    return replace(
        _working(memory, "Updating", text.lower(), Pace.NOW),
        action=Action(ActionKind.UPDATE, (("UpdateInferenceComponent", request),), Event(reason, text), new_memory),
    )


def _tag_calls(
    desired: Desired, component: dict[str, Any], tags: dict[str, str], memory: Memory
) -> tuple[tuple[str, dict[str, Any]], ...]:
    arn = component["InferenceComponentArn"]
    want = desired_tags(desired.spec)
    want.update(desired.owner.tags())  # our ownership tags always stay (re-added if removed)
    add = {k: v for k, v in want.items() if tags.get(k) != v}
    remove = sorted(k for k in memory.managed_tag_keys if k not in want and k in tags and k not in OWNERSHIP_TAGS)
    calls: list[tuple[str, dict[str, Any]]] = []
    if add:
        calls.append(("AddTags", {"ResourceArn": arn, "Tags": _tag_list(add)}))
    if remove:
        calls.append(("DeleteTags", {"ResourceArn": arn, "TagKeys": remove}))
    return tuple(calls)


def _tag_list(tags: dict[str, str]) -> list[dict[str, str]]:
    return [{"Key": k, "Value": v} for k, v in tags.items()]


def _endpoint_mismatch(name: str, component: dict[str, Any], spec: InferenceComponentSpec) -> str:
    return (
        f'inference component "{name}" is hosted on endpoint "{component.get("EndpointName")}", '
        f'not "{spec.endpoint_name}" (the endpoint cannot change: use another name)'
    )


# --- deletion ----------------------------------------------------------------------------------
def reconcile_delete(desired: Desired, observed: Observed, memory: Memory, remove_tags_on_retain: bool) -> Decision:
    name, spec = desired.name, desired.spec
    component = observed.component
    gone = Decision(Verdict(False, "Deleted", f'inference component "{name}" is gone'), Pace.NOW, memory, done=True)
    if component is None:
        return gone
    owned = claim(observed.tags, desired.owner)
    if owned is not Claim.OURS:
        message = f'inference component "{name}" is not ours ({describe(observed.tags)}); left in place'
        return replace(gone, verdict=Verdict(False, "Released", message), events=(Event("Released", message),))
    if spec.deletion_policy == "Retain":
        message = f'deletionPolicy is Retain: inference component "{name}" is left running'
        released = replace(gone, verdict=Verdict(False, "Retained", message))
        if not remove_tags_on_retain or not any(k in (observed.tags or {}) for k in OWNERSHIP_TAGS):
            return released
        calls = (("DeleteTags", {"ResourceArn": component["InferenceComponentArn"], "TagKeys": list(OWNERSHIP_TAGS)}),)
        return replace(
            _working(memory, "Releasing", message, Pace.NOW),
            action=Action(ActionKind.RELEASE, calls, Event("Retained", message)),
        )
    status = _status(component)
    if status in TRANSITIONAL:
        return _working(memory, "Deleting", f'waiting for inference component "{name}" ({status}) to be deleted')
    calls = (("DeleteInferenceComponent", {"InferenceComponentName": name}),)
    return replace(
        _working(memory, "Deleting", f'deleting inference component "{name}"', Pace.NOW),
        action=Action(ActionKind.DELETE, calls, Event("Deleted", f'Deleting SageMaker inference component "{name}"')),
    )


# --- errors of actions ---------------------------------------------------------------------------
def after_error(desired: Desired, decision: Decision, error: SageMakerError) -> Decision:
    """Fold a failed action into the decision: transient -> retry later; permanent -> Stalled."""
    action = decision.action
    kind = action.kind if action else None
    memory = decision.memory
    if error.kind is Kind.ALREADY_EXISTS:
        # Created by us an instant ago (a lost answer, a restart) or by someone else: look again.
        return _working(memory, "Creating", f"{error.message}; re-observing", Pace.NOW)
    if error.kind is Kind.NOT_FOUND and kind in (ActionKind.DELETE, ActionKind.RELEASE):
        return replace(decision, action=None, done=True)
    if error.kind is Kind.NOT_FOUND and kind in (ActionKind.UPDATE, ActionKind.UPDATE_COPIES, ActionKind.UPDATE_TAGS):
        return _working(memory, "Reconciling", f"{error.message}; re-observing", Pace.NOW)
    if error.kind.transient:
        reason = "Throttled" if error.kind is Kind.THROTTLED else "Retrying"
        if error.kind is Kind.IN_PROGRESS:
            reason = "Waiting"
        return _working(memory, reason, f"{error.operation}: {error.message}", Pace.ERROR)
    message = f"{error.operation} failed: {error.code}: {error.message}"
    if kind in (ActionKind.DELETE, ActionKind.RELEASE):
        # Deletion never gives up (the finalizer stays); it reports and re-checks slowly.
        return _stalled(memory, "DeleteFailed", message)
    memory = replace(memory, failed_generation=desired.generation, failure_message=message, pending_update=None)
    decision = _stalled(memory, error.kind.value, message)
    return replace(decision, events=(Event("Failed", message, warning=True),))


def observe_failed(memory: Memory, error: SageMakerError) -> Decision:
    """Observation (Describe/List) failed: nothing is decided; transient errors retry."""
    if error.kind.transient:
        return _working(memory, "Retrying", f"{error.operation}: {error.message}", Pace.ERROR)
    return _stalled(memory, error.kind.value, f"{error.operation} failed: {error.code}: {error.message}")
