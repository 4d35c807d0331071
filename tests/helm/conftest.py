"""Fixtures for the chart tests: the real `helm` binary and a renderer that parses its output."""

from __future__ import annotations

import os
import pathlib
import subprocess
from collections.abc import Callable
from typing import Any

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHART = ROOT / "helm" / "sagemaker-inference-operator"
RELEASE = "sio"
NAMESPACE = "sagemaker-system"
FULLNAME = "sio-sagemaker-inference-operator"
GROUP = "sagemaker.inference-operator.dev"
CRS = ("inferencecomponents", "inferenceexperiments")
KOPF_CRDS = {"clusterkopfpeerings.kopf.dev", "kopfpeerings.kopf.dev"}

Render = Callable[..., list[dict[str, Any]]]


@pytest.fixture(scope="session")
def helm_bin(kube_binaries: Any) -> pathlib.Path:
    """helm at the pinned version, provisioned by kube_testenv (HELM_BIN overrides it there)."""
    return pathlib.Path(kube_binaries.helm)


def set_args(values: dict[str, Any]) -> list[str]:
    """{"a.b": 1, "c": [x, y]} -> helm --set-json flags (JSON keeps types: no --set string guessing)."""
    import json

    return [arg for key, value in values.items() for arg in ("--set-json", f"{key}={json.dumps(value)}")]


@pytest.fixture(scope="session")
def helm(helm_bin: pathlib.Path, tmp_path_factory: pytest.TempPathFactory) -> Callable[..., str]:
    """Run helm with a private home (no user repositories or plugins leak in); return stdout."""
    home = tmp_path_factory.mktemp("helm-home")
    env = {
        **os.environ,
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
    }

    def run(*args: str, check: bool = True) -> str:
        proc = subprocess.run([str(helm_bin), *args], env=env, capture_output=True, text=True, timeout=120)
        if check and proc.returncode != 0:
            raise AssertionError(f"helm {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}")
        return proc.stdout if check else proc.stdout + proc.stderr

    return run


@pytest.fixture(scope="session")
def render(helm: Callable[..., str]) -> Render:
    """`helm template --include-crds` (what `helm install` and Argo CD apply) with the given values
    (dotted keys); returns the parsed documents."""

    def template(values: dict[str, Any] | None = None, *extra: str) -> list[dict[str, Any]]:
        flags = ("--namespace", NAMESPACE, "--include-crds", *set_args(values or {}), *extra)
        out = helm("template", RELEASE, str(CHART), *flags)
        return [doc for doc in yaml.safe_load_all(out) if doc]

    return template


def sagemaker_crds(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [d for d in by_kind(docs, "CustomResourceDefinition") if d["spec"]["group"] == GROUP]


def by_kind(docs: list[dict[str, Any]], kind: str) -> list[dict[str, Any]]:
    return [d for d in docs if d["kind"] == kind]


def one(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [d for d in by_kind(docs, kind) if name is None or d["metadata"]["name"] == name]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def container(docs: list[dict[str, Any]]) -> dict[str, Any]:
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    (c,) = pod["containers"]
    result: dict[str, Any] = c
    return result


def env_of(docs: list[dict[str, Any]]) -> dict[str, Any]:
    return {e["name"]: e.get("value", e.get("valueFrom")) for e in container(docs)["env"]}
