"""When to look at a resource again.

Transitional states (Creating, Updating, Deleting, waiting for the endpoint) are polled fast at
first and then less often (SageMaker transitions take minutes: polling every 5 s for 10 minutes
is 120 calls per resource for nothing). Steady states (InService, Failed, Stalled) are re-checked
slowly with jitter, only to notice drift.
"""

from __future__ import annotations

import enum
import random

from .config import PollSettings


class Pace(enum.Enum):
    TRANSITIONAL = "transitional"  # SageMaker is busy; poll with backoff
    STEADY = "steady"  # nothing to do; re-check for drift
    ERROR = "error"  # transient error (throttled, 5xx, in progress); retry with backoff
    NOW = "now"  # we just acted; look again soon to see the effect


class Policy:
    def __init__(self, poll: PollSettings, rng: random.Random | None = None) -> None:
        self.poll = poll
        self.rng = rng or random.Random()

    def delay(self, pace: Pace, attempt: int) -> float:
        """Seconds to wait; ``attempt`` counts consecutive passes with the same pace (from 0)."""
        p = self.poll
        if pace is Pace.STEADY:
            return max(0.0, p.steady * (1.0 + self.rng.uniform(-p.jitter, p.jitter)))
        base = p.error if pace is Pace.ERROR else p.fast
        if pace is Pace.NOW:
            return min(base, p.cap)
        # A little jitter here too, so resources created together don't poll in lockstep.
        raw = min(p.cap, base * (p.factor ** max(0, attempt)))
        return raw * (1.0 + self.rng.uniform(0, p.jitter / 2))
