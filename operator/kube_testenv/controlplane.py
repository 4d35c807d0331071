"""Run a real etcd + kube-apiserver on 127.0.0.1 for tests and the demo.

What runs:

* etcd on a free loopback port, data in ``<dir>/etcd-data`` (``--unsafe-no-fsync``: throwaway data);
* kube-apiserver on a free loopback port with TLS from a generated CA, ``--authorization-mode=Node,RBAC``,
  an admin bearer token (user ``kube-testenv-admin``, group ``system:masters``) from ``--token-auth-file``,
  and a service-account issuer with a generated RSA key, so TokenRequest works and ServiceAccount
  tokens authenticate like in a real cluster.

What does not run: kube-controller-manager, the scheduler, kubelets. Consequences tests must live with:

* deleting a namespace never finishes (it stays ``Terminating``: the namespace controller is absent),
  so use a fresh namespace per test rather than deleting and re-creating one;
* no garbage collection: ownerReferences never cascade, and nothing deletes dependents;
* no ``default`` ServiceAccount is created in new namespaces and no token controller runs, hence the
  ``ServiceAccount`` admission plugin is disabled (pods would be rejected for lack of one; nothing
  would run them anyway). Use :meth:`ControlPlane.create_service_account` and TokenRequest instead;
* Deployments, Jobs, ... are stored and validated but never reconciled.

The ``default``, ``kube-system``, ``kube-public`` namespaces and the bootstrap RBAC roles are created by
kube-apiserver itself; :meth:`ControlPlane.start` waits for ``/readyz`` and for ``default``.

Child processes live in their own process groups, get ``SIGKILL`` if the Python thread that started
them dies (``prctl(PR_SET_PDEATHSIG)``, so even ``kill -9`` of Python leaves no strays), and are
stopped by :meth:`ControlPlane.stop`, the context manager and an ``atexit`` hook.
:meth:`ControlPlane.restart_apiserver` restarts kube-apiserver on the same port while etcd keeps the data.
"""

from __future__ import annotations

import atexit
import base64
import contextlib
import ctypes
import json
import os
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

import yaml

from . import pki
from .provision import Binaries

Log = Callable[[str], None]

ADMIN_USER = "kube-testenv-admin"
SERVICE_ACCOUNT_ISSUER = "https://kubernetes.default.svc.cluster.local"
_PR_SET_PDEATHSIG = 1
# Loaded once in the parent: after fork(), only the prctl call itself happens in the child.
_LIBC = ctypes.CDLL(None, use_errno=True)


class ControlPlaneError(RuntimeError):
    pass


class ApiError(ControlPlaneError):
    """A non-2xx answer from kube-apiserver; `status` is the HTTP code, `body` the decoded Status."""

    def __init__(self, status: int, body: Any, method: str, path: str) -> None:
        message = body.get("message") if isinstance(body, dict) else body
        super().__init__(f"{method} {path}: HTTP {status}: {message}")
        self.status = status
        self.body = body


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _die_with_parent(parent: int) -> Callable[[], None]:
    def setup() -> None:
        # SIGKILL, not SIGTERM: etcd dies at the same moment, and a kube-apiserver in graceful
        # shutdown without etcd hangs. There is nothing to save: etcd's data is throwaway.
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl took effect
            os._exit(1)

    return setup


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


class _Process:
    """One child in its own process group, output appended to a log file."""

    def __init__(self, name: str, argv: Sequence[str], logfile: Path) -> None:
        self.name, self.argv, self.logfile = name, list(argv), logfile
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with open(self.logfile, "ab") as log:
            log.write(f"\n=== {time.strftime('%H:%M:%S')} start: {' '.join(self.argv)}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                self.argv,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=_die_with_parent(os.getpid()),
            )

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise ControlPlaneError(
                f"{self.name} exited with {self.proc.returncode}; last lines of {self.logfile}:\n" + _tail(self.logfile)
            )

    def stop(self, timeout: float = 15.0) -> None:
        proc, self.proc = self.proc, None
        if proc is None:
            return
        for sig, wait in ((signal.SIGTERM, timeout), (signal.SIGKILL, 5.0)):
            if proc.poll() is not None:
                break
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, sig)
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(wait)
        # Reap anything left in the group (both binaries are single processes, but be sure).
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)


