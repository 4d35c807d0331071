"""Inference experiments (shadow tests): Create/Describe/Update/Start/Stop/Delete/List and their
state machine.

Statuses: Creating -> Created (scheduled start in the future) -> Starting -> Running -> Stopping
-> Completed | Cancelled; Updating (from Created or Running) returns where it came from.
Schedule times are absolute wall-clock timestamps the user chose, so they are not scaled: the
scheduled start and the automatic completion are scheduler events *at* those times (tests jump
ahead with ``backend.clock.advance``). The transitions themselves (creating, starting, ...) take
scaled realistic durations.

Effect on the endpoint (records owned by ``ops.endpoints``): starting deploys an endpoint config
the experiment creates (``<name>-ie-<8 hex>``: the experiment's production variant plus the shadow
variant in ShadowProductionVariants, shadow weight = SamplingPercentage / 100), so the endpoint is
Updating while the experiment is Starting and InService with that config while it runs. Stopping
updates the endpoint again:
- nothing promoted, no shadow retained, no DesiredModelVariants (also: completion at EndTime and
  cancellation by SageMaker): the endpoint reverts to the config it ran before the experiment;
- otherwise the experiment creates one more config and deploys it. Promote puts the shadow
  variant (its VariantName and model, infrastructure from DesiredModelVariants or the shadow's)
  in the production slot, so DescribeEndpoint's EndpointConfigName names a config whose
  production variant runs the shadow's model, and ProductionVariants' DeployedImages show the
  shadow model's image. Retain of the shadow keeps it deployed as a shadow variant.

Record (``state.table("inference-experiment")``) = the DescribeInferenceExperiment body, plus:
``_events`` (name -> scheduled event), ``_original`` (snapshot of the endpoint config the endpoint
ran before the experiment), ``_resume`` (status an update returns to), ``_stop`` (the pending stop).
While an experiment is deployed on an endpoint, the endpoint record carries
``_inference_experiment`` = the experiment's name.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable
from typing import Any

from .. import errors
from ..admin import oob_action
from ..backend import Backend, Call, RegionState, operation
from ..forced import take_forced_failure
from ..limits import check_instance_limit
from . import endpoints
from .common import list_records, public, timestamp
from .tags import put_tags

KIND = "inference-experiment"

# Realistic durations (seconds at time scale 1.0).
EXPERIMENT_CREATE_SECONDS = 30.0
EXPERIMENT_START_SECONDS = 60.0
EXPERIMENT_STOP_SECONDS = 60.0
EXPERIMENT_UPDATE_SECONDS = 30.0

DAY = 86400.0
DEFAULT_DURATION = 7 * DAY
MAX_DURATION = 30 * DAY

TERMINAL = ("Completed", "Cancelled")
# Statuses in which the experiment's variants are (being) deployed on the endpoint.
DEPLOYED = ("Starting", "Running", "Stopping")
# Every status but the terminal ones holds its endpoint: one experiment per endpoint at a time.
ACTIVE = ("Creating", "Created", "Updating", "Starting", "Running", "Stopping")

STOP_ACTIONS = ("Promote", "Remove", "Retain")


# -- lookups and messages --------------------------------------------------------------------
def _arn(backend: Backend, state: RegionState, name: str) -> str:
    return backend.arn(state.name, KIND, name)


def find(backend: Backend, state: RegionState, name: str) -> dict[str, Any]:
    record: dict[str, Any] | None = state.table(KIND).get(name.lower())
    if record is None:
        # inferred: the text is not public; sibling wording with the ARN in double quotes.
        raise errors.not_found(f'Inference experiment "{_arn(backend, state, name)}" does not exist.')
    return record


def _wrong_status(record: dict[str, Any], verb: str, allowed: str) -> errors.SageMakerError:
    # inferred wording
    return errors.conflict(
        f'Cannot {verb} inference experiment "{record["Arn"]}" because it is in {record["Status"]} status. '
        f"It must be in {allowed} status."
    )


def _model_arn(call: Call, name: str) -> str:
    return call.arn("model", name)


# -- validation shared by Create and Update --------------------------------------------------
def _check_shadow_quota(call: Call, variants: list[dict[str, Any]], shadow: dict[str, Any]) -> None:
    """The shadow variant adds instances to the endpoint: the account's instance quotas apply
    synchronously, as for CreateEndpoint (ResourceLimitExceeded)."""
    shadows = {s["ShadowModelVariantName"] for s in shadow["ShadowModelVariants"]}
    usage = endpoints.instance_usage(call.state)
    for variant in variants:
        if variant["VariantName"] in shadows:
            config = variant["InfrastructureConfig"]["RealTimeInferenceConfig"]
            instance_type = config["InstanceType"]
            check_instance_limit(call.backend, instance_type, usage[instance_type], int(config["InstanceCount"]))


def _check_variants(call: Call, variants: list[dict[str, Any]], shadow: dict[str, Any]) -> None:
    """At most one production and one shadow variant, naming existing models."""
    names = [v["VariantName"] for v in variants]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise errors.validation(f"Duplicate variant names in ModelVariants: {', '.join(duplicates)}.")  # inferred
    for variant in variants:
        if variant["ModelName"].lower() not in call.state.table("model"):
            raise errors.validation(f'Could not find model "{_model_arn(call, variant["ModelName"])}".')
    source = shadow["SourceModelVariantName"]
    shadows = [s["ShadowModelVariantName"] for s in shadow["ShadowModelVariants"]]
    if len(shadows) > 1:
        # inferred wording; SageMaker supports one shadow variant per endpoint
        raise errors.validation("ShadowModeConfig supports at most one shadow variant.")
    for name in [source, *shadows]:
        if name not in names:
            # inferred wording
            raise errors.validation(f'Variant "{name}" in ShadowModeConfig is not one of the ModelVariants.')
    if source in shadows:
        raise errors.validation(f'Variant "{source}" cannot be both the source and a shadow variant.')  # inferred
    extra = [n for n in names if n != source and n not in shadows]
    if extra:
        # inferred wording: every variant is either the production (source) or the shadow variant
        raise errors.validation(
            f"ModelVariants can contain only the source variant and the shadow variant of ShadowModeConfig; "
            f"not: {', '.join(extra)}."
        )
    for config in shadow["ShadowModelVariants"]:
        if not 0 <= int(config["SamplingPercentage"]) <= 100:
            raise errors.validation("SamplingPercentage must be between 0 and 100.")  # inferred


def _schedule_window(start: float, end: float, now: float) -> None:
    if end <= start:
        raise errors.validation("The EndTime of the schedule must be after its StartTime.")  # inferred
    if end <= now:
        raise errors.validation("The EndTime of the schedule must be in the future.")  # inferred
    if end - start > MAX_DURATION:
        # inferred wording; the 30-day maximum itself is documented
        raise errors.validation("The maximum duration of an inference experiment is 30 days.")


def _resolve_schedule(schedule: dict[str, Any] | None, now: float) -> dict[str, float]:
    """The Schedule as stored: no StartTime (or one in the past) means now; EndTime defaults
    to StartTime + 7 days."""
    schedule = schedule or {}
    start = timestamp(schedule["StartTime"]) if schedule.get("StartTime") is not None else now
    start = max(start, now)
    end = timestamp(schedule["EndTime"]) if schedule.get("EndTime") is not None else start + DEFAULT_DURATION
    _schedule_window(start, end, now)
    return {"StartTime": start, "EndTime": end}


def _endpoint_record(state: RegionState, name: str) -> dict[str, Any] | None:
    record: dict[str, Any] | None = state.table(endpoints.KIND).get(name.lower())
    return record


def _refresh_metadata(state: RegionState, record: dict[str, Any]) -> None:
    """EndpointMetadata follows the endpoint (kept as last seen once the endpoint is gone)."""
    meta = record["EndpointMetadata"]
    endpoint = _endpoint_record(state, meta["EndpointName"])
    if endpoint is None:
        return
    meta["EndpointConfigName"] = endpoint["EndpointConfigName"]
    meta["EndpointStatus"] = endpoint["EndpointStatus"]
    if endpoint.get("FailureReason"):
        meta["FailureReason"] = endpoint["FailureReason"]
    else:
        meta.pop("FailureReason", None)


# -- scheduling ------------------------------------------------------------------------------
# Scheduled time of the event being fired, per backend: transitions that chain (Creating ->
# Starting -> Running, ...) count from when the previous one was due, not from when someone
# looked, so jumping the clock far ahead lands where SageMaker would be by then.
_EVENT_TIME: dict[int, float] = {}


def _now(backend: Backend) -> float:
    return _EVENT_TIME.get(id(backend), backend.clock.now())


def _after(backend: Backend, realistic_seconds: float) -> float:
    return _now(backend) + realistic_seconds * backend.clock.time_scale


def _schedule(backend: Backend, record: dict[str, Any], slot: str, when: float, action: Callable[[], None]) -> None:
    def fire() -> None:
        key = id(backend)
        previous = _EVENT_TIME.get(key)
        _EVENT_TIME[key] = when
        try:
            action()
        finally:
            if previous is None:
                _EVENT_TIME.pop(key, None)
            else:
                _EVENT_TIME[key] = previous

    events = record["_events"]
    old = events.get(slot)
    if old is not None:
        old.cancelled = True
    events[slot] = backend.scheduler.at(when, fire)


def _cancel_events(record: dict[str, Any], *slots: str) -> None:
    events = record["_events"]
    for slot in slots or list(events):
        event = events.pop(slot, None)
        if event is not None:
            event.cancelled = True


def _live(state: RegionState, record: dict[str, Any]) -> bool:
    """Whether ``record`` is still the experiment in the table (it may have been deleted)."""
    return state.table(KIND).get(record["Name"].lower()) is record


def _set_status(backend: Backend, record: dict[str, Any], status: str) -> None:
    record["Status"] = status
    record["LastModifiedTime"] = _now(backend)


def _variant_status(record: dict[str, Any], status: str) -> None:
    for variant in record["ModelVariants"]:
        variant["Status"] = status


# -- endpoint configs the experiment deploys -------------------------------------------------
def _production_name(record: dict[str, Any]) -> str:
    return str(record["ShadowModeConfig"]["SourceModelVariantName"])


def _shadow_names(record: dict[str, Any]) -> list[str]:
    return [s["ShadowModelVariantName"] for s in record["ShadowModeConfig"]["ShadowModelVariants"]]


def _config_variant(variant: dict[str, Any], weight: float) -> dict[str, Any]:
    infra = variant["InfrastructureConfig"]["RealTimeInferenceConfig"]
    return {
        "VariantName": variant["VariantName"],
        "ModelName": variant["ModelName"],
        "InitialInstanceCount": int(infra["InstanceCount"]),
        "InstanceType": infra["InstanceType"],
        "InitialVariantWeight": weight,
    }


def _data_capture(record: dict[str, Any], original: dict[str, Any]) -> dict[str, Any] | None:
    storage = record.get("DataStorageConfig")
    if not storage:
        kept = original.get("DataCaptureConfig")
        return copy.deepcopy(kept) if kept else None
    capture: dict[str, Any] = {
        "EnableCapture": True,
        "InitialSamplingPercentage": 100,
        "DestinationS3Uri": storage["Destination"],
        "CaptureOptions": [{"CaptureMode": "Input"}, {"CaptureMode": "Output"}],
    }
    if storage.get("KmsKey"):
        capture["KmsKeyId"] = storage["KmsKey"]
    if storage.get("ContentType"):
        capture["CaptureContentTypeHeader"] = copy.deepcopy(storage["ContentType"])
    return capture


def _create_config(
    backend: Backend,
    state: RegionState,
    record: dict[str, Any],
    production: list[dict[str, Any]],
    shadows: list[dict[str, Any]],
) -> dict[str, Any]:
    """Create (in the endpoint-config table, tagged like any resource) the config the experiment
    deploys; return its DescribeEndpointConfig view as the snapshot endpoints deploy."""
    original = record.get("_original") or {}
    name = f"{record['Name'][:50]}-ie-{uuid.uuid4().hex[:8]}"
    arn = backend.arn(state.name, "endpoint-config", name)
    config: dict[str, Any] = {
        "EndpointConfigName": name,
        "EndpointConfigArn": arn,
        "ProductionVariants": production,
    }
    if shadows:
        config["ShadowProductionVariants"] = shadows
    capture = _data_capture(record, original)
    if capture:
        config["DataCaptureConfig"] = capture
    kms = record.get("KmsKey") or original.get("KmsKeyId")
    if kms:
        config["KmsKeyId"] = kms
    if original.get("ExecutionRoleArn"):
        config["ExecutionRoleArn"] = original["ExecutionRoleArn"]
    config["CreationTime"] = _now(backend)
    state.table("endpoint-config")[name.lower()] = config
    state.tags.setdefault(arn, {})
    return public(config)


def _experiment_config(backend: Backend, state: RegionState, record: dict[str, Any]) -> dict[str, Any]:
    variants = {v["VariantName"]: v for v in record["ModelVariants"]}
    production = [_config_variant(variants[_production_name(record)], 1.0)]
    shadows = [
        _config_variant(variants[s["ShadowModelVariantName"]], int(s["SamplingPercentage"]) / 100.0)
        for s in record["ShadowModeConfig"]["ShadowModelVariants"]
    ]
    return _create_config(backend, state, record, production, shadows)


# -- driving the endpoint --------------------------------------------------------------------
def _endpoint_ours(state: RegionState, record: dict[str, Any]) -> dict[str, Any] | None:
    """The experiment's endpoint, if it still exists and the experiment is deployed on it."""
    endpoint = _endpoint_record(state, record["EndpointMetadata"]["EndpointName"])
    if endpoint is None or endpoint.get("_inference_experiment") != record["Name"]:
        return None
    return endpoint


