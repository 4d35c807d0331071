"""Render the CustomResourceDefinitions from the pydantic models.

    python -m sagemaker_operator.crdgen [--out crds/] [--check]

The pydantic JSON Schema is turned into a structural OpenAPI v3 schema: $refs inlined,
`title` dropped, `anyOf: [X, null]` collapsed to X, `const` turned into a one-value enum,
`additionalProperties: false` dropped (the API server prunes, or rejects unknown fields under
strict field validation), and map key constraints (`propertyNames`, `patternProperties` keys)
dropped because CRDs cannot express them; the operator's models still enforce them.
Output is YAML with sorted keys, so it is byte-for-byte reproducible.
"""

from __future__ import annotations

import argparse
import difflib
import pathlib
import sys
from dataclasses import dataclass, field
from typing import Any

import yaml
from pydantic import BaseModel

from .models import GROUP, VERSION, InferenceComponent, InferenceExperiment

DEFAULT_OUT = pathlib.Path(__file__).resolve().parents[2] / "crds"

READY = '.status.conditions[?(@.type=="Ready")]'


@dataclass(frozen=True)
class CRDInfo:
    model: type[BaseModel]
    kind: str
    plural: str
    singular: str
    short_names: list[str]
    printer_columns: list[dict[str, Any]]
    scale: dict[str, str] | None = None
    filename: str = field(default="")


