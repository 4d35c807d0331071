"""Fault matrix (issue #8): the operator process, the real kube-apiserver and the emulator under
SIGKILLs, SageMaker throttling/5xx/latency/resets, API server restarts and expiring watches,
out-of-band SageMaker changes and restarts with CRs in every state. After every scenario the same
invariants hold (harness.check_invariants): no duplicate, no orphan, everything converged, statuses
equal SageMaker's. Times to converge go to the report printed at the end (and to $FAULT_REPORT).

Sized for `make test` (12 CRs, 3 rounds); `FAULT_SOAK=1` runs 40 CRs, 8 rounds, 3 kills per phase.
The seed is `FAULT_SEED` (default 8): a failure names it, and the same seed replays the same kills.
"""

from __future__ import annotations

import json
import logging
import os
import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import boto3
import pytest
import yaml

from kube_testenv.controlplane import ControlPlane
from sagemaker_emulator.admin import run_oob
from sagemaker_emulator.backend import Backend
from sagemaker_emulator.clock import Clock
from sagemaker_emulator.server import EmulatorServer

from .harness import (
    ROLE,
    ROOT,
    CallRecorder,
    Expectations,
    OperatorProcess,
    Report,
    apply_objects,
    condition,
    converge,
    install_crds,
    list_crs,
    wait_for,
)

pytestmark = [pytest.mark.controlplane, pytest.mark.slow]

SOAK = os.environ.get("FAULT_SOAK", "") not in ("", "0")
SEED = int(os.environ.get("FAULT_SEED", "8"))
N_CRS = 40 if SOAK else 12
ROUNDS = 8 if SOAK else 3
KILLS_PER_PHASE = 3 if SOAK else 1
TIME_SCALE = 0.005  # IC create 0.9 s, update 0.9 s, endpoint 1.8 s: kills land mid-transition
CONVERGE_TIMEOUT = 180.0 if SOAK else 90.0
RESULTS: list[dict[str, Any]] = []


@dataclass
class Fleet:
    kube: ControlPlane
    backend: Backend
    recorder: CallRecorder
    operator: OperatorProcess
    sm: Any
    expect: Expectations
    rng: random.Random
    endpoints: list[str]
    models: list[str]
    ie_endpoints: list[str]
    specs: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)  # (ns, name) -> manifest
    serial: int = 0
    unsettled_at_kill: list[int] = field(default_factory=list)

    def manifest(self, ns: str, name: str, enforced: bool) -> dict[str, Any]:
        i = self.serial
        self.serial += 1
        spec: dict[str, Any] = {
            "endpointName": self.endpoints[i % len(self.endpoints)],
            "variantName": "AllTraffic",
            "specification": {
                "modelName": self.models[0],
                "computeResourceRequirements": {"minMemoryRequiredInMb": 1024, "numberOfCpuCoresRequired": 1},
            },
        }
        if enforced:
            spec["runtimeConfig"] = {"copyCount": 1}
        body = {
            "apiVersion": "sagemaker.inference-operator.dev/v1alpha1",
            "kind": "InferenceComponent",
            "metadata": {"name": name, "namespace": ns},
            "spec": spec,
        }
        self.specs[(ns, name)] = body
        return body

    def experiment(self, ns: str, name: str, endpoint: str) -> dict[str, Any]:
        """A shadow test (no schedule: it starts at once and runs for 7 days) on ``endpoint``."""
        body: dict[str, Any] = yaml.safe_load((ROOT / "examples" / "inference-experiment.yaml").read_text())
        body["metadata"] = {"name": name, "namespace": ns}
        body["spec"]["endpointName"] = endpoint
        body["spec"]["modelVariants"][0]["modelName"] = self.models[0]
        body["spec"]["modelVariants"][1]["modelName"] = self.models[1]
        del body["spec"]["dataStorageConfig"]
        return body

    def live(self) -> list[tuple[str, str]]:
        return [k for k in self.specs if k not in self.expect.deleted]

    def converge(self, scenario: str, fault: str, since: float, during: Any = None) -> Report:
        """Wait for the invariants; the time recorded runs from ``since`` (when the fault began)."""
        _, report = converge(
            self.kube, self.backend, self.recorder, self.expect, timeout=CONVERGE_TIMEOUT, during=during
        )
        RESULTS.append(
            {
                "scenario": scenario,
                "fault": fault,
                "converge_s": round(time.monotonic() - since, 1),
                "unsettled_at_kill": self.unsettled_at_kill,
                "crs": report.crs,
                "duplicates": len(report.duplicates),
                "orphans": len(report.orphans),
                "problems": len(report.problems),
            }
        )
        self.unsettled_at_kill = []
        if not report.clean:
            names = {p.split(":", 1)[0].rsplit("/", 1)[-1] for p in report.problems}
            trail = [c for c in self.recorder.since() if c.name in names][-30:]
            raise AssertionError(
                f"{scenario}/{fault} (FAULT_SEED={SEED}): duplicates={report.duplicates} orphans={report.orphans} "
                f"problems={report.problems}\n--- SageMaker calls of those ---\n"
                + "\n".join(f"{c.at:.1f} {c.operation} {c.name} {c.error or 'ok'}" for c in trail)
                + f"\n--- operator log tail ---\n{self.operator.output()[-3000:]}"
            )
        return report

    def kill_and_restart(self, low: float = 0.0, high: float = 1.2) -> float:
        """SIGKILL at a seeded random point of the next `high` seconds, restart at once; remembers
        how many CRs had not settled at that moment (so the report shows the kill hit work in flight)."""
        delay = self.rng.uniform(low, high)
        time.sleep(delay)
        self.operator.kill()
        self.unsettled_at_kill.append(sum(1 for cr in list_crs(self.kube, self.expect.namespaces) if not _settled(cr)))
        self.operator.start()
        return delay


