"""The observe step of every daemon pass: a Describe only when the cache cannot answer.

One ``RegionObserver`` per region (next to its gateway) holds, per kind, the refresher's newest
listing and an ``Entry`` per resource (last Describe, tags). A pass describes the resource when

- it is fresh on purpose (deletion), or we changed it since (the gateway tells us about every
  successful mutating call, from whichever controller);
- its List summary (status, LastModifiedTime) differs from its last Describe, or it is listed
  but was never described;
- it is transitional (Creating, Updating, ...): the daemon's own backoff paces those;
- its last Describe is older than the drift interval (tags and fields a summary cannot show).

Otherwise the cached Describe is returned, and the reconciler and status writer run on it as on
any other pass: one code path for state. A resource that is not listed and was never seen needs
no Describe at all. After a restart, a CR whose status says Ready/InService at its generation and
matches the List summary is taken at its word (its status is the Describe it was written from);
only the drift interval re-verifies it, spread at random over that interval.

DescribeEndpoint answers are shared by all components of an endpoint for ``endpoint_ttl``
(``poll.fast`` while the endpoint is not InService), one call in flight per endpoint.
Tags are cached per ARN, refreshed with a drift Describe and updated from our own tag calls.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

from . import config, metrics, shapes
from .gateway import SageMakerGateway
from .reconcile import inference_component as rec
from .refresher import INFERENCE_COMPONENT, INFERENCE_EXPERIMENT, Entry, KindSpec, Refresher, Store, key_of

log = logging.getLogger(__name__)

KINDS = (INFERENCE_COMPONENT, INFERENCE_EXPERIMENT)


def _tag_dict(tags: Any) -> dict[str, str]:
    return {t["Key"]: t.get("Value", "") for t in tags or []}


class RegionObserver:
    def __init__(self, gw: SageMakerGateway, settings: config.Settings) -> None:
        self.gw = gw
        self.settings = settings
        self.loop = asyncio.get_running_loop()
        self.stores: dict[str, Store] = {}
        self.refreshers: dict[str, Refresher] = {}
        self.tasks: dict[str, asyncio.Task[None]] = {}
        self.endpoints: dict[str, tuple[dict[str, Any] | None, float]] = {}
        self._inflight: dict[str, asyncio.Future[dict[str, Any] | None]] = {}
        self.rng = random.Random()
        gw.listeners.append(self.on_call)

    def store(self, spec: KindSpec) -> Store:
        """The kind's store; its refresher starts with the first daemon that asks."""
        s = self.stores.get(spec.kind)
        if s is None:
            s = self.stores[spec.kind] = Store(spec, self.gw.region)
            refresher = self.refreshers[spec.kind] = Refresher(self.gw, s, self.settings.refresh_interval)
            self.tasks[spec.kind] = self.loop.create_task(refresher.run(), name=f"refresh-{spec.kind}-{self.gw.region}")
        return s

    async def listed(self, spec: KindSpec) -> Store:
        """The store, after its first listing (or a timeout: then passes describe as before)."""
        s = self.store(spec)
        if not s.first.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(s.first.wait(), timeout=max(30.0, 2 * self.settings.refresh_interval))
        return s

    def close(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        self.tasks.clear()
        with contextlib.suppress(ValueError):
            self.gw.listeners.remove(self.on_call)

    # -- our own changes, reported by the gateway ------------------------------------------------
    def on_call(self, operation: str, params: dict[str, Any], result: dict[str, Any] | None) -> None:
        now = time.monotonic()
        for spec in KINDS:
            s = self.stores.get(spec.kind)
            if s is None or operation not in spec.mutations:
                continue
            e = s.entry(str(params.get(spec.name_param)))
            e.dirty = True
            if operation == spec.create_op and result is not None:
                # The tags we created it with are its tags: no ListTags needed.
                arn = result.get(f"{spec.kind}Arn") or result.get("Arn")
                if arn:
                    e.tags, e.tags_arn, e.tags_at = _tag_dict(params.get("Tags")), str(arn), now
                    s.by_arn[str(arn)] = str(params.get(spec.name_param))
        if operation in ("AddTags", "DeleteTags"):
            arn = str(params.get("ResourceArn"))
            for s in self.stores.values():
                name = s.by_arn.get(arn)
                tagged = s.entries.get(name) if name else None
                if tagged is None or tagged.tags is None or tagged.tags_arn != arn:
                    continue
                if result is None:  # did it apply? ask again
                    tagged.tags = None
                elif operation == "AddTags":
                    tagged.tags.update(_tag_dict(params.get("Tags")))
                else:
                    for k in params.get("TagKeys", []):
                        tagged.tags.pop(k, None)

    # -- endpoints -------------------------------------------------------------------------------
    async def endpoint(self, name: str) -> dict[str, Any] | None:
        cached = self.endpoints.get(name)
        now = time.monotonic()
        if cached is not None:
            in_service = cached[0] is not None and cached[0].get("EndpointStatus") == "InService"
            ttl = self.settings.endpoint_ttl if in_service else min(self.settings.poll.fast, self.settings.endpoint_ttl)
            if now - cached[1] < ttl:
                return cached[0]
        pending = self._inflight.get(name)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[dict[str, Any] | None] = self.loop.create_future()
        self._inflight[name] = future
        try:
            value = await self.gw.describe("DescribeEndpoint", EndpointName=name)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters get it, nobody else must
            raise
        else:
            self.endpoints[name] = (value, now)
            future.set_result(value)
            return value
        finally:
            del self._inflight[name]


class Observers:
    """The registry: one RegionObserver per region (a new event loop gets new ones)."""

    def __init__(self) -> None:
        self._by_region: dict[str, RegionObserver] = {}

    def get(self, gw: SageMakerGateway, settings: config.Settings) -> RegionObserver:
        obs = self._by_region.get(gw.region)
        if obs is None or obs.gw is not gw or obs.loop is not asyncio.get_running_loop():
            if obs is not None:
                obs.close()
            obs = self._by_region[gw.region] = RegionObserver(gw, settings)
        return obs

    def close(self) -> None:
        for obs in self._by_region.values():
            obs.close()
        self._by_region.clear()


observers = Observers()


async def _unbatched(gw: SageMakerGateway, desired: rec.Desired) -> rec.Observed:
    """Every pass describes everything (``refresh_interval: 0``)."""
    metrics.OBSERVATIONS.labels(INFERENCE_COMPONENT.kind, "unbatched").inc()
    endpoint = await gw.describe("DescribeEndpoint", EndpointName=desired.spec.endpoint_name)
    component = await gw.describe("DescribeInferenceComponent", InferenceComponentName=desired.name)
    return await _finish(
        gw, desired, endpoint, component, None if component is None else await gw.tags(_arn(component))
    )


async def _finish(
    gw: SageMakerGateway,
    desired: rec.Desired,
    endpoint: dict[str, Any] | None,
    component: dict[str, Any] | None,
    tags: dict[str, str] | None,
) -> rec.Observed:
    base_name = desired.spec.base_component_name
    if component is None and base_name is not None:
        # An adapter not created yet: its base must be there first (rare; not cached).
        base = await gw.describe("DescribeInferenceComponent", InferenceComponentName=base_name)
        return rec.Observed(endpoint, None, None, base)
    return rec.Observed(endpoint, component, tags)


def _arn(component: dict[str, Any]) -> str:
    return str(component["InferenceComponentArn"])


def _ready(status: dict[str, Any], generation: int) -> bool:
    if status.get("observedGeneration") != generation:
        return False
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])


