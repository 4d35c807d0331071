"""Inference components: Create/Describe/Update/UpdateRuntimeConfig/Delete/List and their state
machine (Creating -> InService | Failed; Updating -> InService, a failed update rolling back with
FailureReason set; Deleting -> gone).

Record (``state.table("inference-component")``, keyed by lowercased name) = the
DescribeInferenceComponent body, plus:
- ``_specs``: the request specification(s) in force (a list; ``_multi`` says whether the caller
  used ``Specifications`` rather than ``Specification``), used for capacity and partial updates;
- ``_pending``: while Updating, what the update will apply (specs, copies, deployment config);
- ``_previous``: while Updating, what a rollback restores (status, desired and current copies);
- ``_event``: the scheduled transition, if any.

Copies are placed on the endpoint variant's instances (``ops.instances.endpoint_capacity``) by
first-fit per instance: vCPUs, memory and accelerators of a copy must fit on one instance. Only
copies already placed (CurrentCopyCount) hold resources, so of two components created at once the
first to finish gets the room and the other fails with ``CapacityError``.
"""

from __future__ import annotations

import copy
import hashlib
import uuid
from typing import Any

from .. import errors
from ..admin import oob_action
from ..backend import Backend, Call, RegionState, operation
from ..forced import take_forced_failure
from .common import list_records, public
from .instances import endpoint_capacity, endpoint_config_of, ic_capable
from .models import get_model
from .tags import put_tags

KIND = "inference-component"

# Realistic durations (seconds at time scale 1.0).
IC_CREATE_SECONDS = 180.0
IC_UPDATE_SECONDS = 180.0
IC_COPY_SECONDS = 60.0  # a runtime-config (copy count) change, spread over its steps
IC_DELETE_SECONDS = 30.0
MAX_COPY_STEPS = 10  # a copy-count change moves CurrentCopyCount in at most this many steps

IN_PROGRESS = ("Creating", "Updating")
# Statuses whose placed copies hold resources on the endpoint's instances.
_HOLDING = ("InService", "Updating", "Deleting")
_ENDPOINT_BUSY = ("Creating", "Updating", "SystemUpdating", "RollingBack", "Deleting")


def _now(backend: Backend) -> float:
    # SageMaker's timestamps have millisecond precision; so List time filters round-trip exactly.
    return round(backend.clock.now(), 3)


# -- lookups and messages ---------------------------------------------------------------------
def _arn(backend: Backend, state: RegionState, name: str) -> str:
    return backend.arn(state.name, KIND, name)


def _endpoint_arn(backend: Backend, state: RegionState, name: str) -> str:
    return backend.arn(state.name, "endpoint", name)


def find(backend: Backend, state: RegionState, name: str) -> dict[str, Any]:
    record: dict[str, Any] | None = state.table(KIND).get(name.lower())
    if record is None:
        raise errors.validation(f'Could not find inference component "{_arn(backend, state, name)}".')
    return record


def _in_progress(record: dict[str, Any]) -> errors.SageMakerError:
    # inferred: the endpoint sibling says "Cannot update in-progress endpoint" for update and delete alike
    return errors.validation(f'Cannot update in-progress inference component "{record["InferenceComponentArn"]}".')


def _invalid(message: str) -> errors.SageMakerError:
    return errors.validation(f"Invalid request provided: {message}")


def adapters_of(state: RegionState, base_name: str) -> list[dict[str, Any]]:
    """Components whose BaseInferenceComponentName is ``base_name``."""
    wanted = base_name.lower()
    return [r for r in state.table(KIND).values() if str(_base_name(r["_specs"]) or "").lower() == wanted]


def _base_name(specs: list[dict[str, Any]]) -> str | None:
    for spec in specs:
        if spec.get("BaseInferenceComponentName"):
            return str(spec["BaseInferenceComponentName"])
    return None