def _settled(cr: dict[str, Any]) -> bool:
    ready = condition(cr, "Ready") or {}
    st = cr.get("status") or {}
    return ready.get("status") == "True" and st.get("observedGeneration") == cr["metadata"]["generation"]


def _endpoint(sm: Any, name: str, count: int = 2) -> None:
    sm.create_endpoint_config(
        EndpointConfigName=name,
        ExecutionRoleArn=ROLE,
        ProductionVariants=[
            {"VariantName": "AllTraffic", "InstanceType": "ml.g5.48xlarge", "InitialInstanceCount": count}
        ],
    )
    sm.create_endpoint(EndpointName=name, EndpointConfigName=name)


@pytest.fixture(scope="module")
def fleet(controlplane: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    install_crds(controlplane)
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)  # injected resets are not news
    started = time.monotonic()
    server = EmulatorServer(Backend(clock=Clock(TIME_SCALE), seed=SEED)).start()
    recorder = CallRecorder(server.backend, seed=SEED)
    suffix = uuid.uuid4().hex[:5]
    namespaces = [f"faults-a-{suffix}", f"faults-b-{suffix}"]
    for ns in namespaces:
        controlplane.create_namespace(ns)
    sm = boto3.client(
        "sagemaker",
        endpoint_url=server.url,
        region_name="us-west-2",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    endpoints = [f"fault-ep-{i}" for i in range(2)]
    models = ["fault-model-a", "fault-model-b"]
    for model in models:
        sm.create_model(ModelName=model, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": f"img/{model}:1"})
    for ep in endpoints:
        _endpoint(sm, ep)
    ie_endpoints = [f"fault-ie-ep-{i}" for i in range(2)]
    for ep in ie_endpoints:  # an experiment needs a variant serving a model (and one experiment per endpoint)
        variant = {"VariantName": "production", "ModelName": models[0], "InstanceType": "ml.m5.xlarge"}
        sm.create_endpoint_config(EndpointConfigName=ep, ProductionVariants=[{**variant, "InitialInstanceCount": 1}])
        sm.create_endpoint(EndpointName=ep, EndpointConfigName=ep)
    # Watches renewed every 3 s: every scenario also runs across many watch expiries.
    log = tmp_path_factory.mktemp("faults") / "operator.log"
    operator = OperatorProcess(
        controlplane, server.url, log, namespaces, extra_args=["--watch-timeout", "3"], env={"PYTHONWARNINGS": "ignore"}
    )
    operator.start()
    f = Fleet(
        controlplane,
        server.backend,
        recorder,
        operator,
        sm,
        Expectations(namespaces),
        random.Random(SEED),
        endpoints,
        models,
        ie_endpoints,
    )
    yield f
    operator.stop()
    server.stop()
    summary = {
        "seed": SEED,
        "soak": SOAK,
        "crs_involved": len(f.specs),
        "operator_kills": operator.kills,
        "create_calls": sum(recorder.creates().values()),
        "suite_seconds": round(time.monotonic() - started, 1),
        "scenarios": RESULTS,
    }
    print("\nFAULT REPORT " + json.dumps(summary, indent=1))
    target = os.environ.get("FAULT_REPORT")
    if target:
        Path(target).write_text(json.dumps(summary, indent=1) + "\n")


def test_sigkill_during_create_update_delete(fleet: Fleet) -> None:
    ns_a, ns_b = fleet.expect.namespaces
    # create: N CRs in two namespaces, half with an enforced copy count, killed mid-way
    batch = [fleet.manifest((ns_a, ns_b)[i % 2], f"kc-{i}", enforced=i % 3 != 0) for i in range(N_CRS)]
    batch += [
        fleet.experiment(ns, f"ie-{i}", ep)
        for i, (ns, ep) in enumerate(zip((ns_a, ns_b), fleet.ie_endpoints, strict=True))
    ]
    t0 = time.monotonic()
    apply_objects(fleet.kube, batch)
    for _ in range(KILLS_PER_PHASE):
        fleet.kill_and_restart()
    fleet.converge("sigkill", "create", t0)

    for rnd in range(ROUNDS):
        # update: flip the model of half the fleet, bump the copies of the rest (enforced ones)
        changed = []
        for i, key in enumerate(fleet.live()):
            body = fleet.specs[key]
            if i % 2 == rnd % 2:
                spec = body["spec"]["specification"]
                spec["modelName"] = fleet.models[1] if spec["modelName"] == fleet.models[0] else fleet.models[0]
            elif "runtimeConfig" in body["spec"]:
                body["spec"]["runtimeConfig"]["copyCount"] = 1 + (body["spec"]["runtimeConfig"]["copyCount"] % 3)
            changed.append(body)
        t0 = time.monotonic()
        apply_objects(fleet.kube, changed)
        for _ in range(KILLS_PER_PHASE):
            fleet.kill_and_restart()
        fleet.converge("sigkill", f"update round {rnd + 1}", t0)

        # delete a third, create as many new ones, killed mid-way
        t0 = time.monotonic()
        victims = fleet.rng.sample(fleet.live(), max(1, len(fleet.live()) // 3))
        for ns, name in victims:
            fleet.kube.kubectl("delete", "smic", name, "-n", ns, "--wait=false")
            fleet.expect.deleted.add((ns, name))
        fresh = [fleet.manifest((ns_a, ns_b)[i % 2], f"kc-{rnd}-{i}", enforced=i % 2 == 0) for i in range(len(victims))]
        apply_objects(fleet.kube, fresh)
        for _ in range(KILLS_PER_PHASE):
            fleet.kill_and_restart()
        fleet.converge("sigkill", f"delete+create round {rnd + 1}", t0)


def _no_stall(seen: list[str]) -> Any:
    def during(crs: list[dict[str, Any]]) -> None:
        for cr in crs:
            stalled = condition(cr, "Stalled")
            if stalled:
                seen.append(f"{cr['metadata']['name']}: {stalled.get('message')}")

    return during


def test_sagemaker_throttling_5xx_latency_resets(fleet: Fleet) -> None:
    backend = fleet.backend
    stalls: list[str] = []
    # 30 % throttled, 5 % 5xx, 5 % connection resets, 50 ms added to every call; then a 5xx burst
    backend.faults.set("*", throttle_probability=0.3, error_probability=0.05, reset_probability=0.05, latency=0.05)
    # and 30 % of the mutating calls take effect but lose their answer (the client retries them)
    lossy = ("CreateInferenceComponent", "UpdateInferenceComponent", "DeleteInferenceComponent", "AddTags")
    fleet.recorder.lose_answers = dict.fromkeys(lossy, 0.3)
    ns_a, ns_b = fleet.expect.namespaces
    try:
        changed = []
        live = fleet.live()
        for body in (fleet.specs[k] for k in live[3:]):
            spec = body["spec"]["specification"]
            spec["modelName"] = fleet.models[1] if spec["modelName"] == fleet.models[0] else fleet.models[0]
            changed.append(body)
        changed += [fleet.manifest((ns_a, ns_b)[i % 2], f"sf-{i}", enforced=i % 2 == 0) for i in range(3)]
        t0 = time.monotonic()
        for ns, name in live[:3]:
            fleet.kube.kubectl("delete", "smic", name, "-n", ns, "--wait=false")
            fleet.expect.deleted.add((ns, name))
        apply_objects(fleet.kube, changed)
        time.sleep(1.0)
        backend.faults.set("*", error_probability=1.0, latency=0.05)  # every call 500/503 for 3 s
        time.sleep(3.0)
        _no_stall(stalls)(list_crs(fleet.kube, fleet.expect.namespaces))
        backend.faults.set("*", throttle_probability=0.3, error_probability=0.05, reset_probability=0.05, latency=0.05)
        fleet.converge(
            "sagemaker-faults",
            "30% throttling + 5xx burst + resets + latency + lost answers",
            t0,
            during=_no_stall(stalls),
        )
        throttled = backend.faults.throttled
    finally:
        backend.faults.reset()
        fleet.recorder.lose_answers = {}
    assert not stalls, f"Stalled by a transient fault: {stalls[:5]}"
    assert throttled > 0
    RESULTS[-1]["throttled_calls"] = throttled
    RESULTS[-1]["lost_answers"] = fleet.recorder.lost


def test_apiserver_restart_and_watch_expiry(fleet: Fleet) -> None:
    kube = fleet.kube
    live = fleet.live()
    changed = []
    for body in (fleet.specs[k] for k in live):
        body["spec"].setdefault("tags", [])
        body["spec"]["tags"] = [{"key": "wave", "value": "restart"}]
        changed.append(body)
    t0 = time.monotonic()
    apply_objects(kube, changed)
    time.sleep(fleet.rng.uniform(0.0, 0.5))
    kube.restart_apiserver()  # etcd keeps everything; every watch and request in flight breaks
    fleet.converge("apiserver", "restart mid-update", t0)

    # an outage: SageMaker changes while the API server is down, the operator cannot write status
    enforced = [k for k in live if "runtimeConfig" in fleet.specs[k]["spec"]][:3]
    t0 = time.monotonic()
    kube.stop_apiserver()
    try:
        for _, name in enforced:
            run_oob(fleet.backend, "set-ic-copy-count", {"name": name, "copyCount": 3})
        time.sleep(4.0)  # longer than the 3 s watch timeout: watches expire against a dead server
    finally:
        kube.start_apiserver()
    fleet.converge("apiserver", "4 s outage + out-of-band copy changes", t0)


def test_out_of_band_changes(fleet: Fleet) -> None:
    live = fleet.live()
    enforced = [k for k in live if "runtimeConfig" in fleet.specs[k]["spec"]]
    autoscaled = [k for k in live if "runtimeConfig" not in fleet.specs[k]["spec"]]
    deleted, edited, scaled, failed = enforced[0], enforced[1], enforced[2], enforced[3]
    t0 = time.monotonic()
    run_oob(fleet.backend, "delete-ic", {"name": deleted[1]})
    fleet.expect.extra_creates[deleted[1]] += 1
    other = next(m for m in fleet.models if m != fleet.specs[edited]["spec"]["specification"]["modelName"])
    run_oob(fleet.backend, "update-ic-spec", {"name": edited[1], "specification": {"ModelName": other}})
    run_oob(fleet.backend, "set-ic-copy-count", {"name": scaled[1], "copyCount": 4})
    if autoscaled:  # Application Auto Scaling's change: left alone, mirrored in status
        run_oob(fleet.backend, "set-ic-copy-count", {"name": autoscaled[0][1], "copyCount": 2})
    run_oob(fleet.backend, "fail-ic", {"name": failed[1], "reason": "Model container failed health checks"})
    fleet.expect.allowed_stalled.add(failed)
    fleet.converge("out-of-band", "delete + spec edit + copy count + failure", t0)
    cr = next(c for c in list_crs(fleet.kube, [failed[0]]) if c["metadata"]["name"] == failed[1])
    assert "health checks" in ((condition(cr, "Stalled") or {}).get("message") or "")
    mark = fleet.recorder.mark()
    time.sleep(3.0)  # Stalled means no retry loop: nothing is sent for the failed component
    assert fleet.recorder.mutations(mark, [failed[1]]) == []
    if autoscaled:
        desc = fleet.backend.call("DescribeInferenceComponent", {"InferenceComponentName": autoscaled[0][1]})
        assert desc["RuntimeConfig"]["DesiredCopyCount"] == 2
    # a spec change is the human's answer: it recovers
    body = fleet.specs[failed]
    body["spec"]["specification"]["computeResourceRequirements"]["minMemoryRequiredInMb"] = 2048
    t0 = time.monotonic()
    apply_objects(fleet.kube, [body])
    fleet.expect.allowed_stalled.discard(failed)
    fleet.converge("out-of-band", "failure fixed by a spec change", t0)


def test_restart_with_crs_in_every_state(fleet: Fleet) -> None:
    kube, backend, rec = fleet.kube, fleet.backend, fleet.recorder
    ns_a, ns_b = fleet.expect.namespaces
    live = fleet.live()
    clock = backend.clock
    clock.time_scale = 0.05  # transitions take ~9 s: the kills below land inside them
    try:
        # Creating in SageMaker when killed
        mark = rec.mark()
        apply_objects(kube, [fleet.manifest(ns_a, "st-creating", enforced=True)])
        wait_for(
            lambda: any(c.operation == "CreateInferenceComponent" and c.ok for c in rec.since(mark)), what="create"
        )
        fleet.operator.kill()
        # Updating when killed
        fleet.operator.start()
        updating = live[0]
        body = fleet.specs[updating]
        spec = body["spec"]["specification"]
        spec["modelName"] = fleet.models[1] if spec["modelName"] == fleet.models[0] else fleet.models[0]
        mark = rec.mark()
        apply_objects(kube, [body])
        wait_for(lambda: rec.mutations(mark, [updating[1]]), what="update call")
        fleet.operator.kill()
        # Deleting when killed
        fleet.operator.start()
        deleting = live[1]
        mark = rec.mark()
        kube.kubectl("delete", "smic", deleting[1], "-n", deleting[0], "--wait=false")
        fleet.expect.deleted.add(deleting)
        wait_for(lambda: rec.mutations(mark, [deleting[1]]), what="delete call")
        fleet.operator.kill()
    finally:
        clock.time_scale = TIME_SCALE
    # while the operator is down: a new CR, a spec change, a CR deleted (finalizer holds it), a CR
    # created and deleted before the operator ever saw it, and one that will be Stalled (capacity)
    down_deleted, down_updated = live[2], live[3]
    kube.kubectl("delete", "smic", down_deleted[1], "-n", down_deleted[0], "--wait=false")
    fleet.expect.deleted.add(down_deleted)
    body = fleet.specs[down_updated]
    body["spec"]["specification"]["computeResourceRequirements"]["numberOfCpuCoresRequired"] = 2
    never = fleet.manifest(ns_b, "st-never-seen", enforced=False)
    apply_objects(kube, [fleet.manifest(ns_b, "st-new-while-down", enforced=False), body, never])
    kube.kubectl("delete", "smic", "st-never-seen", "-n", ns_b, "--wait=true", "--timeout=30s")
    fleet.expect.deleted.add((ns_b, "st-never-seen"))
    stalled = fleet.manifest(ns_a, "st-capacity", enforced=True)
    stalled["spec"]["runtimeConfig"]["copyCount"] = 5000
    apply_objects(kube, [stalled])
    fleet.expect.allowed_stalled.add((ns_a, "st-capacity"))
    t0 = time.monotonic()
    fleet.operator.start()
    fleet.converge("restart", "operator down with CRs Creating/Updating/Deleting/Stalled/new/deleted", t0)
    assert fleet.recorder.creates()["st-never-seen"] == 0
    cr = next(c for c in list_crs(kube, [ns_a]) if c["metadata"]["name"] == "st-capacity")
    assert "CapacityError" in ((condition(cr, "Stalled") or {}).get("message") or "")
    # clean up the stalled one (its deletion is part of the invariants too)
    t0 = time.monotonic()
    kube.kubectl("delete", "smic", "st-capacity", "-n", ns_a, "--wait=false")
    fleet.expect.deleted.add((ns_a, "st-capacity"))
    fleet.expect.allowed_stalled.discard((ns_a, "st-capacity"))
    fleet.converge("restart", "delete of a Stalled CR", t0)


def test_everything_deleted_leaves_nothing(fleet: Fleet) -> None:
    """The whole fleet deleted with the operator SIGKILLed in the middle: no leftovers, no finalizer stuck."""
    t0 = time.monotonic()
    for ns in fleet.expect.namespaces:
        fleet.kube.kubectl("delete", "smic,smie", "--all", "-n", ns, "--wait=false")
    fleet.expect.deleted.update(fleet.live())
    for _ in range(KILLS_PER_PHASE):
        fleet.kill_and_restart(0.1, 1.5)
    fleet.converge("teardown", "delete everything + SIGKILL", t0)
    assert list_crs(fleet.kube, fleet.expect.namespaces) == []
