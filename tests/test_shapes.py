"""shapes.to_request / from_response on realistic SageMaker payloads."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from botocore.validate import validate_parameters

from sagemaker_operator import shapes
from sagemaker_operator.models import InferenceComponentStatus, InferenceExperimentStatus

T0 = datetime(2026, 3, 1, 12, 0, 0, 986000, tzinfo=UTC)
T1 = datetime(2026, 3, 1, 14, 30, 0, tzinfo=timezone(timedelta(hours=2)))  # 12:30Z

DESCRIBE_IC: dict[str, Any] = {
    "InferenceComponentName": "llama-base",
    "InferenceComponentArn": "arn:aws:sagemaker:us-west-2:123456789012:inference-component/llama-base",
    "EndpointName": "demo-endpoint",
    "EndpointArn": "arn:aws:sagemaker:us-west-2:123456789012:endpoint/demo-endpoint",
    "VariantName": "AllTraffic",
    "FailureReason": "CapacityError: not enough accelerators",
    "Specification": {
        "ModelName": "llama",
        "Container": {
            "DeployedImage": {
                "SpecifiedImage": "123456789012.dkr.ecr.us-west-2.amazonaws.com/tgi:2",
                "ResolvedImage": "123456789012.dkr.ecr.us-west-2.amazonaws.com/tgi@sha256:abc",
                "ResolutionTime": T0,
            },
            "ArtifactUrl": "s3://demo-models/llama/model.tar.gz",
            "Environment": {"HF_MODEL_ID": "/opt/ml/model", "SM_NUM_GPUS": "1"},
        },
        "StartupParameters": {"ModelDataDownloadTimeoutInSeconds": 1200},
        "ComputeResourceRequirements": {
            "NumberOfCpuCoresRequired": 2.0,
            "NumberOfAcceleratorDevicesRequired": 1.0,
            "MinMemoryRequiredInMb": 8192,
        },
        "DataCacheConfig": {"EnableCaching": True},
    },
    "RuntimeConfig": {
        "DesiredCopyCount": 2,
        "CurrentCopyCount": 1,
        "PlacementStatus": [{"InstanceType": "ml.g5.xlarge", "CurrentCopyCount": 1}],
    },
    "CreationTime": T0,
    "LastModifiedTime": T1,
    "InferenceComponentStatus": "Updating",
    "LastDeploymentConfig": {
        "RollingUpdatePolicy": {
            "MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
            "WaitIntervalInSeconds": 60,
        },
        "AutoRollbackConfiguration": {"Alarms": [{"AlarmName": "p99"}]},
    },
    "ResponseMetadata": {"RequestId": "abc", "HTTPStatusCode": 200},
}

DESCRIBE_IE: dict[str, Any] = {
    "Arn": "arn:aws:sagemaker:us-west-2:123456789012:inference-experiment/shadow-test",
    "Name": "shadow-test",
    "Type": "ShadowMode",
    "Schedule": {"StartTime": T0, "EndTime": T0 + timedelta(days=7)},
    "Status": "Running",
    "StatusReason": "",
    "CreationTime": T0,
    "LastModifiedTime": T0,
    "RoleArn": "arn:aws:iam::123456789012:role/SageMakerExperimentRole",
    "EndpointMetadata": {
        "EndpointName": "demo-endpoint",
        "EndpointConfigName": "demo-endpoint-config-shadow",
        "EndpointStatus": "InService",
    },
    "ModelVariants": [
        {
            "ModelName": "demo-model-v1",
            "VariantName": "production",
            "InfrastructureConfig": {
                "InfrastructureType": "RealTimeInference",
                "RealTimeInferenceConfig": {"InstanceType": "ml.g5.xlarge", "InstanceCount": 1},
            },
            "Status": "InService",
        },
        {
            "ModelName": "demo-model-v2",
            "VariantName": "shadow",
            "InfrastructureConfig": {
                "InfrastructureType": "RealTimeInference",
                "RealTimeInferenceConfig": {"InstanceType": "ml.g5.xlarge", "InstanceCount": 1},
            },
            "Status": "Creating",
        },
    ],
    "DataStorageConfig": {
        "Destination": "s3://demo-experiments/shadow-test/",
        "ContentType": {"JsonContentTypes": ["application/json"]},
    },
    "ShadowModeConfig": {
        "SourceModelVariantName": "production",
        "ShadowModelVariants": [{"ShadowModelVariantName": "shadow", "SamplingPercentage": 50}],
    },
    "ResponseMetadata": {"RequestId": "def"},
}


def test_describe_ic_to_status() -> None:
    camel = shapes.from_response("DescribeInferenceComponent", DESCRIBE_IC)
    assert "responseMetadata" not in camel and "ResponseMetadata" not in camel
    assert camel["inferenceComponentArn"].endswith("inference-component/llama-base")
    assert camel["creationTime"] == "2026-03-01T12:00:00.986000Z"
    assert camel["lastModifiedTime"] == "2026-03-01T12:30:00Z"
    container = camel["specification"]["container"]
    assert container["deployedImage"]["resolvedImage"].endswith("@sha256:abc")
    assert container["deployedImage"]["resolutionTime"] == "2026-03-01T12:00:00.986000Z"
    # map keys are data, never converted
    assert container["environment"] == {"HF_MODEL_ID": "/opt/ml/model", "SM_NUM_GPUS": "1"}
    assert camel["runtimeConfig"] == {
        "desiredCopyCount": 2,
        "currentCopyCount": 1,
        "placementStatus": [{"instanceType": "ml.g5.xlarge", "currentCopyCount": 1}],
    }
    assert camel["lastDeploymentConfig"]["rollingUpdatePolicy"]["maximumBatchSize"] == {
        "type": "COPY_COUNT",
        "value": 1,
    }
    # the status model takes it verbatim and gives the same dict back
    status = InferenceComponentStatus.model_validate(camel)
    assert status.model_dump(by_alias=True, exclude_none=True) == camel


def test_describe_ie_to_status() -> None:
    camel = shapes.from_response("DescribeInferenceExperiment", DESCRIBE_IE)
    assert camel["schedule"] == {
        "startTime": "2026-03-01T12:00:00.986000Z",
        "endTime": "2026-03-08T12:00:00.986000Z",
    }
    assert [v["status"] for v in camel["modelVariants"]] == ["InService", "Creating"]
    assert camel["modelVariants"][0]["infrastructureConfig"]["realTimeInferenceConfig"]["instanceType"] == (
        "ml.g5.xlarge"
    )
    status = InferenceExperimentStatus.model_validate(camel)
    assert status.model_dump(by_alias=True, exclude_none=True) == camel


def test_describe_endpoint_summary_fields() -> None:
    camel = shapes.from_response(
        "DescribeEndpoint",
        {
            "EndpointName": "demo-endpoint",
            "EndpointArn": "arn:aws:sagemaker:us-west-2:123456789012:endpoint/demo-endpoint",
            "EndpointConfigName": "cfg",
            "EndpointStatus": "Failed",
            "FailureReason": "boom",
            "CreationTime": 1529870369.986,  # epoch floats, as on the wire, also convert
            "LastModifiedTime": T0,
        },
    )
    assert camel["endpointStatus"] == "Failed"
    assert camel["creationTime"] == "2018-06-24T19:59:29.986000Z"


def test_round_trip_spec_like_part_of_the_describe() -> None:
    """Describe's request-shaped parts go back through to_request unchanged."""
    camel = shapes.from_response("DescribeInferenceExperiment", DESCRIBE_IE)
    request = {k: camel[k] for k in ("name", "schedule", "modelVariants", "dataStorageConfig", "shadowModeConfig")}
    request["modelVariants"] = [{k: v for k, v in mv.items() if k != "status"} for mv in request["modelVariants"]]
    wire = shapes.to_request("UpdateInferenceExperiment", request)
    validate_parameters(wire, shapes.operation_model("UpdateInferenceExperiment").input_shape)
    assert wire["Schedule"]["EndTime"] == DESCRIBE_IE["Schedule"]["EndTime"]
    assert wire["ShadowModeConfig"] == DESCRIBE_IE["ShadowModeConfig"]
    assert wire["ModelVariants"][1]["InfrastructureConfig"] == DESCRIBE_IE["ModelVariants"][1]["InfrastructureConfig"]