# -- the Describe view of a specification -----------------------------------------------------
def resolved_image(image: str) -> str:
    """``registry/repo[:tag]`` -> ``registry/repo@sha256:<digest>`` (a fake but stable digest)."""
    if "@" in image:
        return image
    repo = image
    slash = image.rfind("/")
    colon = image.rfind(":")
    if colon > slash:
        repo = image[:colon]
    return f"{repo}@sha256:{hashlib.sha256(image.encode()).hexdigest()}"


def _spec_summary(spec: dict[str, Any], now: float) -> dict[str, Any]:
    summary = copy.deepcopy(spec)
    container = summary.get("Container")
    if container is not None:
        image = container.pop("Image", None)
        rendered: dict[str, Any] = {}
        if image:
            rendered["DeployedImage"] = {
                "SpecifiedImage": image,
                "ResolvedImage": resolved_image(image),
                "ResolutionTime": now,
            }
        rendered.update(container)
        summary["Container"] = rendered
    if "DataCacheConfig" in summary:
        summary["DataCacheConfig"] = {"EnableCaching": bool(summary["DataCacheConfig"].get("EnableCaching"))}
    return summary


def _set_specs(record: dict[str, Any], specs: list[dict[str, Any]], multi: bool, now: float) -> None:
    record["_specs"] = copy.deepcopy(specs)
    record["_multi"] = multi
    record.pop("Specification", None)
    record.pop("Specifications", None)
    if multi:
        record["Specifications"] = [_spec_summary(s, now) for s in specs]
    else:
        record["Specification"] = _spec_summary(specs[0], now)


def _set_current(state: RegionState, record: dict[str, Any], current: int) -> None:
    runtime = record.get("RuntimeConfig")
    if runtime is None:  # adapters have no copies of their own
        return
    runtime["CurrentCopyCount"] = current
    if record.get("_multi"):
        capacity = _variant_capacity(state, record)
        instance_type = capacity.instance_type if capacity is not None else record["_specs"][0].get("InstanceType")
        if instance_type:
            runtime["PlacementStatus"] = [{"InstanceType": instance_type, "CurrentCopyCount": current}]


# -- capacity -----------------------------------------------------------------------------------
def _variant_capacity(state: RegionState, record: dict[str, Any]) -> Any:
    for capacity in endpoint_capacity(state, record["EndpointName"]):
        if capacity.variant_name == record.get("VariantName"):
            return capacity
    return None


def _requirements(specs: list[dict[str, Any]], instance_type: str | None) -> tuple[float, float, float] | None:
    """(vCPUs, MiB, accelerators) one copy needs on ``instance_type``; None if it needs nothing."""
    chosen = next((s for s in specs if s.get("InstanceType") == instance_type), specs[0] if specs else None)
    needs = (chosen or {}).get("ComputeResourceRequirements")
    if not needs:
        return None
    return (
        float(needs.get("NumberOfCpuCoresRequired") or 0),
        float(needs.get("MinMemoryRequiredInMb") or 0),
        float(needs.get("NumberOfAcceleratorDevicesRequired") or 0),
    )


def _unplaced(state: RegionState, record: dict[str, Any], specs: list[dict[str, Any]], copies: int) -> int:
    """How many of ``copies`` copies (with ``specs``) cannot be placed next to the other components.

    Without capacity information for the variant (unknown endpoint, serverless...) all fit.
    """
    capacity = _variant_capacity(state, record)
    if capacity is None or copies <= 0:
        return 0
    count = max(capacity.instance_count, capacity.managed_max_instance_count or 0)
    free = [[float(capacity.vcpus), float(capacity.memory_mib), float(capacity.accelerators)] for _ in range(count)]

    def place(needs: tuple[float, float, float] | None) -> bool:
        if needs is None:
            return True
        for instance in free:
            if all(have >= need for have, need in zip(instance, needs, strict=True)):
                for i, need in enumerate(needs):
                    instance[i] -= need
                return True
        return False

    others = sorted(state.table(KIND).values(), key=lambda r: r["CreationTime"])
    for other in others:
        if other is record or other["InferenceComponentStatus"] not in _HOLDING:
            continue
        if other["EndpointName"].lower() != record["EndpointName"].lower():
            continue
        if other.get("VariantName") != record.get("VariantName"):
            continue
        needs = _requirements(other["_specs"], capacity.instance_type)
        for _ in range(int((other.get("RuntimeConfig") or {}).get("CurrentCopyCount", 0))):
            place(needs)
    needs = _requirements(specs, capacity.instance_type)
    return sum(1 for _ in range(copies) if not place(needs))


