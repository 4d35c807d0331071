"""Endpoints: Create/Describe/Update/Delete/List, UpdateEndpointWeightsAndCapacities, and their
state machine (Creating -> InService | Failed; Updating -> InService; Deleting -> gone).

Record (``state.table("endpoint")``, keyed by lowercased name) = the DescribeEndpoint body, plus:
- ``_config``: snapshot of the endpoint config the endpoint runs (None until it first runs one);
- ``_pending``: snapshot of the config being deployed while Creating/Updating, else None;
- ``_event``: the scheduled transition, if any; ``_retain``: UpdateEndpoint's retain flag.
Snapshots are taken at Create/Update time because configs may be deleted while endpoints run.
``ops.instances.endpoint_capacity`` / ``ic_capable`` read these records.
"""

from __future__ import annotations

import copy
import hashlib
from collections import Counter
from typing import Any

from .. import errors
from ..admin import oob_action
from ..backend import Backend, Call, RegionState, operation
from ..forced import take_forced_failure
from ..limits import check_instance_limit
from .common import list_records, public
from .endpoint_configs import get_endpoint_config
from .models import get_model
from .tags import put_tags

KIND = "endpoint"

# Realistic durations (seconds at time scale 1.0).
ENDPOINT_CREATE_SECONDS = 360.0
ENDPOINT_UPDATE_SECONDS = 300.0
ENDPOINT_WEIGHTS_SECONDS = 120.0  # inferred: scaling instances in/out of a running variant
ENDPOINT_DELETE_SECONDS = 60.0

IN_PROGRESS = ("Creating", "Updating", "SystemUpdating", "RollingBack")
# Statuses whose instances count against the account's instance quotas.
_HOLDING_INSTANCES = ("Creating", "Updating", "SystemUpdating", "RollingBack", "InService", "OutOfService")


def arn_of(backend: Backend, state: RegionState, name: str) -> str:
    return backend.arn(state.name, KIND, name)


def not_found(backend: Backend, state: RegionState, name: str) -> errors.SageMakerError:
    return errors.validation(f'Could not find endpoint "{arn_of(backend, state, name)}".')


def in_progress(record: dict[str, Any]) -> errors.SageMakerError:
    return errors.validation(f'Cannot update in-progress endpoint "{record["EndpointArn"]}".')


def find(backend: Backend, state: RegionState, name: str) -> dict[str, Any]:
    record: dict[str, Any] | None = state.table(KIND).get(name.lower())
    if record is None:
        raise not_found(backend, state, name)
    return record


# -- building the Describe view ---------------------------------------------------------------
def _deployed_images(state: RegionState, model_name: str | None, now: float) -> list[dict[str, Any]] | None:
    if not model_name:
        return None
    model = state.table("model").get(model_name.lower())
    if model is None:
        return None
    containers = model.get("Containers") or ([model["PrimaryContainer"]] if model.get("PrimaryContainer") else [])
    images = []
    for container in containers:
        image = container.get("Image")
        if not image:
            continue
        digest = hashlib.sha256(image.encode()).hexdigest()
        repo = image.split("@", 1)[0].rsplit(":", 1)[0] if "/" in image else image.split("@", 1)[0]
        images.append({"SpecifiedImage": image, "ResolvedImage": f"{repo}@sha256:{digest}", "ResolutionTime": now})
    return images


def _summary(state: RegionState, variant: dict[str, Any], now: float, pending: bool) -> dict[str, Any]:
    summary: dict[str, Any] = {"VariantName": variant["VariantName"]}
    images = _deployed_images(state, variant.get("ModelName"), now)
    if images:
        summary["DeployedImages"] = images
    weight = float(variant.get("InitialVariantWeight", 1.0))
    if not pending:
        summary["CurrentWeight"] = weight
    summary["DesiredWeight"] = weight
    if variant.get("InstanceType"):
        count = int(variant.get("InitialInstanceCount", 1))
        if not pending:
            summary["CurrentInstanceCount"] = count
        summary["DesiredInstanceCount"] = count
    if pending:
        for key in ("InstanceType", "AcceleratorType"):
            if variant.get(key):
                summary[key] = variant[key]
        summary["VariantStatus"] = [{"Status": "Creating", "StartTime": now}]
    if variant.get("ServerlessConfig"):
        if not pending:
            summary["CurrentServerlessConfig"] = copy.deepcopy(variant["ServerlessConfig"])
        summary["DesiredServerlessConfig"] = copy.deepcopy(variant["ServerlessConfig"])
    for key in ("ManagedInstanceScaling", "RoutingConfig"):
        if variant.get(key):
            summary[key] = copy.deepcopy(variant[key])
    return summary


