"""Status-derived metrics: resources by SageMaker status and time to Ready."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from prometheus_client import REGISTRY

from sagemaker_operator import metrics


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def status(state: str, ready: str, since: datetime) -> dict[str, Any]:
    stamp = since.isoformat().replace("+00:00", "Z")
    return {
        "inferenceComponentStatus": state,
        "conditions": [{"type": "Ready", "status": ready, "lastTransitionTime": stamp}],
    }


def test_tracker_counts_resources_by_status_and_times_ready() -> None:
    tracker = metrics.StatusTracker("TestKind", "inferenceComponentStatus")
    gauge = "sagemaker_operator_resources"
    start = datetime.now(UTC) - timedelta(seconds=42)
    creating = status("Creating", "False", start)
    tracker.written("ns", "a", None, creating)
    tracker.written("ns", "b", None, creating)
    assert sample(gauge, kind="TestKind", sagemaker_status="Creating") == 2
    tracker.written("ns", "a", creating, status("InService", "True", datetime.now(UTC)))
    assert sample(gauge, kind="TestKind", sagemaker_status="Creating") == 1
    assert sample(gauge, kind="TestKind", sagemaker_status="InService") == 1
    count = sample("sagemaker_operator_time_to_ready_seconds_count", kind="TestKind")
    total = sample("sagemaker_operator_time_to_ready_seconds_sum", kind="TestKind")
    assert count == 1 and 42 <= total < 60
    tracker.forget("ns", "a")
    tracker.forget("ns", "b")
    assert sample(gauge, kind="TestKind", sagemaker_status="InService") == 0
    assert sample(gauge, kind="TestKind", sagemaker_status="Creating") == 0


def test_reconciles_by_kind_action_and_result() -> None:
    before = sample("sagemaker_operator_reconciles_total", kind="TestKind", action="none", result="stalled")
    metrics.reconciled("TestKind", None, ready=False, stalled=True)
    after = sample("sagemaker_operator_reconciles_total", kind="TestKind", action="none", result="stalled")
    assert after == before + 1
