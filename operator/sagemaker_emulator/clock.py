"""Time for the emulator: real wall-clock timestamps, scaled durations, and due events.

Transitions (Creating -> InService, scheduled starts, ...) are events on a heap. They fire
lazily, in time order, whenever anyone looks at the state (every API call and admin call runs
``Scheduler.run_due()`` first), so no background thread races with request handling and a
thousand resources cost nothing while nobody asks about them.
"""

from __future__ import annotations

import heapq
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field


class Clock:
    """Wall-clock time plus a time scale for how long SageMaker's operations take.

    ``time_scale`` 1.0 means realistic durations (an endpoint takes minutes); 0.001 makes a
    five-minute transition take 0.3 s. Only durations scale; timestamps stay real epoch seconds.
    """

    def __init__(self, time_scale: float = 1.0, now: Callable[[], float] = time.time) -> None:
        if time_scale <= 0:
            raise ValueError("time_scale must be positive")
        self.time_scale = time_scale
        self._now = now
        self.offset = 0.0  # advanced by tests/admin to jump ahead in time

    def now(self) -> float:
        return self._now() + self.offset

    def after(self, realistic_seconds: float) -> float:
        """The time at which something that takes ``realistic_seconds`` in SageMaker is done."""
        return self.now() + realistic_seconds * self.time_scale

    def advance(self, seconds: float) -> None:
        self.offset += seconds


@dataclass(order=True)
class _Event:
    at: float
    seq: int
    action: Callable[[], None] = field(compare=False)
    cancelled: bool = field(default=False, compare=False)


class Scheduler:
    """Due events in time order; an event may schedule further events."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._heap: list[_Event] = []
        self._seq = itertools.count()

    def at(self, when: float, action: Callable[[], None]) -> _Event:
        event = _Event(when, next(self._seq), action)
        heapq.heappush(self._heap, event)
        return event

    def after(self, realistic_seconds: float, action: Callable[[], None]) -> _Event:
        return self.at(self.clock.after(realistic_seconds), action)

    def run_due(self) -> int:
        """Fire every event whose time has come; return how many fired."""
        fired = 0
        now = self.clock.now()
        while self._heap and self._heap[0].at <= now:
            event = heapq.heappop(self._heap)
            if not event.cancelled:
                event.action()
                fired += 1
        return fired

    def next_due(self) -> float | None:
        live = [e.at for e in self._heap if not e.cancelled]
        return min(live) if live else None

    def __len__(self) -> int:
        return sum(1 for e in self._heap if not e.cancelled)
