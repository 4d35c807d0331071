"""Cross-check the models against botocore's SageMaker service model, in both directions.

Every spec field must be a member of the operation's input shape with the same constraints,
and every input member must be covered, so a botocore upgrade that adds or changes a member
fails here. Deliberate differences are listed below with their reasons.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from pydantic import BaseModel

from sagemaker_operator import shapes
from sagemaker_operator.models import (
    InferenceComponentSpec,
    InferenceComponentStatus,
    InferenceExperimentSpec,
    InferenceExperimentStatus,
)
from sagemaker_operator.models.base import INSTANCE_TYPE_PATTERN, aws_pattern

# Fields the operator adds: not SageMaker request members.
IC_OPERATOR_FIELDS = {"region", "deletionPolicy", "adoptExisting", "deploymentConfig"}
IE_OPERATOR_FIELDS = {
    "region",
    "deletionPolicy",
    "adoptExisting",
    "desiredState",
    "modelVariantActions",
    "stopReason",
}

# Members that SageMaker requires but the CR lets you omit (the operator fills them in).
OPTIONAL_BY_DESIGN = {
    "CreateInferenceComponent.InferenceComponentName",  # defaults to metadata.name
    "CreateInferenceComponent.RuntimeConfig.CopyCount",  # omitted = left to autoscaling
    "CreateInferenceExperiment.Name",  # defaults to metadata.name
    "CreateInferenceExperiment.Type",  # defaults to ShadowMode, the only type
}

# botocore pattern -> the pattern we use (look-ahead is not supported by RE2 nor Rust regex).
REWRITTEN_PATTERNS = {
    "/(?!.*\\.\\.)[a-zA-Z0-9/_.\\-]+": aws_pattern("/[a-zA-Z0-9/_.\\-]+"),
    "(?!\\s*$).+": aws_pattern(".*\\S.*"),
}


def resolve(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """Inline a $ref and unwrap `anyOf: [X, null]`, keeping every other keyword."""
    node = dict(node)
    if "$ref" in node:
        node = {**defs[node.pop("$ref").rsplit("/", 1)[-1]], **node}
    if "anyOf" in node:
        branches = [b for b in node.pop("anyOf") if b.get("type") != "null"]
        assert len(branches) == 1
        node = {**resolve(branches[0], defs), **node}
    return node


def compare(shape: Any, node: dict[str, Any], defs: dict[str, Any], path: str, problems: list[str]) -> None:
    node = resolve(node, defs)
    kind = shape.type_name
    md = shape.metadata
    if kind == "structure":
        props = node.get("properties", {})
        required = set(node.get("required", []))
        members = {shapes.lower_first(m): m for m in shape.members}
        for field in props:
            if field not in members:
                problems.append(f"{path}.{field}: not a member of {shape.name}")
        for field, member in members.items():
            where = f"{path}.{member}"
            if field not in props:
                problems.append(f"{where}: botocore member not covered by the model")
                continue
            if (member in shape.required_members) != (field in required) and where not in OPTIONAL_BY_DESIGN:
                problems.append(f"{where}: required is {member in shape.required_members} in botocore")
            compare(shape.members[member], props[field], defs, where, problems)
    elif kind == "list":
        if md.get("min"):
            check(path, "minItems", md["min"], node, problems)
        if "max" in md:
            check(path, "maxItems", md["max"], node, problems)
        compare(shape.member, node["items"], defs, f"{path}[]", problems)
    elif kind == "map":
        if md.get("min"):
            check(path, "minProperties", md["min"], node, problems)
        if "max" in md:
            check(path, "maxProperties", md["max"], node, problems)
        key = {"type": "string", **node.get("propertyNames", {})}
        value = node.get("additionalProperties")
        if "patternProperties" in node:  # pydantic's rendering of a map with a key pattern
            ((key["pattern"], value),) = node["patternProperties"].items()
        compare(shape.key, key, defs, f"{path}{{key}}", problems)
        compare(shape.value, value, defs, f"{path}{{value}}", problems)
    elif kind == "string":
        enum = md.get("enum")
        if shape.name == "ProductionVariantInstanceType":
            check(path, "pattern", INSTANCE_TYPE_PATTERN, node, problems)
            misfits = [v for v in enum if not re.fullmatch(INSTANCE_TYPE_PATTERN, v)]
            if misfits:
                problems.append(f"{path}: instance types not matching our pattern: {misfits}")
        elif enum:
            ours = node.get("enum", [node["const"]] if "const" in node else None)
            if sorted(ours or []) != sorted(enum):
                problems.append(f"{path}: enum {ours} != botocore {enum}")
        else:
            if md.get("min"):
                check(path, "minLength", md["min"], node, problems)
            if "max" in md:
                check(path, "maxLength", md["max"], node, problems)
            if "pattern" in md:
                want = REWRITTEN_PATTERNS.get(md["pattern"], aws_pattern(md["pattern"]))
                check(path, "pattern", want, node, problems)
    elif kind in ("integer", "long", "float", "double"):
        check(path, "type", "integer" if kind in ("integer", "long") else "number", node, problems)
        if "min" in md:
            check(path, "minimum", md["min"], node, problems)
        if "max" in md:
            check(path, "maximum", md["max"], node, problems)
    elif kind == "boolean":
        check(path, "type", "boolean", node, problems)
    elif kind == "timestamp":
        check(path, "format", "date-time", node, problems)


def check(path: str, key: str, want: Any, node: dict[str, Any], problems: list[str]) -> None:
    if node.get(key) != want:
        problems.append(f"{path}: {key} is {node.get(key)!r}, botocore says {want!r}")


def spec_schema(model: type[BaseModel], drop: set[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    schema = model.model_json_schema(by_alias=True)
    defs = schema.get("$defs", {})
    props = {k: v for k, v in schema["properties"].items() if k not in drop}
    return {
        **schema,
        "properties": props,
        "required": [r for r in schema.get("required", []) if r in props],
    }, defs


def input_shape(operation: str) -> Any:
    return shapes.operation_model(operation).input_shape


@pytest.mark.parametrize(
    ("model", "operation", "operator_fields"),
    [
        (InferenceComponentSpec, "CreateInferenceComponent", IC_OPERATOR_FIELDS),
        (InferenceExperimentSpec, "CreateInferenceExperiment", IE_OPERATOR_FIELDS),
    ],
)
def test_spec_matches_the_create_input_shape(model: type[BaseModel], operation: str, operator_fields: set[str]) -> None:
    schema, defs = spec_schema(model, operator_fields)
    problems: list[str] = []
    compare(input_shape(operation), schema, defs, operation, problems)
    assert problems == []


def test_ic_deployment_config_matches_the_update_input() -> None:
    schema = InferenceComponentSpec.model_json_schema(by_alias=True)
    problems: list[str] = []
    shape = input_shape("UpdateInferenceComponent").members["DeploymentConfig"]
    compare(shape, schema["properties"]["deploymentConfig"], schema["$defs"], "DeploymentConfig", problems)
    assert problems == []


def test_ie_stop_fields_match_the_stop_input() -> None:
    schema = InferenceExperimentSpec.model_json_schema(by_alias=True)
    stop = input_shape("StopInferenceExperiment")
    problems: list[str] = []
    for field, member in (("modelVariantActions", "ModelVariantActions"), ("stopReason", "Reason")):
        compare(stop.members[member], schema["properties"][field], schema["$defs"], member, problems)
    # DesiredState is Completed|Cancelled in SageMaker; the CR adds Running (do not stop).
    desired = schema["properties"]["desiredState"]["enum"]
    assert sorted(desired) == sorted([*stop.members["DesiredState"].enum, "Running"])
    assert problems == []


def test_update_inputs_are_covered() -> None:
    """Everything UpdateInferenceComponent/Experiment take is a spec field (or the name)."""
    ic = set(InferenceComponentSpec.model_json_schema(by_alias=True)["properties"])
    ie = set(InferenceExperimentSpec.model_json_schema(by_alias=True)["properties"])
    for operation, fields, name in (
        ("UpdateInferenceComponent", ic, "InferenceComponentName"),
        ("UpdateInferenceExperiment", ie, "Name"),
    ):
        missing = [m for m in input_shape(operation).members if shapes.lower_first(m) not in fields]
        assert missing in ([], [name]), f"{operation}: {missing}"


def names(shape: Any, node: dict[str, Any], defs: dict[str, Any], path: str, problems: list[str]) -> None:
    """Status mirrors the Describe output: same member names all the way down."""
    node = resolve(node, defs)
    if shape.type_name == "structure":
        props = node.get("properties", {})
        for member, sub in shape.members.items():
            field = shapes.lower_first(member)
            if field not in props:
                problems.append(f"{path}.{field}: Describe member not in status")
            else:
                names(sub, props[field], defs, f"{path}.{field}", problems)
    elif shape.type_name == "list":
        names(shape.member, node["items"], defs, f"{path}[]", problems)
    elif shape.type_name == "timestamp" and node.get("type") != "string":
        problems.append(f"{path}: timestamps are strings in status")


@pytest.mark.parametrize(
    ("model", "operation"),
    [
        (InferenceComponentStatus, "DescribeInferenceComponent"),
        (InferenceExperimentStatus, "DescribeInferenceExperiment"),
    ],
)
def test_status_mirrors_the_describe_output(model: type[BaseModel], operation: str) -> None:
    schema = model.model_json_schema(by_alias=True)
    problems: list[str] = []
    names(shapes.operation_model(operation).output_shape, schema, schema.get("$defs", {}), "status", problems)
    assert problems == []
