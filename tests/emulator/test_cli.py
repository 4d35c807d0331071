"""The ``sagemaker-emulator`` command and the AWS CLI against it, as users run them."""

from __future__ import annotations

import json
import os
import pathlib
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import pytest

from sagemaker_emulator.server import EmulatorServer

from .conftest import client

BIN = pathlib.Path(sys.executable).parent


def start(*args: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [str(BIN / "sagemaker-emulator"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    match = re.fullmatch(r"sagemaker-emulator listening on (http://127\.0\.0\.1:(\d+))\n", line)
    assert match, f"unexpected first line {line!r}; stderr: {proc.stderr.read() if proc.poll() is not None else ''}"
    assert int(match.group(2)) > 0
    return proc, match.group(1)


def test_cli_serves_boto3_and_stops_on_sigterm(tmp_path: pathlib.Path) -> None:
    url_file = tmp_path / "url"
    proc, url = start("--port", "0", "--time-scale", "0.001", "--region", "eu-west-1", "--url-file", str(url_file))
    try:
        assert url_file.read_text().strip() == url
        sm = client(url, region="eu-west-1")
        arn = sm.create_model(ModelName="m", PrimaryContainer={"Image": "i"})["ModelArn"]
        assert arn == "arn:aws:sagemaker:eu-west-1:123456789012:model/m"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    assert proc.stderr is not None
    assert "Traceback" not in proc.stderr.read()


def test_cli_account_flag(tmp_path: pathlib.Path) -> None:
    proc, url = start("--port", "0", "--account", "111122223333")
    try:
        sm = client(url)
        assert sm.create_model(ModelName="m", PrimaryContainer={"Image": "i"})["ModelArn"].startswith(
            "arn:aws:sagemaker:us-west-2:111122223333:model/"
        )
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=10) == 0


# -- the AWS CLI -----------------------------------------------------------------------------------
@pytest.fixture
def aws(emulator: EmulatorServer) -> Iterator[Any]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-west-2",
        "AWS_CONFIG_FILE": "/dev/null",
        "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_PAGER": "",
    }

    def run(*args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(BIN / "aws"), "--endpoint-url", emulator.url, "--output", "json", "sagemaker", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert (result.returncode == 0) == ok, result.stderr
        return result

    yield run


def test_aws_cli_endpoint_lifecycle(aws: Any) -> None:
    out = aws(
        "create-model",
        "--model-name",
        "cli-model",
        "--primary-container",
        "Image=123456789012.dkr.ecr.us-west-2.amazonaws.com/llm:1",
        "--execution-role-arn",
        "arn:aws:iam::123456789012:role/r",
    )
    assert json.loads(out.stdout) == {"ModelArn": "arn:aws:sagemaker:us-west-2:123456789012:model/cli-model"}
    variants = json.dumps(
        [{"VariantName": "v", "ModelName": "cli-model", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}]
    )
    out = aws("create-endpoint-config", "--endpoint-config-name", "cli-config", "--production-variants", variants)
    assert json.loads(out.stdout)["EndpointConfigArn"].endswith(":endpoint-config/cli-config")
    out = aws("create-endpoint", "--endpoint-name", "CLI-Endpoint", "--endpoint-config-name", "cli-config")
    assert json.loads(out.stdout) == {"EndpointArn": "arn:aws:sagemaker:us-west-2:123456789012:endpoint/cli-endpoint"}
    # The CLI's own waiter polls DescribeEndpoint until InService.
    aws("wait", "endpoint-in-service", "--endpoint-name", "CLI-Endpoint")
    described = json.loads(aws("describe-endpoint", "--endpoint-name", "CLI-Endpoint").stdout)
    assert described["EndpointStatus"] == "InService"
    assert described["ProductionVariants"][0]["CurrentInstanceCount"] == 1
    assert isinstance(described["CreationTime"], float)  # AWS CLI v1 prints the wire's epoch seconds
    listed = json.loads(aws("list-endpoints", "--name-contains", "cli").stdout)
    assert [e["EndpointName"] for e in listed["Endpoints"]] == ["CLI-Endpoint"]
    listed = json.loads(aws("list-models", "--creation-time-before", "2100-01-01T00:00:00Z").stdout)
    assert [m["ModelName"] for m in listed["Models"]] == ["cli-model"]


def test_aws_cli_error_on_stderr(aws: Any) -> None:
    result = aws("describe-endpoint", "--endpoint-name", "missing", ok=False)
    assert result.returncode == 255  # AWS CLI v1's exit code for service errors
    assert result.stdout == ""
    assert (
        "An error occurred (ValidationException) when calling the DescribeEndpoint operation: "
        'Could not find endpoint "arn:aws:sagemaker:us-west-2:123456789012:endpoint/missing".'
    ) in result.stderr
