"""Scale benchmark of the InferenceComponent controller (``make bench``; not part of ``make test``).

Real pieces only: kube-apiserver + etcd (kube_testenv), ``sagemaker-emulator`` as a subprocess with
per-operation TPS quotas, ``sagemaker-operator run`` as a subprocess. For each N:

1. burst: N InferenceComponent CRs are created at once; time to the last Create call and to all
   Ready, against the rate-limit floor N / create TPS; SageMaker calls by operation;
2. steady: calls per resource per hour and per refresher tick while nothing changes;
3. drift: out-of-band copy-count changes (``set-ic-copy-count``, what Application Auto Scaling
   does) at random moments; latency until the CR's status shows them (p50/p99);
4. restart: the operator is stopped and started again; calls (and mutating calls) until every CR
   has been re-verified, and how long that took;
5. soak: RSS over a longer steady window (growth %).

Kubernetes API writes come from kube-apiserver's own ``apiserver_request_total``; RSS and CPU of the
operator from /proc (psutil). Results go to ``bench/results/scale-<N>.json`` and PNG plots.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import boto3
import psutil

from kube_testenv.controlplane import ControlPlane
from kube_testenv.provision import provision

ROOT = Path(__file__).resolve().parents[1]
GROUP_PATH = "/apis/sagemaker.inference-operator.dev/v1alpha1"
NS = "bench"
ROLE = "arn:aws:iam::123456789012:role/sagemaker"
PER_ENDPOINT = 200


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)


def http_json(url: str, body: Any = None, method: str | None = None) -> Any:
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method or ("POST" if data else "GET"))
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as resp:
        raw = resp.read()
    return json.loads(raw) if raw else None


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Emulator:
    def __init__(self, directory: Path, time_scale: float) -> None:
        url_file = directory / "emulator.url"
        argv = [sys.executable, "-m", "sagemaker_emulator", "--port", "0", "--time-scale", str(time_scale)]
        argv += ["--url-file", str(url_file), "--seed", "1"]
        self.log = (directory / "emulator.log").open("ab")
        self.proc = subprocess.Popen(argv, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 30
        while not url_file.exists() or not url_file.read_text().strip():
            if time.monotonic() > deadline or self.proc.poll() is not None:
                raise RuntimeError("emulator did not start")
            time.sleep(0.1)
        self.url = url_file.read_text().strip()

    def counters(self) -> dict[str, int]:
        """Calls by operation (throttled attempts included: they count against SageMaker's quota)."""
        return {k: int(v) for k, v in http_json(f"{self.url}/_emulator/counters")["calls"].items()}

    def throttled(self) -> int:
        return int(http_json(f"{self.url}/_emulator/counters")["throttled"])

    def oob(self, action: str, params: dict[str, Any]) -> Any:
        return http_json(f"{self.url}/_emulator/oob/{action}", params)

    def quota(self, operation: str, tps: float) -> None:
        http_json(f"{self.url}/_emulator/faults", {"operation": operation, "tps": tps, "burst": tps})

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(15)
        self.log.close()


class Operator:
    def __init__(self, directory: Path, env: dict[str, str], args: list[str]) -> None:
        self.directory, self.env, self.args = directory, env, args
        self.metrics_port = free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.samples: list[tuple[float, float, float]] = []  # (time, rss MB, cpu seconds)
        self._stop = threading.Event()
        self._sampler: threading.Thread | None = None

    def start(self) -> None:
        argv = [sys.executable, "-m", "sagemaker_operator", "run", "-A", "--standalone"]
        argv += ["--metrics-port", str(self.metrics_port), *self.args]
        out = (self.directory / "operator.log").open("ab")
        self.proc = subprocess.Popen(argv, env=self.env, stdout=out, stderr=subprocess.STDOUT)
        out.close()
        self._stop.clear()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        deadline = time.monotonic() + 60
        while True:
            try:
                self.metrics()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def _sample(self) -> None:
        assert self.proc is not None
        p = psutil.Process(self.proc.pid)
        while not self._stop.is_set():
            try:
                cpu = p.cpu_times()
                self.samples.append((time.time(), p.memory_info().rss / 2**20, cpu.user + cpu.system))
            except psutil.Error:
                return
            self._stop.wait(1.0)

    def metrics(self) -> dict[str, float]:
        """Prometheus text -> {'name{labels}': value}."""
        with urllib.request.urlopen(f"http://127.0.0.1:{self.metrics_port}/metrics", timeout=10) as resp:
            text = resp.read().decode()
        out: dict[str, float] = {}
        for line in text.splitlines():
            if line and not line.startswith("#"):
                key, _, value = line.rpartition(" ")
                out[key] = float(value)
        return out

    def stop(self) -> None:
        self._stop.set()
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None


def metric_sum(metrics: dict[str, float], name: str, **labels: str) -> float:
    total = 0.0
    for key, value in metrics.items():
        if not key.startswith(name + "{") and key != name:
            continue
        if all(f'{k}="{v}"' in key for k, v in labels.items()):
            total += value
    return total


def apiserver_writes(cp: ControlPlane) -> dict[str, float]:
    """kube-apiserver's own count of write requests on our resources and events, by verb/subresource."""
    text = cp.request("GET", "/metrics")
    out: dict[str, float] = {}
    pattern = re.compile(r"^apiserver_request_total\{(.*)\} (\S+)$")
    for line in str(text).splitlines():
        m = pattern.match(line)
        if not m:
            continue
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group(1)))
        if labels.get("verb") not in ("POST", "PATCH", "PUT", "DELETE", "APPLY"):
            continue
        if labels.get("resource") not in ("inferencecomponents", "events"):
            continue
        key = f"{labels['verb']} {labels['resource']}" + (
            f"/{labels['subresource']}" if labels.get("subresource") else ""
        )
        out[key] = out.get(key, 0.0) + float(m.group(2))
    return out


