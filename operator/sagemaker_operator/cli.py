"""``sagemaker-operator run``: the operator process (kopf run programmatically)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import hashlib
import logging
import os
import socket
import sys
from collections.abc import Sequence

from . import config, logredact


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="sagemaker-operator", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="run the operator")
    scope = run.add_mutually_exclusive_group()
    scope.add_argument("-n", "--namespace", action="append", default=[], help="watch this namespace (repeatable)")
    scope.add_argument("-A", "--all-namespaces", action="store_true", help="watch every namespace (default)")
    run.add_argument("--region", help="default AWS region (AWS_REGION)")
    run.add_argument("--endpoint-url", help="SageMaker endpoint URL, e.g. the emulator (SAGEMAKER_ENDPOINT_URL)")
    run.add_argument("--cluster-id", help="value of the ownership 'cluster' tag")
    peering = run.add_mutually_exclusive_group()
    peering.add_argument("--standalone", action="store_true", help="no peering with other operator instances")
    # Several replicas (the Helm chart's HA mode) share one kopf peering object: one is active.
    peering.add_argument("--peering", metavar="NAME", help="kopf peering object shared by the operator's replicas")
    run.add_argument(
        "--priority",
        type=int,
        help="kopf peering priority (the highest live one is active); default with --peering: derived from POD_ID",
    )
    run.add_argument("--liveness", metavar="URL", help="liveness endpoint, e.g. http://0.0.0.0:8080/healthz")
    run.add_argument("--metrics-port", type=int, help="serve Prometheus metrics on this port")
    run.add_argument("--log-format", choices=["text", "json"], help="log format")
    run.add_argument("--verbose", action="store_true")
    run.add_argument("--debug", action="store_true")
    run.add_argument("--poll-fast", type=float, help="first re-check of a transitional state (s)")
    run.add_argument("--poll-factor", type=float, help="backoff factor of transitional re-checks")
    run.add_argument("--poll-cap", type=float, help="longest wait between transitional re-checks (s)")
    run.add_argument("--poll-steady", type=float, help="re-check interval of steady states (s)")
    run.add_argument("--poll-jitter", type=float, help="jitter fraction of steady re-checks")
    run.add_argument("--poll-error", type=float, help="first retry after a transient error (s)")
    run.add_argument("--read-tps", type=float, help="SageMaker read calls per second per region")
    run.add_argument("--mutate-tps", type=float, help="SageMaker mutating calls per second per region")
    run.add_argument("--max-workers", type=int, help="threads / HTTP connections per region")
    run.add_argument("--refresh-interval", type=float, help="seconds between List ticks (0: describe every pass)")
    run.add_argument("--drift-interval", type=float, help="full Describe of a steady resource at least this often (s)")
    run.add_argument("--endpoint-ttl", type=float, help="how long a DescribeEndpoint answer is shared (s)")

    run.add_argument("--watch-timeout", type=int, help="seconds before a watch is renewed (default 300)")
    return p


def settings_from(args: argparse.Namespace) -> config.Settings:
    s = config.Settings.from_env()
    for attr, value in (
        ("region", args.region),
        ("endpoint_url", args.endpoint_url),
        ("cluster_id", args.cluster_id),
        ("log_format", args.log_format),
        ("read_tps", args.read_tps),
        ("mutate_tps", args.mutate_tps),
        ("max_workers", args.max_workers),
        ("refresh_interval", args.refresh_interval),
        ("drift_interval", args.drift_interval),
        ("endpoint_ttl", args.endpoint_ttl),
        ("watch_timeout", args.watch_timeout),
    ):
        if value is not None:
            setattr(s, attr, value)
    for name in ("fast", "factor", "cap", "steady", "jitter", "error"):
        value = getattr(args, f"poll_{name}")
        if value is not None:
            setattr(s.poll, name, value)
    if args.namespace:
        s.namespaces = list(args.namespace)
    elif args.all_namespaces:
        s.namespaces = []
    return s


def peering_priority(peering: str | None, priority: int | None, identity: str | None = None) -> int | None:
    """kopf pauses EVERY operator of a peering when two live ones share the highest priority, so the
    replicas of one Deployment (identical args) need distinct priorities: derive a stable one from
    the pod's identity (POD_ID, else the host name). The highest wins; the others stand by and take
    over when it leaves the peering (at shutdown, or when its keep-alive expires)."""
    if priority is not None or peering is None:
        return priority
    who = identity or os.environ.get("POD_ID") or socket.gethostname()
    return 1 + int.from_bytes(hashlib.sha256(who.encode()).digest()[:4], "big") % (2**31 - 2)


def _limit_malloc_arenas() -> None:
    """Cap glibc's malloc arenas at 2 (unless MALLOC_ARENA_MAX says otherwise).

    glibc gives threads that allocate their own arena (up to 8 per core); with a thread pool per
    region and the status writer's pool, memory freed after a burst stays scattered over many
    arenas and RSS stays at the burst's high-water mark."""
    if os.environ.get("MALLOC_ARENA_MAX") or not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").mallopt(-8, 2)  # -8 = M_ARENA_MAX


def run(args: argparse.Namespace) -> int:
    import kopf

    _limit_malloc_arenas()

    from .handlers import REGISTRY

    settings = settings_from(args)
    config.install(settings)
    kopf.configure(
        verbose=args.verbose,
        debug=args.debug,
        log_format=kopf.LogFormat.JSON if settings.log_format == "json" else kopf.LogFormat.FULL,
    )
    logging.getLogger("botocore").setLevel(logging.WARNING)
    logredact.install()
    if args.metrics_port:
        from prometheus_client import start_http_server

        start_http_server(args.metrics_port)
    asyncio.run(
        kopf.operator(
            registry=REGISTRY,
            standalone=args.standalone,
            peering_name=args.peering,
            priority=peering_priority(args.peering, args.priority),
            clusterwide=not settings.namespaces,
            namespaces=settings.namespaces,
            liveness_endpoint=args.liveness,
        )
    )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "run":
        return run(args)
    return 2


if __name__ == "__main__":
    sys.exit(main())
