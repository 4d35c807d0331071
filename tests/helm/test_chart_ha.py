"""HA on the real kube-apiserver: two cluster-wide operators with the chart's HA args (`--peering`,
no shared priority) and its ServiceAccount share the ClusterKopfPeering; one works, the other stands by and takes
over when the first shuts down. Its own module, so no other test's operator is running meanwhile."""

# ruff: noqa: F811  (module fixtures are imported, then requested by name)

from __future__ import annotations

import contextlib
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from kube_testenv.controlplane import ControlPlane, free_port
from sagemaker_emulator.server import EmulatorServer

from .conftest import CRS, GROUP
from .test_chart_controlplane import (  # noqa: F401  (module fixtures, requested by name)
    ROOT,
    Release,
    emulator,
    inference_component,
    namespace,
    run_operator,
    sm,
    wait_for,
)

pytestmark = [pytest.mark.controlplane, pytest.mark.slow]


def peers(plane: ControlPlane, release: Release) -> dict[str, Any]:
    got = json.loads(plane.kubectl("get", "clusterkopfpeering", release.fullname, "-o", "json").stdout)
    return dict(got.get("status") or {})


def test_two_replicas_one_active_then_failover(
    controlplane: ControlPlane,
    emulator: EmulatorServer,
    sm: Any,
    tmp_path: Path,
) -> None:
    controlplane.kubectl("apply", "--server-side", "--force-conflicts", "-f", str(ROOT / "crds"))
    controlplane.kubectl("wait", "--for=condition=Established", *(f"crd/{p}.{GROUP}" for p in CRS))
    team = namespace(controlplane, "team-ha")
    values: dict[str, Any] = {
        "replicas": 2,
        "crds.install": False,
        "aws.endpointUrl": emulator.url,
        "metrics.enabled": False,
        "operator.poll": {"fast": 0.2, "cap": 1, "steady": 1.5},
    }
    release = Release(controlplane, f"sioha-{uuid.uuid4().hex[:6]}", namespace(controlplane, "sio-ha"), values)
    release.install()
    try:
        with contextlib.ExitStack() as stack:
            ops = [
                stack.enter_context(run_operator(release, tmp_path / pod, team, pod, free_port()))
                for pod in ("7d9c-abcde", "7d9c-fghij")
            ]
            assert f"--peering={release.fullname}" in ops[0].args
            both = wait_for(lambda: len(peers(controlplane, release)) == 2 and peers(controlplane, release))
            assert set(both) == {op.pod for op in ops}
            priorities = {pod: info["priority"] for pod, info in both.items()}
            assert len(set(priorities.values())) == 2, priorities
            active, standby = sorted(ops, key=lambda op: priorities[op.pod], reverse=True)
            # A replica starts paused and resumes only if no live peer outranks it (kopf logs
            # "Pausing ..." only for an operator that was running before a higher one appeared).

            controlplane.kubectl("apply", "-f", "-", input=json.dumps(inference_component(sm, "ha-one", team)))
            wait_for(lambda: active.ready("smic", "ha-one"), timeout=90, what="ha-one Ready")
            assert "ha-one" in active.log.read_text() and "ha-one" not in standby.log.read_text()

            resumed = standby.log.read_text().count("Resuming operations")
            active.stop()  # like a rolling update or a node drain: SIGTERM, kopf leaves the peering
            wait_for(lambda: active.pod not in peers(controlplane, release), what="active leaves the peering")
            wait_for(lambda: standby.log.read_text().count("Resuming operations") > resumed, what="standby resumes")
            controlplane.kubectl("apply", "-f", "-", input=json.dumps(inference_component(sm, "ha-two", team)))
            wait_for(lambda: standby.ready("smic", "ha-two"), timeout=90, what="ha-two Ready via the standby")
            standby.delete("smic", "ha-one")
            standby.delete("smic", "ha-two")
            for op in ops:
                op.assert_no_forbidden()
    finally:
        release.uninstall()