def _pending_summary(state: RegionState, config: dict[str, Any], now: float) -> dict[str, Any]:
    pending: dict[str, Any] = {
        "EndpointConfigName": config["EndpointConfigName"],
        "ProductionVariants": [_summary(state, v, now, True) for v in config["ProductionVariants"]],
        "StartTime": now,
    }
    if config.get("ShadowProductionVariants"):
        pending["ShadowProductionVariants"] = [
            _summary(state, v, now, True) for v in config["ShadowProductionVariants"]
        ]
    return pending


def _data_capture(config: dict[str, Any]) -> dict[str, Any] | None:
    capture = config.get("DataCaptureConfig")
    if not capture:
        return None
    enabled = bool(capture.get("EnableCapture", True))
    summary = {
        "EnableCapture": enabled,
        "CaptureStatus": "Started" if enabled else "Stopped",
        "CurrentSamplingPercentage": capture.get("InitialSamplingPercentage", 100),
        "DestinationS3Uri": capture.get("DestinationS3Uri", ""),
    }
    if capture.get("KmsKeyId"):
        summary["KmsKeyId"] = capture["KmsKeyId"]
    return summary


def _deploy(state: RegionState, record: dict[str, Any], config: dict[str, Any], now: float) -> None:
    """Make ``config`` the running one (end of Creating/Updating)."""
    retain = record.pop("_retain", False)
    previous = {v["VariantName"]: v for v in record.get("ProductionVariants", [])}
    variants = [_summary(state, v, now, False) for v in config["ProductionVariants"]]
    if retain:
        for variant in variants:
            old = previous.get(variant["VariantName"])
            if old is None:
                continue
            for key in ("CurrentWeight", "DesiredWeight", "CurrentInstanceCount", "DesiredInstanceCount"):
                if key in old and key in variant:
                    variant[key] = old[key]
    record["EndpointConfigName"] = config["EndpointConfigName"]
    record["ProductionVariants"] = variants
    if config.get("ShadowProductionVariants"):
        record["ShadowProductionVariants"] = [
            _summary(state, v, now, False) for v in config["ShadowProductionVariants"]
        ]
    else:
        record.pop("ShadowProductionVariants", None)
    for key in ("AsyncInferenceConfig", "ExplainerConfig"):
        if config.get(key):
            record[key] = copy.deepcopy(config[key])
        else:
            record.pop(key, None)
    capture = _data_capture(config)
    if capture:
        record["DataCaptureConfig"] = capture
    else:
        record.pop("DataCaptureConfig", None)
    record["_config"] = config
    record["_pending"] = None


def _snapshot(call: Call, name: str) -> dict[str, Any]:
    config = public(get_endpoint_config(call, name))
    for variant in [*config["ProductionVariants"], *config.get("ShadowProductionVariants", [])]:
        if variant.get("ModelName"):
            get_model(call, variant["ModelName"])  # inferred: the model must still exist to deploy
    return config


