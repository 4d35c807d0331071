"""Requeue policy and ownership claims."""

from __future__ import annotations

import random

from sagemaker_operator.config import PollSettings
from sagemaker_operator.ownership import CLUSTER_TAG, OWNER_TAG, UID_TAG, Claim, Owner, claim
from sagemaker_operator.requeue import Pace, Policy


def test_transitional_backs_off_to_cap() -> None:
    p = Policy(PollSettings(fast=1, factor=2, cap=10, jitter=0), random.Random(1))
    assert [p.delay(Pace.TRANSITIONAL, a) for a in range(6)] == [1, 2, 4, 8, 10, 10]
    assert p.delay(Pace.NOW, 5) == 1


def test_steady_has_jitter_within_bounds() -> None:
    p = Policy(PollSettings(steady=100, jitter=0.2), random.Random(1))
    values = {round(p.delay(Pace.STEADY, 0), 3) for _ in range(50)}
    assert len(values) > 10 and all(80 <= v <= 120 for v in values)


def test_claims() -> None:
    me = Owner("ns", "InferenceComponent", "a", "u1", "c1")
    assert claim(me.tags(), me) is Claim.OURS
    assert claim({}, me) is Claim.UNMANAGED
    assert claim({**me.tags(), UID_TAG: "u0"}, me) is Claim.PREVIOUS
    assert claim({**me.tags(), OWNER_TAG: "other/InferenceComponent/a"}, me) is Claim.OTHER
    assert claim({**me.tags(), CLUSTER_TAG: "c2"}, me) is Claim.OTHER
