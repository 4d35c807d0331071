"""Kubernetes conditions the kstatus way (kubectl wait, Flux, Argo CD understand them).

- Ready: always present. True only when SageMaker matches the spec of observedGeneration.
- Reconciling: present (True) only while the operator is working towards the spec.
- Stalled: present (True) only while progress needs a human (a permanent error).
lastTransitionTime changes only when a condition's status changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

READY = "Ready"
RECONCILING = "Reconciling"
STALLED = "Stalled"


def now_rfc3339() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass(frozen=True)
class Verdict:
    """What the reconciler concluded, in condition terms."""

    ready: bool
    reason: str
    message: str
    reconciling: bool = False
    stalled: bool = False


def build(
    verdict: Verdict, generation: int | None, previous: list[dict[str, Any]] | None, now: str | None = None
) -> list[dict[str, Any]]:
    """The new conditions list, keeping lastTransitionTime of conditions whose status is unchanged."""
    now = now or now_rfc3339()
    old = {c.get("type"): c for c in previous or [] if isinstance(c, dict)}

    def cond(type_: str, status: str) -> dict[str, Any]:
        prior = old.get(type_)
        same = prior is not None and prior.get("status") == status
        return {
            "type": type_,
            "status": status,
            "reason": verdict.reason,
            "message": verdict.message,
            "observedGeneration": generation,
            "lastTransitionTime": (prior or {}).get("lastTransitionTime") if same else now,
        }

    out = [cond(READY, "True" if verdict.ready else "False")]
    if verdict.reconciling:
        out.append(cond(RECONCILING, "True"))
    if verdict.stalled:
        out.append(cond(STALLED, "True"))
    return out


def get(conditions: list[dict[str, Any]] | None, type_: str) -> dict[str, Any] | None:
    for c in conditions or []:
        if isinstance(c, dict) and c.get("type") == type_:
            return c
    return None