def _seed(
    store: Store, e: Entry, desired: rec.Desired, status: dict[str, Any], drift: float, rng: random.Random
) -> bool:
    """Take a CR's status as the Describe it was written from, when the listing agrees (restart)."""
    spec = store.spec
    listed = store.listing.get(desired.name)
    arn = status.get("inferenceComponentArn")
    if listed is None or not arn or listed[0] in spec.transitional or not _ready(status, desired.generation):
        return False
    if status.get("inferenceComponentName") != desired.name:
        return False
    if (status.get("inferenceComponentStatus"), status.get("lastModifiedTime")) != listed:
        return False
    e.describe = shapes.to_response("DescribeInferenceComponent", status)
    e.observed, e.described_key = True, listed
    # Re-verified by a drift Describe some time within the drift interval, not all at once.
    e.described_at = time.monotonic() - rng.uniform(0, drift)
    # Ready at this generation means the tags matched the spec when the status was written.
    e.tags = {**rec.desired_tags(desired.spec), **desired.owner.tags()}
    e.tags_arn, e.tags_at = str(arn), e.described_at
    store.by_arn[str(arn)] = desired.name
    return True


def _why_describe(store: Store, e: Entry, name: str, now: float, drift: float, fresh: bool) -> str | None:
    """Why the cache cannot answer (None: it can)."""
    if fresh:
        return "fresh"
    if e.dirty:
        return "changed"
    if store.ticks == 0:
        return "unlisted"
    listed = store.listing.get(name)
    if not e.observed:
        return "new" if listed is not None else None
    if store.listing_at > e.described_at and listed != e.described_key:
        return "summary"
    if e.described_key is not None and e.described_key[0] in store.spec.transitional:
        return "transitional"
    if now - e.described_at > drift:
        return "drift"
    return None


