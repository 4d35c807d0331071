"""Models and endpoint configs through boto3."""

from __future__ import annotations

import datetime
from typing import Any

from .conftest import Admin
from .resources import IMAGE, ROLE, arn, assert_error, make_config, make_model


def test_model_create_describe_delete(sm: Any) -> None:
    containers = [
        {"Image": IMAGE, "Environment": {"HF_MODEL_ID": "meta-llama/x"}, "ModelDataUrl": "s3://b/model.tar.gz"},
        {"Image": IMAGE.replace("llm", "post"), "ContainerHostname": "post"},
    ]
    model_arn = sm.create_model(
        ModelName="Multi",
        Containers=containers,
        InferenceExecutionConfig={"Mode": "Direct"},
        ExecutionRoleArn=ROLE,
        Tags=[{"Key": "team", "Value": "ml"}],
    )["ModelArn"]
    assert model_arn == arn("model", "multi")
    described = sm.describe_model(ModelName="multi")
    assert described["ModelName"] == "Multi"
    assert described["Containers"] == containers
    assert described["InferenceExecutionConfig"] == {"Mode": "Direct"}
    assert described["ExecutionRoleArn"] == ROLE
    assert described["EnableNetworkIsolation"] is False
    assert "PrimaryContainer" not in described
    assert sm.list_tags(ResourceArn=model_arn)["Tags"] == [{"Key": "team", "Value": "ml"}]
    assert_error(
        lambda: sm.create_model(ModelName="MULTI", PrimaryContainer={"Image": IMAGE}),
        "ValidationException",
        f'Cannot create already existing model "{model_arn}".',
    )
    sm.delete_model(ModelName="Multi")
    message = f'Could not find model "{model_arn}".'
    assert_error(lambda: sm.describe_model(ModelName="Multi"), "ValidationException", message)
    assert_error(lambda: sm.delete_model(ModelName="Multi"), "ValidationException", message)


def test_list_models_filters_sort_pagination(sm: Any, admin: Admin) -> None:
    for i in range(12):
        make_model(sm, f"model-{i:02d}")
        admin.post("time", {"advance": 2})
    make_model(sm, "other")
    everything = sm.list_models(MaxResults=100)["Models"]
    assert [m["ModelName"] for m in everything][:2] == ["other", "model-11"]  # newest first
    assert set(everything[0]) == {"ModelName", "ModelArn", "CreationTime"}
    named = sm.list_models(NameContains="MODEL-", SortBy="Name", SortOrder="Ascending")
    assert [m["ModelName"] for m in named["Models"]] == [f"model-{i:02d}" for i in range(10)]
    rest = sm.list_models(NameContains="MODEL-", SortBy="Name", SortOrder="Ascending", NextToken=named["NextToken"])
    assert [m["ModelName"] for m in rest["Models"]] == ["model-10", "model-11"]
    assert "NextToken" not in rest
    middle = sm.describe_model(ModelName="model-05")["CreationTime"]
    window = sm.list_models(
        CreationTimeAfter=middle - datetime.timedelta(seconds=3),
        CreationTimeBefore=middle + datetime.timedelta(seconds=1),
        SortBy="Name",
    )
    assert [m["ModelName"] for m in window["Models"]] == ["model-05", "model-04"]
    paginated = sm.get_paginator("list_models").paginate(PaginationConfig={"PageSize": 5})
    assert len([m for page in paginated for m in page["Models"]]) == 13


