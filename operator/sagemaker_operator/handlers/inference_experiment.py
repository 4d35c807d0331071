"""kopf wiring of the InferenceExperiment controller (thin: the logic is in reconcile/).

Same shape as the InferenceComponent controller: a daemon per CR loops observe -> reconcile
(pure) -> act -> write status -> sleep; an on.event handler wakes it when the spec changes;
on.delete (kopf's finalizer) stops a running experiment, waits out Stopping and deletes it, and
only ever raises TemporaryError (never gives up, so the finalizer stays while the experiment exists).

Steady states (Created, Running) are re-checked at the steady pace but never later than the
experiment's own start or end time, so a scheduled start or the automatic completion shows up.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import kopf
import pydantic

from .. import config, observer
from ..conditions import Verdict
from ..errors import SageMakerError
from ..gateway import SageMakerGateway, gateways
from ..models.base import GROUP, VERSION
from ..models.inference_experiment import KIND, PLURAL, InferenceExperimentSpec
from ..ownership import Owner
from ..reconcile import inference_experiment as rec
from ..requeue import Pace
from ..status import StatusWriter, build
from .common import REGISTRY, act, daemon_loop, next_delay, wake_on_spec_change

Logger = logging.Logger | logging.LoggerAdapter[Any]

WRITER = StatusWriter(PLURAL, KIND, "status")
DUE_MARGIN = 2.0  # seconds after a start/end time before looking (SageMaker needs a moment)


class _Invalid(Exception):
    pass


def _desired(body: kopf.Body, settings: config.Settings) -> rec.Desired:
    meta = body.get("metadata", {})
    try:
        spec = InferenceExperimentSpec.model_validate(dict(body.get("spec") or {}))
    except pydantic.ValidationError as exc:
        raise _Invalid(str(exc)) from exc
    owner = Owner(meta["namespace"], KIND, meta["name"], meta["uid"], settings.cluster_id)
    return rec.Desired(spec.name_for(meta["name"]), int(meta.get("generation") or 1), owner, spec, datetime.now(UTC))


async def _observe(gw: SageMakerGateway, desired: rec.Desired, memo: Any, deleting: bool) -> rec.Observed:
    # Batched: a Describe only when the List summary changed, right after our changes, or on drift.
    experiment, tags = await observer.observe_experiment(gw, desired.name, memo, fresh=deleting)
    if experiment is None:
        endpoint = None
        if not deleting and desired.spec.desired_state == "Running":
            endpoint = await observer.endpoint(gw, desired.spec.endpoint_name)
        return rec.Observed(None, None, endpoint)
    return rec.Observed(experiment, tags)


async def reconcile_once(body: kopf.Body, memo: Any, logger: Logger, deleting: bool) -> rec.Decision:
    """One observe -> reconcile -> act -> write status pass. Returns the decision taken."""
    settings = config.current()
    current: dict[str, Any] = memo.get("status") or dict(body.get("status") or {})
    memory = rec.Memory.from_status(current)
    try:
        desired = _desired(body, settings)
    except _Invalid as exc:
        decision = rec.Decision(Verdict(False, "InvalidSpec", str(exc), stalled=True), Pace.STEADY, memory)
        if deleting:
            return replace(decision, done=True)
        await _write(body, memo, current, None, decision)
        return decision

    gw = gateways.get(desired.spec.region)
    observed: rec.Observed | None = None
    try:
        observed = await _observe(gw, desired, memo, deleting)
    except SageMakerError as err:
        decision = rec.observe_failed(memory, err)
    else:
        if deleting:
            decision = rec.reconcile_delete(desired, observed, memory, settings.remove_tags_on_retain)
        else:
            decision = rec.reconcile(desired, observed, memory)

    decision = await act(
        KIND, gw, body, decision, lambda d, err: rec.after_error(desired, d, err, deleting=deleting), logger
    )

    mirror = None if observed is None else (observed.experiment or {})
    if not (deleting and decision.done):
        await _write(body, memo, current, mirror, decision)
    else:
        meta = body.get("metadata", {})
        WRITER.forget(meta["namespace"], meta["name"])
    return decision


async def _write(
    body: kopf.Body, memo: Any, current: dict[str, Any], mirror: dict[str, Any] | None, decision: rec.Decision
) -> None:
    meta = body.get("metadata", {})
    new = build(
        current,
        mirror=mirror,
        endpoint=None,
        verdict=decision.verdict,
        generation=meta.get("generation"),
        bookkeeping=decision.memory.to_status(),
        operation="DescribeInferenceExperiment",
    )
    await WRITER.write(meta["namespace"], meta["name"], current, new)
    memo["status"] = new


def delay_for(memo: Any, decision: rec.Decision) -> float:
    delay = next_delay(memo, decision.pace)
    if decision.due is not None:
        delay = min(delay, decision.due + DUE_MARGIN)
    return delay


@kopf.on.event(GROUP, VERSION, PLURAL, registry=REGISTRY)
async def wake_on_change(body: kopf.Body, memo: Any, **_: Any) -> None:
    wake_on_spec_change(body, memo)


@kopf.daemon(GROUP, VERSION, PLURAL, registry=REGISTRY, cancellation_timeout=10.0)
async def run(body: kopf.Body, memo: Any, stopped: Any, logger: Logger, **_: Any) -> None:
    async def one_pass() -> float:
        return delay_for(memo, await reconcile_once(body, memo, logger, deleting=False))

    await daemon_loop(one_pass, memo, stopped, logger)


@kopf.on.delete(GROUP, VERSION, PLURAL, registry=REGISTRY)
async def delete(body: kopf.Body, memo: Any, logger: Logger, **_: Any) -> None:
    # No retries=/timeout=/PermanentError: kopf would drop the finalizer and orphan the experiment.
    decision = await reconcile_once(body, memo, logger, deleting=True)
    if not decision.done:
        raise kopf.TemporaryError(decision.verdict.message, delay=delay_for(memo, decision))
