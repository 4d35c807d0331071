"""`make demo` / `make demo-down`: the whole thing running locally.

A real kube-apiserver (built from pinned Go modules), the SageMaker emulator, the CRDs, the
operator, and the examples applied; everything keeps running until `make demo-down`.
State lives in `.demo/`: kubeconfig, env (shell-sourceable), pidfiles and logs.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import boto3

from . import processes, seed

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
REGION = "us-west-2"
EMULATOR = "sagemaker-emulator"
OPERATOR = "sagemaker-operator"


def say(message: str) -> None:
    print(f"==> {message}", flush=True)


def tool(name: str) -> str:
    found = BIN / name
    return str(found) if found.exists() else (shutil.which(name) or name)


def kubectl_path() -> str:
    out = subprocess.run([tool("kube-testenv"), "env"], capture_output=True, text=True, check=False).stdout
    for line in out.splitlines():
        if line.startswith("KUBECTL_BIN="):
            return line.split("=", 1)[1]
    raise SystemExit("kubectl is not provisioned (kube-testenv env found none)")


def run_kubectl(kubectl: str, kubeconfig: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run(
        [kubectl, "--kubeconfig", str(kubeconfig), *args], capture_output=True, text=True, check=False
    )
    if check and proc.returncode != 0:
        raise SystemExit(f"kubectl {' '.join(args)} failed:\n{proc.stderr}")
    return proc.stdout + proc.stderr


def aws_env(url: str) -> dict[str, str]:
    return {
        "SAGEMAKER_ENDPOINT_URL": url,
        "AWS_REGION": REGION,
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ACCESS_KEY_ID": "demo",
        "AWS_SECRET_ACCESS_KEY": "demo",
    }


def start_emulator(state: Path, time_scale: float) -> str:
    url_file = state / "emulator.url"
    if processes.running(state, EMULATOR) and url_file.exists():
        return url_file.read_text().strip()
    url_file.unlink(missing_ok=True)
    processes.spawn(
        state,
        EMULATOR,
        [tool("sagemaker-emulator"), "--port", "0", "--time-scale", str(time_scale), "--url-file", str(url_file)],
    )
    deadline = time.monotonic() + 30
    while not url_file.exists():
        if time.monotonic() > deadline or not processes.running(state, EMULATOR):
            raise SystemExit("the emulator did not start:\n" + processes.tail(state, EMULATOR))
        time.sleep(0.1)
    return url_file.read_text().strip()


def operator_available() -> bool:
    return importlib.util.find_spec("sagemaker_operator.cli") is not None


def up(state: Path, time_scale: float) -> int:
    state.mkdir(parents=True, exist_ok=True)
    say("provisioning kube-apiserver, etcd, kubectl, helm (built once, then cached)")
    subprocess.run([tool("kube-testenv"), "provision"], check=True, stdout=subprocess.DEVNULL)
    kubectl = kubectl_path()

    say("starting etcd + kube-apiserver")
    subprocess.run([tool("kube-testenv"), "up", "--dir", str(state), "--detach"], check=True)
    kubeconfig = state / "kubeconfig"

    say(f"starting the SageMaker emulator (time scale {time_scale}: transitions take seconds)")
    url = start_emulator(state, time_scale)
    env_lines = {"KUBECONFIG": str(kubeconfig.resolve()), **aws_env(url)}
    # kubectl/helm (the provisioned ones) and aws/sagemaker-emulator (the venv) on PATH for the user.
    path = f"export PATH={Path(kubectl).parent}:{BIN}:$PATH\n"
    (state / "env").write_text(path + "".join(f"export {k}={v}\n" for k, v in env_lines.items()))

    say("creating the SageMaker side of the examples (models, endpoints) in the emulator")
    sm = boto3.client(
        "sagemaker", endpoint_url=url, region_name=REGION, aws_access_key_id="demo", aws_secret_access_key="demo"
    )
    endpoints = seed.apply(sm, ROOT / "examples" / "sagemaker")
    seed.wait_in_service(sm, endpoints)

    crds = sorted((ROOT / "crds").glob("*.yaml"))
    if not crds:
        say("NOT YET: no CRDs in crds/ — the custom resources are not there yet")
        return finish(state, kubectl, kubeconfig, url, applied=False)
    say("installing the CRDs")
    run_kubectl(kubectl, kubeconfig, "apply", "--server-side", "-f", str(ROOT / "crds"))
    for crd in crds:
        run_kubectl(kubectl, kubeconfig, "wait", "--for=condition=Established", "-f", str(crd), "--timeout=60s")

    if not operator_available():
        say("NOT YET: the operator (sagemaker_operator.cli) is not built yet; CRs will not reconcile")
    elif not processes.running(state, OPERATOR):
        say("starting the operator")
        env = {**os.environ, **env_lines}
        processes.spawn(
            state,
            OPERATOR,
            [
                tool("sagemaker-operator"),
                "run",
                "--all-namespaces",
                "--standalone",
                "--poll-fast",
                "1",
                "--poll-steady",
                "20",
            ],
            env=env,
        )

    say("applying the examples")
    for manifest in sorted((ROOT / "examples").glob("*.yaml")):
        print(run_kubectl(kubectl, kubeconfig, "apply", "-f", str(manifest)).rstrip())
    if operator_available():
        say("waiting for the custom resources to become Ready")
        print(
            run_kubectl(
                kubectl,
                kubeconfig,
                "wait",
                "--for=condition=Ready",
                "inferencecomponents,inferenceexperiments",
                "--all",
                "--all-namespaces",
                "--timeout=180s",
                check=False,
            ).rstrip()
        )
    return finish(state, kubectl, kubeconfig, url, applied=True)


def finish(state: Path, kubectl: str, kubeconfig: Path, url: str, applied: bool) -> int:
    if applied:
        print(run_kubectl(kubectl, kubeconfig, "get", "sagemaker", "-A", "-o", "wide", check=False))
    print(
        f"""
The demo is running (state in {state}/):
  kube-apiserver  KUBECONFIG={kubeconfig}
  SageMaker       {url}  (the emulator; admin API under {url}/_emulator/)

Try:
  source {state}/env
  KUBECONFIG={kubeconfig} {kubectl} get inferencecomponents,inferenceexperiments -A
  KUBECONFIG={kubeconfig} {kubectl} describe inferencecomponent llama-base
  aws --endpoint-url {url} sagemaker list-inference-components
Logs: {state}/*.log      Stop everything: make demo-down
"""
    )
    return 0


def down(state: Path) -> int:
    for name in (OPERATOR, EMULATOR):
        if processes.stop(state, name):
            say(f"stopped {name}")
    subprocess.run([tool("kube-testenv"), "down", "--dir", str(state)], check=False)
    say("demo stopped")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m sagemaker_devstack.demo", description=__doc__)
    parser.add_argument("action", choices=["up", "down"])
    parser.add_argument("--dir", default=".demo", type=Path)
    parser.add_argument("--time-scale", type=float, default=0.01)
    args = parser.parse_args(argv)
    return up(args.dir, args.time_scale) if args.action == "up" else down(args.dir)


if __name__ == "__main__":
    sys.exit(main())
