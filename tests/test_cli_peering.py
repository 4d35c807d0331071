"""kopf peering priorities for the replicas of one Deployment (the Helm chart's HA mode)."""

from __future__ import annotations

import pytest

from sagemaker_operator import cli


def test_replicas_get_distinct_stable_priorities() -> None:
    pods = [f"sio-sagemaker-inference-operator-7d9c-{suffix}" for suffix in ("abcde", "fghij", "klmno")]
    priorities = [cli.peering_priority("sio", None, pod) for pod in pods]
    assert len(set(priorities)) == 3 and all(p is not None and p > 0 for p in priorities)
    assert priorities == [cli.peering_priority("sio", None, pod) for pod in pods]  # stable across restarts


def test_explicit_priority_wins_and_standalone_has_none() -> None:
    assert cli.peering_priority("sio", 7, "pod-a") == 7
    assert cli.peering_priority(None, None, "pod-a") is None


def test_pod_id_is_the_default_identity(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("POD_ID", "pod-a")
    assert cli.peering_priority("sio", None) == cli.peering_priority("sio", None, "pod-a")
