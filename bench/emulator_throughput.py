"""Throughput of the SageMaker emulator as users run it: the real CLI in a subprocess, real boto3.

N client threads (one boto3 client each) call a mix of DescribeEndpoint, ListEndpoints and
CreateModel for a fixed time; the result is one JSON object with requests/second and latency
percentiles. Not part of ``make test``; run with ``make bench-emulator``.
"""

from __future__ import annotations

import argparse
import itertools
import json
import pathlib
import random
import re
import signal
import subprocess
import sys
import threading
import time
from typing import Any

import boto3
import botocore.config

MIX = (("DescribeEndpoint", 0.6), ("ListEndpoints", 0.3), ("CreateModel", 0.1))


def start_emulator(time_scale: float) -> tuple[subprocess.Popen[str], str]:
    command = [str(pathlib.Path(sys.executable).parent / "sagemaker-emulator"), "--port", "0"]
    proc = subprocess.Popen([*command, "--time-scale", str(time_scale)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.search(r"(http://\S+)", line)
    if match is None:
        proc.kill()
        raise SystemExit(f"emulator did not start: {line!r}")
    return proc, match.group(1)


def make_client(url: str) -> Any:
    # A session per thread: boto3's default session is not thread-safe for creating clients.
    return boto3.session.Session().client(
        "sagemaker",
        endpoint_url=url,
        region_name="us-west-2",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
        config=botocore.config.Config(retries={"total_max_attempts": 1}, max_pool_connections=4),
    )


class RawClient:
    """The same calls as plain keep-alive HTTP (no SigV4, no botocore): what the emulator alone costs."""

    def __init__(self, url: str) -> None:
        import http.client

        host, port = url.removeprefix("http://").rsplit(":", 1)
        self.connection = http.client.HTTPConnection(host, int(port), timeout=30)

    def _call(self, op: str, params: dict[str, Any]) -> Any:
        headers = {"X-Amz-Target": f"SageMaker.{op}", "Content-Type": "application/x-amz-json-1.1"}
        self.connection.request("POST", "/", body=json.dumps(params), headers=headers)
        response = self.connection.getresponse()
        body = json.loads(response.read())
        if response.status != 200:
            raise RuntimeError(body)
        return body

    def describe_endpoint(self, **params: Any) -> Any:
        return self._call("DescribeEndpoint", params)

    def list_endpoints(self, **params: Any) -> Any:
        return self._call("ListEndpoints", params)

    def create_model(self, **params: Any) -> Any:
        return self._call("CreateModel", params)


def setup(url: str, endpoints: int) -> list[str]:
    sm = make_client(url)
    sm.create_model(ModelName="bench-model", PrimaryContainer={"Image": "bench:1"})
    sm.create_endpoint_config(
        EndpointConfigName="bench-config",
        ProductionVariants=[
            {"VariantName": "v", "ModelName": "bench-model", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
        ],
    )
    names = [f"bench-ep-{i:04d}" for i in range(endpoints)]
    # Raise the instance quota so the benchmark is about the API, not about limits.
    import urllib.request

    request = urllib.request.Request(
        url + "/_emulator/limits", data=json.dumps({"ml.m5.large": endpoints + 10}).encode(), method="POST"
    )
    urllib.request.urlopen(request, timeout=10).read()
    for name in names:
        sm.create_endpoint(EndpointName=name, EndpointConfigName="bench-config")
    return names


def cpu_seconds(pid: int) -> float | None:
    """User+system CPU time of a process (Linux), to tell a busy server from busy clients."""
    import os

    try:
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def percentile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    index = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[index]


def _drive(url: str, clients: int, duration: float, names: list[str], kind: str, start_wall: float, tag: int) -> Any:
    """``clients`` threads in this process, starting together at wall time ``start_wall``."""
    ops, weights = zip(*MIX, strict=True)
    counter = itertools.count()
    latencies: list[list[float]] = [[] for _ in range(clients)]
    per_op: list[dict[str, int]] = [dict.fromkeys(ops, 0) for _ in range(clients)]
    errors = [0] * clients
    ready = threading.Barrier(clients + 1)
    stop_at = [float("inf")]

    def worker(index: int) -> None:
        sm = make_client(url) if kind == "boto3" else RawClient(url)
        sm.list_endpoints(MaxResults=1)  # warm the connection pool
        rng = random.Random(tag * 1000 + index)
        ready.wait()
        ready.wait()
        while time.monotonic() < stop_at[0]:
            op = rng.choices(ops, weights)[0]
            started = time.perf_counter()
            try:
                if op == "DescribeEndpoint":
                    sm.describe_endpoint(EndpointName=rng.choice(names))
                elif op == "ListEndpoints":
                    sm.list_endpoints(NameContains="bench", MaxResults=10)
                else:
                    name = f"m-{kind}-{tag}-{index}-{next(counter)}"
                    sm.create_model(ModelName=name, PrimaryContainer={"Image": "bench:1"})
            except Exception:
                errors[index] += 1
            latencies[index].append(time.perf_counter() - started)
            per_op[index][op] += 1

    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()  # every client is connected
    time.sleep(max(0.0, start_wall - time.time()))
    cpu = time.process_time()
    stop_at[0] = time.monotonic() + duration
    began = time.monotonic()
    ready.wait()
    for thread in threads:
        thread.join()
    return (
        [lat for per in latencies for lat in per],
        {op: sum(p[op] for p in per_op) for op in ops},
        sum(errors),
        time.monotonic() - began,
        time.process_time() - cpu,
    )


def run(
    url: str, clients: int, duration: float, names: list[str], kind: str = "boto3", processes: int = 1
) -> dict[str, Any]:
    """Drive the emulator with ``clients`` threads spread over ``processes`` client processes."""
    start_wall = time.time() + 1.0 + 0.5 * processes
    shares = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    if processes == 1:
        parts = [_drive(url, clients, duration, names, kind, start_wall, 0)]
    else:
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(processes) as pool:
            futures = [
                pool.submit(_drive, url, share, duration, names, kind, start_wall, i) for i, share in enumerate(shares)
            ]
            parts = [f.result() for f in futures]
    merged = sorted(lat for part in parts for lat in part[0])
    elapsed = max(part[3] for part in parts)
    by_operation = {op: sum(part[1][op] for part in parts) for op, _ in MIX}
    return {
        "client": kind,
        "clients": clients,
        "client_processes": processes,
        "duration_s": round(elapsed, 2),
        "requests": len(merged),
        "errors": sum(part[2] for part in parts),
        "requests_per_second": round(len(merged) / elapsed, 1),
        "p50_ms": round(percentile(merged, 0.50) * 1000, 2),
        "p99_ms": round(percentile(merged, 0.99) * 1000, 2),
        "by_operation": by_operation,
        "endpoints": len(names),
        "client_cpu_share": round(sum(part[4] for part in parts) / elapsed, 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--endpoints", type=int, default=200)
    parser.add_argument("--time-scale", type=float, default=0.001)
    parser.add_argument(
        "--client",
        choices=("boto3", "raw", "both"),
        default="both",
        help="boto3 clients (what users see), plain HTTP (what the emulator alone sustains), or both",
    )
    parser.add_argument("--processes", type=int, default=1, help="client processes sharing the threads")
    parser.add_argument("--url", default=None, help="benchmark an emulator already running there instead")
    args = parser.parse_args(argv)
    proc = None
    url = args.url
    if url is None:
        proc, url = start_emulator(args.time_scale)
    try:
        names = setup(url, args.endpoints)
        time.sleep(0.5)  # let the endpoints reach InService
        results = []
        for kind in ("boto3", "raw") if args.client == "both" else (args.client,):
            server_cpu = cpu_seconds(proc.pid) if proc is not None else None
            result = run(url, args.clients, args.duration, names, kind, args.processes)
            # CPU shares (1.0 = one core busy) tell whether the server or the clients were the limit.
            if proc is not None and server_cpu is not None:
                used = cpu_seconds(proc.pid)
                if used is not None:
                    result["server_cpu_share"] = round((used - server_cpu) / result["duration_s"], 2)
            results.append(result)
    finally:
        if proc is not None:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=10)
    import os

    print(json.dumps({"cpus": os.cpu_count(), "runs": results}, indent=2))


if __name__ == "__main__":
    main()
