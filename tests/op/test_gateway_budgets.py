"""The per-region gateway's budgets, pool, retries and change notifications, against the emulator."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest

from sagemaker_emulator.backend import Backend
from sagemaker_emulator.clock import Clock
from sagemaker_emulator.server import EmulatorServer
from sagemaker_operator import config, metrics
from sagemaker_operator.errors import SageMakerError
from sagemaker_operator.gateway import Gateways, SageMakerGateway

ROLE = "arn:aws:iam::123456789012:role/sagemaker"


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    s = EmulatorServer(Backend(clock=Clock(0.001), seed=4)).start()
    yield s
    s.stop()


@pytest.fixture
def settings(server: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> config.Settings:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    server.backend.reset()
    return config.Settings(endpoint_url=server.url, read_tps=0, mutate_tps=0, max_workers=6)


def test_one_gateway_per_region_with_pool_sized_to_executor(settings: config.Settings) -> None:
    registry = Gateways()
    try:
        gw = registry.get("us-west-2", settings)
        assert registry.get("us-west-2", settings) is gw and registry.get("eu-west-1", settings) is not gw
        assert gw.executor._max_workers == settings.max_workers
        assert gw.client.meta.config.max_pool_connections == settings.max_workers
        # Standard, not adaptive: one client serves every CR, and adaptive's client-wide limiter
        # collapsed under random throttling (tests/op/test_faults.py); the gateway's buckets pace calls.
        assert gw.client.meta.config.retries["mode"] == settings.retry_mode == "standard"
        adaptive = registry.get(
            "eu-central-1", config.Settings(endpoint_url=settings.endpoint_url, retry_mode="adaptive")
        )
        assert adaptive.client.meta.config.retries["mode"] == "adaptive"
    finally:
        registry.close()


async def test_reads_do_not_wait_behind_mutations(settings: config.Settings) -> None:
    settings.mutate_tps, settings.read_tps = 2.0, 0.0
    gw = SageMakerGateway("us-west-2", settings)
    order: list[str] = []

    async def call(kind: str, op: str, **params: Any) -> None:
        await gw.call(op, **params)
        order.append(kind)

    try:
        mutations = [
            call("mutate", "CreateModel", ModelName=f"m{i}", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "i:1"})
            for i in range(4)
        ]
        reads = [call("read", "ListModels") for _ in range(4)]
        await asyncio.gather(*mutations, *reads)
    finally:
        gw.close()
    # The mutation budget (2/s, burst 2) holds two creates back for a second; the reads go at once.
    assert order[-2:] == ["mutate", "mutate"] and order.count("read") == 4


async def test_adaptive_retries_absorb_throttling(settings: config.Settings, server: EmulatorServer) -> None:
    settings.max_attempts = 8
    server.backend.faults.set("ListEndpoints", tps=3, burst=1)
    gw = SageMakerGateway("us-west-2", settings)
    before = metrics.SAGEMAKER_CALLS.labels("us-west-2", "ListEndpoints", "ok")._value.get()
    try:
        await asyncio.gather(*(gw.call("ListEndpoints") for _ in range(6)))
    finally:
        gw.close()
    assert server.backend.faults.throttled > 0  # SageMaker said no at first; botocore retried
    assert metrics.SAGEMAKER_CALLS.labels("us-west-2", "ListEndpoints", "ok")._value.get() == before + 6


async def test_listeners_hear_every_mutation_and_no_read(settings: config.Settings) -> None:
    gw = SageMakerGateway("us-west-2", settings)
    heard: list[tuple[str, bool]] = []
    gw.listeners.append(lambda op, params, result: heard.append((op, result is not None)))
    try:
        await gw.call("CreateModel", ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "i:1"})
        await gw.call("ListModels")
        with pytest.raises(SageMakerError):
            await gw.call("DeleteModel", ModelName="nope")
    finally:
        gw.close()
    assert heard == [("CreateModel", True), ("DeleteModel", False)]
