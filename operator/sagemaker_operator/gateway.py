"""The one way the operator talks to SageMaker: a gateway per region.

Each gateway owns ONE boto3 client (thread-safe, its connection pool sized to the executor), a
bounded thread pool so blocking boto3 calls never run on the event loop, and two token buckets
(reads vs mutations) so a thousand CRs do not stampede SageMaker's per-account API quotas.
Errors are classified here, once (errors.classify), and every call is counted in metrics.py.
"""

from __future__ import annotations

import asyncio
import functools
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import botocore
import botocore.config
import botocore.exceptions

from . import config, errors, metrics, shapes

_READ_PREFIXES = ("Describe", "List", "Get", "Search")

Listener = Callable[[str, dict[str, Any], dict[str, Any] | None], None]
"""Told about every mutating call: (operation, parameters, response or None when it failed)."""


def is_read(operation: str) -> bool:
    return operation.startswith(_READ_PREFIXES)


class TokenBucket:
    """An asyncio token bucket: ``await take()`` waits until a token is available."""

    def __init__(self, rate: float, burst: float | None = None) -> None:
        self.rate = rate
        self.size = burst if burst is not None else max(1.0, rate)
        self.tokens = self.size
        self.stamp = time.monotonic()
        self._lock = asyncio.Lock()

    async def take(self) -> None:
        if self.rate <= 0:  # unlimited
            return
        async with self._lock:
            while True:
                now = time.monotonic()
                self.tokens = min(self.size, self.tokens + (now - self.stamp) * self.rate)
                self.stamp = now
                if self.tokens >= 1.0:
                    self.tokens -= 1.0
                    return
                await asyncio.sleep((1.0 - self.tokens) / self.rate)


class SageMakerGateway:
    def __init__(self, region: str, settings: config.Settings) -> None:
        self.region = region
        self.settings = settings
        self.executor = ThreadPoolExecutor(max_workers=settings.max_workers, thread_name_prefix=f"sagemaker-{region}")
        retries: Any = {"mode": settings.retry_mode, "max_attempts": settings.max_attempts}
        botocore_config = botocore.config.Config(
            region_name=region,
            retries=retries,
            max_pool_connections=settings.max_workers,
            connect_timeout=10,
            read_timeout=60,
            user_agent_extra="sagemaker-inference-operator",
        )
        session = boto3.session.Session(botocore_session=shapes.botocore_session())
        self.client: Any = session.client(
            "sagemaker", region_name=region, endpoint_url=settings.endpoint_url, config=botocore_config
        )
        # Buckets are bound to the event loop that first uses them (the operator's); a new loop
        # (tests) gets new buckets, since an asyncio.Lock cannot move between loops.
        self._read: TokenBucket | None = None
        self._mutate: TokenBucket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.listeners: list[Listener] = []

    def _bucket(self, operation: str) -> TokenBucket:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:
            self._loop, self._read, self._mutate = loop, None, None
        if is_read(operation):
            if self._read is None:
                self._read = TokenBucket(self.settings.read_tps)
            return self._read
        if self._mutate is None:
            self._mutate = TokenBucket(self.settings.mutate_tps)
        return self._mutate

    async def call(self, operation: str, **params: Any) -> dict[str, Any]:
        """Run one SageMaker operation (PascalCase name and parameters) off the event loop."""
        start = time.monotonic()
        await self._bucket(operation).take()
        method = getattr(self.client, _snake(operation))
        loop = asyncio.get_running_loop()
        try:
            result: dict[str, Any] = await loop.run_in_executor(self.executor, functools.partial(method, **params))
        except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as exc:
            err = errors.from_botocore(exc, operation)
            metrics.SAGEMAKER_CALLS.labels(self.region, operation, err.kind.value).inc()
            if err.kind is errors.Kind.THROTTLED:
                metrics.SAGEMAKER_THROTTLES.labels(self.region, operation).inc()
            self._tell(operation, params, None)
            raise err from exc
        finally:
            metrics.SAGEMAKER_LATENCY.labels(self.region, operation).observe(time.monotonic() - start)
        metrics.SAGEMAKER_CALLS.labels(self.region, operation, "ok").inc()
        self._tell(operation, params, result)
        return result

    def _tell(self, operation: str, params: dict[str, Any], result: dict[str, Any] | None) -> None:
        # Caches (observer.py) learn about our own changes here, whichever controller made them;
        # a failed change too (an AlreadyExists says the cache was wrong).
        if not is_read(operation):
            for listener in self.listeners:
                listener(operation, params, result)

    async def describe(self, operation: str, **params: Any) -> dict[str, Any] | None:
        """A Describe call where not-found is an answer (None), not an error."""
        try:
            return await self.call(operation, **params)
        except errors.SageMakerError as err:
            if err.kind is errors.Kind.NOT_FOUND:
                return None
            raise

    async def tags(self, arn: str) -> dict[str, str]:
        """All tags of a resource, following ListTags pagination."""
        tags: dict[str, str] = {}
        token: str | None = None
        while True:
            page = await self.call("ListTags", ResourceArn=arn, **({"NextToken": token} if token else {}))
            tags.update({t["Key"]: t.get("Value", "") for t in page.get("Tags", [])})
            token = page.get("NextToken")
            if not token:
                return tags

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


@functools.cache
def _snake(operation: str) -> str:
    return str(botocore.xform_name(operation))


class Gateways:
    """The registry: one gateway per region, created on first use."""

    def __init__(self) -> None:
        self._gateways: dict[str, SageMakerGateway] = {}
        self._lock = threading.Lock()

    def get(self, region: str | None = None, settings: config.Settings | None = None) -> SageMakerGateway:
        settings = settings or config.current()
        region = region or settings.region
        with self._lock:
            gw = self._gateways.get(region)
            if gw is None:
                gw = self._gateways[region] = SageMakerGateway(region, settings)
            return gw

    def close(self) -> None:
        with self._lock:
            for gw in self._gateways.values():
                gw.close()
            self._gateways.clear()


gateways = Gateways()
