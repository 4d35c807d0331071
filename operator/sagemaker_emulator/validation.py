"""Validate requests against botocore's own SageMaker service model, answering as SageMaker does.

SageMaker reports constraint violations in one ValidationException whose message reads
``2 validation errors detected: Value 'x' at 'endpointName' failed to satisfy constraint: ...;
Value null at 'specification' failed to satisfy constraint: Member must not be null``.
Paths use lowerCamelCase member names; list items are ``name.<1-based index>.member``.
"""

from __future__ import annotations

import functools
from typing import Any

import botocore.session
import regex
from botocore.model import ListShape, MapShape, OperationModel, ServiceModel, Shape, StructureShape

from .errors import SageMakerError, validation


@functools.cache
def service_model() -> ServiceModel:
    return botocore.session.get_session().get_service_model("sagemaker")


@functools.cache
def operation(name: str) -> OperationModel:
    return service_model().operation_model(name)


@functools.cache
def _compiled(pattern: str) -> regex.Pattern[str] | None:
    # The model's patterns are Java regexes (\p{L} and friends); the `regex` module speaks them.
    try:
        return regex.compile(pattern, regex.DOTALL)
    except regex.error:
        return None  # a pattern we cannot express is not enforced rather than enforced wrongly


def _camel(name: str) -> str:
    return name[:1].lower() + name[1:]


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "'" + str(value).lower() + "'"
    return f"'{value}'"


class _Checker:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def fail(self, value: Any, path: str, constraint: str) -> None:
        self.errors.append(f"Value {_show(value)} at '{path}' failed to satisfy constraint: {constraint}")

    def check(self, shape: Shape, value: Any, path: str) -> None:
        kind = shape.type_name
        meta = shape.metadata
        if kind == "structure":
            assert isinstance(shape, StructureShape)
            self._structure(shape, value, path)
        elif kind == "list":
            assert isinstance(shape, ListShape)
            if not isinstance(value, list):
                raise _serialization(path, "list")
            self._length(len(value), value, path, meta)
            for i, item in enumerate(value, start=1):
                self.check(shape.member, item, f"{path}.{i}.member")
        elif kind == "map":
            assert isinstance(shape, MapShape)
            if not isinstance(value, dict):
                raise _serialization(path, "map")
            self._length(len(value), value, path, meta)
            for key, item in value.items():
                self.check(shape.key, key, f"{path}.key")
                self.check(shape.value, item, f"{path}.{key}")
        elif kind == "string":
            if not isinstance(value, str):
                raise _serialization(path, "string")
            self._length(len(value), value, path, meta)
            if "enum" in meta and value not in meta["enum"]:
                self.fail(value, path, "Member must satisfy enum value set: [" + ", ".join(meta["enum"]) + "]")
            pattern = meta.get("pattern")
            if pattern is not None:
                compiled = _compiled(pattern)
                if compiled is not None and compiled.fullmatch(value) is None:
                    self.fail(value, path, f"Member must satisfy regular expression pattern: {pattern}")
        elif kind in ("integer", "long"):
            if isinstance(value, bool) or not isinstance(value, int):
                raise _serialization(path, "integer")
            self._range(value, path, meta)
        elif kind in ("float", "double"):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise _serialization(path, "number")
            self._range(value, path, meta)
        elif kind == "boolean":
            if not isinstance(value, bool):
                raise _serialization(path, "boolean")
        elif kind == "timestamp" and (isinstance(value, bool) or not isinstance(value, int | float | str)):
            raise _serialization(path, "timestamp")

    def _structure(self, shape: StructureShape, value: Any, path: str) -> None:
        if not isinstance(value, dict):
            raise _serialization(path or "request", "structure")
        prefix = path + "." if path else ""
        for name in shape.required_members:
            if value.get(name) is None:
                self.fail(None, prefix + _camel(name), "Member must not be null")
        for name, item in value.items():
            member = shape.members.get(name)
            if member is None:
                # SageMaker ignores unknown members of a JSON body; so do we.
                continue
            if item is not None:
                self.check(member, item, prefix + _camel(name))

    def _length(self, length: int, value: Any, path: str, meta: dict[str, Any]) -> None:
        if "min" in meta and length < meta["min"]:
            self.fail(value, path, f"Member must have length greater than or equal to {meta['min']}")
        if "max" in meta and length > meta["max"]:
            self.fail(value, path, f"Member must have length less than or equal to {meta['max']}")

    def _range(self, value: float, path: str, meta: dict[str, Any]) -> None:
        if "min" in meta and value < meta["min"]:
            self.fail(value, path, f"Member must have value greater than or equal to {meta['min']}")
        if "max" in meta and value > meta["max"]:
            self.fail(value, path, f"Member must have value less than or equal to {meta['max']}")


def _serialization(path: str, expected: str) -> SageMakerError:
    return SageMakerError("SerializationException", f"Expected {expected} at '{path}'")


def validate(operation_name: str, params: Any) -> None:
    """Raise SageMaker's ValidationException if ``params`` break the operation's input shape."""
    shape = operation(operation_name).input_shape
    if shape is None:
        return
    checker = _Checker()
    assert isinstance(shape, StructureShape)
    checker.check(shape, params, "")
    if checker.errors:
        count = len(checker.errors)
        noun = "error" if count == 1 else "errors"
        raise validation(f"{count} validation {noun} detected: " + "; ".join(checker.errors))
