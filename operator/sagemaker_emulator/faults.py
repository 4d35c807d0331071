"""Fault injection: throttling (a TPS quota and a probability), 5xx errors, latency, resets.

Rules are keyed by operation name, with ``"*"`` for every operation; an operation's own rule
wins over ``"*"``. Quotas are token buckets in *real* seconds (not scaled by the clock's time
scale): they model SageMaker's per-account API rate limits, which the operator must live with.
"""

from __future__ import annotations

import random
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from . import errors
from .clock import Clock


@dataclass
class Rule:
    throttle_probability: float = 0.0
    error_probability: float = 0.0  # answered with InternalFailure (500) or ServiceUnavailable (503)
    reset_probability: float = 0.0  # the connection is closed without an answer
    latency: float = 0.0  # seconds added before answering
    tps: float | None = None  # token-bucket quota; None = unlimited
    burst: float | None = None  # bucket size; defaults to max(1, tps)


@dataclass
class _Bucket:
    rate: float
    size: float
    tokens: float
    stamp: float = field(default_factory=time.monotonic)

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.size, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


class Faults:
    def __init__(self, clock: Clock, seed: int | None = None) -> None:
        self.clock = clock
        self.random = random.Random(seed)
        self.rules: dict[str, Rule] = {}
        self._buckets: dict[str, _Bucket] = {}
        self.throttled = 0

    def reset(self) -> None:
        self.rules.clear()
        self._buckets.clear()
        self.throttled = 0

    def set(self, operation: str = "*", **settings: Any) -> Rule:
        """Set (replace) the rule for ``operation``; unknown settings raise ``TypeError``."""
        rule = Rule(**settings)
        self.rules[operation] = rule
        self._buckets.pop(operation, None)
        return rule

    def clear(self, operation: str = "*") -> None:
        self.rules.pop(operation, None)
        self._buckets.pop(operation, None)

    def describe(self) -> dict[str, dict[str, Any]]:
        return {op: asdict(rule) for op, rule in self.rules.items()}

    def _rule(self, operation: str) -> tuple[str, Rule] | None:
        for key in (operation, "*"):
            rule = self.rules.get(key)
            if rule is not None:
                return key, rule
        return None

    def latency(self, operation: str) -> float:
        found = self._rule(operation)
        return found[1].latency if found else 0.0

    def should_reset(self, operation: str) -> bool:
        found = self._rule(operation)
        return bool(found and found[1].reset_probability and self.random.random() < found[1].reset_probability)

    def check(self, operation: str) -> None:
        """Raise the error this call should get, if any."""
        found = self._rule(operation)
        if found is None:
            return
        key, rule = found
        if rule.tps is not None:
            # A "*" quota is shared per operation, as SageMaker's quotas are per API.
            bucket_key = f"{key}:{operation}"
            bucket = self._buckets.get(bucket_key)
            if bucket is None:
                size = rule.burst if rule.burst is not None else max(1.0, rule.tps)
                bucket = self._buckets[bucket_key] = _Bucket(rule.tps, size, size)
            if not bucket.take():
                self.throttled += 1
                raise errors.throttled()
        if rule.throttle_probability and self.random.random() < rule.throttle_probability:
            self.throttled += 1
            raise errors.throttled()
        if rule.error_probability and self.random.random() < rule.error_probability:
            raise errors.internal() if self.random.random() < 0.5 else errors.unavailable()
