"""kopf wiring of the InferenceComponent controller (thin: the logic is in reconcile/).

- a daemon per CR loops: observe SageMaker -> reconcile (pure) -> act -> write status -> sleep
  (adaptive, see requeue.py); a cheap on.event handler wakes it when the spec changes;
- on.delete (kopf's finalizer) waits out transitions, deletes, and keeps the finalizer until
  SageMaker says the component is gone: it only ever raises TemporaryError, never gives up.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Any

import kopf
import pydantic

from .. import config, observer
from ..conditions import Verdict
from ..errors import SageMakerError
from ..gateway import SageMakerGateway, gateways
from ..models.base import GROUP, VERSION
from ..models.inference_component import KIND, PLURAL, InferenceComponentSpec
from ..ownership import Owner
from ..reconcile import inference_component as rec
from ..requeue import Pace
from ..status import StatusWriter, build, endpoint_summary
from .common import REGISTRY, act, daemon_loop, next_delay, wake_on_spec_change

Logger = logging.Logger | logging.LoggerAdapter[Any]

WRITER = StatusWriter(PLURAL, KIND, "inferenceComponentStatus")
_MEMORY_FIELDS = tuple(rec.Memory().to_status())


class _Invalid(Exception):
    pass


def _desired(body: kopf.Body, settings: config.Settings) -> rec.Desired:
    meta = body.get("metadata", {})
    try:
        spec = InferenceComponentSpec.model_validate(dict(body.get("spec") or {}))
    except pydantic.ValidationError as exc:
        raise _Invalid(str(exc)) from exc
    owner = Owner(meta["namespace"], KIND, meta["name"], meta["uid"], settings.cluster_id)
    return rec.Desired(spec.name_for(meta["name"]), int(meta.get("generation") or 1), owner, spec)


async def _observe(
    gw: SageMakerGateway, desired: rec.Desired, memo: Any, current: dict[str, Any], deleting: bool
) -> rec.Observed:
    """Describe what the cache cannot answer (observer.py); deletion always looks afresh."""
    return await observer.observe_component(gw, desired, memo, current, fresh=deleting)


async def _pass(body: kopf.Body, memo: Any, logger: Logger, deleting: bool) -> rec.Decision:
    """One observe -> reconcile -> act -> write status pass. Returns the decision taken."""
    settings = config.current()
    current: dict[str, Any] = memo.get("status") or dict(body.get("status") or {})
    memory = rec.Memory.from_status(current)
    try:
        desired = _desired(body, settings)
    except _Invalid as exc:
        decision = rec.Decision(Verdict(False, "InvalidSpec", str(exc), stalled=True), Pace.STEADY, memory)
        if deleting:  # nothing we can identify: let it go
            return replace(decision, done=True)
        await _write(body, memo, current, None, None, decision)
        return decision

    gw = gateways.get(desired.spec.region)
    observed: rec.Observed | None = None
    try:
        observed = await _observe(gw, desired, memo, current, deleting)
    except SageMakerError as err:
        decision = rec.observe_failed(memory, err)
    else:
        if deleting:
            decision = rec.reconcile_delete(desired, observed, memory, settings.remove_tags_on_retain)
        else:
            decision = rec.reconcile(desired, observed, memory)

    decision = await act(KIND, gw, body, decision, lambda d, err: rec.after_error(desired, d, err), logger)

    mirror = None if observed is None else (observed.component or {})
    endpoint = None if observed is None else endpoint_summary(observed.endpoint, desired.spec.endpoint_name)
    if not (deleting and decision.done):
        await _write(body, memo, current, mirror, endpoint, decision)
    else:
        meta = body.get("metadata", {})
        WRITER.forget(meta["namespace"], meta["name"])
    return decision


async def _write(
    body: kopf.Body,
    memo: Any,
    current: dict[str, Any],
    mirror: dict[str, Any] | None,
    endpoint: dict[str, Any] | None,
    decision: rec.Decision,
) -> None:
    meta = body.get("metadata", {})
    new = build(
        current,
        mirror=mirror,
        endpoint=endpoint,
        verdict=decision.verdict,
        generation=meta.get("generation"),
        bookkeeping=decision.memory.to_status(),
    )
    await WRITER.write(meta["namespace"], meta["name"], current, new)
    memo["status"] = new


@kopf.on.event(GROUP, VERSION, PLURAL, registry=REGISTRY)
async def wake_on_change(body: kopf.Body, memo: Any, **_: Any) -> None:
    """Async on purpose: kopf runs sync handlers in threads, and asyncio.Event is not thread-safe."""
    wake_on_spec_change(body, memo)


@kopf.daemon(GROUP, VERSION, PLURAL, registry=REGISTRY, cancellation_timeout=10.0)
async def run(body: kopf.Body, memo: Any, stopped: Any, logger: Logger, **_: Any) -> None:
    async def one_pass() -> float:
        return next_delay(memo, (await _pass(body, memo, logger, deleting=False)).pace)

    await daemon_loop(one_pass, memo, stopped, logger)


@kopf.on.delete(GROUP, VERSION, PLURAL, registry=REGISTRY)
async def delete(body: kopf.Body, memo: Any, logger: Logger, **_: Any) -> None:
    # No retries=/timeout=/PermanentError here: kopf would drop the finalizer and orphan the component.
    decision = await _pass(body, memo, logger, deleting=True)
    if not decision.done:
        raise kopf.TemporaryError(decision.verdict.message, delay=next_delay(memo, decision.pace))
