"""argocd/application.yaml: sync waves, sync options, and chart values the chart accepts."""

from __future__ import annotations

import json
import pathlib
from collections.abc import Callable
from typing import Any

import yaml

from .conftest import CHART, ROOT, sagemaker_crds

APPS = {d["metadata"]["name"]: d for d in yaml.safe_load_all((ROOT / "argocd" / "application.yaml").read_text())}


def wave(obj: dict[str, Any]) -> int:
    return int(obj["metadata"].get("annotations", {}).get("argocd.argoproj.io/sync-wave", "0"))


def test_applications_sync_in_order() -> None:
    operator, workloads = APPS["sagemaker-inference-operator"], APPS["sagemaker-inference-workloads"]
    assert wave(operator) < wave(workloads)
    assert "ServerSideApply=true" in operator["spec"]["syncPolicy"]["syncOptions"]
    assert "SkipDryRunOnMissingResource=true" in workloads["spec"]["syncPolicy"]["syncOptions"]
    assert (ROOT / operator["spec"]["source"]["path"]) == CHART
    assert (ROOT / workloads["spec"]["source"]["path"]).is_dir()


def test_application_values_render(helm: Callable[..., str], tmp_path: pathlib.Path) -> None:
    """The Application's Helm values pass the chart's schema; CRDs land in wave -1, the rest in 0."""
    values = tmp_path / "values.yaml"
    values.write_text(json.dumps(APPS["sagemaker-inference-operator"]["spec"]["source"]["helm"]["valuesObject"]))
    out = helm("template", "sagemaker-inference-operator", str(CHART), "-n", "sagemaker-system", "-f", str(values))
    docs = [d for d in yaml.safe_load_all(out) if d]
    crds = sagemaker_crds(docs)
    assert crds and all(wave(c) == -1 for c in crds)
    assert all(c["metadata"]["annotations"]["argocd.argoproj.io/sync-options"] == "Prune=false" for c in crds)
    assert all(wave(d) == 0 for d in docs if d not in crds)