def test_endpoint_config_create_describe_delete(sm: Any) -> None:
    make_model(sm)
    config_arn = sm.create_endpoint_config(
        EndpointConfigName="Config",
        ProductionVariants=[
            {"VariantName": "a", "ModelName": "model", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1},
            {
                "VariantName": "b",
                "ModelName": "model",
                "InstanceType": "ml.m5.large",
                "InitialInstanceCount": 1,
                "InitialVariantWeight": 3,
            },
        ],
        ShadowProductionVariants=[
            {"VariantName": "s", "ModelName": "model", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
        ],
        DataCaptureConfig={
            "InitialSamplingPercentage": 20,
            "DestinationS3Uri": "s3://bucket/capture",
            "CaptureOptions": [{"CaptureMode": "Input"}],
        },
        KmsKeyId="key",
        Tags=[{"Key": "k", "Value": "v"}],
    )["EndpointConfigArn"]
    assert config_arn == arn("endpoint-config", "config")
    described = sm.describe_endpoint_config(EndpointConfigName="config")
    assert described["EndpointConfigName"] == "Config"
    assert described["EndpointConfigArn"] == config_arn
    weights = [v["InitialVariantWeight"] for v in described["ProductionVariants"]]
    assert weights == [1.0, 3.0]
    assert described["ShadowProductionVariants"][0]["VariantName"] == "s"
    assert described["DataCaptureConfig"]["InitialSamplingPercentage"] == 20
    assert described["KmsKeyId"] == "key"
    assert "Tags" not in described
    assert sm.list_tags(ResourceArn=config_arn)["Tags"] == [{"Key": "k", "Value": "v"}]
    assert_error(
        lambda: make_config(sm, "CONFIG"),
        "ValidationException",
        f'Cannot create already existing endpoint configuration "{config_arn}".',
    )
    sm.delete_endpoint_config(EndpointConfigName="config")
    message = f'Could not find endpoint configuration "{config_arn}".'
    assert_error(lambda: sm.describe_endpoint_config(EndpointConfigName="Config"), "ValidationException", message)
    assert_error(lambda: sm.delete_endpoint_config(EndpointConfigName="Config"), "ValidationException", message)


def test_endpoint_config_naming_missing_model(sm: Any) -> None:
    assert_error(
        lambda: make_config(sm, model="Ghost"),
        "ValidationException",
        f'Could not find model "{arn("model", "ghost")}".',
    )
    make_model(sm)
    assert_error(
        lambda: sm.create_endpoint_config(
            EndpointConfigName="c",
            ProductionVariants=[
                {"VariantName": "a", "ModelName": "model", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
            ],
            ShadowProductionVariants=[
                {"VariantName": "s", "ModelName": "ghost", "InstanceType": "ml.m5.large", "InitialInstanceCount": 1}
            ],
        ),
        "ValidationException",
        f'Could not find model "{arn("model", "ghost")}".',
    )
    assert sm.list_endpoint_configs()["EndpointConfigs"] == []


def test_endpoint_config_for_inference_components(sm: Any) -> None:
    make_config(sm, "ic", model=None, role=ROLE, instance_type="ml.g5.12xlarge")
    described = sm.describe_endpoint_config(EndpointConfigName="ic")
    assert described["ExecutionRoleArn"] == ROLE
    assert "ModelName" not in described["ProductionVariants"][0]


def test_deleting_model_and_config_of_a_running_endpoint_is_allowed(sm: Any) -> None:
    from .resources import make_endpoint

    make_model(sm)
    make_config(sm)
    make_endpoint(sm, "ep")
    sm.delete_endpoint_config(EndpointConfigName="config")
    sm.delete_model(ModelName="model")
    described = sm.describe_endpoint(EndpointName="ep")
    assert described["EndpointStatus"] == "InService"
    assert described["EndpointConfigName"] == "config"


def test_list_endpoint_configs(sm: Any, admin: Admin) -> None:
    make_model(sm)
    for name in ("b", "a", "c"):
        make_config(sm, name)
        admin.post("time", {"advance": 2})
    listed = sm.list_endpoint_configs(SortBy="Name", SortOrder="Ascending", MaxResults=2)
    assert [c["EndpointConfigName"] for c in listed["EndpointConfigs"]] == ["a", "b"]
    assert set(listed["EndpointConfigs"][0]) == {"EndpointConfigName", "EndpointConfigArn", "CreationTime"}
    rest = sm.list_endpoint_configs(SortBy="Name", SortOrder="Ascending", MaxResults=2, NextToken=listed["NextToken"])
    assert [c["EndpointConfigName"] for c in rest["EndpointConfigs"]] == ["c"]
    assert [c["EndpointConfigName"] for c in sm.list_endpoint_configs()["EndpointConfigs"]] == ["c", "a", "b"]
    assert [c["EndpointConfigName"] for c in sm.list_endpoint_configs(NameContains="A")["EndpointConfigs"]] == ["a"]
