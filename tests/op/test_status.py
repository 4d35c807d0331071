"""Status building and the merge patch the writer sends."""

from __future__ import annotations

from sagemaker_operator import conditions, status
from sagemaker_operator.conditions import Verdict


def test_merge_patch_nulls_removed_keys_recursively() -> None:
    cur = {"a": 1, "n": {"x": 1, "y": 2}, "l": [1, 2], "kopf": {"progress": {}}}
    new = {"a": 1, "n": {"x": 1}, "l": [1]}
    assert status.merge_patch(cur, new) == {"n": {"y": None}, "l": [1]}
    assert status.merge_patch(new, new) == {}


def test_build_mirrors_describe_and_keeps_transition_time() -> None:
    describe = {
        "InferenceComponentName": "ic",
        "InferenceComponentStatus": "InService",
        "RuntimeConfig": {"DesiredCopyCount": 2, "CurrentCopyCount": 2},
    }
    v = Verdict(True, "InService", "ok")
    first = status.build(
        None,
        mirror=describe,
        endpoint={"name": "ep"},
        verdict=v,
        generation=3,
        bookkeeping={"failedGeneration": None, "managedTagKeys": ["a"]},
    )
    assert first["inferenceComponentStatus"] == "InService"
    assert first["runtimeConfig"] == {"desiredCopyCount": 2, "currentCopyCount": 2}
    assert first["observedGeneration"] == 3 and first["managedTagKeys"] == ["a"] and "failedGeneration" not in first
    ready = conditions.get(first["conditions"], "Ready")
    assert ready and ready["status"] == "True"
    second = status.build(
        first, mirror=describe, endpoint={"name": "ep"}, verdict=v, generation=3, bookkeeping={"managedTagKeys": ["a"]}
    )
    assert status.merge_patch(first, second) == {}


def test_conditions_reconciling_and_stalled_only_while_true() -> None:
    c = conditions.build(Verdict(False, "Creating", "m", reconciling=True), 1, None, now="t1")
    assert [x["type"] for x in c] == ["Ready", "Reconciling"]
    c2 = conditions.build(Verdict(False, "Failed", "m", stalled=True), 1, c, now="t2")
    assert [x["type"] for x in c2] == ["Ready", "Stalled"]
    assert c2[0]["lastTransitionTime"] == "t1"  # Ready stayed False
    c3 = conditions.build(Verdict(True, "InService", "m"), 2, c2, now="t3")
    assert [x["type"] for x in c3] == ["Ready"] and c3[0]["lastTransitionTime"] == "t3"
    assert c3[0]["observedGeneration"] == 2


def test_missing_observation_keeps_mirror() -> None:
    cur = {"inferenceComponentStatus": "InService", "conditions": [], "observedGeneration": 1}
    new = status.build(
        cur,
        mirror=None,
        endpoint=None,
        verdict=Verdict(False, "Retrying", "x", reconciling=True),
        generation=1,
        bookkeeping={},
    )
    assert new["inferenceComponentStatus"] == "InService"