def _endpoint_begin(backend: Backend, state: RegionState, endpoint: dict[str, Any], config: dict[str, Any]) -> None:
    """The endpoint is Updating towards ``config`` (finished by ``_endpoint_finish``).

    Only an InService endpoint is touched: one that is being updated or deleted by its owner
    meanwhile is left alone (the experiment then completes without changing it)."""
    if endpoint["EndpointStatus"] != "InService":
        return
    now = _now(backend)
    endpoint["EndpointStatus"] = "Updating"
    endpoint["LastModifiedTime"] = now
    endpoint["PendingDeploymentSummary"] = endpoints._pending_summary(state, config, now)
    endpoint["_pending"] = config


def _endpoint_finish(backend: Backend, state: RegionState, endpoint: dict[str, Any], config: dict[str, Any]) -> bool:
    """Deploy ``config`` if the endpoint is still Updating towards it (and nobody else's update)."""
    if endpoint["EndpointStatus"] != "Updating" or endpoint.get("_pending") is not config:
        return False
    now = _now(backend)
    endpoint.pop("PendingDeploymentSummary", None)
    endpoints._deploy(state, endpoint, config, now)
    endpoint["EndpointStatus"] = "InService"
    endpoint["LastModifiedTime"] = now
    return True


def _endpoint_revert(backend: Backend, state: RegionState, record: dict[str, Any]) -> None:
    """Put the endpoint back on the config it ran before the experiment, at once."""
    endpoint = _endpoint_ours(state, record)
    if endpoint is None:
        return
    original = record.get("_original")
    if original is not None and endpoint["EndpointStatus"] in ("InService", "Updating"):
        endpoint.pop("PendingDeploymentSummary", None)
        now = _now(backend)
        endpoints._deploy(state, endpoint, original, now)
        endpoint["EndpointStatus"] = "InService"
        endpoint["LastModifiedTime"] = now
    endpoint.pop("_inference_experiment", None)