async def _cached(
    gw: SageMakerGateway,
    obs: RegionObserver,
    spec: KindSpec,
    name: str,
    memo: Any,
    fresh: bool,
    describe: Callable[[], Awaitable[dict[str, Any] | None]],
    arn_key: str,
    seed: Callable[[Store, Entry], bool] | None = None,
) -> Entry:
    """The resource's entry, described first when the cache cannot answer (any kind)."""
    settings = obs.settings
    store = await obs.listed(spec)
    e = store.entry(name)
    wake = memo.get("wake") if hasattr(memo, "get") else None
    if isinstance(wake, asyncio.Event):
        e.wake = wake
    drift = settings.drift_interval

    if not e.observed and not fresh and not e.dirty and seed is not None and seed(store, e):
        metrics.OBSERVATIONS.labels(spec.kind, "seeded").inc()
        return e
    why = _why_describe(store, e, name, time.monotonic(), drift, fresh)
    if why is None:
        if not e.observed:
            # Not in the listing and never seen: it does not exist; nothing to ask.
            e.observed, e.describe, e.described_key, e.described_at = True, None, None, store.listing_at
        metrics.OBSERVATIONS.labels(spec.kind, "cache" if e.describe is not None else "absent").inc()
        return e

    started = time.monotonic()
    e.dirty = False
    try:
        found = await describe()
    except BaseException:
        e.dirty = e.dirty or why == "changed"
        raise
    e.observed, e.describe, e.described_key, e.described_at = True, found, key_of(spec, found), started
    metrics.OBSERVATIONS.labels(spec.kind, why).inc()
    if found is not None:
        arn = str(found[arn_key])
        store.by_arn[arn] = name
        stale_tags = e.tags is None or e.tags_arn != arn or started - e.tags_at > drift
        if stale_tags or why in ("fresh", "drift", "unlisted"):
            e.tags, e.tags_arn, e.tags_at = await gw.tags(arn), arn, started
    return e


async def observe_component(
    gw: SageMakerGateway, desired: rec.Desired, memo: Any, status: dict[str, Any] | None, fresh: bool = False
) -> rec.Observed:
    """What SageMaker says about the component and its endpoint, from the cache when it can."""
    settings = config.current()
    if settings.refresh_interval <= 0:
        return await _unbatched(gw, desired)
    obs = observers.get(gw, settings)
    name = desired.name

    def seed(store: Store, e: Entry) -> bool:
        return _seed(store, e, desired, status or {}, settings.drift_interval, obs.rng)

    e = await _cached(
        gw,
        obs,
        INFERENCE_COMPONENT,
        name,
        memo,
        fresh,
        lambda: gw.describe("DescribeInferenceComponent", InferenceComponentName=name),
        "InferenceComponentArn",
        seed,
    )
    endpoint = await obs.endpoint(desired.spec.endpoint_name)
    component = e.describe
    return await _finish(gw, desired, endpoint, component, None if component is None else dict(e.tags or {}))


async def observe_experiment(
    gw: SageMakerGateway, name: str, memo: Any, fresh: bool = False
) -> tuple[dict[str, Any] | None, dict[str, str] | None]:
    """DescribeInferenceExperiment and the experiment's tags, from the cache when it can
    (None, None when it does not exist). With ``refresh_interval: 0``, always asked."""
    settings = config.current()
    if settings.refresh_interval <= 0:
        found = await gw.describe("DescribeInferenceExperiment", Name=name)
        return found, None if found is None else await gw.tags(str(found["Arn"]))
    obs = observers.get(gw, settings)
    e = await _cached(
        gw,
        obs,
        INFERENCE_EXPERIMENT,
        name,
        memo,
        fresh,
        lambda: gw.describe("DescribeInferenceExperiment", Name=name),
        "Arn",
    )
    return e.describe, None if e.describe is None else dict(e.tags or {})


async def endpoint(gw: SageMakerGateway, name: str) -> dict[str, Any] | None:
    """DescribeEndpoint, shared by every resource of the endpoint for a while (see RegionObserver)."""
    settings = config.current()
    if settings.refresh_interval <= 0:
        return await gw.describe("DescribeEndpoint", EndpointName=name)
    return await observers.get(gw, settings).endpoint(name)
