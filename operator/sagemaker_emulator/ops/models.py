"""CreateModel / DescribeModel / DeleteModel / ListModels."""

from __future__ import annotations

from typing import Any

from .. import errors
from ..backend import Call, operation
from .common import list_records, public
from .tags import put_tags

KIND = "model"

# Request members stored as given (DescribeModel echoes them).
_STORED = (
    "PrimaryContainer",
    "Containers",
    "InferenceExecutionConfig",
    "ExecutionRoleArn",
    "VpcConfig",
)


def not_found(call: Call, name: str) -> errors.SageMakerError:
    return errors.validation(f'Could not find model "{call.arn(KIND, name)}".')


def get_model(call: Call, name: str) -> dict[str, Any]:
    record: dict[str, Any] | None = call.state.table(KIND).get(name.lower())
    if record is None:
        raise not_found(call, name)
    return record


@operation("CreateModel")
def create_model(call: Call) -> dict[str, Any]:
    params = call.params
    name = params["ModelName"]
    table = call.state.table(KIND)
    arn = call.arn(KIND, name)
    if name.lower() in table:
        raise errors.validation(f'Cannot create already existing model "{arn}".')
    record: dict[str, Any] = {"ModelName": name}
    for key in _STORED:
        if params.get(key) is not None:
            record[key] = params[key]
    record["CreationTime"] = call.backend.clock.now()
    record["ModelArn"] = arn
    record["EnableNetworkIsolation"] = bool(params.get("EnableNetworkIsolation", False))
    put_tags(call, arn, params.get("Tags"))
    table[name.lower()] = record
    return {"ModelArn": arn}


@operation("DescribeModel")
def describe_model(call: Call) -> dict[str, Any]:
    return public(get_model(call, call.params["ModelName"]))


@operation("DeleteModel")
def delete_model(call: Call) -> dict[str, Any]:
    # SageMaker lets a model go while endpoint configs still name it (running endpoints keep it).
    record = get_model(call, call.params["ModelName"])
    del call.state.table(KIND)[record["ModelName"].lower()]
    call.state.tags.pop(record["ModelArn"], None)
    return {}


@operation("ListModels")
def list_models(call: Call) -> dict[str, Any]:
    page, token = list_records(
        call,
        KIND,
        "ModelName",
        lambda r: {"ModelName": r["ModelName"], "ModelArn": r["ModelArn"], "CreationTime": r["CreationTime"]},
        {"Name": "ModelName", "CreationTime": "CreationTime"},
    )
    result: dict[str, Any] = {"Models": page}
    if token:
        result["NextToken"] = token
    return result