# -- transitions -----------------------------------------------------------------------------
def _cancel(backend: Backend, state: RegionState, record: dict[str, Any], reason: str) -> None:
    """SageMaker cancels the experiment on its own (an operation failed unexpectedly)."""
    _cancel_events(record)
    was_deployed = record["Status"] in DEPLOYED or record.get("_resume") == "Running"
    if was_deployed:
        _endpoint_revert(backend, state, record)
    now = _now(backend)
    record["Status"] = "Cancelled"
    record["StatusReason"] = reason
    record["CompletionTime"] = now
    record["LastModifiedTime"] = now
    record.pop("_resume", None)
    record.pop("_stop", None)
    if was_deployed:
        # The shadow variant is taken off the endpoint; the production variant keeps serving.
        shadows = _shadow_names(record)
        for variant in record["ModelVariants"]:
            variant["Status"] = "Deleted" if variant["VariantName"] in shadows else "InService"
    _refresh_metadata(state, record)


def _finish_create(backend: Backend, state: RegionState, record: dict[str, Any]) -> None:
    record["_events"].pop("step", None)
    if not _live(state, record) or record["Status"] != "Creating":
        return
    reason = take_forced_failure(backend, KIND, record["Name"])
    if reason is not None:
        _cancel(backend, state, record, reason)
        return
    start = record["Schedule"]["StartTime"]
    if start <= _now(backend):
        _begin_start(backend, state, record)
        return
    _set_status(backend, record, "Created")
    _schedule(backend, record, "start", start, lambda: _scheduled_start(backend, state, record))


