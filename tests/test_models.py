"""The pydantic models: examples, rejections, and requests that boto3 accepts."""

from __future__ import annotations

import pathlib
from typing import Any

import pytest
import yaml
from botocore.validate import validate_parameters
from pydantic import ValidationError

from sagemaker_operator import shapes
from sagemaker_operator.models import (
    InferenceComponent,
    InferenceComponentSpec,
    InferenceExperiment,
    InferenceExperimentSpec,
)

ROOT = pathlib.Path(__file__).resolve().parents[1]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
OWNER = {
    "sagemaker.inference-operator.dev/owner": "default/InferenceComponent/x",
    "sagemaker.inference-operator.dev/uid": "0b7a1c1e-0000-4000-8000-000000000000",
    "sagemaker.inference-operator.dev/cluster": "default",
}


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "examples" / name).read_text())
    return data


def assert_valid(operation: str, params: dict[str, Any]) -> None:
    validate_parameters(params, shapes.operation_model(operation).input_shape)


def ic_spec(**overrides: Any) -> dict[str, Any]:
    spec = load("inference-component.yaml")["spec"]
    spec.update(overrides)
    return spec


def ie_spec(**overrides: Any) -> dict[str, Any]:
    spec = load("inference-experiment.yaml")["spec"]
    spec.update(overrides)
    return spec


def error_text(exc: pytest.ExceptionInfo[ValidationError]) -> str:
    return str(exc.value)


def test_there_are_four_examples() -> None:
    assert {p.name for p in EXAMPLES} == {
        "inference-component.yaml",
        "inference-component-autoscaled.yaml",
        "inference-component-adapter.yaml",
        "inference-experiment.yaml",
    }


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_examples_validate_and_make_valid_create_requests(path: pathlib.Path) -> None:
    data = yaml.safe_load(path.read_text())
    if data["kind"] == "InferenceComponent":
        ic = InferenceComponent.model_validate(data)
        name = ic.spec.name_for(data["metadata"]["name"])
        assert_valid("CreateInferenceComponent", ic.spec.create_request(name, OWNER))
        assert_valid("UpdateInferenceComponent", ic.spec.update_request(name))
    else:
        ie = InferenceExperiment.model_validate(data)
        name = ie.spec.name_for(data["metadata"]["name"])
        assert_valid("CreateInferenceExperiment", ie.spec.create_request(name, OWNER))
        assert_valid("UpdateInferenceExperiment", ie.spec.update_request(name))
        assert_valid("StopInferenceExperiment", ie.spec.stop_request(name))


def test_ic_create_request_exact() -> None:
    spec = InferenceComponentSpec.model_validate(ic_spec())
    req = spec.create_request("llama-base", {"owner": "a/b/c", "team": "override"})
    assert req["InferenceComponentName"] == "llama-base"
    assert req["EndpointName"] == "demo-endpoint"
    assert req["VariantName"] == "AllTraffic"
    assert req["RuntimeConfig"] == {"CopyCount": 1}
    # map keys are data: never case-converted
    assert req["Specification"]["Container"]["Environment"]["HF_MODEL_ID"] == "/opt/ml/model"
    assert req["Specification"]["ComputeResourceRequirements"]["MinMemoryRequiredInMb"] == 8192
    assert req["Tags"] == [{"Key": "team", "Value": "override"}, {"Key": "owner", "Value": "a/b/c"}]
    for operator_field in ("Region", "DeletionPolicy", "AdoptExisting", "DeploymentConfig"):
        assert operator_field not in req


def test_ic_autoscaled_creates_one_copy_and_never_updates_the_count() -> None:
    spec = InferenceComponent.model_validate(load("inference-component-autoscaled.yaml")).spec
    assert spec.desired_copy_count is None
    assert spec.create_request("x")["RuntimeConfig"] == {"CopyCount": 1}
    update = spec.update_request("x")
    assert "RuntimeConfig" not in update
    assert_valid("UpdateInferenceComponent", update)
    with pytest.raises(ValueError, match="autoscaling"):
        spec.runtime_config_request("x")
    assert_valid("UpdateInferenceComponentRuntimeConfig", spec.runtime_config_request("x", 3))


