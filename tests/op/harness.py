"""Shared pieces of the end-to-end reliability suites (fault matrix, bad input, security).

Real processes and connections only: the session's kube-apiserver + etcd (kube_testenv), the
emulator over HTTP (in-process, so the suites read its state and record its calls without going
through its fault injection) and ``sagemaker-operator run`` as a subprocess that the suites
SIGKILL and restart.

``check_invariants`` is the one definition of "nothing lost" every fault scenario asserts:
no duplicate SageMaker resource, no orphan, every CR converged (Ready, nothing Stalled that was
not expected) and every status equal to what SageMaker describes.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kube_testenv.controlplane import ApiError, ControlPlane
from sagemaker_emulator.backend import Backend
from sagemaker_emulator.ops.common import public

ROOT = Path(__file__).resolve().parents[2]
ROLE = "arn:aws:iam::123456789012:role/sagemaker"
REGION = "us-west-2"
OWNER_TAG = "sagemaker.inference-operator.dev/owner"
UID_TAG = "sagemaker.inference-operator.dev/uid"
API = "/apis/sagemaker.inference-operator.dev/v1alpha1"
IC_KIND = "inference-component"
IE_KIND = "inference-experiment"
READS = ("Describe", "List")


def wait_for(predicate: Callable[[], Any], timeout: float = 60.0, what: str = "condition", every: float = 0.2) -> Any:
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        last = predicate()
        if last:
            return last
        time.sleep(every)
    raise AssertionError(f"{what} not met within {timeout}s (last: {last!r})")


def install_crds(kube: ControlPlane) -> None:
    kube.kubectl("apply", "--server-side", "-f", str(ROOT / "crds"))
    kube.kubectl(
        "wait",
        "--for=condition=Established",
        "--timeout=60s",
        "crd/inferencecomponents.sagemaker.inference-operator.dev",
        "crd/inferenceexperiments.sagemaker.inference-operator.dev",
    )


# --- the operator process ------------------------------------------------------------------------
class OperatorProcess:
    """``sagemaker-operator run`` as a subprocess: start, SIGKILL, restart; output to one log file."""

    def __init__(
        self,
        kube: ControlPlane,
        emulator_url: str,
        log: Path,
        namespaces: Iterable[str],
        *,
        kubeconfig: Path | None = None,
        extra_args: Iterable[str] = (),
        env: dict[str, str] | None = None,
    ) -> None:
        self.env = {
            **kube.env(kubeconfig),
            "SAGEMAKER_ENDPOINT_URL": emulator_url,
            "AWS_REGION": REGION,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            **(env or {}),
        }
        self.log = log
        self.namespaces = list(namespaces)
        self.extra_args = list(extra_args)
        self.proc: subprocess.Popen[bytes] | None = None
        self.kills = 0
        self.starts = 0

    def argv(self) -> list[str]:
        argv = [sys.executable, "-m", "sagemaker_operator", "run", "--standalone"]
        for ns in self.namespaces:
            argv += ["-n", ns]
        argv += ["--poll-fast", "0.2", "--poll-cap", "1", "--poll-steady", "2", "--poll-error", "0.3"]
        argv += ["--mutate-tps", "20", "--read-tps", "50"]
        return argv + self.extra_args

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None, "already running"
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(self.argv(), env=self.env, stdout=out, stderr=subprocess.STDOUT)
        self.starts += 1

    def kill(self) -> None:
        """SIGKILL: no cleanup, no finalizer handling, whatever was in flight is lost."""
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
            self.kills += 1
        self.proc = None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


# --- what SageMaker was asked ------------------------------------------------------------------------
@dataclass(frozen=True)
class Recorded:
    at: float
    operation: str
    name: str | None
    ok: bool
    error: str | None


def _target(params: dict[str, Any]) -> str | None:
    for key in ("InferenceComponentName", "Name", "EndpointName"):
        if isinstance(params.get(key), str):
            return str(params[key]).lower()
    arn = params.get("ResourceArn")
    return str(arn).rsplit("/", 1)[-1] if isinstance(arn, str) else None


class LostAnswer(RuntimeError):
    """Raised after a call took effect: the emulator's server answers 500 (an unexpected error)."""


