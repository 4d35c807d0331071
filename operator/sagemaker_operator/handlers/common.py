"""kopf settings shared by every controller: storage in annotations, our finalizer, events."""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

import kopf

from .. import config, metrics
from ..errors import SageMakerError
from ..gateway import SageMakerGateway
from ..ownership import PREFIX
from ..reconcile.common import Event
from ..requeue import Pace, Policy

REGISTRY = kopf.OperatorRegistry()
FINALIZER = f"{PREFIX}/finalizer"


@kopf.on.startup(registry=REGISTRY)
def configure(settings: kopf.OperatorSettings, logger: logging.Logger | logging.LoggerAdapter[Any], **_: Any) -> None:
    settings.persistence.finalizer = FINALIZER
    # kopf's bookkeeping goes to annotations under our prefix; status stays ours alone.
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=PREFIX)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=PREFIX, key="last-handled-configuration"
    )
    settings.posting.enabled = True
    settings.posting.level = logging.WARNING  # kopf.event() (our lifecycle Events) is not filtered by this
    watch_timeout = config.current().watch_timeout
    settings.watching.server_timeout = watch_timeout  # whole seconds: the API server parses an int
    settings.watching.client_timeout = watch_timeout + 30
    if config.current().namespaces:
        # Namespaced mode runs without RBAC on namespaces: without this kopf would try to list them,
        # retry on 403 for about a minute, then fall back to the exact names anyway. The CRDs must
        # exist when the operator starts (the chart installs them first).
        settings.scanning.disabled = True
    _load_kube_config(logger)


@kopf.on.login(registry=REGISTRY)
def login(**kwargs: Any) -> kopf.ConnectionInfo | None:
    """A custom registry has no default login handlers: in-cluster ServiceAccount, else kubeconfig."""
    info: kopf.ConnectionInfo | None = kopf.login_with_service_account(**kwargs) or kopf.login_with_kubeconfig(**kwargs)
    return info


def _load_kube_config(logger: logging.Logger | logging.LoggerAdapter[Any]) -> None:
    """The `kubernetes` client (used for status patches) logs in like kopf does."""
    from kubernetes import config as kconfig

    try:
        kconfig.load_incluster_config()  # type: ignore[no-untyped-call]
        logger.debug("kubernetes client: in-cluster config")
    except kconfig.ConfigException:
        kconfig.load_kube_config()  # type: ignore[no-untyped-call]
        logger.debug("kubernetes client: kubeconfig")


def post_event(body: kopf.Body, event: Event) -> None:
    # kopf.event, not kopf.info: info() is filtered by the posting level (WARNING, to keep kopf's own
    # log lines out of Events), while our lifecycle Events must always be posted.
    kopf.event(body, type="Warning" if event.warning else "Normal", reason=event.reason, message=event.message)


D = TypeVar("D")


async def act(
    kind: str,
    gw: SageMakerGateway,
    body: kopf.Body,
    decision: D,
    on_error: Callable[[D, SageMakerError], D],
    logger: logging.Logger | logging.LoggerAdapter[Any],
) -> D:
    """Carry out a reconciler's decision: its SageMaker calls in order, then its Events and metrics.

    A failed call hands the decision back to the reconciler (``on_error``) to classify; a successful
    action contributes its bookkeeping (``action.memory``) and its Event."""
    action = getattr(decision, "action", None)
    if action is not None:
        try:
            for op, params in action.calls:
                await gw.call(op, **params)
        except SageMakerError as err:
            logger.warning("%s failed: %s", action.kind.value, err)
            decision = on_error(decision, err)
        else:
            if action.memory is not None:
                decision = replace(decision, memory=action.memory)  # type: ignore[type-var]
            if action.event is not None:
                post_event(body, action.event)
    for event in getattr(decision, "events", ()):
        post_event(body, event)
    verdict = getattr(decision, "verdict")  # noqa: B009 - D is any reconciler's Decision
    metrics.reconciled(kind, action.kind.value if action else None, verdict.ready, verdict.stalled)
    return decision


def wake_on_spec_change(body: kopf.Body, memo: Any) -> None:
    """Wake the object's daemon early when its generation changed (no API calls)."""
    generation = body.get("metadata", {}).get("generation")
    if memo.get("seen_generation") != generation:
        memo["seen_generation"] = generation
        wake = memo.get("wake")
        if wake is not None:
            wake.set()


async def sleep(delay: float, wake: asyncio.Event, stopped: Any) -> None:
    """Sleep up to ``delay`` seconds; return early when woken (spec change) or stopped."""
    waiters = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stopped.wait())]
    try:
        await asyncio.wait(waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
    wake.clear()


def next_delay(memo: Any, pace: Pace) -> float:
    """Seconds until the next pass at ``pace`` (backing off while the same pace repeats)."""
    policy: Policy = memo.setdefault("policy", Policy(config.current().poll, random.Random()))
    attempt = memo.get("attempt", 0) + 1 if memo.get("pace") is pace else 0
    memo["pace"], memo["attempt"] = pace, attempt
    return policy.delay(pace, attempt)


async def daemon_loop(
    one_pass: Callable[[], Awaitable[float]],
    memo: Any,
    stopped: Any,
    logger: logging.Logger | logging.LoggerAdapter[Any],
) -> None:
    """A controller's daemon: run ``one_pass`` (returns the delay) until stopped; woken early by
    ``memo["wake"]`` (set on spec changes); an exception never kills the daemon."""
    wake: asyncio.Event = memo.setdefault("wake", asyncio.Event())
    while not stopped:
        try:
            delay = await one_pass()
        except asyncio.CancelledError:
            raise
        except Exception:  # a bug or the API server away: never let the daemon die
            logger.exception("reconcile pass failed")
            delay = next_delay(memo, Pace.ERROR)
        await sleep(delay, wake, stopped)
