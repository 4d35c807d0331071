"""CreateEndpointConfig / DescribeEndpointConfig / DeleteEndpointConfig / ListEndpointConfigs."""

from __future__ import annotations

import copy
from typing import Any

from .. import errors
from ..backend import Call, operation
from .common import list_records, public
from .models import get_model
from .tags import put_tags

KIND = "endpoint-config"


def not_found(call: Call, name: str) -> errors.SageMakerError:
    return errors.validation(f'Could not find endpoint configuration "{call.arn(KIND, name)}".')


def get_endpoint_config(call: Call, name: str) -> dict[str, Any]:
    record: dict[str, Any] | None = call.state.table(KIND).get(name.lower())
    if record is None:
        raise not_found(call, name)
    return record


def _variants(variants: list[dict[str, Any]]) -> list[dict[str, Any]]:
    stored = []
    for variant in variants:
        variant = copy.deepcopy(variant)
        # DescribeEndpointConfig reports the default weight SageMaker applied.
        variant.setdefault("InitialVariantWeight", 1.0)
        stored.append(variant)
    return stored


@operation("CreateEndpointConfig")
def create_endpoint_config(call: Call) -> dict[str, Any]:
    params = call.params
    name = params["EndpointConfigName"]
    table = call.state.table(KIND)
    arn = call.arn(KIND, name)
    if name.lower() in table:
        raise errors.validation(f'Cannot create already existing endpoint configuration "{arn}".')
    # Variants without ModelName are allowed: such endpoints host inference components.
    for variant in [*params["ProductionVariants"], *params.get("ShadowProductionVariants", [])]:
        if variant.get("ModelName"):
            get_model(call, variant["ModelName"])
    record: dict[str, Any] = {"EndpointConfigName": name, "EndpointConfigArn": arn}
    for key, value in params.items():
        if key in ("EndpointConfigName", "Tags") or value is None:
            continue
        record[key] = copy.deepcopy(value)
    record["ProductionVariants"] = _variants(params["ProductionVariants"])
    if params.get("ShadowProductionVariants"):
        record["ShadowProductionVariants"] = _variants(params["ShadowProductionVariants"])
    record["CreationTime"] = call.backend.clock.now()
    put_tags(call, arn, params.get("Tags"))
    table[name.lower()] = record
    return {"EndpointConfigArn": arn}


@operation("DescribeEndpointConfig")
def describe_endpoint_config(call: Call) -> dict[str, Any]:
    return public(get_endpoint_config(call, call.params["EndpointConfigName"]))


@operation("DeleteEndpointConfig")
def delete_endpoint_config(call: Call) -> dict[str, Any]:
    # Endpoints running this config keep running: SageMaker allows deleting it.
    record = get_endpoint_config(call, call.params["EndpointConfigName"])
    del call.state.table(KIND)[record["EndpointConfigName"].lower()]
    call.state.tags.pop(record["EndpointConfigArn"], None)
    return {}


@operation("ListEndpointConfigs")
def list_endpoint_configs(call: Call) -> dict[str, Any]:
    page, token = list_records(
        call,
        KIND,
        "EndpointConfigName",
        lambda r: {
            "EndpointConfigName": r["EndpointConfigName"],
            "EndpointConfigArn": r["EndpointConfigArn"],
            "CreationTime": r["CreationTime"],
        },
        {"Name": "EndpointConfigName", "CreationTime": "CreationTime"},
    )
    result: dict[str, Any] = {"EndpointConfigs": page}
    if token:
        result["NextToken"] = token
    return result
