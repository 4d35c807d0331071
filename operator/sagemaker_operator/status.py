"""The status writer: build the new status and patch it only when it changed.

Status = SageMaker's Describe output in lowerCamelCase (the mirror), a summary of the endpoint,
the conditions, observedGeneration and the reconciler's bookkeeping. It is written through the
status subresource with a JSON merge patch; fields that disappeared are sent as null. Nothing of
kopf's lives here (kopf keeps its state in annotations, see handlers/).
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from . import conditions, metrics, shapes
from .conditions import Verdict
from .models.base import GROUP, VERSION

# Status fields that are not ours to remove (left over from kopf's default storage, if any).
_FOREIGN = frozenset({"kopf"})


def endpoint_summary(endpoint: dict[str, Any] | None, name: str) -> dict[str, Any]:
    if endpoint is None:
        return {"name": name, "status": "NotFound"}
    summary = {
        "name": endpoint.get("EndpointName", name),
        "arn": endpoint.get("EndpointArn"),
        "status": endpoint.get("EndpointStatus"),
        "failureReason": endpoint.get("FailureReason"),
    }
    return {k: v for k, v in summary.items() if v is not None}


def build(
    current: dict[str, Any] | None,
    *,
    mirror: dict[str, Any] | None,
    endpoint: dict[str, Any] | None,
    verdict: Verdict,
    generation: int | None,
    bookkeeping: dict[str, Any],
    operation: str = "DescribeInferenceComponent",
) -> dict[str, Any]:
    """The complete new status. ``mirror`` is the raw ``operation`` output (None: keep the current mirror)."""
    current = current or {}
    new: dict[str, Any] = {}
    if mirror is None:
        keep = set(current) - {"conditions", "observedGeneration", "endpoint", *bookkeeping, *_FOREIGN}
        new.update({k: current[k] for k in keep})
    elif mirror:
        new.update(shapes.from_response(operation, mirror))
    if endpoint is not None:
        new["endpoint"] = endpoint
    elif "endpoint" in current:
        new["endpoint"] = current["endpoint"]
    new.update({k: v for k, v in bookkeeping.items() if v is not None})
    new["observedGeneration"] = generation
    new["conditions"] = conditions.build(verdict, generation, current.get("conditions"))
    return new


def merge_patch(current: dict[str, Any] | None, new: dict[str, Any], top: bool = True) -> dict[str, Any]:
    """A JSON merge patch (RFC 7396) turning ``current`` into ``new`` (empty when nothing changed).

    Nested objects are diffed recursively (a merge patch merges them, so stale keys must be
    nulled); lists are replaced whole.
    """
    current = current or {}
    patch: dict[str, Any] = {}
    for key, value in new.items():
        old = current.get(key)
        if isinstance(value, dict) and isinstance(old, dict):
            sub = merge_patch(old, value, top=False)
            if sub:
                patch[key] = sub
        elif old != value or key not in current:
            patch[key] = value
    for key in current:
        if key not in new and not (top and key in _FOREIGN):
            patch[key] = None
    return patch


class StatusWriter:
    """Patches the status subresource with the `kubernetes` client, off the event loop."""

    def __init__(self, plural: str, kind: str, status_field: str) -> None:
        self.plural = plural
        self.kind = kind
        self.tracker = metrics.StatusTracker(kind, status_field)

    def forget(self, namespace: str, name: str) -> None:
        """The CR is gone: drop it from the metrics."""
        self.tracker.forget(namespace, name)

    async def write(self, namespace: str, name: str, current: dict[str, Any] | None, new: dict[str, Any]) -> bool:
        patch = merge_patch(current, new)
        if not patch:
            return False
        from kubernetes import client

        api = client.CustomObjectsApi()
        call = functools.partial(
            api.patch_namespaced_custom_object_status,
            GROUP,
            VERSION,
            namespace,
            self.plural,
            name,
            {"status": patch},
        )
        await asyncio.get_running_loop().run_in_executor(None, call)
        metrics.STATUS_PATCHES.labels(self.kind).inc()
        self.tracker.written(namespace, name, current, new)
        return True
