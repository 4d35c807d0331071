"""docs/iam-policy.json grants exactly the SageMaker operations the operator's code calls.

The operator names every SageMaker call by its PascalCase operation name (gateway.call("X", ...)),
so a static scan of its string literals against botocore's SageMaker service model finds them all.
"""

from __future__ import annotations

import ast
import json
import pathlib
from collections.abc import Iterator
from typing import Any

import botocore.session

ROOT = pathlib.Path(__file__).resolve().parents[1]
SOURCE = ROOT / "operator" / "sagemaker_operator"
POLICY = json.loads((ROOT / "docs" / "iam-policy.json").read_text())
SAGEMAKER_OPERATIONS = frozenset(botocore.session.get_session().get_service_model("sagemaker").operation_names)


def _literals(tree: ast.AST) -> Iterator[str]:
    skip: set[int] = set()
    for node in ast.walk(tree):
        # gateway._READ_PREFIXES holds verbs ("Search" is also an operation name), not calls.
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id.endswith("PREFIXES") for t in node.targets
        ):
            skip.update(id(n) for n in ast.walk(node.value))
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in skip:
            yield node.value


def called_operations() -> dict[str, set[str]]:
    """SageMaker operation -> the modules naming it (models/ only describes request shapes)."""
    found: dict[str, set[str]] = {}
    for path in sorted(SOURCE.rglob("*.py")):
        if "models" in path.relative_to(SOURCE).parts:
            continue
        for literal in _literals(ast.parse(path.read_text())):
            if literal in SAGEMAKER_OPERATIONS:
                found.setdefault(literal, set()).add(str(path.relative_to(ROOT)))
    return found


def statements() -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = POLICY["Statement"]
    return result


def actions(prefix: str) -> set[str]:
    granted: set[str] = set()
    for statement in statements():
        assert statement["Effect"] == "Allow"
        listed = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        granted |= {a.removeprefix(prefix) for a in listed if a.startswith(prefix)}
    return granted


def test_scan_finds_the_inference_component_calls() -> None:
    called = called_operations()
    for op in ("CreateInferenceComponent", "DeleteInferenceComponent", "CreateInferenceExperiment", "AddTags"):
        assert op in called, f"the scan no longer sees {op}: did the gateway's calling convention change?"


def test_every_called_operation_is_granted() -> None:
    missing = {op: sorted(where) for op, where in called_operations().items() if op not in actions("sagemaker:")}
    assert not missing, f"add to docs/iam-policy.json: {missing}"


def test_no_granted_operation_is_unused() -> None:
    called = set(called_operations())
    granted = actions("sagemaker:")
    assert granted <= SAGEMAKER_OPERATIONS, f"not SageMaker operations: {granted - SAGEMAKER_OPERATIONS}"
    unused = granted - called
    assert not unused, f"granted but never called (least privilege): {sorted(unused)}"


def test_no_wildcards_and_passrole_only_to_sagemaker() -> None:
    for statement in statements():
        listed = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert not any("*" in a for a in listed)
        assert statement["Resource"] != "*"
    assert actions("iam:") == {"PassRole"}
    (passrole,) = [s for s in statements() if s["Action"] == "iam:PassRole"]
    assert passrole["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    assert {
        a.split(":")[0] for s in statements() for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])
    } == {
        "sagemaker",
        "iam",
    }
