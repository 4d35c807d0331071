"""The Argo CD health checks, run by a real Lua interpreter the way Argo CD runs them.

Argo CD (gopher-lua, Lua 5.1) sets the live object as the global `obj` and reads the returned
table's `status` and `message`. Each fixture in argocd/health/testdata is listed with its expected
health in argocd/health/<Kind>_test.yaml (Argo CD's own health_test.yaml format).
"""

from __future__ import annotations

import pathlib
from typing import Any

import lupa.lua51
import lupa.lua54
import pytest
import yaml

from sagemaker_operator.models import InferenceComponent, InferenceExperiment

from .cmgen import HEALTH, KINDS, OUT, key, render

MODELS: dict[str, Any] = {"InferenceComponent": InferenceComponent, "InferenceExperiment": InferenceExperiment}
ARGO_STATUSES = {"Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown"}


def cases() -> list[Any]:
    found = []
    for kind in KINDS:
        spec = yaml.safe_load((HEALTH / f"{kind}_test.yaml").read_text())
        for case in spec["tests"]:
            path = case["inputPath"]
            found.append(pytest.param(kind, path, case["healthStatus"], id=f"{kind}-{pathlib.Path(path).stem}"))
    return found


def to_lua(runtime: Any, value: Any) -> Any:
    """A YAML value as Argo CD hands it to Lua: maps and lists become (1-based) tables."""
    if isinstance(value, dict):
        return runtime.table_from({k: to_lua(runtime, v) for k, v in value.items()})
    if isinstance(value, list):
        return runtime.table_from([to_lua(runtime, v) for v in value])
    return value


def health(module: Any, kind: str, obj: dict[str, Any]) -> dict[str, Any]:
    runtime = module.LuaRuntime(unpack_returned_tuples=True)
    runtime.globals().obj = to_lua(runtime, obj)
    result = runtime.execute((HEALTH / f"{kind}.lua").read_text())
    return dict(result.items())


@pytest.mark.parametrize("kind, path, expected", cases())
@pytest.mark.parametrize("lua", [lupa.lua51, lupa.lua54], ids=["lua5.1", "lua5.4"])
def test_health(lua: Any, kind: str, path: str, expected: dict[str, str]) -> None:
    obj = yaml.safe_load((HEALTH / path).read_text())
    assert obj["kind"] == kind
    assert health(lua, kind, obj) == {"status": expected["status"], "message": expected["message"]}
    assert expected["status"] in ARGO_STATUSES


@pytest.mark.parametrize("kind", KINDS)
def test_fixtures_are_valid_objects(kind: str) -> None:
    """The fixtures are objects the operator could really produce: they validate against its models."""
    paths = sorted((HEALTH / "testdata" / kind).glob("*.yaml"))
    listed = {c["inputPath"] for c in yaml.safe_load((HEALTH / f"{kind}_test.yaml").read_text())["tests"]}
    assert {str(p.relative_to(HEALTH)) for p in paths} == listed, "every fixture is listed, and only those"
    for path in paths:
        MODELS[kind].model_validate(yaml.safe_load(path.read_text()))


@pytest.mark.parametrize("kind", KINDS)
def test_every_outcome_is_covered(kind: str) -> None:
    listed = yaml.safe_load((HEALTH / f"{kind}_test.yaml").read_text())["tests"]
    expected = {c["healthStatus"]["status"] for c in listed}
    wanted = {"Healthy", "Progressing", "Degraded"} | ({"Suspended"} if kind == "InferenceExperiment" else set())
    assert wanted <= expected


def test_argocd_cm_snippet_is_in_sync() -> None:
    assert OUT.read_text() == render(), "argocd/argocd-cm.yaml is stale: run `make argocd-cm`"
    data = yaml.safe_load(OUT.read_text())["data"]
    for kind in KINDS:
        assert data[key(kind)] == (HEALTH / f"{kind}.lua").read_text()
