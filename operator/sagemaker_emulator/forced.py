"""Forced failures: make the next transition of a named resource fail, for tests and demos.

Any ops module can consult this from its transitions (Creating -> InService, Updating -> ...):

    reason = take_forced_failure(call.backend, "endpoint", name)
    if reason is not None:
        ...  # end as Failed (or roll back) with FailureReason = reason

A forced failure is consumed by the first transition that takes it, so a retry succeeds.
Set over HTTP with ``POST /_emulator/fail {"kind": "endpoint", "name": "ep", "reason": "..."}``.
"""

from __future__ import annotations

from .backend import Backend

DEFAULT_REASON = "Forced failure injected by sagemaker-emulator."


def force_failure(backend: Backend, kind: str, name: str, reason: str | None = None) -> None:
    """Make the next transition of resource ``kind``/``name`` fail with ``reason``."""
    with backend.lock:
        backend.forced_failures[(kind, name.lower())] = reason or DEFAULT_REASON


def take_forced_failure(backend: Backend, kind: str, name: str) -> str | None:
    """The FailureReason forced on ``kind``/``name``, consuming it; None if nothing is forced."""
    with backend.lock:
        return backend.forced_failures.pop((kind, name.lower()), None)


def pending_forced_failures(backend: Backend) -> dict[str, str]:
    """Every forced failure not yet taken, as ``{"kind/name": reason}`` (for the admin API)."""
    with backend.lock:
        return {f"{kind}/{name}": reason for (kind, name), reason in backend.forced_failures.items()}