def _capacity_error(record: dict[str, Any], copies: int, unplaced: int, capacity: Any) -> str:
    # "CapacityError" is what the SageMaker SDK looks for; the rest is inferred.
    where = ""
    if capacity is not None:
        where = f" ({capacity.instance_count} x {capacity.instance_type})"
    return (
        f"CapacityError: Unable to place {copies} {'copy' if copies == 1 else 'copies'} of inference component "
        f'"{record["InferenceComponentName"]}" on endpoint "{record["EndpointName"]}" variant '
        f'"{record.get("VariantName")}"{where}: {unplaced} did not fit. Not enough hardware resources '
        "(CPU cores, memory or accelerator devices) are available on the instances."
    )


# -- transitions ------------------------------------------------------------------------------
def _schedule(backend: Backend, record: dict[str, Any], seconds: float, action: Any) -> None:
    event = record.get("_event")
    if event is not None:
        event.cancelled = True
    record["_event"] = backend.scheduler.after(seconds, action)


def _alive(state: RegionState, record: dict[str, Any]) -> bool:
    return state.table(KIND).get(record["InferenceComponentName"].lower()) is record


def _finish_create(backend: Backend, state: RegionState, record: dict[str, Any]) -> None:
    record["_event"] = None
    if not _alive(state, record) or record["InferenceComponentStatus"] != "Creating":
        return
    record["LastModifiedTime"] = _now(backend)
    reason = take_forced_failure(backend, KIND, record["InferenceComponentName"])
    desired = int((record.get("RuntimeConfig") or {}).get("DesiredCopyCount", 0))
    if reason is None:
        unplaced = _unplaced(state, record, record["_specs"], desired)
        if unplaced:
            reason = _capacity_error(record, desired, unplaced, _variant_capacity(state, record))
    if reason is not None:
        record["InferenceComponentStatus"] = "Failed"
        record["FailureReason"] = reason
        _set_current(state, record, 0)
        return
    record["InferenceComponentStatus"] = "InService"
    _set_current(state, record, desired)


def _rollback(backend: Backend, state: RegionState, record: dict[str, Any], reason: str) -> None:
    """A failed update: back to what ran before (InService, or Failed if it was), FailureReason set."""
    previous = record.pop("_previous", None) or {}
    record.pop("_pending", None)
    record["_event"] = None
    record["InferenceComponentStatus"] = previous.get("status", "InService")
    record["FailureReason"] = reason
    record["LastModifiedTime"] = _now(backend)
    runtime = record.get("RuntimeConfig")
    if runtime is not None:
        runtime["DesiredCopyCount"] = previous.get("desired", runtime.get("DesiredCopyCount", 0))
        _set_current(state, record, int(previous.get("current", runtime.get("CurrentCopyCount", 0))))


def _complete_update(backend: Backend, state: RegionState, record: dict[str, Any]) -> None:
    pending = record.pop("_pending", None) or {}
    record.pop("_previous", None)
    record["_event"] = None
    now = _now(backend)
    if pending.get("specs") is not None:
        _set_specs(record, pending["specs"], bool(pending.get("multi")), now)
    if pending.get("deployment") is not None:
        record["LastDeploymentConfig"] = copy.deepcopy(pending["deployment"])
    runtime = record.get("RuntimeConfig")
    if runtime is not None:
        _set_current(state, record, int(runtime["DesiredCopyCount"]))
    record["InferenceComponentStatus"] = "InService"
    record["LastModifiedTime"] = now
    # FailureReason of an earlier failed update stays, as SageMaker leaves it.