class CallRecorder:
    """Every call the emulator answered (after fault injection), with the resource name it named."""

    def __init__(self, backend: Backend, seed: int = 0) -> None:
        self.calls: list[Recorded] = []
        self._lock = threading.Lock()
        # operation -> probability that its answer is lost AFTER it took effect (the emulator's own
        # reset_probability drops a request before it runs); the client sees a 500 and retries.
        self.lose_answers: dict[str, float] = {}
        self.lost = 0
        self._random = random.Random(seed)
        inner = backend.call

        def call(operation: str, params: dict[str, Any], region: str | None = None) -> dict[str, Any]:
            error = None
            try:
                result = inner(operation, params, region)
            except Exception as exc:
                error = getattr(exc, "code", type(exc).__name__)
                raise
            finally:
                with self._lock:
                    self.calls.append(Recorded(time.monotonic(), operation, _target(params), error is None, error))
            with self._lock:
                lose = self._random.random() < self.lose_answers.get(operation, 0.0)
                self.lost += lose
            if lose:
                raise LostAnswer(f"{operation} took effect; its answer is lost")
            return result

        backend.call = call  # type: ignore[method-assign]

    def mark(self) -> int:
        with self._lock:
            return len(self.calls)

    def since(self, mark: int = 0) -> list[Recorded]:
        with self._lock:
            return list(self.calls[mark:])

    def mutations(self, mark: int = 0, names: Iterable[str] | None = None) -> list[Recorded]:
        wanted = None if names is None else {n.lower() for n in names}
        return [
            c for c in self.since(mark) if not c.operation.startswith(READS) and (wanted is None or c.name in wanted)
        ]

    def creates(self, operation: str = "CreateInferenceComponent") -> Counter[str]:
        """Successful creates per (lowercased) name."""
        return Counter(c.name for c in self.since() if c.operation == operation and c.ok and c.name)


# --- the world: API server + emulator state -----------------------------------------------------------
def sagemaker_components(backend: Backend) -> dict[str, tuple[dict[str, Any], dict[str, str]]]:
    """name (lowercased) -> (DescribeInferenceComponent-like record, tags), read from the emulator's state."""
    with backend.lock:
        backend.tick()
        state = backend.region(REGION)
        return {
            key: (public(record), dict(state.tags.get(record["InferenceComponentArn"], {})))
            for key, record in state.table(IC_KIND).items()
        }


