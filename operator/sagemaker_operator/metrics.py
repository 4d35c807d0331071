"""Prometheus metrics of the operator's SageMaker traffic and reconciles."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from prometheus_client import Counter, Gauge, Histogram

SAGEMAKER_CALLS = Counter(
    "sagemaker_operator_api_calls_total",
    "SageMaker API calls by operation and outcome (ok or the error kind).",
    ["region", "operation", "outcome"],
)
SAGEMAKER_LATENCY = Histogram(
    "sagemaker_operator_api_call_seconds",
    "Latency of SageMaker API calls (including botocore's retries and the rate-limit wait).",
    ["region", "operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
SAGEMAKER_THROTTLES = Counter(
    "sagemaker_operator_api_throttles_total",
    "SageMaker calls that ended throttled after botocore's retries.",
    ["region", "operation"],
)
RECONCILES = Counter(
    "sagemaker_operator_reconciles_total",
    "Reconcile passes by kind, action taken (none when only observing) and result.",
    ["kind", "action", "result"],
)
STATUS_PATCHES = Counter(
    "sagemaker_operator_status_patches_total",
    "Status patches written (unchanged statuses are not written).",
    ["kind"],
)
RESOURCES = Gauge(
    "sagemaker_operator_resources",
    "Custom resources by kind and SageMaker status, as last written to their status.",
    ["kind", "sagemaker_status"],
)
TIME_TO_READY = Histogram(
    "sagemaker_operator_time_to_ready_seconds",
    "From Ready turning False (creation, update, drift, failure) to Ready turning True again.",
    ["kind"],
    buckets=(1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200),
)


def reconciled(kind: str, action: str | None, ready: bool, stalled: bool) -> None:
    result = "ready" if ready else "stalled" if stalled else "progressing"
    RECONCILES.labels(kind, action or "none", result).inc()


def _ready(status: dict[str, Any] | None) -> dict[str, Any] | None:
    return next((c for c in (status or {}).get("conditions") or [] if c.get("type") == "Ready"), None)


class StatusTracker:
    """Feeds RESOURCES and TIME_TO_READY from the statuses the operator writes."""

    def __init__(self, kind: str, status_field: str) -> None:
        self.kind = kind
        self.status_field = status_field
        self._last: dict[tuple[str, str], str] = {}

    def written(self, namespace: str, name: str, current: dict[str, Any] | None, new: dict[str, Any]) -> None:
        state = str(new.get(self.status_field) or "Unknown")
        previous = self._last.get((namespace, name))
        if previous != state:
            if previous is not None:
                RESOURCES.labels(self.kind, previous).dec()
            RESOURCES.labels(self.kind, state).inc()
            self._last[(namespace, name)] = state
        before, after = _ready(current), _ready(new)
        if before and after and before.get("status") != "True" and after.get("status") == "True":
            since = datetime.fromisoformat(str(before["lastTransitionTime"]).replace("Z", "+00:00"))
            TIME_TO_READY.labels(self.kind).observe(max(0.0, (datetime.now(UTC) - since).total_seconds()))

    def forget(self, namespace: str, name: str) -> None:
        previous = self._last.pop((namespace, name), None)
        if previous is not None:
            RESOURCES.labels(self.kind, previous).dec()