CRDS = [
    CRDInfo(
        model=InferenceComponent,
        kind="InferenceComponent",
        plural="inferencecomponents",
        singular="inferencecomponent",
        short_names=["smic", "sagemakeric"],
        printer_columns=[
            {"name": "Ready", "type": "string", "jsonPath": f"{READY}.status"},
            {"name": "Status", "type": "string", "jsonPath": ".status.inferenceComponentStatus"},
            {"name": "Endpoint", "type": "string", "jsonPath": ".spec.endpointName"},
            # JSONPath columns cannot concatenate, hence two columns for current/desired.
            {"name": "Current", "type": "integer", "jsonPath": ".status.runtimeConfig.currentCopyCount"},
            {"name": "Desired", "type": "integer", "jsonPath": ".status.runtimeConfig.desiredCopyCount"},
            {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
            {"name": "ARN", "type": "string", "jsonPath": ".status.inferenceComponentArn", "priority": 1},
            {"name": "Message", "type": "string", "jsonPath": f"{READY}.message", "priority": 1},
        ],
        scale={
            "specReplicasPath": ".spec.runtimeConfig.copyCount",
            "statusReplicasPath": ".status.runtimeConfig.currentCopyCount",
        },
        filename="inferencecomponents.yaml",
    ),
    CRDInfo(
        model=InferenceExperiment,
        kind="InferenceExperiment",
        plural="inferenceexperiments",
        singular="inferenceexperiment",
        short_names=["smie", "sagemakerie"],
        printer_columns=[
            {"name": "Ready", "type": "string", "jsonPath": f"{READY}.status"},
            {"name": "Status", "type": "string", "jsonPath": ".status.status"},
            {"name": "Endpoint", "type": "string", "jsonPath": ".spec.endpointName"},
            # "string", not "date": kubectl renders a future date as <invalid>, and the end is usually ahead.
            {"name": "End", "type": "string", "jsonPath": ".status.schedule.endTime"},
            {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
            {"name": "Reason", "type": "string", "jsonPath": ".status.statusReason", "priority": 1},
        ],
        filename="inferenceexperiments.yaml",
    ),
]


def _unsupported_pattern(pattern: str) -> bool:
    # Unicode property classes (\p{L}) are not ECMA-262 without the `u` flag, which Kubernetes
    # documents as the pattern dialect; such patterns stay in the models (the operator checks
    # them) but are left out of the CRD.
    return "\\p{" in pattern


def structural(schema: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """One pydantic JSON Schema node -> a structural OpenAPI v3 node."""
    node = dict(schema)
    if "$ref" in node:
        target = structural(defs[node.pop("$ref").rsplit("/", 1)[-1]], defs)
        # The field's own keys (its description) win over the referenced model's docstring.
        return {**target, **{k: structural_value(k, v, defs) for k, v in node.items() if _keep(k, v)}}
    any_of = node.pop("anyOf", None)
    if any_of is not None:
        branches = [b for b in any_of if b.get("type") != "null"]
        if len(branches) != 1:
            raise ValueError(f"cannot render anyOf with {len(branches)} non-null branches: {any_of}")
        inner = structural(branches[0], defs)
        return {**inner, **{k: structural_value(k, v, defs) for k, v in node.items() if _keep(k, v)}}
    pattern_properties = node.pop("patternProperties", None)
    key_pattern = None
    if pattern_properties is not None:
        # pydantic writes a map with constrained keys as patternProperties, which CRDs forbid:
        # keep the value schema; the key pattern becomes a CEL rule (below).
        ((key_pattern, value_schema),) = pattern_properties.items()
        node["additionalProperties"] = value_schema
    rule = _key_rule(key_pattern, (node.get("propertyNames") or {}).get("maxLength"))
    if rule is not None:
        node["x-kubernetes-validations"] = [*node.get("x-kubernetes-validations", []), rule]
    return {k: structural_value(k, v, defs) for k, v in node.items() if _keep(k, v)} | _const(node)


def _key_rule(pattern: str | None, max_length: int | None) -> dict[str, str] | None:
    """CEL for a map's key constraints (structural schemas have no propertyNames/patternProperties).

    Without it the API server accepted keys SageMaker refuses (an environment variable named
    ``MAX-TOKENS``), which only surfaced as a Stalled resource after a round trip to SageMaker."""
    checks, says = [], []
    if max_length is not None:
        checks.append(f"size(k) <= {int(max_length)}")
        says.append(f"be at most {int(max_length)} characters long")
    if pattern is not None and not _unsupported_pattern(pattern):
        if "'" in pattern:
            raise ValueError(f"cannot quote key pattern for CEL: {pattern}")
        checks.append(f"k.matches(r'{pattern}')")
        says.append(f"match {pattern}")
    if not checks:
        return None
    return {"rule": f"self.all(k, {' && '.join(checks)})", "message": f"keys must {' and '.join(says)}"}


def _keep(key: str, value: Any) -> bool:
    if key in ("title", "$defs", "propertyNames", "const"):
        return False
    if key == "default" and value is None:
        return False
    if key == "additionalProperties" and isinstance(value, bool):
        return False
    return not (key == "pattern" and _unsupported_pattern(value))


def _const(node: dict[str, Any]) -> dict[str, Any]:
    return {"enum": [node["const"]]} if "const" in node else {}


def structural_value(key: str, value: Any, defs: dict[str, Any]) -> Any:
    if key == "properties":
        return {name: structural(sub, defs) for name, sub in value.items()}
    if key in ("items", "additionalProperties") and isinstance(value, dict):
        return structural(value, defs)
    return value


def openapi_schema(model: type[BaseModel]) -> dict[str, Any]:
    raw = model.model_json_schema(by_alias=True, mode="validation")
    schema = structural(raw, raw.get("$defs", {}))
    props = schema["properties"]
    # The API server owns these three; the models constrain them for Python callers only.
    props["apiVersion"] = {"type": "string", "description": "APIVersion of this object."}
    props["kind"] = {"type": "string", "description": "Kind of this object."}
    props["metadata"] = {"type": "object"}
    # kopf keeps handler progress in status.kopf unless told otherwise; let it survive pruning.
    props["status"]["properties"]["kopf"] = {
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
        "description": "Operator bookkeeping (kopf).",
    }
    return schema


def crd(info: CRDInfo) -> dict[str, Any]:
    subresources: dict[str, Any] = {"status": {}}
    if info.scale:
        subresources["scale"] = dict(info.scale)
    return {
        "apiVersion": "apiextensions.k8s.io/v1",
        "kind": "CustomResourceDefinition",
        "metadata": {"name": f"{info.plural}.{GROUP}"},
        "spec": {
            "group": GROUP,
            "names": {
                "kind": info.kind,
                "listKind": f"{info.kind}List",
                "plural": info.plural,
                "singular": info.singular,
                "shortNames": info.short_names,
                "categories": ["sagemaker"],
            },
            "scope": "Namespaced",
            "versions": [
                {
                    "name": VERSION,
                    "served": True,
                    "storage": True,
                    "schema": {"openAPIV3Schema": openapi_schema(info.model)},
                    "subresources": subresources,
                    "additionalPrinterColumns": info.printer_columns,
                }
            ],
        },
    }


HEADER = "# Generated by `python -m sagemaker_operator.crdgen` from sagemaker_operator/models. Do not edit.\n"


class _Dumper(yaml.SafeDumper):
    """Never emit anchors/aliases: models used twice are written out twice."""

    def ignore_aliases(self, data: Any) -> bool:
        return True


def render(info: CRDInfo) -> str:
    body = yaml.dump(crd(info), Dumper=_Dumper, sort_keys=True, width=100, allow_unicode=True)
    return HEADER + body


def rendered() -> dict[str, str]:
    """File name -> content of every CRD."""
    return {info.filename: render(info) for info in CRDS}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sagemaker_operator.crdgen", description=__doc__)
    parser.add_argument("--out", type=pathlib.Path, default=DEFAULT_OUT, help="output directory (crds/)")
    parser.add_argument("--check", action="store_true", help="fail with a diff if the files differ")
    args = parser.parse_args(argv)
    out: pathlib.Path = args.out
    stale = False
    for name, text in rendered().items():
        path = out / name
        current = path.read_text() if path.exists() else ""
        if current == text:
            continue
        if args.check:
            stale = True
            sys.stdout.writelines(
                difflib.unified_diff(
                    current.splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    fromfile=str(path),
                    tofile=f"{path} (generated)",
                )
            )
        else:
            out.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path}")
    if stale:
        print("CRDs are out of date: run `make crds`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
