"""Wire protocol, dispatch and validation through real boto3 clients."""

from __future__ import annotations

from typing import Any

import botocore.exceptions
import pytest

from sagemaker_emulator.server import EmulatorServer


def error_of(call: Any) -> dict[str, Any]:
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call()
    response: dict[str, Any] = info.value.response
    return response


def test_unknown_operation_is_a_clear_error_not_a_crash(sm: Any) -> None:
    response = error_of(lambda: sm.describe_training_job(TrainingJobName="x"))
    assert response["Error"]["Code"] == "UnknownOperationException"
    assert "DescribeTrainingJob" in response["Error"]["Message"]
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["ResponseMetadata"]["RequestId"]


def test_tags_on_unknown_arn(sm: Any) -> None:
    response = error_of(lambda: sm.list_tags(ResourceArn="arn:aws:sagemaker:us-west-2:123456789012:endpoint/nope"))
    assert response["Error"]["Code"] == "ValidationException"
    assert "arn:aws:sagemaker:us-west-2:123456789012:endpoint/nope" in response["Error"]["Message"]


def test_validation_message_format(sm_raw: Any) -> None:
    # Client-side validation is off: the emulator itself must answer like SageMaker.
    response = error_of(lambda: sm_raw.add_tags(ResourceArn="a" * 300, Tags=[{"Key": "", "Value": "v"}]))
    message = response["Error"]["Message"]
    assert response["Error"]["Code"] == "ValidationException"
    assert message.startswith("3 validation errors detected: ")
    assert "at 'resourceArn' failed to satisfy constraint: Member must have length less than or equal to 256" in message
    assert "Value '' at 'tags.1.member.key' failed to satisfy constraint: Member must have length greater" in message


def test_missing_required_member(sm_raw: Any) -> None:
    response = error_of(lambda: sm_raw.delete_tags(ResourceArn="arn:aws:sagemaker:us-west-2:123456789012:model/m"))
    assert response["Error"]["Message"] == (
        "1 validation error detected: Value null at 'tagKeys' failed to satisfy constraint: Member must not be null"
    )


def test_region_comes_from_the_signature(emulator: EmulatorServer) -> None:
    from .conftest import client

    for region in ("eu-central-1", "cn-north-1"):
        sm = client(emulator.url, region=region)
        arn = f"arn:aws:sagemaker:{region}:123456789012:model/m"
        response = error_of(lambda sm=sm, arn=arn: sm.list_tags(ResourceArn=arn))
        assert response["Error"]["Code"] == "ValidationException"
    assert {r.name for r in emulator.backend.regions()} >= {"eu-central-1", "cn-north-1"}
    assert emulator.backend.arn("cn-north-1", "endpoint", "DEMO-ep") == (
        "arn:aws-cn:sagemaker:cn-north-1:123456789012:endpoint/demo-ep"
    )
