"""Pieces every reconciler shares."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Event:
    """A Kubernetes Event to post on the CR."""

    reason: str
    message: str
    warning: bool = False


def same(desired: Any, observed: Any) -> bool:
    """Is every member the user asked for present with the same value (SageMaker adds defaults)."""
    if isinstance(desired, dict):
        if not isinstance(observed, dict):
            return not desired
        return all(same(v, observed.get(k)) for k, v in desired.items())
    if isinstance(desired, list):
        if not isinstance(observed, list) or len(desired) != len(observed):
            return False
        return all(same(d, o) for d, o in zip(desired, observed, strict=True))
    if isinstance(desired, int | float) and isinstance(observed, int | float):
        return float(desired) == float(observed)
    return bool(desired == observed)