def _finish_spec_update(backend: Backend, state: RegionState, record: dict[str, Any]) -> None:
    record["_event"] = None
    if not _alive(state, record) or record["InferenceComponentStatus"] != "Updating":
        return
    reason = take_forced_failure(backend, KIND, record["InferenceComponentName"])
    if reason is None:
        pending = record.get("_pending") or {}
        specs: list[dict[str, Any]] = pending.get("specs") or record["_specs"]
        runtime = record.get("RuntimeConfig")
        desired = int(runtime["DesiredCopyCount"]) if runtime is not None else 0
        # The new copies replace the old ones: the component's own placed copies do not count.
        unplaced = _unplaced(state, record, specs, desired)
        if unplaced:
            reason = _capacity_error(record, desired, unplaced, _variant_capacity(state, record))
    if reason is not None:
        _rollback(backend, state, record, reason)
    else:
        _complete_update(backend, state, record)


def _copy_step(
    backend: Backend, state: RegionState, record: dict[str, Any], steps_left: int, interval: float, first: bool
) -> None:
    """One step of a copy-count change: CurrentCopyCount moves toward DesiredCopyCount."""
    record["_event"] = None
    if not _alive(state, record) or record["InferenceComponentStatus"] != "Updating":
        return
    if first:
        reason = take_forced_failure(backend, KIND, record["InferenceComponentName"])
        if reason is not None:
            _rollback(backend, state, record, reason)
            return
    runtime = record["RuntimeConfig"]
    current, desired = int(runtime["CurrentCopyCount"]), int(runtime["DesiredCopyCount"])
    remaining = desired - current
    if remaining == 0:
        _complete_update(backend, state, record)
        return
    move = -(-abs(remaining) // max(steps_left, 1))  # ceil: finish within the steps left
    target = current + (move if remaining > 0 else -move)
    if target > current:
        # Copies are added next to the ones already running; they all must fit.
        unplaced = _unplaced(state, record, record["_specs"], target)
        if unplaced:
            capacity = _variant_capacity(state, record)
            _rollback(backend, state, record, _capacity_error(record, desired - current, unplaced, capacity))
            return
    _set_current(state, record, target)
    record["LastModifiedTime"] = _now(backend)
    if target == desired:
        _complete_update(backend, state, record)
        return
    left = steps_left - 1
    _schedule(backend, record, interval, lambda: _copy_step(backend, state, record, left, interval, False))


def _steps(delta: int) -> int:
    return max(1, min(delta, MAX_COPY_STEPS))


def _finish_delete(state: RegionState, record: dict[str, Any]) -> None:
    record["_event"] = None
    if _alive(state, record) and record["InferenceComponentStatus"] == "Deleting":
        remove(state, record)


def remove(state: RegionState, record: dict[str, Any]) -> None:
    """The component is gone: out of the table (endpoints look there) and its tags with it."""
    event = record.get("_event")
    if event is not None:
        event.cancelled = True
    state.table(KIND).pop(record["InferenceComponentName"].lower(), None)
    state.tags.pop(record["InferenceComponentArn"], None)


def start_delete(backend: Backend, state: RegionState, record: dict[str, Any]) -> None:
    status = record["InferenceComponentStatus"]
    arn = record["InferenceComponentArn"]
    if status == "Deleting":
        # inferred around the one known token, DELETE_IN_PROGRESS
        raise errors.validation(f'Cannot delete inference component "{arn}" because it is in DELETE_IN_PROGRESS state.')
    if status in IN_PROGRESS:
        raise _in_progress(record)
    adapters = [a for a in adapters_of(state, record["InferenceComponentName"]) if a is not record]
    if adapters:
        raise errors.validation(
            f'Inference component "{arn}" is a base inference component for one or more associated adapter '
            "inference components. Delete the adapter inference components first."  # inferred after the first part
        )
    record["InferenceComponentStatus"] = "Deleting"
    record["LastModifiedTime"] = _now(backend)
    _schedule(backend, record, IC_DELETE_SECONDS, lambda: _finish_delete(state, record))


def start_update(
    backend: Backend,
    state: RegionState,
    record: dict[str, Any],
    specs: list[dict[str, Any]] | None,
    multi: bool,
    copies: int | None,
    deployment: dict[str, Any] | None,
) -> None:
    """Updating now; InService when done, or rolled back with FailureReason set."""
    runtime = record.get("RuntimeConfig")
    record["_previous"] = {
        "status": "Failed" if record["InferenceComponentStatus"] == "Failed" else "InService",
        "desired": runtime["DesiredCopyCount"] if runtime is not None else None,
        "current": runtime["CurrentCopyCount"] if runtime is not None else None,
    }
    record["_pending"] = {"specs": copy.deepcopy(specs), "multi": multi, "deployment": copy.deepcopy(deployment)}
    if copies is not None and runtime is not None:
        runtime["DesiredCopyCount"] = copies
    record["InferenceComponentStatus"] = "Updating"
    record["LastModifiedTime"] = _now(backend)
    if specs is None and runtime is not None and record["_previous"]["status"] == "InService":
        # Only the copy count changes: copies come and go step by step.
        delta = abs(int(runtime["DesiredCopyCount"]) - int(runtime["CurrentCopyCount"]))
        steps = _steps(delta)
        interval = IC_COPY_SECONDS / steps
        _schedule(backend, record, interval, lambda: _copy_step(backend, state, record, steps, interval, True))
    else:
        _schedule(backend, record, IC_UPDATE_SECONDS, lambda: _finish_spec_update(backend, state, record))


def fail(backend: Backend, state: RegionState, record: dict[str, Any], reason: str) -> None:
    """The component ends Failed with ``reason`` (its copies are gone)."""
    event = record.get("_event")
    if event is not None:
        event.cancelled = True
    record["_event"] = None
    record.pop("_pending", None)
    record.pop("_previous", None)
    record["InferenceComponentStatus"] = "Failed"
    record["FailureReason"] = reason
    record["LastModifiedTime"] = _now(backend)
    _set_current(state, record, 0)


# -- request checks ---------------------------------------------------------------------------
def _requested_specs(params: dict[str, Any]) -> tuple[list[dict[str, Any]] | None, bool]:
    if params.get("Specification") is not None and params.get("Specifications") is not None:
        raise _invalid("Specify either Specification or Specifications, not both.")  # inferred
    if params.get("Specifications") is not None:
        return list(params["Specifications"]), True
    if params.get("Specification") is not None:
        return [params["Specification"]], False
    return None, False


def _check_specs(call: Call, specs: list[dict[str, Any]], multi: bool) -> None:
    """What every specification must satisfy, adapter or not (models must exist)."""
    if multi and len(specs) > 1:
        types = [s.get("InstanceType") for s in specs]
        if not all(types) or len(set(types)) != len(types):
            # inferred
            raise _invalid("Each entry of Specifications must carry a distinct InstanceType.")
    bases = {str(s.get("BaseInferenceComponentName") or "") for s in specs}
    if len(bases) > 1:
        raise _invalid("All specifications must name the same BaseInferenceComponentName.")  # inferred
    for spec in specs:
        if spec.get("ModelName"):
            get_model(call, spec["ModelName"])
        if spec.get("BaseInferenceComponentName"):
            if spec.get("ComputeResourceRequirements"):
                # inferred: adapters use the compute resources of their base component
                raise _invalid("An adapter inference component cannot specify ComputeResourceRequirements.")
        elif not spec.get("ComputeResourceRequirements"):
            # inferred
            raise _invalid("ComputeResourceRequirements must be specified for an inference component.")


def _check_base(call: Call, endpoint_name: str, base_name: str) -> dict[str, Any]:
    base: dict[str, Any] | None = call.state.table(KIND).get(base_name.lower())
    if base is None:
        raise errors.validation(f'Could not find inference component "{call.arn(KIND, base_name)}".')
    if base["EndpointName"].lower() != endpoint_name.lower():
        # inferred
        raise _invalid(
            f'Base inference component "{base["InferenceComponentArn"]}" is not hosted on endpoint '
            f'"{call.arn("endpoint", endpoint_name)}".'
        )
    if _base_name(base["_specs"]):
        raise _invalid(f'Inference component "{base["InferenceComponentArn"]}" is itself an adapter.')  # inferred
    if base["InferenceComponentStatus"] in ("Failed", "Deleting"):
        # inferred
        raise _invalid(
            f'Base inference component "{base["InferenceComponentArn"]}" is in {base["InferenceComponentStatus"]} '
            "status."
        )
    return base


def _endpoint_variants(endpoint: dict[str, Any]) -> list[str]:
    names = [v["VariantName"] for v in endpoint.get("ProductionVariants") or []]
    config = endpoint_config_of(endpoint) or {}
    names += [v["VariantName"] for v in config.get("ProductionVariants") or [] if v["VariantName"] not in names]
    return names


# -- operations -------------------------------------------------------------------------------
@operation("CreateInferenceComponent")
def create_inference_component(call: Call) -> dict[str, Any]:
    params = call.params
    name = params["InferenceComponentName"]
    endpoint_name = params["EndpointName"]
    runtime_request = params.get("RuntimeConfig")
    if runtime_request is not None and int(runtime_request["CopyCount"]) < 1:
        # inferred: the model allows 0 (for UpdateInferenceComponentRuntimeConfig); creation needs a copy
        raise errors.validation(
            f"1 validation error detected: Value '{runtime_request['CopyCount']}' at 'runtimeConfig.copyCount' "
            "failed to satisfy constraint: Member must have value greater than or equal to 1"
        )
    table = call.state.table(KIND)
    arn = call.arn(KIND, name)
    if name.lower() in table:
        raise errors.validation(f'Cannot create already existing inference component "{arn}".')
    specs, multi = _requested_specs(params)
    if specs is None:
        raise _invalid("Specification or Specifications must be provided.")  # inferred
    endpoint: dict[str, Any] | None = call.state.table("endpoint").get(endpoint_name.lower())
    endpoint_arn = call.arn("endpoint", endpoint_name)
    if endpoint is None:
        raise errors.validation(f'Could not find endpoint "{endpoint_arn}".')
    if not ic_capable(call.state, endpoint_name):
        raise _invalid(
            "Inference Components are not supported in this Endpoint. "
            "Please make sure this endpoint can deploy inference components."
        )
    status = endpoint["EndpointStatus"]
    if status in _ENDPOINT_BUSY:
        # inferred, after "Cannot update in-progress endpoint"
        raise errors.validation(f'Cannot create inference component on in-progress endpoint "{endpoint_arn}".')
    if status != "InService":
        # inferred
        raise errors.validation(f'Cannot create inference component on endpoint "{endpoint_arn}" in {status} status.')
    variants = _endpoint_variants(endpoint)
    base_name = _base_name(specs)
    _check_specs(call, specs, multi)
    base: dict[str, Any] | None = None
    if base_name:
        base = _check_base(call, endpoint_name, base_name)
        if runtime_request is not None:
            # inferred: copies of an adapter are the copies of its base
            raise _invalid("RuntimeConfig cannot be specified for an adapter inference component.")
        variant = params.get("VariantName") or base.get("VariantName")
    else:
        if runtime_request is None:
            raise _invalid("RuntimeConfig must be specified for an inference component.")  # inferred
        variant = params.get("VariantName") or (variants[0] if variants else None)
    if variant is not None and variants and variant not in variants:
        # inferred
        raise errors.validation(f'Could not find production variant "{variant}" in endpoint "{endpoint_arn}".')
    if base is not None and variant != base.get("VariantName"):
        raise _invalid("An adapter inference component must be on the variant of its base.")  # inferred
    now = _now(call.backend)
    record: dict[str, Any] = {
        "InferenceComponentName": name,
        "InferenceComponentArn": arn,
        "EndpointName": endpoint["EndpointName"],
        "EndpointArn": endpoint["EndpointArn"],
        "InferenceComponentStatus": "Creating",
        "CreationTime": now,
        "LastModifiedTime": now,
        "_event": None,
    }
    if variant is not None:
        record["VariantName"] = variant
    _set_specs(record, specs, multi, now)
    if runtime_request is not None:
        record["RuntimeConfig"] = {"DesiredCopyCount": int(runtime_request["CopyCount"]), "CurrentCopyCount": 0}
        _set_current(call.state, record, 0)
    put_tags(call, arn, params.get("Tags"))
    table[name.lower()] = record
    backend, state = call.backend, call.state
    _schedule(backend, record, IC_CREATE_SECONDS, lambda: _finish_create(backend, state, record))
    return {"InferenceComponentArn": arn}


@operation("DescribeInferenceComponent")
def describe_inference_component(call: Call) -> dict[str, Any]:
    return public(find(call.backend, call.state, call.params["InferenceComponentName"]))


def _check_updatable(record: dict[str, Any]) -> None:
    if record["InferenceComponentStatus"] in IN_PROGRESS or record["InferenceComponentStatus"] == "Deleting":
        raise _in_progress(record)  # Deleting: inferred, same wording


def update(call: Call, record: dict[str, Any], params: dict[str, Any]) -> None:
    """UpdateInferenceComponent's checks and effect (shared with the console-style OOB change)."""
    _check_updatable(record)
    specs, multi = _requested_specs(params)
    runtime_request = params.get("RuntimeConfig")
    if specs is None and runtime_request is None:
        # inferred
        raise _invalid("At least one of Specification, Specifications or RuntimeConfig must be provided.")
    base_name = _base_name(record["_specs"])
    if specs is not None:
        _check_specs(call, specs, multi)
        if (_base_name(specs) or "").lower() != (base_name or "").lower():
            raise _invalid("BaseInferenceComponentName of an inference component cannot change.")  # inferred
    if runtime_request is not None and base_name:
        raise _invalid("RuntimeConfig cannot be specified for an adapter inference component.")  # inferred
    start_update(
        call.backend,
        call.state,
        record,
        specs,
        multi,
        int(runtime_request["CopyCount"]) if runtime_request is not None else None,
        params.get("DeploymentConfig"),
    )


@operation("UpdateInferenceComponent")
def update_inference_component(call: Call) -> dict[str, Any]:
    record = find(call.backend, call.state, call.params["InferenceComponentName"])
    update(call, record, call.params)
    return {"InferenceComponentArn": record["InferenceComponentArn"]}


def update_runtime_config(call: Call, record: dict[str, Any], copies: int) -> None:
    _check_updatable(record)
    if record.get("RuntimeConfig") is None:
        # inferred
        raise _invalid("The runtime config of an adapter inference component cannot be updated.")
    start_update(call.backend, call.state, record, None, False, copies, None)


@operation("UpdateInferenceComponentRuntimeConfig")
def update_inference_component_runtime_config(call: Call) -> dict[str, Any]:
    record = find(call.backend, call.state, call.params["InferenceComponentName"])
    update_runtime_config(call, record, int(call.params["DesiredRuntimeConfig"]["CopyCount"]))
    return {"InferenceComponentArn": record["InferenceComponentArn"]}


@operation("DeleteInferenceComponent")
def delete_inference_component(call: Call) -> dict[str, Any]:
    record = find(call.backend, call.state, call.params["InferenceComponentName"])
    start_delete(call.backend, call.state, record)
    return {}


def _summary(record: dict[str, Any]) -> dict[str, Any]:
    summary: dict[str, Any] = {
        key: record[key]
        for key in (
            "CreationTime",
            "InferenceComponentArn",
            "InferenceComponentName",
            "EndpointArn",
            "EndpointName",
            "VariantName",
            "InferenceComponentStatus",
            "LastModifiedTime",
        )
        if key in record
    }
    return summary


@operation("ListInferenceComponents")
def list_inference_components(call: Call) -> dict[str, Any]:
    params = call.params
    status = params.get("StatusEquals")
    endpoint = (params.get("EndpointNameEquals") or "").lower()
    variant = params.get("VariantNameEquals")

    def keep(record: dict[str, Any]) -> bool:
        return (
            (not status or record["InferenceComponentStatus"] == status)
            and (not endpoint or record["EndpointName"].lower() == endpoint)
            and (not variant or record.get("VariantName") == variant)
        )

    page, token = list_records(
        call,
        KIND,
        "InferenceComponentName",
        _summary,
        {"Name": "InferenceComponentName", "CreationTime": "CreationTime", "Status": "InferenceComponentStatus"},
        extra=keep,
    )
    result: dict[str, Any] = {"InferenceComponents": page}
    if token:
        result["NextToken"] = token
    return result


# -- out-of-band actions (the console, Application Auto Scaling, an outage) ------------------
def _oob_call(backend: Backend, action: str, params: dict[str, Any]) -> tuple[Call, dict[str, Any]]:
    if not params.get("name"):
        raise errors.validation(f"Out-of-band action '{action}' needs a 'name'.")
    region = str(params.get("region") or backend.default_region)
    call = Call(backend, f"oob:{action}", params, region, str(uuid.uuid4()))
    return call, find(backend, call.state, str(params["name"]))


def _merge(into: dict[str, Any], change: dict[str, Any]) -> dict[str, Any]:
    merged = copy.deepcopy(into)
    for key, value in change.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


@oob_action("set-ic-copy-count")
def oob_set_copy_count(backend: Backend, params: dict[str, Any]) -> dict[str, Any]:
    """``{"name", "copyCount", "region"?}``: what Application Auto Scaling does (the runtime-config path)."""
    call, record = _oob_call(backend, "set-ic-copy-count", params)
    if not isinstance(params.get("copyCount"), int) or params["copyCount"] < 0:
        raise errors.validation("'copyCount' must be a non-negative integer.")
    update_runtime_config(call, record, params["copyCount"])
    return public(record)


@oob_action("update-ic-spec")
def oob_update_spec(backend: Backend, params: dict[str, Any]) -> dict[str, Any]:
    """``{"name", "specification": {...partial, PascalCase}, "region"?}``: a console edit, merged
    into the specification in force; Updating, then InService."""
    call, record = _oob_call(backend, "update-ic-spec", params)
    change = params.get("specification")
    if not isinstance(change, dict) or not change:
        raise errors.validation("'specification' must be a non-empty object.")
    specs = [_merge(spec, change) for spec in record["_specs"]]
    key = "Specifications" if record.get("_multi") else "Specification"
    update(call, record, {key: specs if record.get("_multi") else specs[0]})
    return public(record)


@oob_action("delete-ic")
def oob_delete(backend: Backend, params: dict[str, Any]) -> dict[str, Any]:
    """``{"name", "region"?, "immediate"?: bool}``: someone deletes the component outside the
    operator: Deleting then gone (with the API's checks), or gone at once with ``immediate``."""
    call, record = _oob_call(backend, "delete-ic", params)
    if params.get("immediate"):
        remove(call.state, record)
        return {}
    start_delete(backend, call.state, record)
    return public(record)


@oob_action("fail-ic")
def oob_fail(backend: Backend, params: dict[str, Any]) -> dict[str, Any]:
    """``{"name", "reason"?, "region"?}``: the component becomes Failed now with that FailureReason."""
    call, record = _oob_call(backend, "fail-ic", params)
    if record["InferenceComponentStatus"] == "Deleting":
        raise errors.validation("A component that is being deleted cannot be failed.")
    fail(backend, call.state, record, str(params.get("reason") or "Inference component failed (injected)."))
    return public(record)