def _scheduled_start(backend: Backend, state: RegionState, record: dict[str, Any]) -> None:
    record["_events"].pop("start", None)
    # While Updating, the update's end starts it (its StartTime has come by then).
    if _live(state, record) and record["Status"] == "Created":
        _begin_start(backend, state, record)


def _begin_start(backend: Backend, state: RegionState, record: dict[str, Any]) -> None:
    endpoint = _endpoint_record(state, record["EndpointMetadata"]["EndpointName"])
    if endpoint is None or endpoint["EndpointStatus"] != "InService":
        # inferred wording
        reason = (
            f'The endpoint "{record["EndpointMetadata"]["EndpointName"]}" was not in InService status '
            f"when the experiment was to start."
        )
        _cancel(backend, state, record, reason)
        return
    record["_original"] = copy.deepcopy(endpoint.get("_config"))
    config = _experiment_config(backend, state, record)
    _endpoint_begin(backend, state, endpoint, config)
    endpoint["_inference_experiment"] = record["Name"]
    _set_status(backend, record, "Starting")
    _variant_status(record, "Creating")
    _refresh_metadata(state, record)
    when = _after(backend, EXPERIMENT_START_SECONDS)
    _schedule(backend, record, "step", when, lambda: _finish_start(backend, state, record, config))


