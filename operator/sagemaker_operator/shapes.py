"""Conversion between the CRs' lowerCamelCase and SageMaker's wire shapes.

Driven by botocore's service model, so it knows which dict is a structure (member names are
converted: `EndpointName` <-> `endpointName`) and which is a map (keys are data and never
converted, e.g. container environment variables). Lists are recursed; timestamps become
datetimes on the way in and RFC 3339 strings on the way out.

    to_request("CreateInferenceComponent", {"endpointName": ...})  -> {"EndpointName": ...}
    from_response("DescribeInferenceComponent", boto3_response)     -> {"endpointName": ...}
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime
from typing import Any

import botocore.session


class ShapeError(ValueError):
    """A value does not fit the operation's input shape (unknown member, wrong kind of value)."""


@functools.cache
def botocore_session() -> Any:
    """The process's one botocore session: its loader parses SageMaker's model (megabytes) once,
    for these conversions and for every gateway's client."""
    return botocore.session.get_session()


@functools.cache
def service_model() -> Any:
    """botocore's SageMaker service model (loaded once)."""
    return botocore_session().get_service_model("sagemaker")


def operation_model(operation_name: str) -> Any:
    try:
        return service_model().operation_model(operation_name)
    except Exception as exc:  # botocore raises OperationNotFoundError
        raise ShapeError(f"unknown SageMaker operation {operation_name!r}") from exc


def lower_first(name: str) -> str:
    """SageMaker member name -> CR field name (`S3Uri` -> `s3Uri`)."""
    return name[:1].lower() + name[1:]


def rfc3339(value: datetime) -> str:
    """A datetime as an RFC 3339 string in UTC (naive datetimes are taken as UTC)."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _parse_timestamp(value: Any, path: str) -> datetime:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value)
        except ValueError as exc:
            raise ShapeError(f"{path}: {value!r} is not an RFC 3339 timestamp") from exc
    raise ShapeError(f"{path}: expected a timestamp, got {type(value).__name__}")


def to_request(operation_name: str, camel: dict[str, Any]) -> dict[str, Any]:
    """lowerCamelCase parameters -> the PascalCase keyword arguments of the boto3 call.

    Members whose value is None are left out. An unknown field raises ShapeError naming it.
    """
    op = operation_model(operation_name)
    return dict(_to_wire(op.input_shape, camel, operation_name))


def _to_wire(shape: Any, value: Any, path: str) -> Any:
    kind = shape.type_name
    if kind == "structure":
        if not isinstance(value, dict):
            raise ShapeError(f"{path}: expected an object, got {type(value).__name__}")
        members = {lower_first(name): name for name in shape.members}
        out: dict[str, Any] = {}
        for key, item in value.items():
            if item is None:
                continue
            wire = members.get(key)
            if wire is None:
                known = ", ".join(sorted(members))
                raise ShapeError(f"{path}.{key}: unknown field (known fields: {known})")
            out[wire] = _to_wire(shape.members[wire], item, f"{path}.{key}")
        return out
    if kind == "list":
        if not isinstance(value, list | tuple):
            raise ShapeError(f"{path}: expected a list, got {type(value).__name__}")
        return [_to_wire(shape.member, item, f"{path}[{i}]") for i, item in enumerate(value)]
    if kind == "map":
        if not isinstance(value, dict):
            raise ShapeError(f"{path}: expected a map, got {type(value).__name__}")
        return {key: _to_wire(shape.value, item, f"{path}[{key}]") for key, item in value.items()}
    if kind == "timestamp":
        return _parse_timestamp(value, path)
    return value


def from_response(operation_name: str, response: dict[str, Any]) -> dict[str, Any]:
    """A boto3 response -> lowerCamelCase, timestamps as RFC 3339 strings, no ResponseMetadata.

    Members the installed botocore does not know (a newer service) are converted by name only.
    """
    op = operation_model(operation_name)
    body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    if op.output_shape is None:
        return {}
    return dict(_from_wire(op.output_shape, body))


def to_response(operation_name: str, camel: dict[str, Any]) -> dict[str, Any]:
    """The inverse of from_response: a status mirror (lowerCamelCase) -> the boto3 response shape.

    Fields the output shape does not have (conditions, bookkeeping) are dropped, so a CR's status
    can be turned back into the Describe output it was written from.
    """
    op = operation_model(operation_name)
    if op.output_shape is None:
        return {}
    members = {lower_first(name) for name in op.output_shape.members}
    return dict(_to_wire(op.output_shape, {k: v for k, v in camel.items() if k in members}, operation_name))


def _from_wire(shape: Any, value: Any) -> Any:
    kind = shape.type_name if shape is not None else None
    if isinstance(value, datetime):
        return rfc3339(value)
    if kind == "timestamp" and isinstance(value, int | float):
        return rfc3339(datetime.fromtimestamp(value, tz=UTC))
    if isinstance(value, dict):
        if kind == "map":
            return {key: _from_wire(shape.value, item) for key, item in value.items()}
        members = shape.members if kind == "structure" else {}
        return {lower_first(key): _from_wire(members.get(key), item) for key, item in value.items()}
    if isinstance(value, list):
        return [_from_wire(shape.member if kind == "list" else None, item) for item in value]
    return value