# -- instance quotas --------------------------------------------------------------------------
def _config_instances(config: dict[str, Any]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for variant in [*config.get("ProductionVariants", []), *config.get("ShadowProductionVariants", [])]:
        if variant.get("InstanceType"):
            counts[variant["InstanceType"]] += int(variant.get("InitialInstanceCount", 1))
    return counts


def _record_instances(record: dict[str, Any]) -> Counter[str]:
    """Instances per type an endpoint holds now (both fleets while an update deploys a new one)."""
    counts: Counter[str] = Counter()
    if record["EndpointStatus"] not in _HOLDING_INSTANCES:
        return counts
    config = record.get("_config")
    if config:
        running = {v["VariantName"]: v for v in record.get("ProductionVariants", [])}
        for variant in [*config.get("ProductionVariants", []), *config.get("ShadowProductionVariants", [])]:
            if not variant.get("InstanceType"):
                continue
            summary = running.get(variant["VariantName"], {})
            count = max(
                int(summary.get("CurrentInstanceCount", variant.get("InitialInstanceCount", 1))),
                int(summary.get("DesiredInstanceCount", 0)),
            )
            counts[variant["InstanceType"]] += count
    if record.get("_pending"):
        counts.update(_config_instances(record["_pending"]))
    return counts


def instance_usage(state: RegionState) -> Counter[str]:
    usage: Counter[str] = Counter()
    for record in state.table(KIND).values():
        usage.update(_record_instances(record))
    return usage


def _check_limits(backend: Backend, state: RegionState, delta: Counter[str]) -> None:
    usage = instance_usage(state)
    for instance_type, count in sorted(delta.items()):
        check_instance_limit(backend, instance_type, usage[instance_type], count)


# -- transitions ------------------------------------------------------------------------------
def _schedule(backend: Backend, record: dict[str, Any], seconds: float, action: Any) -> None:
    event = record.get("_event")
    if event is not None:
        event.cancelled = True
    record["_event"] = backend.scheduler.after(seconds, action)


def _finish_create(backend: Backend, state: RegionState, record: dict[str, Any]) -> None:
    record["_event"] = None
    if record["EndpointStatus"] != "Creating" or record.get("_pending") is None:
        return
    now = backend.clock.now()
    record.pop("PendingDeploymentSummary", None)
    record["LastModifiedTime"] = now
    reason = take_forced_failure(backend, KIND, record["EndpointName"])
    if reason is not None:
        record["EndpointStatus"] = "Failed"
        record["FailureReason"] = reason
        return
    _deploy(state, record, record["_pending"], now)
    record["EndpointStatus"] = "InService"


def _finish_update(backend: Backend, state: RegionState, record: dict[str, Any]) -> None:
    record["_event"] = None
    if record["EndpointStatus"] != "Updating":
        return
    now = backend.clock.now()
    record.pop("PendingDeploymentSummary", None)
    record["LastModifiedTime"] = now
    pending = record.get("_pending")
    reason = take_forced_failure(backend, KIND, record["EndpointName"])
    if reason is not None:
        # A failed update rolls back: the old config keeps serving and FailureReason says why.
        record["_pending"] = None
        record.pop("_retain", None)
        record["FailureReason"] = reason
        for variant in record.get("ProductionVariants", []):
            if "CurrentWeight" in variant:
                variant["DesiredWeight"] = variant["CurrentWeight"]
            if "CurrentInstanceCount" in variant:
                variant["DesiredInstanceCount"] = variant["CurrentInstanceCount"]
            variant.pop("VariantStatus", None)
    elif pending is not None:
        _deploy(state, record, pending, now)
        record.pop("FailureReason", None)
    else:  # UpdateEndpointWeightsAndCapacities
        for variant in record.get("ProductionVariants", []):
            if "DesiredWeight" in variant:
                variant["CurrentWeight"] = variant["DesiredWeight"]
            if "DesiredInstanceCount" in variant:
                variant["CurrentInstanceCount"] = variant["DesiredInstanceCount"]
            variant.pop("VariantStatus", None)
    record["EndpointStatus"] = "InService"


def _finish_delete(state: RegionState, record: dict[str, Any]) -> None:
    table = state.table(KIND)
    key = record["EndpointName"].lower()
    if table.get(key) is record and record["EndpointStatus"] == "Deleting":
        del table[key]
        state.tags.pop(record["EndpointArn"], None)


def start_delete(backend: Backend, state: RegionState, record: dict[str, Any]) -> None:
    """Deleting now, gone after ENDPOINT_DELETE_SECONDS (the name stays taken until then)."""
    record["EndpointStatus"] = "Deleting"
    record["LastModifiedTime"] = backend.clock.now()
    record.pop("PendingDeploymentSummary", None)
    record["_pending"] = None
    _schedule(backend, record, ENDPOINT_DELETE_SECONDS, lambda: _finish_delete(state, record))


def fail(backend: Backend, record: dict[str, Any], reason: str) -> None:
    """End the endpoint as Failed with ``reason`` (what a failed deployment does)."""
    event = record.get("_event")
    if event is not None:
        event.cancelled = True
    record["_event"] = None
    record["EndpointStatus"] = "Failed"
    record["FailureReason"] = reason
    record["LastModifiedTime"] = backend.clock.now()
    record.pop("PendingDeploymentSummary", None)
    if record.get("_config") is not None:
        record["_pending"] = None  # an abandoned update; a failed first deployment keeps its config


# -- operations -------------------------------------------------------------------------------
@operation("CreateEndpoint")
def create_endpoint(call: Call) -> dict[str, Any]:
    params = call.params
    name = params["EndpointName"]
    table = call.state.table(KIND)
    arn = call.arn(KIND, name)
    if name.lower() in table:
        raise errors.validation(f'Cannot create already existing endpoint "{arn}".')
    config = _snapshot(call, params["EndpointConfigName"])
    _check_limits(call.backend, call.state, _config_instances(config))
    now = call.backend.clock.now()
    record: dict[str, Any] = {
        "EndpointName": name,
        "EndpointArn": arn,
        "EndpointConfigName": config["EndpointConfigName"],
        "EndpointStatus": "Creating",
        "CreationTime": now,
        "LastModifiedTime": now,
        "PendingDeploymentSummary": _pending_summary(call.state, config, now),
        "_config": None,
        "_pending": config,
        "_event": None,
    }
    if params.get("DeploymentConfig"):
        record["LastDeploymentConfig"] = copy.deepcopy(params["DeploymentConfig"])
    put_tags(call, arn, params.get("Tags"))
    table[name.lower()] = record
    backend, state = call.backend, call.state
    _schedule(backend, record, ENDPOINT_CREATE_SECONDS, lambda: _finish_create(backend, state, record))
    return {"EndpointArn": arn}


@operation("DescribeEndpoint")
def describe_endpoint(call: Call) -> dict[str, Any]:
    return public(find(call.backend, call.state, call.params["EndpointName"]))


@operation("UpdateEndpoint")
def update_endpoint(call: Call) -> dict[str, Any]:
    params = call.params
    record = find(call.backend, call.state, params["EndpointName"])
    status = record["EndpointStatus"]
    if status in IN_PROGRESS or status == "Deleting":
        raise in_progress(record)  # Deleting: inferred, same wording
    if status == "Failed":
        raise errors.validation(f'Cannot update failed endpoint "{record["EndpointArn"]}".')  # inferred
    config = _snapshot(call, params["EndpointConfigName"])
    _check_limits(call.backend, call.state, _config_instances(config))
    now = call.backend.clock.now()
    record["EndpointStatus"] = "Updating"
    record["LastModifiedTime"] = now
    record["PendingDeploymentSummary"] = _pending_summary(call.state, config, now)
    record["_pending"] = config
    record["_retain"] = bool(params.get("RetainAllVariantProperties"))
    if params.get("DeploymentConfig"):
        record["LastDeploymentConfig"] = copy.deepcopy(params["DeploymentConfig"])
    elif not params.get("RetainDeploymentConfig"):
        record.pop("LastDeploymentConfig", None)
    backend, state = call.backend, call.state
    _schedule(backend, record, ENDPOINT_UPDATE_SECONDS, lambda: _finish_update(backend, state, record))
    return {"EndpointArn": record["EndpointArn"]}


@operation("UpdateEndpointWeightsAndCapacities")
def update_weights_and_capacities(call: Call) -> dict[str, Any]:
    params = call.params
    record = find(call.backend, call.state, params["EndpointName"])
    status = record["EndpointStatus"]
    if status in IN_PROGRESS or status == "Deleting":
        raise in_progress(record)
    if status == "Failed":
        raise errors.validation(f'Cannot update failed endpoint "{record["EndpointArn"]}".')  # inferred
    variants = {v["VariantName"]: v for v in record.get("ProductionVariants", [])}
    missing = [d["VariantName"] for d in params["DesiredWeightsAndCapacities"] if d["VariantName"] not in variants]
    if missing:
        # inferred wording
        raise errors.validation(
            f'The variant name(s) [{", ".join(missing)}] is/are not present in the endpoint "{record["EndpointArn"]}".'
        )
    types = {
        v["VariantName"]: v.get("InstanceType") for v in (record.get("_config") or {}).get("ProductionVariants", [])
    }
    delta: Counter[str] = Counter()
    for desired in params["DesiredWeightsAndCapacities"]:
        current = variants[desired["VariantName"]]
        instance_type = types.get(desired["VariantName"])
        if desired.get("DesiredInstanceCount") is not None and instance_type:
            grow = int(desired["DesiredInstanceCount"]) - int(current.get("CurrentInstanceCount", 0))
            if grow > 0:
                delta[instance_type] += grow
    _check_limits(call.backend, call.state, delta)
    now = call.backend.clock.now()
    for desired in params["DesiredWeightsAndCapacities"]:
        current = variants[desired["VariantName"]]
        if desired.get("DesiredWeight") is not None:
            current["DesiredWeight"] = float(desired["DesiredWeight"])
        if desired.get("DesiredInstanceCount") is not None:
            current["DesiredInstanceCount"] = int(desired["DesiredInstanceCount"])
        current["VariantStatus"] = [{"Status": "Updating", "StartTime": now}]
    record["EndpointStatus"] = "Updating"
    record["LastModifiedTime"] = now
    record["_pending"] = None
    backend, state = call.backend, call.state
    _schedule(backend, record, ENDPOINT_WEIGHTS_SECONDS, lambda: _finish_update(backend, state, record))
    return {"EndpointArn": record["EndpointArn"]}


def attached_inference_components(state: RegionState, endpoint_name: str) -> list[dict[str, Any]]:
    wanted = endpoint_name.lower()
    return [
        ic for ic in state.table("inference-component").values() if str(ic.get("EndpointName", "")).lower() == wanted
    ]


@operation("DeleteEndpoint")
def delete_endpoint(call: Call) -> dict[str, Any]:
    record = find(call.backend, call.state, call.params["EndpointName"])
    if record["EndpointStatus"] in IN_PROGRESS or record["EndpointStatus"] == "Deleting":
        raise in_progress(record)  # Deleting: inferred, same wording
    if attached_inference_components(call.state, record["EndpointName"]):
        raise errors.validation(
            "Cannot delete endpoint with inference component associated. "
            "Please delete inference component and try it again."
        )
    start_delete(call.backend, call.state, record)
    return {}


@operation("ListEndpoints")
def list_endpoints(call: Call) -> dict[str, Any]:
    status = call.params.get("StatusEquals")
    page, token = list_records(
        call,
        KIND,
        "EndpointName",
        lambda r: {
            "EndpointName": r["EndpointName"],
            "EndpointArn": r["EndpointArn"],
            "CreationTime": r["CreationTime"],
            "LastModifiedTime": r["LastModifiedTime"],
            "EndpointStatus": r["EndpointStatus"],
        },
        {"Name": "EndpointName", "CreationTime": "CreationTime", "Status": "EndpointStatus"},
        extra=(lambda r: r["EndpointStatus"] == status) if status else None,
    )
    result: dict[str, Any] = {"Endpoints": page}
    if token:
        result["NextToken"] = token
    return result


# -- out-of-band actions (what the console or an outage would do) -----------------------------
def _oob_target(backend: Backend, params: dict[str, Any]) -> tuple[RegionState, dict[str, Any]]:
    state = backend.region(params.get("region") or backend.default_region)
    return state, find(backend, state, str(params["name"]))


@oob_action("fail-endpoint")
def oob_fail_endpoint(backend: Backend, params: dict[str, Any]) -> dict[str, Any]:
    """``{"name": ..., "reason": ..., "region"?: ...}``: the endpoint becomes Failed now."""
    _, record = _oob_target(backend, params)
    fail(backend, record, str(params.get("reason") or "Endpoint failed (injected by sagemaker-emulator)."))
    return public(record)


@oob_action("delete-endpoint")
def oob_delete_endpoint(backend: Backend, params: dict[str, Any]) -> dict[str, Any]:
    """``{"name": ..., "region"?: ..., "immediate"?: bool}``: someone deletes the endpoint outside
    the operator (Deleting, then gone; ``immediate`` removes it at once). No checks are made."""
    state, record = _oob_target(backend, params)
    if params.get("immediate"):
        fail(backend, record, "Deleted out of band.")
        record["EndpointStatus"] = "Deleting"
        _finish_delete(state, record)
        return {}
    start_delete(backend, state, record)
    return public(record)