def _finish_start(backend: Backend, state: RegionState, record: dict[str, Any], config: dict[str, Any]) -> None:
    record["_events"].pop("step", None)
    if not _live(state, record) or record["Status"] != "Starting":
        return
    endpoint = _endpoint_ours(state, record)
    if endpoint is None or not _endpoint_finish(backend, state, endpoint, config):
        # inferred wording
        _cancel(backend, state, record, "The endpoint was changed or deleted while the experiment was starting.")
        return
    _set_status(backend, record, "Running")
    _variant_status(record, "InService")
    _refresh_metadata(state, record)
    _schedule_end(backend, state, record)


def _schedule_end(backend: Backend, state: RegionState, record: dict[str, Any]) -> None:
    end = record["Schedule"]["EndTime"]
    _schedule(backend, record, "end", end, lambda: _reach_end(backend, state, record))


def _reach_end(backend: Backend, state: RegionState, record: dict[str, Any]) -> None:
    """EndTime has come: the experiment completes by itself and the endpoint reverts."""
    record["_events"].pop("end", None)
    # While Updating, the update's end completes it (if EndTime is still past by then).
    if not _live(state, record) or record["Status"] != "Running":
        return
    actions = {_production_name(record): "Retain", **{name: "Remove" for name in _shadow_names(record)}}
    _begin_stop(backend, state, record, actions, [], "Completed", None)


def _begin_stop(
    backend: Backend,
    state: RegionState,
    record: dict[str, Any],
    actions: dict[str, str],
    desired: list[dict[str, Any]],
    final: str,
    reason: str | None,
) -> None:
    _cancel_events(record, "end", "step")
    endpoint = _endpoint_ours(state, record)
    target = _stop_target(backend, state, record, actions, desired)
    if endpoint is not None and target is not None:
        _endpoint_begin(backend, state, endpoint, target)
    record["_stop"] = {"actions": actions, "final": final, "target": target}
    if reason is not None:
        record["StatusReason"] = reason
    _set_status(backend, record, "Stopping")
    for variant in record["ModelVariants"]:
        action = actions.get(variant["VariantName"], "Retain")
        variant["Status"] = {"Remove": "Deleting", "Promote": "Updating"}.get(action, "InService")
    _refresh_metadata(state, record)
    when = _after(backend, EXPERIMENT_STOP_SECONDS)
    _schedule(backend, record, "step", when, lambda: _finish_stop(backend, state, record))


def _stop_target(
    backend: Backend,
    state: RegionState,
    record: dict[str, Any],
    actions: dict[str, str],
    desired: list[dict[str, Any]],
) -> dict[str, Any] | None:
    """The endpoint config the endpoint runs after the stop: the original one unless something is
    promoted, a shadow is retained or DesiredModelVariants asks for other infrastructure."""
    shadows = _shadow_names(record)
    promoted = [n for n in shadows if actions.get(n) == "Promote"]
    retained = [n for n in shadows if actions.get(n) == "Retain"]
    if not promoted and not retained and not desired:
        return record.get("_original")
    variants = {v["VariantName"]: copy.deepcopy(v) for v in record["ModelVariants"]}
    for override in desired:
        variants[override["VariantName"]] = copy.deepcopy(override)
    production_name = promoted[0] if promoted else _production_name(record)
    production = [_config_variant(variants[production_name], 1.0)]
    sampling = {
        s["ShadowModelVariantName"]: s["SamplingPercentage"] for s in record["ShadowModeConfig"]["ShadowModelVariants"]
    }
    shadow_variants = [_config_variant(variants[n], int(sampling[n]) / 100.0) for n in retained]
    return _create_config(backend, state, record, production, shadow_variants)


def _finish_stop(backend: Backend, state: RegionState, record: dict[str, Any]) -> None:
    record["_events"].pop("step", None)
    stop = record.pop("_stop", None)
    if not _live(state, record) or record["Status"] != "Stopping" or stop is None:
        return
    endpoint = _endpoint_ours(state, record)
    if endpoint is not None:
        if stop["target"] is not None:
            _endpoint_finish(backend, state, endpoint, stop["target"])
        endpoint.pop("_inference_experiment", None)
    now = _now(backend)
    record["Status"] = stop["final"]
    record["CompletionTime"] = now
    record["LastModifiedTime"] = now
    record["Schedule"]["EndTime"] = min(record["Schedule"]["EndTime"], now)
    for variant in record["ModelVariants"]:
        action = stop["actions"].get(variant["VariantName"], "Retain")
        variant["Status"] = "Deleted" if action == "Remove" else "InService"
    _refresh_metadata(state, record)


