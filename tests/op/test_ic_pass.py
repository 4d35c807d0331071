"""The handler's observe -> reconcile -> act -> status pass against the emulator over HTTP
(no Kubernetes: the status writer is replaced by one that records patches)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from sagemaker_emulator.backend import Backend
from sagemaker_emulator.clock import Clock
from sagemaker_emulator.server import EmulatorServer
from sagemaker_operator import config, status
from sagemaker_operator.gateway import gateways
from sagemaker_operator.handlers import common as handlers_common
from sagemaker_operator.handlers import inference_component as handler

ROLE = "arn:aws:iam::123456789012:role/sagemaker"


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    s = EmulatorServer(Backend(clock=Clock(0.001), seed=5)).start()
    yield s
    s.stop()


class Recorder:
    def __init__(self) -> None:
        self.patches: list[dict[str, Any]] = []

    def forget(self, namespace: str, name: str) -> None:
        self.forgotten = (namespace, name)

    async def write(self, namespace: str, name: str, current: dict[str, Any] | None, new: dict[str, Any]) -> bool:
        patch = status.merge_patch(current, new)
        if patch:
            self.patches.append(patch)
        return bool(patch)


@pytest.fixture
def setup(server: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, Recorder]]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    server.backend.reset()
    # The per-resource path (every pass describes); test_observer.py covers the batched one.
    config.install(config.Settings(endpoint_url=server.url, read_tps=0, mutate_tps=0, refresh_interval=0))
    gateways.close()
    rec = Recorder()
    monkeypatch.setattr(handler, "WRITER", rec)
    monkeypatch.setattr(handlers_common, "post_event", lambda body, event: rec.patches.append({"event": event.reason}))
    sm = boto3.client("sagemaker", endpoint_url=server.url, region_name="us-west-2")
    sm.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img:1"})
    sm.create_endpoint_config(
        EndpointConfigName="ep",
        ExecutionRoleArn=ROLE,
        ProductionVariants=[{"VariantName": "AllTraffic", "InstanceType": "ml.g5.12xlarge", "InitialInstanceCount": 1}],
    )
    sm.create_endpoint(EndpointName="ep", EndpointConfigName="ep")
    yield sm, rec
    gateways.close()
    config.install(config.Settings.from_env())


def body(generation: int = 1, **spec: Any) -> dict[str, Any]:
    s: dict[str, Any] = {
        "endpointName": "ep",
        "variantName": "AllTraffic",
        "specification": {"modelName": "m", "computeResourceRequirements": {"minMemoryRequiredInMb": 1024}},
    }
    s.update(spec)
    return {
        "metadata": {"name": "ic", "namespace": "ns", "uid": "u-1", "generation": generation},
        "spec": s,
        "status": {},
    }


async def run_until(b: dict[str, Any], memo: dict[str, Any], pred: Any, deleting: bool = False) -> Any:
    log = logging.getLogger("test")
    for _ in range(200):
        decision = await handler._pass(b, memo, log, deleting=deleting)  # type: ignore[arg-type]
        if pred(decision, memo.get("status") or {}):
            return decision
        await asyncio.sleep(0.05)
    raise AssertionError(f"not reached; last status {memo.get('status')}")


async def test_create_update_delete_cycle(setup: tuple[Any, Recorder], server: EmulatorServer) -> None:
    sm, rec = setup
    memo: dict[str, Any] = {}
    # An endpoint of its own that takes seconds to create, so the first pass surely sees it Creating.
    clock = server.backend.clock
    scale, clock.time_scale = clock.time_scale, 0.01
    try:
        sm.create_endpoint(EndpointName="ep-slow", EndpointConfigName="ep")
    finally:
        clock.time_scale = scale
    b = body(runtimeConfig={"copyCount": 1}, endpointName="ep-slow")
    await run_until(b, memo, lambda d, st: d.verdict.reason == "EndpointNotReady")
    await run_until(b, memo, lambda d, st: d.verdict.ready)
    st = memo["status"]
    assert st["inferenceComponentStatus"] == "InService" and st["endpoint"]["status"] == "InService"
    assert {"event": "Created"} in rec.patches
    assert sm.get_paginator  # client still usable
    b2 = body(2, runtimeConfig={"copyCount": 2}, endpointName="ep-slow")
    await run_until(b2, memo, lambda d, st: d.verdict.ready and st["runtimeConfig"]["currentCopyCount"] == 2)
    writes = len(rec.patches)
    await handler._pass(b2, memo, logging.getLogger("t"), deleting=False)  # type: ignore[arg-type]
    assert len(rec.patches) == writes  # unchanged status is not written
    await run_until(b2, memo, lambda d, st: d.done, deleting=True)
    assert sm.list_inference_components()["InferenceComponents"] == []


async def test_spec_and_tag_change_in_one_generation(setup: tuple[Any, Recorder]) -> None:
    sm, _ = setup
    memo: dict[str, Any] = {}
    b = body(runtimeConfig={"copyCount": 1})
    await run_until(b, memo, lambda d, st: d.verdict.ready)
    sm.create_model(ModelName="m2", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img:2"})
    spec = dict(b["spec"], specification={**b["spec"]["specification"], "modelName": "m2"})
    b2 = {
        **b,
        "metadata": {**b["metadata"], "generation": 2},
        "spec": {**spec, "tags": [{"key": "stage", "value": "prod"}]},
    }
    seen: list[str] = []

    def done(d: Any, st: dict[str, Any]) -> bool:
        seen.append(f"{d.verdict.reason}:{d.action.kind.value if d.action else '-'}")
        return bool(d.verdict.ready) and st.get("specification", {}).get("modelName") == "m2"

    await run_until(b2, memo, done)
    arn = memo["status"]["inferenceComponentArn"]
    tags = {t["Key"]: t["Value"] for t in sm.list_tags(ResourceArn=arn)["Tags"]}
    assert tags.get("stage") == "prod", seen