class ControlPlane:
    """etcd + kube-apiserver. Use as a context manager, or call start() and stop()."""

    def __init__(
        self,
        binaries: Binaries,
        directory: Path | None = None,
        log: Log | None = None,
        apiserver_args: Sequence[str] = (),
        startup_timeout: float = 90.0,
    ) -> None:
        self.binaries = binaries
        self._own_dir = directory is None
        self.directory = Path(directory or tempfile.mkdtemp(prefix="kube-testenv-")).resolve()
        self._log = log or (lambda _: None)
        self._extra_args = list(apiserver_args)
        self.startup_timeout = startup_timeout
        self.token = secrets.token_urlsafe(32)
        self.etcd_port = 0
        self.port = 0
        self._etcd: _Process | None = None
        self._apiserver: _Process | None = None
        self._ssl: ssl.SSLContext | None = None
        self._pki: pki.Files | None = None
        self._atexit_registered = False

    # --- paths and identities --------------------------------------------------------------------

    @property
    def server(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    @property
    def kubeconfig(self) -> Path:
        """Admin kubeconfig (group system:masters)."""
        return self.directory / "kubeconfig"

    @property
    def ca_cert(self) -> Path:
        return self.directory / "pki" / "ca.crt"

    @property
    def etcd_url(self) -> str:
        return f"http://127.0.0.1:{self.etcd_port}"

    @property
    def kubectl_bin(self) -> Path:
        return self.binaries.kubectl

    @property
    def helm_bin(self) -> Path:
        return self.binaries.helm

    def env(self, kubeconfig: Path | None = None) -> dict[str, str]:
        """os.environ plus KUBECONFIG for subprocesses (kubectl, helm, the operator)."""
        return {**os.environ, "KUBECONFIG": str(kubeconfig or self.kubeconfig)}

    # --- lifecycle -----------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def start(self) -> Self:
        started = time.monotonic()
        self.directory.mkdir(parents=True, exist_ok=True)
        self._pki = pki.generate(self.directory / "pki")
        self._ssl = ssl.create_default_context(cafile=str(self._pki.ca_cert))
        (self.directory / "tokens.csv").write_text(f'{self.token},{ADMIN_USER},{ADMIN_USER},"system:masters"\n')
        (self.directory / "tokens.csv").chmod(0o600)
        if not self._atexit_registered:
            atexit.register(self.stop)
            self._atexit_registered = True
        try:
            self._start_etcd()
            self._start_apiserver()
            self.write_kubeconfig(self.kubeconfig, user=ADMIN_USER, token=self.token)
        except BaseException:
            self.stop()
            raise
        self._log(f"control plane ready at {self.server} in {time.monotonic() - started:.1f}s")
        return self

    def stop(self) -> None:
        if self._apiserver is not None:
            self._apiserver.stop()
            self._apiserver = None
        if self._etcd is not None:
            self._etcd.stop()
            self._etcd = None
        if self._atexit_registered:
            atexit.unregister(self.stop)
            self._atexit_registered = False
        shutil.rmtree(self.directory / "etcd-data", ignore_errors=True)
        if self._own_dir:
            shutil.rmtree(self.directory, ignore_errors=True)

    def running(self) -> bool:
        return bool(self._etcd and self._etcd.running() and self._apiserver and self._apiserver.running())

    def restart_apiserver(self) -> None:
        """Stop kube-apiserver and start it again on the same port; etcd (and so every object) stays."""
        if self._apiserver is None:
            raise ControlPlaneError("the control plane is not running")
        started = time.monotonic()
        self._apiserver.stop()
        self._apiserver.start()
        self._wait_ready(self._apiserver)
        self._log(f"kube-apiserver restarted in {time.monotonic() - started:.1f}s")

    def stop_apiserver(self) -> None:
        """Stop kube-apiserver only (an outage); start_apiserver() brings it back on the same port."""
        if self._apiserver is not None:
            self._apiserver.stop()

    def start_apiserver(self) -> None:
        if self._apiserver is None:
            raise ControlPlaneError("the control plane is not running")
        if not self._apiserver.running():
            self._apiserver.start()
            self._wait_ready(self._apiserver)

    def _start_etcd(self) -> None:
        data = self.directory / "etcd-data"
        for attempt in range(3):
            shutil.rmtree(data, ignore_errors=True)
            self.etcd_port, peer = free_port(), free_port()
            peer_url = f"http://127.0.0.1:{peer}"
            etcd = _Process(
                "etcd",
                [
                    str(self.binaries.etcd),
                    "--name=kube-testenv",
                    f"--data-dir={data}",
                    f"--listen-client-urls={self.etcd_url}",
                    f"--advertise-client-urls={self.etcd_url}",
                    f"--listen-peer-urls={peer_url}",
                    f"--initial-advertise-peer-urls={peer_url}",
                    f"--initial-cluster=kube-testenv={peer_url}",
                    "--listen-metrics-urls=",
                    "--unsafe-no-fsync",
                    "--log-level=warn",
                ],
                self.directory / "etcd.log",
            )
            etcd.start()
            try:
                self._wait(etcd, self._etcd_healthy, "etcd /health")
            except ControlPlaneError:
                etcd.stop()
                if attempt == 2 or "address already in use" not in _tail(etcd.logfile):
                    raise
                continue
            self._etcd = etcd
            return

    def _etcd_healthy(self) -> bool:
        with urllib.request.urlopen(f"{self.etcd_url}/health", timeout=2) as resp:
            return bool(json.load(resp).get("health") == "true")

    def _apiserver_argv(self) -> list[str]:
        assert self._pki is not None
        return [
            str(self.binaries.kube_apiserver),
            f"--etcd-servers={self.etcd_url}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            # No kube-proxy or pods here: nothing needs the `kubernetes` Service endpoints, and a
            # loopback advertise address is only accepted without the endpoint reconciler.
            "--endpoint-reconciler-type=none",
            f"--secure-port={self.port}",
            f"--tls-cert-file={self._pki.serving_cert}",
            f"--tls-private-key-file={self._pki.serving_key}",
            f"--cert-dir={self.directory / 'apiserver-certs'}",
            f"--token-auth-file={self.directory / 'tokens.csv'}",
            "--authorization-mode=Node,RBAC",
            f"--service-account-issuer={SERVICE_ACCOUNT_ISSUER}",
            f"--service-account-key-file={self._pki.sa_public_key}",
            f"--service-account-signing-key-file={self._pki.sa_private_key}",
            "--service-cluster-ip-range=10.0.0.0/24",
            "--disable-admission-plugins=ServiceAccount",
            "--allow-privileged=true",
            "--profiling=false",
            *self._extra_args,
        ]

    def _start_apiserver(self) -> None:
        for attempt in range(3):
            self.port = free_port()
            apiserver = _Process("kube-apiserver", self._apiserver_argv(), self.directory / "kube-apiserver.log")
            apiserver.start()
            try:
                self._wait_ready(apiserver)
            except ControlPlaneError:
                apiserver.stop()
                if attempt == 2 or "address already in use" not in _tail(apiserver.logfile):
                    raise
                continue
            self._apiserver = apiserver
            return

    def _wait_ready(self, apiserver: _Process) -> None:
        def ready() -> bool:
            self.request("GET", "/readyz")
            self.request("GET", "/api/v1/namespaces/default")
            return True

        self._wait(apiserver, ready, "kube-apiserver /readyz")

    def _wait(self, process: _Process, probe: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + self.startup_timeout
        last = ""
        while time.monotonic() < deadline:
            process.check_alive()
            try:
                if probe():
                    return
            except (OSError, ApiError, ValueError) as exc:
                last = str(exc)
            time.sleep(0.2)
        raise ControlPlaneError(
            f"{what} not ready after {self.startup_timeout:.0f}s ({last}); last lines of {process.logfile}:\n"
            + _tail(process.logfile)
        )

    # --- API access ---------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        token: str | None = None,
        content_type: str = "application/json",
        timeout: float = 30.0,
    ) -> Any:
        """One HTTPS request to kube-apiserver (admin token unless `token`); returns decoded JSON."""
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.server + path, data=data, method=method)
        req.add_header("Authorization", f"Bearer {token or self.token}")
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", content_type)
        try:
            with urllib.request.urlopen(req, context=self._ssl, timeout=timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as err:
            raw = err.read()
            try:
                decoded: Any = json.loads(raw)
            except ValueError:
                decoded = raw.decode(errors="replace")
            raise ApiError(err.code, decoded, method, path) from None
        if not raw:
            return None
        try:
            return json.loads(raw)
        except ValueError:
            return raw.decode(errors="replace")

    def create_namespace(self, name: str) -> None:
        body = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}}
        self.request("POST", "/api/v1/namespaces", body)

    def create_service_account(self, namespace: str, name: str) -> None:
        body = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": name}}
        try:
            self.request("POST", f"/api/v1/namespaces/{namespace}/serviceaccounts", body)
        except ApiError as err:
            if err.status != 409:
                raise

    def service_account_token(
        self,
        namespace: str,
        name: str,
        expiration_seconds: int = 3600,
        audiences: Sequence[str] = (),
    ) -> str:
        """A bound token from the TokenRequest API (the ServiceAccount must exist)."""
        spec: dict[str, Any] = {"expirationSeconds": expiration_seconds}
        if audiences:
            spec["audiences"] = list(audiences)
        body = {"apiVersion": "authentication.k8s.io/v1", "kind": "TokenRequest", "spec": spec}
        answer = self.request("POST", f"/api/v1/namespaces/{namespace}/serviceaccounts/{name}/token", body)
        token: str = answer["status"]["token"]
        return token

    def write_kubeconfig(
        self, path: Path, user: str, token: str, namespace: str | None = None, context: str = "kube-testenv"
    ) -> Path:
        ca = base64.b64encode(self.ca_cert.read_bytes()).decode()
        ctx: dict[str, str] = {"cluster": "kube-testenv", "user": user}
        if namespace:
            ctx["namespace"] = namespace
        config: Mapping[str, Any] = {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [
                {"name": "kube-testenv", "cluster": {"server": self.server, "certificate-authority-data": ca}}
            ],
            "users": [{"name": user, "user": {"token": token}}],
            "contexts": [{"name": context, "context": ctx}],
            "current-context": context,
        }
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(yaml.safe_dump(config, sort_keys=False))
        tmp.chmod(0o600)
        os.replace(tmp, path)
        return path

    def service_account_kubeconfig(
        self,
        namespace: str,
        name: str,
        path: Path | None = None,
        expiration_seconds: int = 24 * 3600,
        create: bool = True,
    ) -> Path:
        """Kubeconfig authenticating as system:serviceaccount:<namespace>:<name> (no RBAC is granted)."""
        if create:
            self.create_service_account(namespace, name)
        token = self.service_account_token(namespace, name, expiration_seconds)
        path = path or self.directory / f"kubeconfig-sa-{namespace}-{name}"
        return self.write_kubeconfig(path, f"system:serviceaccount:{namespace}:{name}", token, namespace)

    # --- clients ------------------------------------------------------------------------------------

    def kubectl(
        self,
        *args: str,
        input: str | None = None,
        check: bool = True,
        kubeconfig: Path | None = None,
        timeout: float = 60.0,
    ) -> subprocess.CompletedProcess[str]:
        """Run kubectl against this control plane; raises with stderr on failure when `check`."""
        return self._run([str(self.binaries.kubectl), *args], input, check, kubeconfig, timeout)

    def helm(
        self,
        *args: str,
        input: str | None = None,
        check: bool = True,
        kubeconfig: Path | None = None,
        timeout: float = 120.0,
    ) -> subprocess.CompletedProcess[str]:
        return self._run([str(self.binaries.helm), *args], input, check, kubeconfig, timeout)

    def _run(
        self, argv: list[str], input: str | None, check: bool, kubeconfig: Path | None, timeout: float
    ) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            argv,
            input=input,
            capture_output=True,
            text=True,
            env=self.env(kubeconfig),
            timeout=timeout,
        )
        if check and done.returncode != 0:
            raise ControlPlaneError(
                f"{' '.join(argv)} exited {done.returncode}\nstdout:\n{done.stdout}\nstderr:\n{done.stderr}"
            )
        return done