def _finish_update(backend: Backend, state: RegionState, record: dict[str, Any], config: dict[str, Any] | None) -> None:
    record["_events"].pop("step", None)
    if not _live(state, record) or record["Status"] != "Updating":
        return
    resume = record.pop("_resume", "Created")
    now = _now(backend)
    if resume == "Running":
        endpoint = _endpoint_ours(state, record)
        if config is not None and endpoint is not None:
            _endpoint_finish(backend, state, endpoint, config)
        _set_status(backend, record, "Running")
        _variant_status(record, "InService")
        _refresh_metadata(state, record)
        if record["Schedule"]["EndTime"] <= now:
            _reach_end(backend, state, record)
        else:
            _schedule_end(backend, state, record)
        return
    _set_status(backend, record, "Created")
    start = record["Schedule"]["StartTime"]
    if start <= now:
        _begin_start(backend, state, record)
    else:
        _schedule(backend, record, "start", start, lambda: _scheduled_start(backend, state, record))


# -- operations ------------------------------------------------------------------------------
@operation("CreateInferenceExperiment")
def create_inference_experiment(call: Call) -> dict[str, Any]:
    params = call.params
    backend, state = call.backend, call.state
    name = params["Name"]
    table = state.table(KIND)
    arn = call.arn(KIND, name)
    if name.lower() in table:
        raise errors.in_use(f'Cannot create already existing inference experiment "{arn}".')  # inferred wording
    now = _now(backend)
    schedule = _resolve_schedule(params.get("Schedule"), now)
    endpoint = endpoints.find(backend, state, params["EndpointName"])
    if endpoint["EndpointStatus"] != "InService":
        # inferred wording
        raise errors.validation(
            f'The endpoint "{endpoint["EndpointArn"]}" must be in InService status to run an inference experiment; '
            f"it is in {endpoint['EndpointStatus']} status."
        )
    wanted_endpoint = endpoint["EndpointName"].lower()
    for other in table.values():
        if other["Status"] in ACTIVE and other["EndpointMetadata"]["EndpointName"].lower() == wanted_endpoint:
            # inferred wording: one shadow variant per endpoint, so one experiment at a time
            raise errors.in_use(
                f'The endpoint "{endpoint["EndpointArn"]}" is already used by inference experiment "{other["Arn"]}".'
            )
    _check_variants(call, params["ModelVariants"], params["ShadowModeConfig"])
    _check_shadow_quota(call, params["ModelVariants"], params["ShadowModeConfig"])
    record: dict[str, Any] = {
        "Arn": arn,
        "Name": name,
        "Type": params["Type"],
        "Schedule": schedule,
        "Status": "Creating",
    }
    if params.get("Description") is not None:
        record["Description"] = params["Description"]
    record.update(
        {
            "CreationTime": now,
            "LastModifiedTime": now,
            "RoleArn": params["RoleArn"],
            "EndpointMetadata": {"EndpointName": endpoint["EndpointName"]},
            "ModelVariants": [{**copy.deepcopy(v), "Status": "Creating"} for v in params["ModelVariants"]],
        }
    )
    if params.get("DataStorageConfig"):
        record["DataStorageConfig"] = copy.deepcopy(params["DataStorageConfig"])
    record["ShadowModeConfig"] = copy.deepcopy(params["ShadowModeConfig"])
    if params.get("KmsKey"):
        record["KmsKey"] = params["KmsKey"]
    record["_events"] = {}
    _refresh_metadata(state, record)
    put_tags(call, arn, params.get("Tags"))
    table[name.lower()] = record
    when = _after(backend, EXPERIMENT_CREATE_SECONDS)
    _schedule(backend, record, "step", when, lambda: _finish_create(backend, state, record))
    return {"InferenceExperimentArn": arn}


@operation("DescribeInferenceExperiment")
def describe_inference_experiment(call: Call) -> dict[str, Any]:
    record = find(call.backend, call.state, call.params["Name"])
    _refresh_metadata(call.state, record)
    return public(record)


# Members UpdateInferenceExperiment may change while the experiment runs.
_RUNNING_MUTABLE = "Description, Schedule.EndTime and the SamplingPercentage of ShadowModeConfig"


def _running_changes_refused(record: dict[str, Any], params: dict[str, Any]) -> list[str]:
    """Members the update would change that a Running experiment cannot change (equal values pass)."""
    refused = []
    schedule = params.get("Schedule") or {}
    if schedule.get("StartTime") is not None and timestamp(schedule["StartTime"]) != record["Schedule"]["StartTime"]:
        refused.append("Schedule.StartTime")
    if params.get("ModelVariants") is not None:
        current = [{k: v for k, v in variant.items() if k != "Status"} for variant in record["ModelVariants"]]
        if params["ModelVariants"] != current:
            refused.append("ModelVariants")
    if params.get("DataStorageConfig") is not None and params["DataStorageConfig"] != record.get("DataStorageConfig"):
        refused.append("DataStorageConfig")
    shadow = params.get("ShadowModeConfig")
    if shadow is not None:
        current_shadow = record["ShadowModeConfig"]
        if shadow["SourceModelVariantName"] != current_shadow["SourceModelVariantName"] or [
            s["ShadowModelVariantName"] for s in shadow["ShadowModelVariants"]
        ] != [s["ShadowModelVariantName"] for s in current_shadow["ShadowModelVariants"]]:
            refused.append("ShadowModeConfig variant names")
    return refused


