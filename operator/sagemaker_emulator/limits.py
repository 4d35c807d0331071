"""Account quotas for endpoint instances, checked synchronously like SageMaker's service limits.

Each instance type has a quota of instances per region (``DEFAULT_INSTANCE_LIMIT`` unless
overridden with ``set_instance_limits(backend, {"ml.g5.xlarge": 0})`` or
``POST /_emulator/limits {"ml.g5.xlarge": 0}``).
"""

from __future__ import annotations

from collections.abc import Mapping

from . import errors
from .backend import Backend

DEFAULT_INSTANCE_LIMIT = 20


def set_instance_limits(backend: Backend, limits: Mapping[str, int | None]) -> dict[str, int]:
    """Override per-instance-type quotas (``None`` restores the default); return the overrides."""
    with backend.lock:
        for instance_type, limit in limits.items():
            if limit is None:
                backend.instance_limits.pop(instance_type, None)
            else:
                backend.instance_limits[instance_type] = int(limit)
        return dict(backend.instance_limits)


def instance_limit(backend: Backend, instance_type: str) -> int:
    return backend.instance_limits.get(instance_type, DEFAULT_INSTANCE_LIMIT)


def check_instance_limit(backend: Backend, instance_type: str, current: int, delta: int) -> None:
    """Raise ResourceLimitExceeded if ``current + delta`` instances exceed the quota."""
    limit = instance_limit(backend, instance_type)
    if delta > 0 and current + delta > limit:
        raise errors.limit_exceeded(
            f"The account-level service limit '{instance_type} for endpoint usage' is {limit} Instances, "
            f"with current utilization of {current} Instances and a request delta of {delta} Instances. "
            "Please contact AWS support to request an increase for this limit."
        )
