"""crds/ is generated from the models, is structural, and carries what kubectl users rely on."""

from __future__ import annotations

import pathlib
import re
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from sagemaker_operator import crdgen

ROOT = pathlib.Path(__file__).resolve().parents[1]
CRDS = {name: yaml.safe_load(text) for name, text in crdgen.rendered().items()}


def test_committed_crds_match_the_models() -> None:
    for name, text in crdgen.rendered().items():
        path = ROOT / "crds" / name
        assert path.exists(), f"{path} missing: run `make crds`"
        assert path.read_text() == text, f"{path} is stale: run `make crds`"


def test_check_mode_reports_drift(tmp_path: pathlib.Path) -> None:
    cmd = [sys.executable, "-m", "sagemaker_operator.crdgen", "--out", str(tmp_path)]
    assert subprocess.run(cmd, check=False).returncode == 0
    assert subprocess.run([*cmd, "--check"], check=False).returncode == 0
    (tmp_path / "inferencecomponents.yaml").write_text("stale\n")
    result = subprocess.run([*cmd, "--check"], check=False, capture_output=True, text=True)
    assert result.returncode == 1
    assert "+++" in result.stdout and "make crds" in result.stderr


def test_output_is_deterministic() -> None:
    assert crdgen.rendered() == crdgen.rendered()


def walk(node: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    yield path, node
    for name, sub in node.get("properties", {}).items():
        yield from walk(sub, f"{path}.{name}")
    if isinstance(node.get("items"), dict):
        yield from walk(node["items"], f"{path}[]")
    if isinstance(node.get("additionalProperties"), dict):
        yield from walk(node["additionalProperties"], f"{path}{{}}")


def schema_of(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = CRDS[name]["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return schema


FORBIDDEN = {"$ref", "$defs", "anyOf", "oneOf", "allOf", "not", "title", "const", "patternProperties"}
FORBIDDEN |= {"propertyNames", "nullable", "definitions"}


@pytest.mark.parametrize("name", sorted(CRDS))
def test_schema_is_structural(name: str) -> None:
    for path, node in walk(schema_of(name)):
        assert not FORBIDDEN & node.keys(), f"{path}: {FORBIDDEN & node.keys()}"
        assert "type" in node, f"{path}: no type"
        if node["type"] == "object":
            assert not ("properties" in node and "additionalProperties" in node), path
            has_shape = {"properties", "additionalProperties", "x-kubernetes-preserve-unknown-fields"}
            assert has_shape & node.keys() or path == ".metadata", f"{path}: object without fields"
        assert "additionalProperties" not in node or isinstance(node["additionalProperties"], dict), path
        if "pattern" in node:
            pattern = node["pattern"]
            assert pattern.startswith("^") and pattern.endswith("$"), path
            # RE2 (the API server's engine) has no look-around and no \p without care.
            assert not re.search(r"\(\?[=!<]", pattern) and "\\p{" not in pattern, path
            re.compile(pattern)


@pytest.mark.parametrize("name", sorted(CRDS))
def test_every_spec_field_is_described(name: str) -> None:
    for path, node in walk(schema_of(name)["properties"]["spec"], ".spec"):
        if path.endswith(("[]", "{}")) and node["type"] != "object":
            continue  # scalar list items and map values are described by their field
        assert node.get("description"), f"{path}: no description (kubectl explain)"


def resolve_path(schema: dict[str, Any], json_path: str) -> dict[str, Any] | None:
    node: dict[str, Any] | None = schema
    for part in re.sub(r"\[\?\(@\.type==\"Ready\"\)\]", "[]", json_path).strip(".").split("."):
        if node is None:
            return None
        if part.endswith("[]"):
            node = node.get("properties", {}).get(part[:-2], {}).get("items")
        else:
            node = node.get("properties", {}).get(part)
    return node


@pytest.mark.parametrize("name", sorted(CRDS))
def test_printer_columns_and_scale_point_at_schema_fields(name: str) -> None:
    version = CRDS[name]["spec"]["versions"][0]
    schema = schema_of(name)
    for column in version["additionalPrinterColumns"]:
        if column["jsonPath"] == ".metadata.creationTimestamp":
            continue
        assert resolve_path(schema, column["jsonPath"]) is not None, column
    scale = version["subresources"].get("scale")
    if scale:
        for key in ("specReplicasPath", "statusReplicasPath"):
            assert resolve_path(schema, scale[key]) == resolve_path(schema, scale[key]) is not None
            assert resolve_path(schema, scale[key])["type"] == "integer"  # type: ignore[index]


def test_names_and_columns() -> None:
    ic = CRDS["inferencecomponents.yaml"]["spec"]
    ie = CRDS["inferenceexperiments.yaml"]["spec"]
    assert ic["group"] == ie["group"] == "sagemaker.inference-operator.dev"
    assert ic["names"]["shortNames"] == ["smic", "sagemakeric"]
    assert ie["names"]["shortNames"] == ["smie", "sagemakerie"]
    assert ic["names"]["categories"] == ie["names"]["categories"] == ["sagemaker"]
    assert ic["scope"] == ie["scope"] == "Namespaced"
    cols = [c["name"] for c in ic["versions"][0]["additionalPrinterColumns"]]
    assert cols == ["Ready", "Status", "Endpoint", "Current", "Desired", "Age", "ARN", "Message"]
    cols = [c["name"] for c in ie["versions"][0]["additionalPrinterColumns"]]
    assert cols == ["Ready", "Status", "Endpoint", "End", "Age", "Reason"]
    assert ic["versions"][0]["subresources"]["scale"] == {
        "specReplicasPath": ".spec.runtimeConfig.copyCount",
        "statusReplicasPath": ".status.runtimeConfig.currentCopyCount",
    }


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        ("inferencecomponents.yaml", ["inferenceComponentName", "endpointName", "variantName"]),
        ("inferenceexperiments.yaml", ["name", "type", "roleArn", "endpointName", "kmsKey"]),
    ],
)
def test_immutable_fields_have_transition_rules(name: str, fields: list[str]) -> None:
    rules = schema_of(name)["properties"]["spec"]["x-kubernetes-validations"]
    for field in fields:
        (rule,) = [r for r in rules if r["message"] == f"{field} is immutable"]
        assert f"oldSelf.{field}" in rule["rule"] and f"!has(self.{field})" in rule["rule"]


def test_tags_are_a_list_map_keyed_by_key() -> None:
    for name in CRDS:
        tags = schema_of(name)["properties"]["spec"]["properties"]["tags"]
        assert tags["x-kubernetes-list-type"] == "map"
        assert tags["x-kubernetes-list-map-keys"] == ["key"]
        assert tags["items"]["required"] == ["key", "value"]