def list_crs(
    kube: ControlPlane, namespaces: Iterable[str], plural: str = "inferencecomponents"
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for ns in namespaces:
        items += kube.request("GET", f"{API}/namespaces/{ns}/{plural}")["items"]
    return items


def condition(obj: dict[str, Any], type_: str) -> dict[str, Any] | None:
    for c in (obj.get("status") or {}).get("conditions") or []:
        if c.get("type") == type_:
            return dict(c)
    return None


def apply_objects(kube: ControlPlane, objects: list[dict[str, Any]]) -> None:
    """One kubectl apply for many objects (a List), as a GitOps sync would."""
    kube.kubectl("apply", "-f", "-", input=json.dumps({"apiVersion": "v1", "kind": "List", "items": objects}))


@dataclass
class Expectations:
    """What the fleet should look like; scenarios update it as they act."""

    namespaces: list[str]
    deleted: set[tuple[str, str]] = field(default_factory=set)  # (namespace, SageMaker name) of deleted CRs
    retained: set[str] = field(default_factory=set)  # SageMaker names left behind on purpose (Retain)
    allowed_stalled: set[tuple[str, str]] = field(default_factory=set)  # (namespace, CR name)
    extra_creates: Counter[str] = field(default_factory=Counter)  # out-of-band deletes -> recreated


@dataclass
class Report:
    crs: int
    components: int
    duplicates: list[str]
    orphans: list[str]
    problems: list[str]

    @property
    def clean(self) -> bool:
        return not (self.duplicates or self.orphans or self.problems)


def check_invariants(kube: ControlPlane, backend: Backend, recorder: CallRecorder, expect: Expectations) -> Report:
    """The invariants of issue #8, for InferenceComponents in ``expect.namespaces``:

    - no duplicate: at most one successful CreateInferenceComponent per name (plus one per
      out-of-band delete the operator had to repair);
    - no orphan: every SageMaker component tagged for one of these namespaces has its CR (same
      namespace, name and uid); every deleted CR's component is gone unless retained;
    - every CR converged: Ready True for its generation, no Stalled unless expected;
    - status equals SageMaker: inferenceComponentStatus, runtimeConfig copy counts, ARN, model.
    """
    crs = list_crs(kube, expect.namespaces)
    components = sagemaker_components(backend)
    creates = recorder.creates()
    duplicates: list[str] = []
    orphans: list[str] = []
    problems: list[str] = []
    by_owner: dict[str, dict[str, Any]] = {}
    for cr in crs:
        meta = cr["metadata"]
        name = (cr["spec"].get("inferenceComponentName") or meta["name"]).lower()
        by_owner[f"{meta['namespace']}/InferenceComponent/{meta['name']}"] = cr
        where = f"{meta['namespace']}/{meta['name']}"
        if meta.get("deletionTimestamp"):
            problems.append(f"{where}: still deleting (finalizer held)")
            continue
        found = components.get(name)
        if found is None:
            problems.append(f"{where}: no SageMaker component")
            continue
        record, tags = found
        if tags.get(UID_TAG) != meta["uid"]:
            problems.append(f"{where}: component tagged for uid {tags.get(UID_TAG)}, CR uid {meta['uid']}")
        st = cr.get("status") or {}
        ready, stalled = condition(cr, "Ready"), condition(cr, "Stalled")
        if (meta["namespace"], meta["name"]) in expect.allowed_stalled:
            if not stalled:
                problems.append(f"{where}: expected Stalled")
            continue
        if stalled:
            problems.append(f"{where}: Stalled {stalled.get('reason')}: {stalled.get('message')}")
        if not ready or ready["status"] != "True" or st.get("observedGeneration") != meta["generation"]:
            problems.append(f"{where}: not Ready ({(ready or {}).get('reason')}: {(ready or {}).get('message')})")
            continue
        rc = record.get("RuntimeConfig") or {}
        mirrored = {
            "inferenceComponentStatus": record["InferenceComponentStatus"],
            "inferenceComponentArn": record["InferenceComponentArn"],
            "runtimeConfig": {
                "desiredCopyCount": rc.get("DesiredCopyCount"),
                "currentCopyCount": rc.get("CurrentCopyCount"),
            },
            "modelName": (record.get("Specification") or {}).get("ModelName"),
        }
        seen = {
            "inferenceComponentStatus": st.get("inferenceComponentStatus"),
            "inferenceComponentArn": st.get("inferenceComponentArn"),
            "runtimeConfig": {
                k: (st.get("runtimeConfig") or {}).get(k) for k in ("desiredCopyCount", "currentCopyCount")
            },
            "modelName": (st.get("specification") or {}).get("modelName"),
        }
        if mirrored != seen:
            problems.append(f"{where}: status {seen} != SageMaker {mirrored}")
        want_model = (cr["spec"].get("specification") or {}).get("modelName")
        if want_model and want_model != mirrored["modelName"]:
            problems.append(f"{where}: SageMaker runs {mirrored['modelName']}, spec says {want_model}")
        want_copies = (cr["spec"].get("runtimeConfig") or {}).get("copyCount")
        if want_copies is not None and want_copies != rc.get("DesiredCopyCount"):
            problems.append(f"{where}: {rc.get('DesiredCopyCount')} copies, spec says {want_copies}")
    for name, count in creates.items():  # deleted CRs included: names are never reused by the suites
        if count > 1 + expect.extra_creates[name]:
            duplicates.append(f"{name}: {count} successful CreateInferenceComponent calls")
    for name, (_, tags) in components.items():
        owner = tags.get(OWNER_TAG)
        if owner is None or owner.split("/", 1)[0] not in expect.namespaces:
            continue  # not ours, or another suite's
        cr = by_owner.get(owner)
        if cr is None or cr["metadata"]["uid"] != tags.get(UID_TAG):
            orphans.append(f"{name}: tagged for {owner} (uid {tags.get(UID_TAG)}) but no such CR")
    for ns, name in expect.deleted:
        if name in components and name not in expect.retained:
            owner = components[name][1].get(OWNER_TAG, "")
            if owner.startswith(f"{ns}/"):
                orphans.append(f"{name}: its CR in {ns} was deleted but the component remains")
    _check_experiments(kube, backend, recorder, expect, duplicates, orphans, problems)
    return Report(len(crs), len(components), duplicates, orphans, problems)


def _check_experiments(
    kube: ControlPlane,
    backend: Backend,
    recorder: CallRecorder,
    expect: Expectations,
    duplicates: list[str],
    orphans: list[str],
    problems: list[str],
) -> None:
    """The same invariants for InferenceExperiments (status.status mirrors SageMaker's Status)."""
    crs = list_crs(kube, expect.namespaces, "inferenceexperiments")
    with backend.lock:
        backend.tick()
        state = backend.region(REGION)
        experiments = {key: (public(r), dict(state.tags.get(r["Arn"], {}))) for key, r in state.table(IE_KIND).items()}
    for name, count in recorder.creates("CreateInferenceExperiment").items():
        if count > 1:
            duplicates.append(f"experiment {name}: {count} successful CreateInferenceExperiment calls")
    owners = {f"{c['metadata']['namespace']}/InferenceExperiment/{c['metadata']['name']}": c for c in crs}
    for cr in crs:
        meta = cr["metadata"]
        where = f"{meta['namespace']}/{meta['name']} (experiment)"
        name = (cr["spec"].get("name") or meta["name"]).lower()
        found = experiments.get(name)
        if meta.get("deletionTimestamp"):
            problems.append(f"{where}: still deleting (finalizer held)")
            continue
        if found is None:
            problems.append(f"{where}: no SageMaker experiment")
            continue
        ready, st = condition(cr, "Ready") or {}, cr.get("status") or {}
        if condition(cr, "Stalled"):
            problems.append(f"{where}: Stalled {condition(cr, 'Stalled')}")
        if ready.get("status") != "True" or st.get("observedGeneration") != meta["generation"]:
            problems.append(f"{where}: not Ready ({ready.get('reason')}: {ready.get('message')})")
        elif st.get("status") != found[0]["Status"] or st.get("arn") != found[0]["Arn"]:
            problems.append(f"{where}: status {st.get('status')} != SageMaker {found[0]['Status']}")
    for name, (record, tags) in experiments.items():
        owner = tags.get(OWNER_TAG)
        if owner is None or owner.split("/", 1)[0] not in expect.namespaces:
            continue
        cr = owners.get(owner)
        if (cr is None or cr["metadata"]["uid"] != tags.get(UID_TAG)) and record["Status"] not in (
            "Completed",
            "Cancelled",
        ):
            orphans.append(f"experiment {name}: tagged for {owner} but no such CR, still {record['Status']}")
        if cr is None and name not in expect.retained:
            orphans.append(f"experiment {name}: tagged for {owner} but its CR is gone")


def converge(
    kube: ControlPlane,
    backend: Backend,
    recorder: CallRecorder,
    expect: Expectations,
    timeout: float = 120.0,
    during: Callable[[list[dict[str, Any]]], None] | None = None,
) -> tuple[float, Report]:
    """Wait until the invariants hold (or time out); returns (seconds taken, last report).

    ``during`` sees every poll's CRs (e.g. to assert nothing went Stalled meanwhile)."""
    start = time.monotonic()
    report: Report | None = None
    while True:
        try:
            if during is not None:
                during(list_crs(kube, expect.namespaces))
            report = check_invariants(kube, backend, recorder, expect)
        except (ApiError, OSError) as exc:  # the API server restarting
            report = Report(0, 0, [], [], [f"API server: {exc}"])
        if report.clean or time.monotonic() - start > timeout:
            return time.monotonic() - start, report
        time.sleep(0.5)
