"""kube-testenv: provision and run the project's real Kubernetes control plane.

kube-testenv provision                 build/fetch the pinned binaries into the cache, print paths
kube-testenv env                       print binary paths (KEY=path), building nothing
kube-testenv up --dir DIR [--detach]   start etcd + kube-apiserver, write DIR/kubeconfig
kube-testenv down --dir DIR            stop what `up --dir DIR` started
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from . import provision as prov
from . import versions
from .controlplane import ControlPlane

PIDFILE = "kube-testenv.pid"
KUBECONFIG = "kubeconfig"
LOGFILE = "kube-testenv.log"


def _print_paths(found: dict[str, Path]) -> None:
    for name in prov.NAMES:
        if name in found:
            print(f"{prov.ENV_VARS[name]}={found[name]}")


def cmd_provision(_: argparse.Namespace) -> int:
    binaries = prov.provision(log=prov.Progress())
    _print_paths(binaries.as_dict())
    return 0


def cmd_env(_: argparse.Namespace) -> int:
    found = prov.locate()
    print(f"KUBERNETES_VERSION={versions.KUBERNETES_VERSION}")
    print(f"ETCD_VERSION={versions.ETCD_VERSION}")
    print(f"KUBE_TESTENV_CACHE={prov.default_cache_dir()}")
    _print_paths(found)
    missing = [name for name in prov.NAMES if name not in found]
    if missing:
        print(f"not provisioned yet: {', '.join(missing)} (run `kube-testenv provision`)", file=sys.stderr)
        return 1
    return 0


def _pid_alive(pid: int) -> bool:
    """True if `pid` is a live kube-testenv supervisor (guards against a reused pid)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False
    return b"kube_testenv" in cmdline or b"kube-testenv" in cmdline


def _running_pid(directory: Path) -> int | None:
    try:
        pid = int((directory / PIDFILE).read_text().strip())
    except (OSError, ValueError):
        return None
    return pid if _pid_alive(pid) else None


def _serve(directory: Path) -> int:
    """Foreground: run until SIGTERM/SIGINT, then tear everything down."""
    log = prov.Progress()
    binaries = prov.provision(log=log)
    (directory / PIDFILE).write_text(f"{os.getpid()}\n")

    def terminate(signum: int, _frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, terminate)
    signal.signal(signal.SIGHUP, terminate)
    plane = ControlPlane(binaries, directory=directory / "state", log=log)
    try:
        with plane:
            # Published only once ready: `up --detach` waits for this file.
            plane.write_kubeconfig(directory / KUBECONFIG, user="kube-testenv-admin", token=plane.token)
            print(f"kubeconfig: {directory / KUBECONFIG}", flush=True)
            print(f"server: {plane.server}", flush=True)
            print(f"export KUBECONFIG={directory / KUBECONFIG}", flush=True)
            while plane.running():
                time.sleep(1)
            print("a control-plane process exited; see the logs in " + str(directory / "state"), file=sys.stderr)
            return 1
    except KeyboardInterrupt:
        return 0
    finally:
        with contextlib.suppress(OSError):
            (directory / KUBECONFIG).unlink()
        with contextlib.suppress(OSError):
            (directory / PIDFILE).unlink()


def cmd_up(args: argparse.Namespace) -> int:
    directory = Path(args.dir).resolve()
    directory.mkdir(parents=True, exist_ok=True)
    pid = _running_pid(directory)
    if pid is not None:
        print(f"already running (pid {pid}); kubeconfig: {directory / KUBECONFIG}", file=sys.stderr)
        return 0 if (directory / KUBECONFIG).exists() else 1
    with contextlib.suppress(OSError):
        (directory / KUBECONFIG).unlink()
    if not args.detach:
        return _serve(directory)

    # Build/fetch here, with progress on this terminal, then hand over to a detached supervisor.
    prov.provision(log=prov.Progress())
    logfile = directory / LOGFILE
    with open(logfile, "ab") as log:
        child = subprocess.Popen(
            [sys.executable, "-m", "kube_testenv.cli", "up", "--dir", str(directory)],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + args.timeout
    while time.monotonic() < deadline:
        if (directory / KUBECONFIG).exists():
            print(f"kube-testenv running (pid {child.pid}); logs: {logfile}")
            print(f"export KUBECONFIG={directory / KUBECONFIG}")
            return 0
        if child.poll() is not None:
            print(f"kube-testenv exited with {child.returncode}; {logfile}:", file=sys.stderr)
            print(logfile.read_text(errors="replace")[-4000:], file=sys.stderr)
            return 1
        time.sleep(0.2)
    child.terminate()
    print(f"control plane not ready after {args.timeout:.0f}s; see {logfile}", file=sys.stderr)
    return 1


def cmd_down(args: argparse.Namespace) -> int:
    directory = Path(args.dir).resolve()
    pid = _running_pid(directory)
    if pid is None:
        print(f"kube-testenv is not running in {directory}")
        for stale in (PIDFILE, KUBECONFIG):
            with contextlib.suppress(OSError):
                (directory / stale).unlink()
        return 0
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 30
    while _pid_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _pid_alive(pid):
        # The children die with it (PR_SET_PDEATHSIG).
        os.kill(pid, signal.SIGKILL)
    print(f"kube-testenv stopped (pid {pid})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kube-testenv",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("provision", help="build/fetch the pinned binaries, print their paths").set_defaults(
        func=cmd_provision
    )
    sub.add_parser("env", help="print versions and binary paths without building").set_defaults(func=cmd_env)
    up = sub.add_parser("up", help="start etcd + kube-apiserver; write DIR/kubeconfig")
    up.add_argument("--dir", required=True, help="state directory (kubeconfig, pidfile, logs)")
    up.add_argument("--detach", action="store_true", help="run in the background, return once ready")
    up.add_argument("--timeout", type=float, default=120.0, help="seconds to wait for readiness (--detach)")
    up.set_defaults(func=cmd_up)
    down = sub.add_parser("down", help="stop the control plane started with `up --dir DIR`")
    down.add_argument("--dir", required=True)
    down.set_defaults(func=cmd_down)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        code: int = args.func(args)
    except prov.ProvisionError as err:
        print(f"kube-testenv: {err}", file=sys.stderr)
        return 2
    return code


if __name__ == "__main__":
    sys.exit(main())
