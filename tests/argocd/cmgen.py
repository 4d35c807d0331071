"""Write argocd/argocd-cm.yaml, the argocd-cm entries carrying the health checks in argocd/health/.

    python tests/argocd/cmgen.py      (or `make argocd-cm`)

The Lua files are the source; tests fail when the ConfigMap snippet drifts from them.
"""

from __future__ import annotations

import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
HEALTH = ROOT / "argocd" / "health"
OUT = ROOT / "argocd" / "argocd-cm.yaml"
GROUP = "sagemaker.inference-operator.dev"
KINDS = ("InferenceComponent", "InferenceExperiment")

HEADER = """\
# Generated from argocd/health/*.lua by `make argocd-cm`. Do not edit.
# Argo CD reads custom health checks from its argocd-cm ConfigMap: merge these keys into it
# (kubectl patch, a kustomize patch, or the argo-cd Helm chart's `configs.cm`).
apiVersion: v1
kind: ConfigMap
metadata:
  name: argocd-cm
  namespace: argocd
  labels:
    app.kubernetes.io/name: argocd-cm
    app.kubernetes.io/part-of: argocd
data:
"""


def key(kind: str) -> str:
    return f"resource.customizations.health.{GROUP}_{kind}"


def render() -> str:
    parts = [HEADER]
    for kind in KINDS:
        lua = (HEALTH / f"{kind}.lua").read_text()
        body = "".join(f"    {line}" if line.strip() else "\n" for line in lua.splitlines(keepends=True))
        parts.append(f"  {key(kind)}: |\n{body}")
    return "".join(parts)


def main() -> int:
    OUT.write_text(render())
    print(f"wrote {OUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