def test_ic_enforced_copy_count_requests() -> None:
    spec = InferenceComponentSpec.model_validate(ic_spec(runtimeConfig={"copyCount": 3}))
    assert spec.update_request("x")["RuntimeConfig"] == {"CopyCount": 3}
    assert "RuntimeConfig" not in spec.update_request("x", include_copy_count=False)
    req = spec.runtime_config_request("x")
    assert req == {"InferenceComponentName": "x", "DesiredRuntimeConfig": {"CopyCount": 3}}
    assert_valid("UpdateInferenceComponentRuntimeConfig", req)
    # SageMaker rejects CopyCount 0 at creation: create with 1, scale down afterwards.
    zero = InferenceComponentSpec.model_validate(ic_spec(runtimeConfig={"copyCount": 0}))
    assert zero.create_request("x")["RuntimeConfig"] == {"CopyCount": 1}
    assert zero.runtime_config_request("x")["DesiredRuntimeConfig"] == {"CopyCount": 0}


def test_ic_adapter_has_no_runtime_config() -> None:
    spec = InferenceComponent.model_validate(load("inference-component-adapter.yaml")).spec
    assert spec.is_adapter
    assert "RuntimeConfig" not in spec.create_request("llama-sql-adapter")


def test_ic_deployment_config_goes_to_updates_only() -> None:
    deployment = {
        "rollingUpdatePolicy": {
            "maximumBatchSize": {"type": "COPY_COUNT", "value": 1},
            "waitIntervalInSeconds": 120,
            "rollbackMaximumBatchSize": {"type": "CAPACITY_PERCENT", "value": 50},
        },
        "autoRollbackConfiguration": {"alarms": [{"alarmName": "p99-latency"}]},
    }
    spec = InferenceComponentSpec.model_validate(ic_spec(deploymentConfig=deployment))
    assert "DeploymentConfig" not in spec.create_request("x")
    update = spec.update_request("x")
    assert update["DeploymentConfig"]["RollingUpdatePolicy"]["MaximumBatchSize"] == {
        "Type": "COPY_COUNT",
        "Value": 1,
    }
    assert_valid("UpdateInferenceComponent", update)


def test_ie_requests() -> None:
    spec = InferenceExperimentSpec.model_validate(
        ie_spec(
            desiredState="Cancelled",
            modelVariantActions={"shadow": "Promote"},
            stopReason="shadow wins",
            kmsKey="arn:aws:kms:us-west-2:123456789012:key/abcd",
            schedule={"startTime": "2030-01-01T00:00:00Z", "endTime": "2030-01-08T00:00:00Z"},
        )
    )
    create = spec.create_request("shadow-test", OWNER)
    assert create["Type"] == "ShadowMode"
    assert create["KmsKey"] == "arn:aws:kms:us-west-2:123456789012:key/abcd"
    assert create["Schedule"]["EndTime"].year == 2030
    for operator_field in ("DesiredState", "ModelVariantActions", "StopReason", "Region"):
        assert operator_field not in create
    assert spec.stop_request("shadow-test") == {
        "Name": "shadow-test",
        "ModelVariantActions": {"production": "Retain", "shadow": "Promote"},
        "DesiredState": "Cancelled",
        "Reason": "shadow wins",
    }
    assert_valid("StopInferenceExperiment", spec.stop_request("shadow-test"))


