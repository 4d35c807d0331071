"""`kube-testenv up/down` (what `make demo` uses) and no stray processes when the supervisor dies."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from kube_testenv.provision import Binaries

pytestmark = pytest.mark.controlplane

CLI = [sys.executable, "-m", "kube_testenv.cli"]


def processes_mentioning(text: str) -> list[int]:
    """Pids whose command line contains `text` (the state dir is in etcd's and kube-apiserver's flags)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if text in cmdline:
            pids.append(int(entry.name))
    return pids


def wait_until(condition: object, timeout: float = 30.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(condition) and condition():
            return True
        time.sleep(0.2)
    return False


def test_up_detach_then_down(kube_binaries: Binaries, tmp_path: Path) -> None:
    state = tmp_path / "demo"
    try:
        up = subprocess.run([*CLI, "up", "--dir", str(state), "--detach"], capture_output=True, text=True, timeout=120)
        assert up.returncode == 0, up.stderr
        assert f"export KUBECONFIG={state / 'kubeconfig'}" in up.stdout
        pid = int((state / "kube-testenv.pid").read_text())
        ns = subprocess.run(
            [str(kube_binaries.kubectl), "--kubeconfig", str(state / "kubeconfig"), "get", "ns", "default"],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert ns.returncode == 0, ns.stderr
        again = subprocess.run([*CLI, "up", "--dir", str(state), "--detach"], capture_output=True, text=True)
        assert again.returncode == 0 and "already running" in again.stderr
    finally:
        down = subprocess.run([*CLI, "down", "--dir", str(state)], capture_output=True, text=True, timeout=60)
    assert down.returncode == 0, down.stderr
    assert not (state / "kubeconfig").exists()
    assert not (state / "kube-testenv.pid").exists()
    assert wait_until(lambda: not processes_mentioning(str(state)), 15), processes_mentioning(str(state))
    # Gone, or a zombie awaiting its reaper (PID 1 here): either way no command line is left.
    assert pid not in processes_mentioning("kube_testenv")


def test_killed_supervisor_leaves_no_strays(kube_binaries: Binaries, tmp_path: Path) -> None:
    state = tmp_path / "killed"
    supervisor = subprocess.Popen(
        [*CLI, "up", "--dir", str(state)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        assert wait_until(lambda: (state / "kubeconfig").exists(), 90), "control plane did not come up"
        children = [p for p in processes_mentioning(str(state)) if p != supervisor.pid]
        assert len(children) == 2, children  # etcd and kube-apiserver
        supervisor.send_signal(signal.SIGKILL)
        supervisor.wait(10)
        assert wait_until(lambda: not processes_mentioning(str(state)), 20), processes_mentioning(str(state))
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