@operation("UpdateInferenceExperiment")
def update_inference_experiment(call: Call) -> dict[str, Any]:
    params = call.params
    backend, state = call.backend, call.state
    record = find(backend, state, params["Name"])
    status = record["Status"]
    if status not in ("Created", "Running"):
        raise _wrong_status(record, "update", "Created or Running")
    now = _now(backend)
    schedule = params.get("Schedule") or {}
    config: dict[str, Any] | None = None
    if status == "Running":
        refused = _running_changes_refused(record, params)
        if refused:
            # inferred wording
            raise errors.validation(
                f'Cannot change {", ".join(refused)} of inference experiment "{record["Arn"]}" while it is Running. '
                f"Only {_RUNNING_MUTABLE} can be updated."
            )
        start = record["Schedule"]["StartTime"]
        end = timestamp(schedule["EndTime"]) if schedule.get("EndTime") is not None else record["Schedule"]["EndTime"]
        _schedule_window(start, end, now)
        shadow = params.get("ShadowModeConfig")
        if shadow is not None:
            _check_variants(call, record_variants(record), shadow)
        record["Schedule"]["EndTime"] = end
        if shadow is not None:
            changed = shadow != record["ShadowModeConfig"]
            record["ShadowModeConfig"] = copy.deepcopy(shadow)
            endpoint = _endpoint_ours(state, record)
            if changed and endpoint is not None:
                # A new sampling percentage is a new shadow weight: the endpoint updates to a new config.
                config = _experiment_config(backend, state, record)
                _endpoint_begin(backend, state, endpoint, config)
                _variant_status(record, "Updating")
        _cancel_events(record, "end")
    else:
        variants = params.get("ModelVariants") or record_variants(record)
        shadow = params.get("ShadowModeConfig") or record["ShadowModeConfig"]
        _check_variants(call, variants, shadow)
        merged = {
            "StartTime": schedule.get("StartTime", record["Schedule"]["StartTime"]),
            "EndTime": schedule.get("EndTime"),
        }
        if merged["EndTime"] is None:
            # Keep the end unless only the start moves; then keep the duration.
            duration = record["Schedule"]["EndTime"] - record["Schedule"]["StartTime"]
            merged["EndTime"] = (
                record["Schedule"]["EndTime"]
                if schedule.get("StartTime") is None
                else timestamp(schedule["StartTime"]) + duration
            )
        record["Schedule"] = _resolve_schedule(merged, now)
        record["ModelVariants"] = [{**copy.deepcopy(v), "Status": "Creating"} for v in variants]
        record["ShadowModeConfig"] = copy.deepcopy(shadow)
        if params.get("DataStorageConfig") is not None:
            record["DataStorageConfig"] = copy.deepcopy(params["DataStorageConfig"])
        _cancel_events(record, "start")
    if params.get("Description") is not None:
        record["Description"] = params["Description"]
    record["_resume"] = status
    _set_status(backend, record, "Updating")
    _refresh_metadata(state, record)
    when = _after(backend, EXPERIMENT_UPDATE_SECONDS)
    _schedule(backend, record, "step", when, lambda: _finish_update(backend, state, record, config))
    return {"InferenceExperimentArn": record["Arn"]}


def record_variants(record: dict[str, Any]) -> list[dict[str, Any]]:
    """The ModelVariants as a request would carry them (without Status)."""
    return [{k: v for k, v in variant.items() if k != "Status"} for variant in record["ModelVariants"]]


@operation("StartInferenceExperiment")
def start_inference_experiment(call: Call) -> dict[str, Any]:
    backend, state = call.backend, call.state
    record = find(backend, state, call.params["Name"])
    if record["Status"] != "Created":
        raise _wrong_status(record, "start", "Created")
    now = _now(backend)
    _cancel_events(record, "start")
    record["Schedule"]["StartTime"] = now
    if record["Schedule"]["EndTime"] - now > MAX_DURATION:
        record["Schedule"]["EndTime"] = now + MAX_DURATION
    _begin_start(backend, state, record)
    return {"InferenceExperimentArn": record["Arn"]}