def test_defaults() -> None:
    ic = InferenceComponentSpec.model_validate({"endpointName": "e"})
    assert (ic.deletion_policy, ic.adopt_existing, ic.inference_component_name) == ("Delete", False, None)
    assert ic.name_for("meta-name") == "meta-name"
    ie = InferenceExperimentSpec.model_validate({k: v for k, v in ie_spec().items() if k != "desiredState"})
    assert (ie.desired_state, ie.type, ie.deletion_policy, ie.adopt_existing) == (
        "Running",
        "ShadowMode",
        "Delete",
        False,
    )


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"endpointName": "bad_name!"}, "endpointName"),
        ({"inferenceComponentName": "x" * 64}, "inferenceComponentName"),
        ({"inferenceComponentName": "-leading-hyphen"}, "inferenceComponentName"),
        ({"deletionPolicy": "Orphan"}, "deletionPolicy"),
        ({"runtimeConfig": {"copyCount": -1}}, "runtimeConfig.copyCount"),
        ({"unknownField": 1}, "unknownField"),
        ({"tags": [{"key": "", "value": "v"}]}, "tags.0.key"),
        (
            {"specification": {"computeResourceRequirements": {"minMemoryRequiredInMb": 64}}},
            "specification.computeResourceRequirements.minMemoryRequiredInMb",
        ),
        (
            {"specification": {"startupParameters": {"modelDataDownloadTimeoutInSeconds": 30}}},
            "specification.startupParameters.modelDataDownloadTimeoutInSeconds",
        ),
        ({"specification": {"instanceType": "g5.xlarge"}}, "specification.instanceType"),
        (
            {"specification": {"container": {"environment": {"1BAD": "x"}}}},
            "specification.container.environment",
        ),
        (
            {"specification": {"schedulingConfig": {"placementStrategy": "RANDOM"}}},
            "specification.schedulingConfig.placementStrategy",
        ),
    ],
)
def test_ic_rejections_name_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        InferenceComponentSpec.model_validate(ic_spec(**overrides))
    assert field in error_text(exc)


def test_ic_cross_field_rules() -> None:
    with pytest.raises(ValidationError, match="computeResourceRequirements must be omitted"):
        InferenceComponentSpec.model_validate(
            {
                "endpointName": "e",
                "specification": {
                    "baseInferenceComponentName": "base",
                    "computeResourceRequirements": {"minMemoryRequiredInMb": 1024},
                },
            }
        )
    with pytest.raises(ValidationError, match="mutually exclusive"):
        InferenceComponentSpec.model_validate({"endpointName": "e", "specification": {}, "specifications": [{}]})
    with pytest.raises(ValidationError, match=r"specifications\[1\].instanceType"):
        InferenceComponentSpec.model_validate(
            {"endpointName": "e", "specifications": [{"instanceType": "ml.g5.xlarge"}, {}]}
        )


def test_invalid_metadata_name_needs_explicit_sagemaker_name() -> None:
    data = load("inference-component.yaml")
    data["metadata"]["name"] = "has.dots"
    with pytest.raises(ValidationError, match=r"spec\.inferenceComponentName"):
        InferenceComponent.model_validate(data)
    data["spec"]["inferenceComponentName"] = "has-no-dots"
    InferenceComponent.model_validate(data)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"type": "ABTest"}, "type"),
        ({"roleArn": "not-an-arn-but-long-enough"}, "roleArn"),
        ({"desiredState": "Paused"}, "desiredState"),
        ({"modelVariantActions": {"shadow": "Keep"}}, "modelVariantActions.shadow"),
        ({"modelVariants": []}, "modelVariants"),
        ({"name": "x" * 121}, "name"),
        (
            {
                "shadowModeConfig": {
                    "sourceModelVariantName": "production",
                    "shadowModelVariants": [{"shadowModelVariantName": "shadow", "samplingPercentage": 101}],
                }
            },
            "shadowModeConfig.shadowModelVariants.0.samplingPercentage",
        ),
        ({"schedule": {"endTime": "next tuesday"}}, "schedule.endTime"),
    ],
)
def test_ie_rejections_name_the_field(overrides: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        InferenceExperimentSpec.model_validate(ie_spec(**overrides))
    assert field in error_text(exc)


def test_ie_variant_references() -> None:
    with pytest.raises(ValidationError, match="'nope'"):
        InferenceExperimentSpec.model_validate(ie_spec(modelVariantActions={"nope": "Retain"}))
    bad = ie_spec()
    bad["shadowModeConfig"] = {
        "sourceModelVariantName": "missing",
        "shadowModelVariants": [{"shadowModelVariantName": "shadow", "samplingPercentage": 10}],
    }
    with pytest.raises(ValidationError, match="'missing'"):
        InferenceExperimentSpec.model_validate(bad)
