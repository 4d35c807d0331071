"""The emulator's state and the single entry point every request goes through.

``Backend.call(operation, params, region)`` is the whole API: the HTTP server, the admin
interface and in-process tests all use it. Handlers for each SageMaker operation register
themselves with ``@operation("Name")`` in the modules under ``ops/``.
"""

from __future__ import annotations

import base64
import json
import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import errors
from .clock import Clock, Scheduler
from .faults import Faults
from .validation import validate

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-west-2"


@dataclass
class Call:
    """One API call as a handler sees it."""

    backend: Backend
    operation: str
    params: dict[str, Any]
    region: str
    request_id: str

    @property
    def state(self) -> RegionState:
        return self.backend.region(self.region)

    def arn(self, kind: str, name: str) -> str:
        return self.backend.arn(self.region, kind, name)


Handler = Callable[[Call], dict[str, Any]]
OPERATIONS: dict[str, Handler] = {}


def operation(name: str) -> Callable[[Handler], Handler]:
    """Register the handler of one SageMaker operation."""

    def register(handler: Handler) -> Handler:
        OPERATIONS[name] = handler
        return handler

    return register


@dataclass
class RegionState:
    """Everything SageMaker holds in one region of one account.

    Resource tables are keyed by the lowercased name (SageMaker names are unique without regard
    to case, as the lowercased ARN shows) and hold whatever record type the owning ops module uses.
    """

    name: str
    tables: dict[str, dict[str, Any]] = field(default_factory=dict)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)  # ARN -> {key: value}

    def table(self, kind: str) -> dict[str, Any]:
        return self.tables.setdefault(kind, {})


def partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


class Backend:
    """SageMaker in a box: state per region, a clock, fault injection, call counters."""

    def __init__(
        self,
        account: str = DEFAULT_ACCOUNT,
        default_region: str = DEFAULT_REGION,
        clock: Clock | None = None,
        seed: int | None = None,
    ) -> None:
        # Registering the handlers is a side effect of importing the ops modules.
        from . import ops  # noqa: F401

        self.account = account
        self.default_region = default_region
        self.clock = clock or Clock()
        self.scheduler = Scheduler(self.clock)
        self.faults = Faults(self.clock, seed=seed)
        self.lock = threading.RLock()
        self.counters: Counter[str] = Counter()
        self.errors: Counter[str] = Counter()
        self._regions: dict[str, RegionState] = {}
        # (kind, lowercased name) -> FailureReason for that resource's next transition; see forced.py
        self.forced_failures: dict[tuple[str, str], str] = {}
        # Per-instance-type endpoint quota overrides (instances per region); see limits.py
        self.instance_limits: dict[str, int] = {}

    # -- the API -------------------------------------------------------------------------------
    def call(self, operation_name: str, params: dict[str, Any], region: str | None = None) -> dict[str, Any]:
        region = region or self.default_region
        with self.lock:
            self.counters[operation_name] += 1
            try:
                self.faults.check(operation_name)
                self.scheduler.run_due()
                handler = OPERATIONS.get(operation_name)
                if handler is None:
                    raise errors.SageMakerError(
                        "UnknownOperationException",
                        f"The operation {operation_name} is not supported by sagemaker-emulator.",
                    )
                validate(operation_name, params)
                return handler(Call(self, operation_name, params, region, str(uuid.uuid4())))
            except errors.SageMakerError as err:
                self.errors[f"{operation_name}:{err.code}"] += 1
                raise

    def tick(self) -> int:
        """Let due transitions happen (what any call does first)."""
        with self.lock:
            return self.scheduler.run_due()

    # -- helpers for ops modules ---------------------------------------------------------------
    def region(self, name: str) -> RegionState:
        state = self._regions.get(name)
        if state is None:
            state = self._regions[name] = RegionState(name)
        return state

    def regions(self) -> Iterable[RegionState]:
        return list(self._regions.values())

    def arn(self, region: str, kind: str, name: str) -> str:
        return f"arn:{partition(region)}:sagemaker:{region}:{self.account}:{kind}/{name.lower()}"

    def reset(self) -> None:
        """Forget every resource, counter and fault."""
        with self.lock:
            self._regions.clear()
            self.scheduler = Scheduler(self.clock)
            self.counters.clear()
            self.errors.clear()
            self.faults.reset()
            self.forced_failures.clear()
            self.instance_limits.clear()


# -- pagination shared by every List operation -------------------------------------------------
def _encode_token(offset: int, fingerprint: str) -> str:
    raw = json.dumps({"o": offset, "f": fingerprint}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def paginate(items: list[Any], params: dict[str, Any], default_max: int = 10) -> tuple[list[Any], str | None]:
    """Slice ``items`` (already filtered and sorted) by ``NextToken``/``MaxResults``.

    The token carries the offset and a fingerprint of the query, so a token replayed with
    different filters is refused, as SageMaker refuses it.
    """
    fingerprint = json.dumps(
        {k: v for k, v in sorted(params.items()) if k not in ("NextToken", "MaxResults")}, default=str
    )
    fingerprint = uuid.uuid5(uuid.NAMESPACE_OID, fingerprint).hex[:16]
    offset = 0
    token = params.get("NextToken")
    if token:
        try:
            decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
            offset = int(decoded["o"])
            if decoded["f"] != fingerprint:
                raise ValueError
        except (ValueError, KeyError, TypeError, json.JSONDecodeError):
            raise errors.validation("Invalid pagination token because of a parameter change.") from None
    limit = int(params.get("MaxResults") or default_max)
    page = items[offset : offset + limit]
    nxt = offset + limit
    return page, (_encode_token(nxt, fingerprint) if nxt < len(items) else None)
