"""Helpers that create SageMaker resources through a boto3 client (shared by the emulator tests)."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import botocore.exceptions
import pytest

from sagemaker_emulator.ops.endpoints import ENDPOINT_CREATE_SECONDS

from .conftest import wait_for

ACCOUNT = "123456789012"
REGION = "us-west-2"
ROLE = f"arn:aws:iam::{ACCOUNT}:role/sagemaker-execution"
IMAGE = f"{ACCOUNT}.dkr.ecr.{REGION}.amazonaws.com/llm:1.0"


def arn(kind: str, name: str) -> str:
    return f"arn:aws:sagemaker:{REGION}:{ACCOUNT}:{kind}/{name.lower()}"


def error_of(call: Any) -> dict[str, Any]:
    """The ClientError response ``call()`` raises (fails the test if it succeeds)."""
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call()
    response: dict[str, Any] = info.value.response
    return response


def assert_error(call: Any, code: str, message: str) -> dict[str, Any]:
    response = error_of(call)
    assert (response["Error"]["Code"], response["Error"]["Message"]) == (code, message)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return response


def make_model(sm: Any, name: str = "model", image: str = IMAGE) -> str:
    result: str = sm.create_model(ModelName=name, PrimaryContainer={"Image": image}, ExecutionRoleArn=ROLE)["ModelArn"]
    return result


def make_config(
    sm: Any,
    name: str = "config",
    model: str | None = "model",
    instance_type: str = "ml.g5.xlarge",
    count: int = 1,
    role: str | None = None,
    **extra: Any,
) -> str:
    variant: dict[str, Any] = {
        "VariantName": "AllTraffic",
        "InstanceType": instance_type,
        "InitialInstanceCount": count,
    }
    if model is not None:
        variant["ModelName"] = model
    params: dict[str, Any] = {"EndpointConfigName": name, "ProductionVariants": [variant], **extra}
    if role is not None:
        params["ExecutionRoleArn"] = role
    result: str = sm.create_endpoint_config(**params)["EndpointConfigArn"]
    return result


def status_of(sm: Any, name: str) -> str | None:
    try:
        status: str = sm.describe_endpoint(EndpointName=name)["EndpointStatus"]
    except botocore.exceptions.ClientError as err:
        if "Could not find endpoint" in err.response["Error"]["Message"]:
            return None
        raise
    return status


def wait_status(sm: Any, name: str, status: str | None, timeout: float = 10.0) -> dict[str, Any] | None:
    """Wait until the endpoint has ``status`` (None: until it is gone); return its description."""
    wait_for(lambda: status_of(sm, name) == status, timeout=timeout)
    if status is None:
        return None
    described: dict[str, Any] = sm.describe_endpoint(EndpointName=name)
    return described


def advance_time(sm: Any, seconds: float) -> None:
    """Jump the emulator's clock ahead (due transitions happen at once) through its admin API."""
    request = urllib.request.Request(
        sm.meta.endpoint_url + "/_emulator/time", data=json.dumps({"advance": seconds}).encode(), method="POST"
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def make_endpoint(sm: Any, name: str = "endpoint", config: str = "config", wait: bool = True) -> str:
    """Create an endpoint; with ``wait``, jump past its creation time and check it is InService."""
    result: str = sm.create_endpoint(EndpointName=name, EndpointConfigName=config)["EndpointArn"]
    if wait:
        advance_time(sm, ENDPOINT_CREATE_SECONDS + 1)
        wait_status(sm, name, "InService")
    return result
