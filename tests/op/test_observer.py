"""Batched observation (observer.py + refresher.py) against the emulator over HTTP: real boto3 through
the gateway, the handler's own pass, the status writer replaced by a recorder. Ticks are driven by
hand (the background refresher waits an hour between them), so the call counts are exact."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from sagemaker_emulator.admin import run_oob
from sagemaker_emulator.backend import Backend
from sagemaker_emulator.clock import Clock
from sagemaker_emulator.server import EmulatorServer
from sagemaker_operator import config, status
from sagemaker_operator.gateway import gateways
from sagemaker_operator.handlers import common as handlers_common
from sagemaker_operator.handlers import inference_component as handler
from sagemaker_operator.observer import observers
from sagemaker_operator.refresher import INFERENCE_COMPONENT, Refresher

ROLE = "arn:aws:iam::123456789012:role/sagemaker"
N = 20
MUTATING = ("Create", "Update", "Delete", "AddTags")
log = logging.getLogger("test")


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    s = EmulatorServer(Backend(clock=Clock(0.001), seed=7)).start()
    yield s
    s.stop()


class Recorder:
    def __init__(self) -> None:
        self.patches: list[dict[str, Any]] = []

    def forget(self, namespace: str, name: str) -> None:
        pass

    async def write(self, namespace: str, name: str, current: dict[str, Any] | None, new: dict[str, Any]) -> bool:
        patch = status.merge_patch(current, new)
        if patch:
            self.patches.append(patch)
        return bool(patch)


@pytest.fixture
def rec(server: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    server.backend.reset()
    server.backend.clock.time_scale = 0.001
    config.install(config.Settings(endpoint_url=server.url, read_tps=0, mutate_tps=0, refresh_interval=3600))
    gateways.close()
    observers.close()
    r = Recorder()
    monkeypatch.setattr(handler, "WRITER", r)
    monkeypatch.setattr(handlers_common, "post_event", lambda body, event: None)
    sm = boto3.client("sagemaker", endpoint_url=server.url, region_name="us-west-2")
    sm.create_endpoint_config(
        EndpointConfigName="ep",
        ExecutionRoleArn=ROLE,
        ProductionVariants=[{"VariantName": "AllTraffic", "InstanceType": "ml.g5.12xlarge", "InitialInstanceCount": 1}],
    )
    sm.create_endpoint(EndpointName="ep", EndpointConfigName="ep")
    sm.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img:1"})
    yield r
    observers.close()
    gateways.close()
    config.install(config.Settings.from_env())


class Daemon:
    """One CR and its kopf memo (with the wake event the refresher sets)."""

    def __init__(self, i: int) -> None:
        self.body: dict[str, Any] = {
            "metadata": {"name": f"ic-{i:03d}", "namespace": "ns", "uid": f"u-{i}", "generation": 1},
            "spec": {
                "endpointName": "ep",
                "variantName": "AllTraffic",
                "specification": {"modelName": "m", "computeResourceRequirements": {"minMemoryRequiredInMb": 1024}},
                "runtimeConfig": {"copyCount": 1},
            },
            "status": {},
        }
        self.memo: dict[str, Any] = {"wake": asyncio.Event()}

    async def run(self, deleting: bool = False) -> Any:
        return await handler._pass(self.body, self.memo, log, deleting=deleting)  # type: ignore[arg-type]

    @property
    def status(self) -> dict[str, Any]:
        return dict(self.memo.get("status") or {})


def refresher() -> Refresher:
    return next(iter(observers._by_region.values())).refreshers[INFERENCE_COMPONENT.kind]


def counts(server: EmulatorServer) -> dict[str, int]:
    return dict(server.backend.counters)


def delta(before: dict[str, int], after: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


async def all_ready(server: EmulatorServer, daemons: list[Daemon]) -> None:
    """Run passes (and ticks, as the refresher would) until every CR is Ready."""
    for _ in range(300):
        decisions = [await d.run() for d in daemons]
        if all(x.verdict.ready for x in decisions):
            return
        await asyncio.sleep(0.05)
        await refresher().tick()
    raise AssertionError([d.status.get("conditions") for d in daemons])


@pytest.fixture
async def steady(server: EmulatorServer, rec: Recorder) -> list[Daemon]:
    daemons = [Daemon(i) for i in range(N)]
    await all_ready(server, daemons)
    await refresher().tick()
    for d in daemons:  # settle: the tick after the last transition
        await d.run()
        d.memo["wake"].clear()  # what the daemon's sleep does
    return daemons


async def test_new_components_are_created_without_describing_first(server: EmulatorServer, rec: Recorder) -> None:
    d = Daemon(0)
    for _ in range(100):
        ep = server.backend.call("DescribeEndpoint", {"EndpointName": "ep"})
        if ep["EndpointStatus"] == "InService":
            break
        await asyncio.sleep(0.02)
    before = counts(server)
    await d.run()  # first pass: the first listing, the endpoint, then Create
    calls = delta(before, counts(server))
    assert calls == {"ListInferenceComponents": 1, "DescribeEndpoint": 1, "CreateInferenceComponent": 1}
    before = counts(server)
    await d.run()  # right after our Create: a fresh Describe, no ListTags (we know the tags we sent)
    assert delta(before, counts(server)) == {"DescribeInferenceComponent": 1}


async def test_steady_state_costs_one_list_per_tick(
    server: EmulatorServer, steady: list[Daemon], rec: Recorder
) -> None:
    writes = len(rec.patches)
    before = counts(server)
    for _ in range(3):
        woken = await refresher().tick()
        assert woken == 0
        for d in steady:
            assert (await d.run()).verdict.ready
    assert delta(before, counts(server)) == {"ListInferenceComponents": 3}
    assert len(rec.patches) == writes  # nothing changed, nothing written


async def test_changed_summary_wakes_one_daemon_and_costs_one_describe(
    server: EmulatorServer, steady: list[Daemon], rec: Recorder
) -> None:
    target = steady[5]
    server.backend.clock.time_scale = 1.0  # the copy change stays Updating for a minute
    run_oob(server.backend, "set-ic-copy-count", {"name": "ic-005", "copyCount": 2})
    before = counts(server)
    assert await refresher().tick() == 1
    assert [d.memo["wake"].is_set() for d in steady].count(True) == 1 and target.memo["wake"].is_set()
    for d in steady:
        await d.run()
    assert delta(before, counts(server)) == {"ListInferenceComponents": 1, "DescribeInferenceComponent": 1}
    assert target.status["inferenceComponentStatus"] == "Updating"
    assert target.status["runtimeConfig"]["desiredCopyCount"] == 2

    # Transitional: described on every pass of its daemon (its backoff paces them), the others not at all.
    before = counts(server)
    await refresher().tick()
    for _ in range(2):
        for d in steady:
            await d.run()
    assert delta(before, counts(server)) == {"ListInferenceComponents": 1, "DescribeInferenceComponent": 2}

    # InService again: the tick sees it, the daemon enforces spec.runtimeConfig.copyCount (1).
    server.backend.clock.advance(600)
    before = counts(server)
    assert await refresher().tick() == 1
    for d in steady:
        await d.run()
    calls = delta(before, counts(server))
    assert calls == {
        "ListInferenceComponents": 1,
        "DescribeInferenceComponent": 1,
        "UpdateInferenceComponentRuntimeConfig": 1,
    }


async def test_out_of_band_delete_is_seen_at_the_next_tick_and_recreated(
    server: EmulatorServer, steady: list[Daemon]
) -> None:
    run_oob(server.backend, "delete-ic", {"name": "ic-007", "immediate": True})
    before = counts(server)
    assert await refresher().tick() == 1
    for d in steady:
        await d.run()
    calls = delta(before, counts(server))
    assert calls == {"ListInferenceComponents": 1, "DescribeInferenceComponent": 1, "CreateInferenceComponent": 1}


async def test_restart_reverifies_through_the_listing_without_mutating(
    server: EmulatorServer, steady: list[Daemon], rec: Recorder
) -> None:
    # A new operator process: no cache, no memo; the CRs' statuses are all it has.
    observers.close()
    gateways.close()
    restarted = []
    for d in steady:
        r = Daemon(int(d.body["metadata"]["name"][3:]))
        r.body["status"] = d.status
        restarted.append(r)
    writes = len(rec.patches)
    before = counts(server)
    for r in restarted:
        assert (await r.run()).verdict.ready
    calls = delta(before, counts(server))
    assert calls == {"ListInferenceComponents": 1, "DescribeEndpoint": 1}
    assert not any(op.startswith(MUTATING) for op in calls)
    assert len(rec.patches) == writes


async def test_restart_describes_what_changed_while_it_was_down(server: EmulatorServer, steady: list[Daemon]) -> None:
    observers.close()
    gateways.close()
    run_oob(server.backend, "update-ic-spec", {"name": "ic-003", "specification": {"Container": {"Image": "img:2"}}})
    restarted = []
    for d in steady:
        r = Daemon(int(d.body["metadata"]["name"][3:]))
        r.body["status"] = d.status
        restarted.append(r)
    before = counts(server)
    for r in restarted:
        await r.run()
    calls = delta(before, counts(server))
    assert calls.get("DescribeInferenceComponent") == 1
    assert not any(op.startswith(MUTATING) for op in calls)


async def test_drift_interval_forces_describe_and_tags(server: EmulatorServer, steady: list[Daemon]) -> None:
    config.current().drift_interval = 0.0
    before = counts(server)
    await steady[0].run()
    assert delta(before, counts(server)) == {"DescribeInferenceComponent": 1, "ListTags": 1}


async def test_deletion_always_looks_afresh(server: EmulatorServer, steady: list[Daemon]) -> None:
    before = counts(server)
    decision = await steady[1].run(deleting=True)
    calls = delta(before, counts(server))
    assert calls == {"DescribeInferenceComponent": 1, "ListTags": 1, "DeleteInferenceComponent": 1}
    assert not decision.done


async def test_our_tag_changes_update_the_cache_without_listing_tags(
    server: EmulatorServer, steady: list[Daemon]
) -> None:
    d = steady[2]
    d.body["metadata"]["generation"] = 2
    d.body["spec"]["tags"] = [{"key": "team", "value": "a"}]
    before = counts(server)
    await d.run()  # tags differ -> AddTags
    assert (await d.run()).verdict.ready  # the cache applied our AddTags: no ListTags to be Ready
    calls = delta(before, counts(server))
    assert calls.get("AddTags") == 1 and "ListTags" not in calls
    tags = server.backend.call("ListTags", {"ResourceArn": d.status["inferenceComponentArn"]})["Tags"]
    assert {"Key": "team", "Value": "a"} in tags
