"""The demo's building blocks: seeding SageMaker from examples/sagemaker and detached processes."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import boto3
import pytest

from sagemaker_devstack import processes, seed
from sagemaker_emulator.backend import Backend
from sagemaker_emulator.clock import Clock
from sagemaker_emulator.server import EmulatorServer

ROOT = Path(__file__).resolve().parents[2]


def test_seed_files_name_their_operation() -> None:
    ops = [seed.operation_for(p) for p in sorted((ROOT / "examples" / "sagemaker").glob("*.json"))]
    assert ops == [
        "create_model",
        "create_model",
        "create_endpoint_config",
        "create_endpoint",
        "create_endpoint_config",
        "create_endpoint",
    ]
    with pytest.raises(ValueError, match="must start with"):
        seed.operation_for(Path("07-training-job.json"))


def test_seed_applies_idempotently_and_makes_an_ic_capable_endpoint() -> None:
    with EmulatorServer(Backend(clock=Clock(0.001))) as server:
        sm = boto3.client(
            "sagemaker",
            endpoint_url=server.url,
            region_name="us-west-2",
            aws_access_key_id="a",
            aws_secret_access_key="b",
        )
        logged: list[str] = []
        endpoints = seed.apply(sm, ROOT / "examples" / "sagemaker", log=logged.append)
        assert endpoints == ["demo-endpoint", "demo-shadow-endpoint"]
        seed.wait_in_service(sm, endpoints, timeout=30)
        again: list[str] = []
        seed.apply(sm, ROOT / "examples" / "sagemaker", log=again.append)
        assert all(line.startswith("  exists:") for line in again) and len(again) == 6
        config = sm.describe_endpoint_config(EndpointConfigName="demo-endpoint-config")
        assert config["ExecutionRoleArn"] and "ModelName" not in config["ProductionVariants"][0]


def test_detached_process_lifecycle(tmp_path: Path) -> None:
    pid = processes.spawn(
        tmp_path, "sleeper", [sys.executable, "-c", "import time; print('hi', flush=True); time.sleep(60)"]
    )
    assert processes.running(tmp_path, "sleeper") == pid
    deadline = time.monotonic() + 10
    while "hi" not in processes.tail(tmp_path, "sleeper") and time.monotonic() < deadline:
        time.sleep(0.05)
    assert "hi" in processes.tail(tmp_path, "sleeper")
    assert processes.stop(tmp_path, "sleeper")
    assert processes.running(tmp_path, "sleeper") is None
    assert not processes.stop(tmp_path, "sleeper")