def delta(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0)}


def cr(i: int, endpoint: str) -> dict[str, Any]:
    return {
        "apiVersion": "sagemaker.inference-operator.dev/v1alpha1",
        "kind": "InferenceComponent",
        "metadata": {"name": f"ic-{i:05d}", "namespace": NS},
        "spec": {
            "endpointName": endpoint,
            "variantName": "AllTraffic",
            "specification": {
                "modelName": "bench-model",
                "computeResourceRequirements": {"minMemoryRequiredInMb": 128},
            },
            "runtimeConfig": {"copyCount": 1},
        },
    }


def list_crs(cp: ControlPlane) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    token = ""
    while True:
        page = cp.request("GET", f"{GROUP_PATH}/namespaces/{NS}/inferencecomponents?limit=500&continue={token}")
        items += page["items"]
        token = page["metadata"].get("continue") or ""
        if not token:
            return items


def ready(item: dict[str, Any]) -> bool:
    conds = (item.get("status") or {}).get("conditions") or []
    return any(c.get("type") == "Ready" and c.get("status") == "True" for c in conds)


def wait_until(pred: Callable[[], Any], timeout: float, every: float = 1.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = pred()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(every)


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    values = sorted(values)
    return values[min(len(values) - 1, math.ceil(q * len(values)) - 1)]


def run(n: int, args: argparse.Namespace, out_dir: Path) -> dict[str, Any]:
    work = Path(tempfile.mkdtemp(prefix=f"bench-scale-{n}-"))
    log(f"N={n}: work dir {work}")
    result: dict[str, Any] = {"n": n, "settings": {k: v for k, v in vars(args).items() if k != "n"}}
    binaries = provision(log=lambda m: None)
    cp = ControlPlane(binaries, directory=work / "cp").start()
    emulator = Emulator(work, args.time_scale)
    operator: Operator | None = None
    try:
        subprocess.run(
            [str(cp.kubectl_bin), "apply", "--server-side", "-f", str(ROOT / "crds")],
            env=cp.env(),
            check=True,
            capture_output=True,
        )
        subprocess.run(
            [
                str(cp.kubectl_bin),
                "wait",
                "--for=condition=Established",
                "--timeout=60s",
                "crd/inferencecomponents.sagemaker.inference-operator.dev",
            ],
            env=cp.env(),
            check=True,
            capture_output=True,
        )
        cp.create_namespace(NS)

        # SageMaker side: endpoints (PER_ENDPOINT components each), made before the quotas apply.
        sm = boto3.client(
            "sagemaker",
            endpoint_url=emulator.url,
            region_name="us-west-2",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        sm.create_model(ModelName="bench-model", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": "img:1"})
        endpoints = [f"bench-ep-{e:03d}" for e in range(math.ceil(n / PER_ENDPOINT))]
        http_json(f"{emulator.url}/_emulator/limits", {"ml.g5.48xlarge": len(endpoints)})
        for name in endpoints:
            sm.create_endpoint_config(
                EndpointConfigName=name,
                ExecutionRoleArn=ROLE,
                ProductionVariants=[
                    {"VariantName": "AllTraffic", "InstanceType": "ml.g5.48xlarge", "InitialInstanceCount": 1}
                ],
            )
            sm.create_endpoint(EndpointName=name, EndpointConfigName=name)
        for name in endpoints:
            wait_until(
                lambda name=name: sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService", 60, 0.2
            )
        emulator.quota("CreateInferenceComponent", args.create_tps)
        emulator.quota("*", args.account_tps)
        result["endpoints"] = len(endpoints)

        env = {
            **cp.env(),
            "SAGEMAKER_ENDPOINT_URL": emulator.url,
            "AWS_REGION": "us-west-2",
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
        }
        op_args = ["--mutate-tps", str(args.create_tps), "--read-tps", str(args.read_tps)]
        op_args += ["--refresh-interval", str(args.refresh_interval)]
        operator = Operator(work, env, op_args)
        operator.start()
        time.sleep(3)

        # 1. burst ------------------------------------------------------------------------------
        c0, w0, t0, th0 = emulator.counters(), apiserver_writes(cp), time.time(), emulator.throttled()
        timeline: list[tuple[float, int, int]] = []  # (s since t0, Create calls, Ready CRs)
        with ThreadPoolExecutor(16) as pool:
            list(
                pool.map(
                    lambda i: cp.request(
                        "POST", f"{GROUP_PATH}/namespaces/{NS}/inferencecomponents", cr(i, endpoints[i // PER_ENDPOINT])
                    ),
                    range(n),
                )
            )
        applied = time.time() - t0
        log(f"N={n}: {n} CRs created in {applied:.1f}s")
        creates_done: float | None = None
        all_ready: float | None = None
        deadline = time.time() + args.burst_timeout
        while time.time() < deadline:
            creates = emulator.counters().get("CreateInferenceComponent", 0) - c0.get("CreateInferenceComponent", 0)
            n_ready = sum(1 for item in list_crs(cp) if ready(item))
            now = time.time() - t0
            timeline.append((now, creates, n_ready))
            if creates >= n and creates_done is None:
                creates_done = now
            if n_ready >= n:
                all_ready = now
                break
            time.sleep(1.0)
        c1, w1 = emulator.counters(), apiserver_writes(cp)
        floor = n / args.create_tps
        result["burst"] = {
            "floor_s": floor,
            "crs_applied_s": round(applied, 2),
            "last_create_s": creates_done,
            "all_ready_s": all_ready,
            "creates_vs_floor": None if creates_done is None else round(creates_done / floor, 3),
            "ready_vs_floor": None if all_ready is None else round(all_ready / floor, 3),
            "sagemaker_calls": delta(c0, c1),
            "throttled_by_sagemaker": emulator.throttled() - th0,
            "k8s_writes": delta(w0, w1),
            "timeline": timeline,
        }
        log(f"N={n}: burst {json.dumps({k: v for k, v in result['burst'].items() if k != 'timeline'})}")
        if all_ready is None:
            raise RuntimeError("not all Ready; see the operator log in " + str(work))

        # 2. steady -----------------------------------------------------------------------------
        time.sleep(args.refresh_interval * 2)  # last transitions settle
        m0, c0, w0, t0 = operator.metrics(), emulator.counters(), apiserver_writes(cp), time.time()
        time.sleep(args.steady)
        m1, c1, w1, t1 = operator.metrics(), emulator.counters(), apiserver_writes(cp), time.time()
        calls = delta(c0, c1)
        ticks = metric_sum(m1, "sagemaker_operator_refresh_ticks_total") - metric_sum(
            m0, "sagemaker_operator_refresh_ticks_total"
        )
        total = sum(calls.values())
        result["steady"] = {
            "seconds": round(t1 - t0, 1),
            "ticks": ticks,
            "sagemaker_calls": calls,
            "calls_per_tick": round(total / ticks, 2) if ticks else None,
            "calls_per_tick_per_100": round(total / ticks / (n / 100), 3) if ticks else None,
            "calls_per_resource_per_hour": round(total / n * 3600 / (t1 - t0), 3),
            "k8s_writes": delta(w0, w1),
        }
        log(f"N={n}: steady {json.dumps(result['steady'])}")

        # 3. drift ------------------------------------------------------------------------------
        targets = random.Random(n).sample(range(n), min(args.drift_samples, n))
        latencies: list[float] = []
        injected: dict[int, float] = {}
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                for i in list(injected):
                    item = cp.request("GET", f"{GROUP_PATH}/namespaces/{NS}/inferencecomponents/ic-{i:05d}")
                    st = item.get("status") or {}
                    seen = (st.get("runtimeConfig") or {}).get("desiredCopyCount") == 2 or (
                        (st.get("pendingUpdate") or {}).get("kind") == "copies"
                    )
                    if seen:
                        latencies.append(time.time() - injected.pop(i))
                stop.wait(0.25)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        c0 = emulator.counters()
        spread = args.refresh_interval * 3
        for i in targets:
            time.sleep(random.uniform(0, 2 * spread / len(targets)))
            injected[i] = time.time()
            emulator.oob("set-ic-copy-count", {"name": f"ic-{i:05d}", "copyCount": 2})
        wait_until(lambda: not injected, 180, 0.5)
        stop.set()
        watcher.join()
        result["drift"] = {
            "samples": len(latencies),
            "missed": len(injected),
            "p50_s": round(statistics.median(latencies), 2) if latencies else None,
            "p99_s": round(pct(latencies, 0.99), 2),
            "max_s": round(max(latencies), 2) if latencies else None,
            "sagemaker_calls": delta(c0, emulator.counters()),
        }
        log(f"N={n}: drift {json.dumps(result['drift'])}")
        wait_until(lambda: all(ready(item) for item in list_crs(cp)), 180, 2)
        time.sleep(args.refresh_interval * 2)

        # 4. restart ----------------------------------------------------------------------------
        operator.stop()
        c0, w0, t0 = emulator.counters(), apiserver_writes(cp), time.time()
        operator.start()

        def verified() -> bool:
            m = operator.metrics()
            return metric_sum(m, "sagemaker_operator_observations_total") >= n

        done = wait_until(verified, 180, 0.25)
        verified_s = time.time() - t0
        to_verify = delta(c0, emulator.counters())
        time.sleep(max(0.0, args.restart_window - (time.time() - t0)))
        calls = delta(c0, emulator.counters())
        mutating = {k: v for k, v in calls.items() if not k.startswith(("Describe", "List"))}
        m = operator.metrics()
        sources = {
            key.split('source="')[1].split('"')[0]: value
            for key, value in m.items()
            if key.startswith("sagemaker_operator_observations_total{")
        }
        result["restart"] = {
            "all_verified_s": round(verified_s, 2) if done else None,
            "sagemaker_calls_to_verify": to_verify,
            "sagemaker_calls_to_verify_total": sum(to_verify.values()),
            "window_s": args.restart_window,
            "sagemaker_calls": calls,
            "sagemaker_calls_total": sum(calls.values()),
            "mutating_calls": mutating,
            "observations_by_source": sources,
            "k8s_writes": delta(w0, apiserver_writes(cp)),
        }
        log(f"N={n}: restart {json.dumps(result['restart'])}")

        # 5. soak -------------------------------------------------------------------------------
        s0 = len(operator.samples)
        time.sleep(args.soak)
        soak = operator.samples[s0:]
        first = statistics.mean(s[1] for s in soak[: max(1, len(soak) // 10)])
        last = statistics.mean(s[1] for s in soak[-max(1, len(soak) // 10) :])
        cpu = (soak[-1][2] - soak[0][2]) / max(1e-9, soak[-1][0] - soak[0][0])
        t_first = operator.samples[0][0]
        result["resources"] = {
            "peak_rss_mb": round(max(s[1] for s in operator.samples), 1),
            "steady_rss_mb": round(last, 1),
            "soak_s": args.soak,
            "soak_rss_growth_pct": round((last - first) / first * 100, 2),
            "steady_cpu_pct": round(cpu * 100, 2),
            "rss_timeline": [(round(t - t_first, 1), round(m, 1)) for t, m, _ in operator.samples],
            "cpu_seconds_timeline": [(round(t - t_first, 1), round(c, 2)) for t, _, c in operator.samples],
        }
        log(f"N={n}: resources { {k: v for k, v in result['resources'].items() if 'timeline' not in k} }")
    finally:
        if operator is not None:
            operator.stop()
        emulator.stop()
        cp.stop()
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / f"scale-{n}.json").write_text(json.dumps(result, indent=2, default=str) + "\n")
    return result


def plot(results: list[dict[str, Any]], out_dir: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for r in results:
        n = r["n"]
        fig, axes = plt.subplots(1, 3, figsize=(17, 4.5))
        tl = r["burst"]["timeline"]
        axes[0].plot([t for t, _, _ in tl], [c for _, c, _ in tl], label="Create calls")
        axes[0].plot([t for t, _, _ in tl], [k for _, _, k in tl], label="Ready CRs")
        floor = r["burst"]["floor_s"]
        axes[0].plot([0, floor], [0, n], "k--", label=f"floor N/TPS = {floor:.0f}s")
        axes[0].set(title=f"burst of {n}", xlabel="seconds", ylabel="count")
        axes[0].legend()
        phases = ("burst", "steady", "drift", "restart")
        ops = sorted({op for p in phases for op in r[p]["sagemaker_calls"]})
        width = 0.8 / max(1, len(ops))
        for j, op in enumerate(ops):
            values = [r[p]["sagemaker_calls"].get(op, 0) for p in phases]
            axes[1].bar([i + j * width for i in range(len(phases))], values, width=width, label=op)
        axes[1].set_xticks([i + 0.4 - width / 2 for i in range(len(phases))], [p for p in phases])
        axes[1].set(title="SageMaker calls by phase and operation", ylabel="calls (log)")
        axes[1].set_yscale("log")
        axes[1].legend(fontsize=7)
        rss = r["resources"]["rss_timeline"]
        axes[2].plot([t for t, _ in rss], [m for _, m in rss])
        axes[2].set(title="operator RSS", xlabel="seconds since start (restarted once)", ylabel="MB")
        fig.tight_layout()
        fig.savefig(out_dir / f"scale-{n}.png", dpi=90)
        plt.close(fig)


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", default="100,1000", help="comma-separated resource counts")
    p.add_argument("--create-tps", type=float, default=10.0, help="emulator quota on CreateInferenceComponent")
    p.add_argument("--account-tps", type=float, default=40.0, help="emulator quota shared by every other operation")
    p.add_argument("--read-tps", type=float, default=30.0, help="operator read budget")
    p.add_argument("--refresh-interval", type=float, default=20.0, help="operator List tick (its default)")
    p.add_argument("--time-scale", type=float, default=0.01, help="emulator durations (0.01: IC create 1.8 s)")
    p.add_argument("--steady", type=float, default=120.0, help="seconds of steady state measured")
    p.add_argument("--drift-samples", type=int, default=30)
    p.add_argument("--restart-window", type=float, default=60.0, help="seconds of calls counted after a restart")
    p.add_argument("--soak", type=float, default=300.0, help="seconds of RSS soak")
    p.add_argument("--burst-timeout", type=float, default=1800.0)
    p.add_argument("--out", default=str(ROOT / "bench" / "results"))
    p.add_argument("--report-only", action="store_true", help="only redo plots and summary.json from --out")
    args = p.parse_args()
    out_dir = Path(args.out)
    if not args.report_only:
        for n in args.n.split(","):
            run(int(n), args, out_dir)
    # Every run in the directory (also those of earlier invocations with other --n).
    results = sorted((json.loads(f.read_text()) for f in out_dir.glob("scale-*.json")), key=lambda r: int(r["n"]))
    plot(results, out_dir)
    summary = {
        "machine": {"cpus": os.cpu_count(), "memory_gb": round(psutil.virtual_memory().total / 2**30, 1)},
        "results": [
            {k: v for k, v in r.items() if k not in ("settings",)}
            | {"burst": {k: v for k, v in r["burst"].items() if k != "timeline"}}
            | {"resources": {k: v for k, v in r["resources"].items() if "timeline" not in k}}
            for r in results
        ],
    }
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2, default=str) + "\n")
    print(json.dumps(summary, indent=2, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
