"""Detached background processes tracked by pidfiles in a state directory (e.g. `.demo/`)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from pathlib import Path


def pidfile(directory: Path, name: str) -> Path:
    return directory / f"{name}.pid"


def running(directory: Path, name: str) -> int | None:
    """The pid of `name` if its pidfile names a live process."""
    try:
        pid = int(pidfile(directory, name).read_text().strip())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:
        return pid
    # A zombie (exited child not yet reaped) is not running.
    with contextlib.suppress(OSError):
        if Path(f"/proc/{pid}/stat").read_text().split()[2] == "Z":
            return None
    return pid


def spawn(directory: Path, name: str, argv: Sequence[str], env: Mapping[str, str] | None = None) -> int:
    """Start `argv` in its own session, output to `<dir>/<name>.log`; return its pid."""
    directory.mkdir(parents=True, exist_ok=True)
    log = open(directory / f"{name}.log", "ab")  # noqa: SIM115 - handed to the child, closed below
    try:
        proc = subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=dict(env) if env is not None else None,
            start_new_session=True,
        )
    finally:
        log.close()
    pidfile(directory, name).write_text(f"{proc.pid}\n")
    return proc.pid


def stop(directory: Path, name: str, timeout: float = 15.0) -> bool:
    """SIGTERM the process group of `name`, SIGKILL after `timeout`; True if something was stopped."""
    pid = running(directory, name)
    pidfile(directory, name).unlink(missing_ok=True)
    if pid is None:
        return False
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        with contextlib.suppress(ChildProcessError):
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, signal.SIGKILL)
    return True


def tail(directory: Path, name: str, lines: int = 20) -> str:
    try:
        return "\n".join((directory / f"{name}.log").read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""