def _check_stop(call: Call, record: dict[str, Any]) -> None:
    params = call.params
    actions: dict[str, str] = params["ModelVariantActions"]
    names = [v["VariantName"] for v in record["ModelVariants"]]
    unknown = sorted(set(actions) - set(names))
    if unknown:
        # inferred wording
        raise errors.validation(
            f"Variant(s) {', '.join(unknown)} in ModelVariantActions are not part of inference experiment "
            f'"{record["Arn"]}".'
        )
    missing = [n for n in names if n not in actions]
    if missing:
        raise errors.validation(
            f"ModelVariantActions must specify an action for variant(s) {', '.join(missing)}."
        )  # inferred
    production = _production_name(record)
    shadows = _shadow_names(record)
    if actions[production] == "Promote":
        # inferred wording
        raise errors.validation(
            f'Cannot promote production variant "{production}"; only a shadow variant can be promoted.'
        )
    promoted = [n for n in shadows if actions[n] == "Promote"]
    if promoted and actions[production] != "Remove":
        # inferred wording: the promoted shadow variant takes the production variant's place
        raise errors.validation(
            f'Production variant "{production}" must be removed when shadow variant "{promoted[0]}" is promoted.'
        )
    if not promoted and actions[production] == "Remove":
        # inferred wording: the endpoint must keep a production variant
        raise errors.validation(f'Cannot remove production variant "{production}" without promoting a shadow variant.')
    for desired in params.get("DesiredModelVariants") or []:
        if desired["VariantName"] not in names:
            # inferred wording
            raise errors.validation(
                f'Variant "{desired["VariantName"]}" in DesiredModelVariants is not part of inference experiment '
                f'"{record["Arn"]}".'
            )
        if actions[desired["VariantName"]] == "Remove":
            raise errors.validation(
                f'Variant "{desired["VariantName"]}" is removed; it cannot be in DesiredModelVariants.'
            )  # inferred
        if desired["ModelName"].lower() not in call.state.table("model"):
            raise errors.validation(f'Could not find model "{_model_arn(call, desired["ModelName"])}".')


@operation("StopInferenceExperiment")
def stop_inference_experiment(call: Call) -> dict[str, Any]:
    params = call.params
    backend, state = call.backend, call.state
    record = find(backend, state, params["Name"])
    if record["Status"] != "Running":
        raise _wrong_status(record, "stop", "Running")
    _check_stop(call, record)
    _begin_stop(
        backend,
        state,
        record,
        dict(params["ModelVariantActions"]),
        copy.deepcopy(params.get("DesiredModelVariants") or []),
        params.get("DesiredState") or "Completed",
        params.get("Reason"),
    )
    return {"InferenceExperimentArn": record["Arn"]}


@operation("DeleteInferenceExperiment")
def delete_inference_experiment(call: Call) -> dict[str, Any]:
    backend, state = call.backend, call.state
    record = find(backend, state, call.params["Name"])
    if record["Status"] in DEPLOYED or record.get("_resume") == "Running":
        # inferred wording
        raise errors.conflict(
            f'Cannot delete inference experiment "{record["Arn"]}" while it is in {record["Status"]} status. '
            f"Stop the experiment first."
        )
    _cancel_events(record)
    del state.table(KIND)[record["Name"].lower()]
    state.tags.pop(record["Arn"], None)
    return {"InferenceExperimentArn": record["Arn"]}


def _summary(record: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "Name",
        "Type",
        "Schedule",
        "Status",
        "StatusReason",
        "Description",
        "CreationTime",
        "CompletionTime",
        "LastModifiedTime",
        "RoleArn",
    )
    return {k: copy.deepcopy(record[k]) for k in keys if k in record}


@operation("ListInferenceExperiments")
def list_inference_experiments(call: Call) -> dict[str, Any]:
    params = call.params
    wanted_type, wanted_status = params.get("Type"), params.get("StatusEquals")

    def matches(record: dict[str, Any]) -> bool:
        return (not wanted_type or record["Type"] == wanted_type) and (
            not wanted_status or record["Status"] == wanted_status
        )

    page, token = list_records(
        call,
        KIND,
        "Name",
        _summary,
        {"Name": "Name", "CreationTime": "CreationTime", "Status": "Status"},
        extra=matches,
    )
    result: dict[str, Any] = {"InferenceExperiments": page}
    if token:
        result["NextToken"] = token
    return result


# -- out-of-band -----------------------------------------------------------------------------
@oob_action("cancel-ie")
def oob_cancel_experiment(backend: Backend, params: dict[str, Any]) -> dict[str, Any]:
    """``{"name": ..., "reason"?: ..., "region"?: ...}``: SageMaker cancels the experiment on its
    own (an operation failed with an unexpected error): Cancelled now, StatusReason = reason, and
    the endpoint back on the config it ran before the experiment."""
    state = backend.region(params.get("region") or backend.default_region)
    record = find(backend, state, str(params["name"]))
    if record["Status"] not in TERMINAL:
        reason = str(params.get("reason") or "The inference experiment was cancelled because of an internal error.")
        _cancel(backend, state, record, reason)
    return public(record)
