"""The refresher: one List per region and kind per tick instead of one Describe per resource.

Each tick lists the summaries of every resource of a kind (``MaxResults=100`` per page, sorted by
name so pages stay stable while resources are created) and keeps them in a ``Store``. A resource
whose summary (status, LastModifiedTime) no longer matches what its last Describe said has its
daemon woken: the daemon's observe step (observer.py) then describes it, through the same
reconciler and status writer as every other pass. Steady resources cost their share of a List
page and nothing else.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import metrics
from .errors import SageMakerError
from .gateway import SageMakerGateway
from .shapes import rfc3339

log = logging.getLogger(__name__)

PAGE_SIZE = 100
Key = tuple[str, str]
"""What a List summary tells about a resource: (status, LastModifiedTime as RFC 3339)."""


@dataclass(frozen=True)
class KindSpec:
    """How to list one kind of SageMaker resource and which of our calls change it."""

    kind: str
    list_op: str
    items_key: str
    name_key: str  # the name in summaries and Describe outputs
    status_key: str
    name_param: str  # the name's parameter in mutating calls
    mutations: frozenset[str]
    create_op: str
    transitional: frozenset[str]


INFERENCE_COMPONENT = KindSpec(
    kind="InferenceComponent",
    list_op="ListInferenceComponents",
    items_key="InferenceComponents",
    name_key="InferenceComponentName",
    status_key="InferenceComponentStatus",
    name_param="InferenceComponentName",
    mutations=frozenset(
        {
            "CreateInferenceComponent",
            "UpdateInferenceComponent",
            "UpdateInferenceComponentRuntimeConfig",
            "DeleteInferenceComponent",
        }
    ),
    create_op="CreateInferenceComponent",
    transitional=frozenset({"Creating", "Updating", "Deleting"}),
)
INFERENCE_EXPERIMENT = KindSpec(
    kind="InferenceExperiment",
    list_op="ListInferenceExperiments",
    items_key="InferenceExperiments",
    name_key="Name",
    status_key="Status",
    name_param="Name",
    mutations=frozenset(
        {
            "CreateInferenceExperiment",
            "UpdateInferenceExperiment",
            "StartInferenceExperiment",
            "StopInferenceExperiment",
            "DeleteInferenceExperiment",
        }
    ),
    create_op="CreateInferenceExperiment",
    transitional=frozenset({"Creating", "Starting", "Stopping", "Updating"}),
)


def key_of(spec: KindSpec, record: dict[str, Any] | None) -> Key | None:
    """The summary key of a List summary or a Describe output (None: the resource does not exist)."""
    if record is None:
        return None
    modified = record.get("LastModifiedTime")
    if isinstance(modified, datetime):
        modified = rfc3339(modified)
    return (str(record.get(spec.status_key) or ""), str(modified or ""))


@dataclass(slots=True)
class Entry:
    """What we know about one resource: its last Describe, its tags, and who to wake."""

    observed: bool = False  # `describe` is an observation (None there = not found)
    describe: dict[str, Any] | None = None
    described_key: Key | None = None
    described_at: float = float("-inf")  # monotonic start of the Describe (or of the List it came from)
    dirty: bool = False  # we changed it since: the next observation must Describe
    tags: dict[str, str] | None = None
    tags_arn: str | None = None
    tags_at: float = float("-inf")
    wake: asyncio.Event | None = None  # the daemon's memo["wake"]


@dataclass
class Store:
    """The newest complete listing of one kind in one region, and the entries daemons consult."""

    spec: KindSpec
    region: str
    listing: dict[str, Key] = field(default_factory=dict)
    listing_at: float = float("-inf")  # monotonic start of the newest complete listing
    ticks: int = 0  # complete listings so far
    entries: dict[str, Entry] = field(default_factory=dict)
    by_arn: dict[str, str] = field(default_factory=dict)
    first: asyncio.Event = field(default_factory=asyncio.Event)

    def entry(self, name: str) -> Entry:
        e = self.entries.get(name)
        if e is None:
            e = self.entries[name] = Entry()
        return e

    def apply(self, listing: dict[str, Key], started: float) -> int:
        """Install a complete listing; wake the daemons whose resource changed. Returns how many changed."""
        self.listing, self.listing_at = listing, started
        self.ticks += 1
        self.first.set()
        woken = 0
        for name, e in self.entries.items():
            if e.observed and started > e.described_at and listing.get(name) != e.described_key:
                woken += 1
                if e.wake is not None:
                    e.wake.set()
        metrics.REFRESH_WAKES.labels(self.region, self.spec.kind).inc(woken)
        metrics.LISTED.labels(self.region, self.spec.kind).set(len(listing))
        return woken


class Refresher:
    """Lists one kind in one region every ``interval`` seconds, forever (an asyncio task)."""

    def __init__(self, gw: SageMakerGateway, store: Store, interval: float) -> None:
        self.gw = gw
        self.store = store
        self.interval = interval

    async def tick(self) -> int:
        """One complete listing (all pages). Returns the number of daemons woken."""
        spec = self.store.spec
        started = time.monotonic()
        listing: dict[str, Key] = {}
        token: str | None = None
        while True:
            params: dict[str, Any] = {"MaxResults": PAGE_SIZE, "SortBy": "Name", "SortOrder": "Ascending"}
            if token:
                params["NextToken"] = token
            page = await self.gw.call(spec.list_op, **params)
            for summary in page.get(spec.items_key, []):
                k = key_of(spec, summary)
                assert k is not None
                listing[summary[spec.name_key]] = k
            token = page.get("NextToken")
            if not token:
                break
        metrics.REFRESH_TICKS.labels(self.gw.region, spec.kind).inc()
        return self.store.apply(listing, started)

    async def run(self) -> None:
        while True:
            try:
                await self.tick()
            except asyncio.CancelledError:
                raise
            except SageMakerError as err:  # throttled or away: the next tick tries again
                log.warning("listing %s in %s failed: %s", self.store.spec.kind, self.gw.region, err)
            except Exception:  # a bug: keep refreshing, daemons fall back to describing
                log.exception("listing %s in %s failed", self.store.spec.kind, self.gw.region)
            await asyncio.sleep(self.interval)
