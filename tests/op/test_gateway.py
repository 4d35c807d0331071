"""The gateway against the emulator over real HTTP: error classification, metrics, rate limits."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest

from sagemaker_emulator.backend import Backend
from sagemaker_emulator.clock import Clock
from sagemaker_emulator.server import EmulatorServer
from sagemaker_operator import config, metrics
from sagemaker_operator.errors import Kind, SageMakerError, classify
from sagemaker_operator.gateway import SageMakerGateway, TokenBucket


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    s = EmulatorServer(Backend(clock=Clock(0.001), seed=3)).start()
    yield s
    s.stop()


@pytest.fixture
def gw(server: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[SageMakerGateway]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    server.backend.reset()
    settings = config.Settings(endpoint_url=server.url, max_attempts=1, read_tps=0, mutate_tps=0, max_workers=4)
    g = SageMakerGateway("us-west-2", settings)
    yield g
    g.close()
    server.backend.reset()


async def test_throttling_is_classified_and_counted(gw: SageMakerGateway, server: EmulatorServer) -> None:
    server.backend.faults.set("ListTags", throttle_probability=1.0)
    before = metrics.SAGEMAKER_THROTTLES.labels("us-west-2", "ListTags")._value.get()
    with pytest.raises(SageMakerError) as info:
        await gw.call("ListTags", ResourceArn="arn:aws:sagemaker:us-west-2:123456789012:endpoint/x")
    assert info.value.kind is Kind.THROTTLED and info.value.kind.transient
    assert metrics.SAGEMAKER_THROTTLES.labels("us-west-2", "ListTags")._value.get() == before + 1


async def test_server_errors_are_transient(gw: SageMakerGateway, server: EmulatorServer) -> None:
    server.backend.faults.set("ListTags", error_probability=1.0)
    with pytest.raises(SageMakerError) as info:
        await gw.call("ListTags", ResourceArn="arn:aws:sagemaker:us-west-2:123456789012:endpoint/x")
    assert info.value.kind is Kind.TRANSIENT


async def test_missing_resource_is_not_found(gw: SageMakerGateway) -> None:
    with pytest.raises(SageMakerError) as info:
        await gw.call("ListTags", ResourceArn="arn:aws:sagemaker:us-west-2:123456789012:endpoint/x")
    assert info.value.kind is Kind.NOT_FOUND


async def test_network_failure_is_transient(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    g = SageMakerGateway("us-west-2", config.Settings(endpoint_url="http://127.0.0.1:9", max_attempts=1))
    try:
        with pytest.raises(SageMakerError) as info:
            await g.call("DescribeEndpoint", EndpointName="x")
        assert info.value.kind is Kind.TRANSIENT
    finally:
        g.close()


@pytest.mark.parametrize(
    ("code", "message", "kind"),
    [
        ("ValidationException", 'Could not find inference component "arn:aws:sagemaker:x".', Kind.NOT_FOUND),
        ("ValidationException", 'Could not find endpoint "arn:aws:sagemaker:x".', Kind.NOT_FOUND),
        ("ValidationException", 'Cannot create already existing inference component "arn".', Kind.ALREADY_EXISTS),
        ("ValidationException", 'Cannot update in-progress endpoint "arn".', Kind.IN_PROGRESS),
        ("ValidationException", "Inference component is in DELETE_IN_PROGRESS state", Kind.IN_PROGRESS),
        (
            "ValidationException",
            'Inference component "arn" is a base inference component for one or more associated adapter',
            Kind.IN_PROGRESS,
        ),
        ("ValidationException", "Inference Components are not supported in this Endpoint.", Kind.VALIDATION),
        ("ResourceLimitExceeded", "The account-level service limit", Kind.LIMIT_EXCEEDED),
        ("AccessDeniedException", "not authorized", Kind.ACCESS_DENIED),
        ("ThrottlingException", "Rate exceeded", Kind.THROTTLED),
        ("ServiceUnavailable", "Service Unavailable", Kind.TRANSIENT),
        ("ResourceNotFound", "", Kind.NOT_FOUND),
        ("ConflictException", "stop it first", Kind.IN_PROGRESS),
    ],
)
def test_classification_table(code: str, message: str, kind: Kind) -> None:
    assert classify(code, message, 400) is kind


async def test_token_bucket_limits_rate() -> None:
    bucket = TokenBucket(rate=20, burst=1)
    start = time.monotonic()
    await asyncio.gather(*(bucket.take() for _ in range(6)))
    assert time.monotonic() - start >= 0.2
