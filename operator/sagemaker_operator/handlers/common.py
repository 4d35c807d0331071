"""kopf settings shared by every controller: storage in annotations, our finalizer, events."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import kopf

from ..ownership import PREFIX

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
    settings.posting.level = logging.WARNING  # explicit kopf.info/warn events always go out
    settings.watching.server_timeout = 300
    settings.watching.client_timeout = 330
    _load_kube_config(logger)


def _load_kube_config(logger: logging.Logger | logging.LoggerAdapter[Any]) -> None:
    """The `kubernetes` client (used for status patches) logs in like kopf does."""
    from kubernetes import config as kconfig

    try:
        kconfig.load_incluster_config()  # type: ignore[no-untyped-call]
        logger.debug("kubernetes client: in-cluster config")
    except kconfig.ConfigException:
        kconfig.load_kube_config()  # type: ignore[no-untyped-call]
        logger.debug("kubernetes client: kubeconfig")


@kopf.on.login(registry=REGISTRY)
def login(**kwargs: Any) -> Any:
    """kopf registers its default login handlers only in its default registry, not in ours."""
    return kopf.login_with_service_account(**kwargs) or kopf.login_with_kubeconfig(**kwargs)


async def sleep(delay: float, wake: asyncio.Event, stopped: Any) -> None:
    """Sleep up to ``delay`` seconds; return early when woken (spec change) or stopped."""
    waiters = [asyncio.ensure_future(wake.wait()), asyncio.ensure_future(stopped.wait())]
    try:
        await asyncio.wait(waiters, timeout=delay, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waiters:
            w.cancel()
    wake.clear()
