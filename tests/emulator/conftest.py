"""Fixtures for driving the emulator with real boto3 clients over HTTP."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import botocore.config
import pytest

from sagemaker_emulator.backend import Backend
from sagemaker_emulator.clock import Clock
from sagemaker_emulator.server import EmulatorServer

# Fast enough that a five-minute SageMaker transition takes 0.3 s, slow enough to observe it.
TEST_TIME_SCALE = 0.001


@pytest.fixture(scope="session")
def emulator_server() -> Iterator[EmulatorServer]:
    server = EmulatorServer(Backend(clock=Clock(TEST_TIME_SCALE), seed=7)).start()
    yield server
    server.stop()


@pytest.fixture
def emulator(emulator_server: EmulatorServer) -> Iterator[EmulatorServer]:
    """The shared server with a clean slate for each test."""
    emulator_server.backend.reset()
    emulator_server.backend.clock.time_scale = TEST_TIME_SCALE
    emulator_server.backend.clock.offset = 0.0
    yield emulator_server
    emulator_server.backend.reset()


def client(url: str, region: str = "us-west-2", validate: bool = True, retries: int = 0) -> Any:
    config = botocore.config.Config(
        retries={"total_max_attempts": retries + 1, "mode": "standard"},
        parameter_validation=validate,
    )
    return boto3.client(
        "sagemaker",
        endpoint_url=url,
        region_name=region,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=config,
    )


@pytest.fixture
def sm(emulator: EmulatorServer) -> Any:
    """A boto3 SageMaker client (no retries, so injected faults are seen as they are)."""
    return client(emulator.url)


@pytest.fixture
def sm_raw(emulator: EmulatorServer) -> Any:
    """A boto3 client with client-side validation off, to reach the server's own validation."""
    return client(emulator.url, validate=False)


class Admin:
    """The ``/_emulator/`` HTTP admin API, exercised over real HTTP."""

    def __init__(self, url: str) -> None:
        self.url = url

    def request(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(self.url + "/_emulator/" + path, data=data, method=method)
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def get(self, path: str) -> Any:
        return self.request("GET", path)

    def post(self, path: str, body: dict[str, Any] | None = None) -> Any:
        return self.request("POST", path, body or {})


@pytest.fixture
def admin(emulator: EmulatorServer) -> Admin:
    return Admin(emulator.url)


def wait_for(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.02) -> Any:
    """Poll until ``predicate()`` is truthy; return its value or fail with the last one seen."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s (last value: {last!r})")