def test_to_request_keeps_map_keys_and_drops_none() -> None:
    wire = shapes.to_request(
        "CreateInferenceComponent",
        {
            "inferenceComponentName": "x",
            "endpointName": "e",
            "variantName": None,
            "specification": {"container": {"environment": {"lowerCase": "1", "UPPER": "2"}}},
        },
    )
    assert wire == {
        "InferenceComponentName": "x",
        "EndpointName": "e",
        "Specification": {"Container": {"Environment": {"lowerCase": "1", "UPPER": "2"}}},
    }


def test_to_request_names_unknown_fields() -> None:
    with pytest.raises(shapes.ShapeError, match=r"\.specification\.container\.imageUri: unknown field"):
        shapes.to_request(
            "CreateInferenceComponent",
            {
                "inferenceComponentName": "x",
                "endpointName": "e",
                "specification": {"container": {"imageUri": "i"}},
            },
        )
    with pytest.raises(shapes.ShapeError, match="region: unknown field"):
        shapes.to_request("CreateInferenceComponent", {"region": "us-west-2"})
    with pytest.raises(shapes.ShapeError, match="unknown SageMaker operation"):
        shapes.to_request("CreateWidget", {})
    with pytest.raises(shapes.ShapeError, match=r"schedule\.endTime: 'soon' is not an RFC 3339"):
        shapes.to_request("UpdateInferenceExperiment", {"name": "x", "schedule": {"endTime": "soon"}})
