"""Inference experiments (shadow tests) through real boto3 clients, on real models and endpoints.

These tests run the emulator at time scale 1.0 and jump ahead with the admin time advance, so
every transition (30 s creating, 60 s starting/stopping, 30 s updating, 360 s endpoint creation)
is observed deterministically: nothing happens until the test moves the clock.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import botocore.exceptions
import pytest

from .conftest import Admin

ROLE = "arn:aws:iam::123456789012:role/SageMakerRole"
PROD_IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/prod:1"
SHADOW_IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/shadow:2"
OTHER_IMAGE = "123456789012.dkr.ecr.us-west-2.amazonaws.com/other:3"
ARN = "arn:aws:sagemaker:us-west-2:123456789012"
DAY = 86400.0


def error_of(call: Callable[[], Any]) -> dict[str, Any]:
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call()
    error: dict[str, Any] = dict(info.value.response["Error"])
    return error


class Env:
    """Models prod-model/shadow-model/other-model and endpoint ``ep`` (InService on base-config)."""

    def __init__(self, sm: Any, admin: Admin) -> None:
        self.sm = sm
        self.admin = admin
        admin.post("time", {"timeScale": 1.0})
        for name, image in (("prod-model", PROD_IMAGE), ("shadow-model", SHADOW_IMAGE), ("other-model", OTHER_IMAGE)):
            sm.create_model(ModelName=name, ExecutionRoleArn=ROLE, PrimaryContainer={"Image": image})
        sm.create_endpoint_config(
            EndpointConfigName="base-config",
            ProductionVariants=[
                {
                    "VariantName": "prod",
                    "ModelName": "prod-model",
                    "InstanceType": "ml.m5.xlarge",
                    "InitialInstanceCount": 1,
                }
            ],
        )
        sm.create_endpoint(EndpointName="ep", EndpointConfigName="base-config")
        self.advance(360)
        assert self.endpoint()["EndpointStatus"] == "InService"

    def advance(self, seconds: float) -> None:
        self.admin.post("time", {"advance": seconds})

    def now(self) -> float:
        return float(self.admin.get("time")["now"])

    def endpoint(self) -> dict[str, Any]:
        response: dict[str, Any] = self.sm.describe_endpoint(EndpointName="ep")
        return response

    def describe(self, name: str = "ie") -> dict[str, Any]:
        response: dict[str, Any] = self.sm.describe_inference_experiment(Name=name)
        return response

    def status(self, name: str = "ie") -> str:
        return str(self.describe(name)["Status"])

    def variants(self, name: str = "ie") -> dict[str, str]:
        return {v["VariantName"]: v["Status"] for v in self.describe(name)["ModelVariants"]}

    def create(
        self,
        name: str = "ie",
        endpoint: str = "ep",
        shadow_model: str = "shadow-model",
        sampling: int = 50,
        schedule: dict[str, Any] | None = None,
        **extra: Any,
    ) -> str:
        params: dict[str, Any] = {
            "Name": name,
            "Type": "ShadowMode",
            "RoleArn": ROLE,
            "EndpointName": endpoint,
            "ModelVariants": [variant("prod", "prod-model"), variant("shadow", shadow_model)],
            "ShadowModeConfig": shadow_config(sampling),
            **extra,
        }
        if schedule is not None:
            params["Schedule"] = schedule
        arn: str = self.sm.create_inference_experiment(**params)["InferenceExperimentArn"]
        return arn

    def running(self, name: str = "ie", **kwargs: Any) -> None:
        self.create(name, **kwargs)
        self.advance(30 + 60)
        assert self.status(name) == "Running"

    def stop(self, actions: dict[str, str], name: str = "ie", **kwargs: Any) -> None:
        self.sm.stop_inference_experiment(Name=name, ModelVariantActions=actions, **kwargs)


def variant(name: str, model: str, instance_type: str = "ml.m5.xlarge", count: int = 1) -> dict[str, Any]:
    return {
        "VariantName": name,
        "ModelName": model,
        "InfrastructureConfig": {
            "InfrastructureType": "RealTimeInference",
            "RealTimeInferenceConfig": {"InstanceType": instance_type, "InstanceCount": count},
        },
    }


def shadow_config(sampling: int = 50, source: str = "prod", shadow: str = "shadow") -> dict[str, Any]:
    return {
        "SourceModelVariantName": source,
        "ShadowModelVariants": [{"ShadowModelVariantName": shadow, "SamplingPercentage": sampling}],
    }


def images(summary: dict[str, Any]) -> list[str]:
    return [image["SpecifiedImage"] for image in summary.get("DeployedImages", [])]


@pytest.fixture
def env(sm: Any, admin: Admin) -> Env:
    return Env(sm, admin)


# -- lifecycle -------------------------------------------------------------------------------
def test_immediate_start_runs_on_the_endpoint_for_seven_days(env: Env) -> None:
    arn = env.create(Description="first")
    assert arn == f"{ARN}:inference-experiment/ie"
    described = env.describe()
    assert described["Status"] == "Creating"
    assert described["Arn"] == arn
    assert described["Type"] == "ShadowMode"
    assert described["RoleArn"] == ROLE
    assert described["Description"] == "first"
    assert described["EndpointMetadata"] == {
        "EndpointName": "ep",
        "EndpointConfigName": "base-config",
        "EndpointStatus": "InService",
    }
    assert env.variants() == {"prod": "Creating", "shadow": "Creating"}
    schedule = described["Schedule"]
    assert schedule["EndTime"].timestamp() - schedule["StartTime"].timestamp() == pytest.approx(7 * DAY, abs=1)
    assert "CompletionTime" not in described

    env.advance(30)
    assert env.status() == "Starting"
    endpoint = env.endpoint()
    assert endpoint["EndpointStatus"] == "Updating"
    pending = endpoint["PendingDeploymentSummary"]
    assert [v["VariantName"] for v in pending["ShadowProductionVariants"]] == ["shadow"]
    assert env.describe()["EndpointMetadata"]["EndpointStatus"] == "Updating"

    env.advance(60)
    described = env.describe()
    assert described["Status"] == "Running"
    assert env.variants() == {"prod": "InService", "shadow": "InService"}
    endpoint = env.endpoint()
    assert endpoint["EndpointStatus"] == "InService"
    assert "PendingDeploymentSummary" not in endpoint
    assert endpoint["EndpointConfigName"] != "base-config"
    assert described["EndpointMetadata"]["EndpointConfigName"] == endpoint["EndpointConfigName"]
    assert [v["VariantName"] for v in endpoint["ProductionVariants"]] == ["prod"]
    assert images(endpoint["ProductionVariants"][0]) == [PROD_IMAGE]
    (shadow,) = endpoint["ShadowProductionVariants"]
    assert shadow["VariantName"] == "shadow"
    assert images(shadow) == [SHADOW_IMAGE]
    assert shadow["CurrentWeight"] == 0.5
    config = env.sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    assert [(v["VariantName"], v["ModelName"]) for v in config["ProductionVariants"]] == [("prod", "prod-model")]
    assert [
        (v["VariantName"], v["ModelName"], v["InitialVariantWeight"]) for v in config["ShadowProductionVariants"]
    ] == [("shadow", "shadow-model", 0.5)]


def test_scheduled_start_waits_in_created_until_start_time(env: Env) -> None:
    now = env.now()
    env.create(schedule={"StartTime": now + DAY, "EndTime": now + 3 * DAY})
    env.advance(30)
    assert env.status() == "Created"
    assert env.endpoint()["EndpointConfigName"] == "base-config"
    env.advance(DAY - 60)
    assert env.status() == "Created"
    env.advance(60)
    assert env.status() == "Starting"
    env.advance(60)
    assert env.status() == "Running"
    schedule = env.describe()["Schedule"]
    assert schedule["StartTime"].timestamp() == pytest.approx(now + DAY, abs=1)
    assert schedule["EndTime"].timestamp() == pytest.approx(now + 3 * DAY, abs=1)
    assert "ShadowProductionVariants" in env.endpoint()


def test_start_early_and_only_from_created(env: Env) -> None:
    now = env.now()
    env.create(schedule={"StartTime": now + 2 * DAY, "EndTime": now + 4 * DAY})
    error = error_of(lambda: env.sm.start_inference_experiment(Name="ie"))  # still Creating
    assert error["Code"] == "ConflictException"
    assert "Creating" in error["Message"]
    env.advance(30)
    assert env.sm.start_inference_experiment(Name="ie")["InferenceExperimentArn"] == f"{ARN}:inference-experiment/ie"
    described = env.describe()
    assert described["Status"] == "Starting"
    assert described["Schedule"]["StartTime"].timestamp() == pytest.approx(env.now(), abs=2)
    assert described["Schedule"]["EndTime"].timestamp() == pytest.approx(now + 4 * DAY, abs=1)
    env.advance(60)
    assert env.status() == "Running"
    error = error_of(lambda: env.sm.start_inference_experiment(Name="ie"))
    assert error["Code"] == "ConflictException"
    assert "Running" in error["Message"]


def test_starting_early_keeps_the_thirty_day_maximum(env: Env) -> None:
    now = env.now()
    env.create(schedule={"StartTime": now + 10 * DAY, "EndTime": now + 39 * DAY})
    env.advance(30)
    env.sm.start_inference_experiment(Name="ie")
    schedule = env.describe()["Schedule"]
    assert schedule["EndTime"].timestamp() - schedule["StartTime"].timestamp() == pytest.approx(30 * DAY, abs=1)


def test_completes_by_itself_at_end_time_and_endpoint_reverts(env: Env) -> None:
    env.running()  # started when created, Running 90 s later
    env.advance(7 * DAY - 90 + 1)
    assert env.status() == "Stopping"
    assert env.endpoint()["EndpointStatus"] == "Updating"
    env.advance(60)
    described = env.describe()
    assert described["Status"] == "Completed"
    assert "CompletionTime" in described
    assert env.variants() == {"prod": "InService", "shadow": "Deleted"}
    endpoint = env.endpoint()
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["EndpointConfigName"] == "base-config"
    assert "ShadowProductionVariants" not in endpoint
    assert images(endpoint["ProductionVariants"][0]) == [PROD_IMAGE]
    assert described["EndpointMetadata"]["EndpointConfigName"] == "base-config"


# -- stopping --------------------------------------------------------------------------------
def test_stop_with_promote_makes_the_shadow_model_serve_production(env: Env) -> None:
    env.running()
    experiment_config = env.endpoint()["EndpointConfigName"]
    env.stop(
        {"prod": "Remove", "shadow": "Promote"},
        DesiredModelVariants=[variant("shadow", "shadow-model", count=2)],
        Reason="shadow wins",
    )
    described = env.describe()
    assert described["Status"] == "Stopping"
    assert described["StatusReason"] == "shadow wins"
    assert env.variants() == {"prod": "Deleting", "shadow": "Updating"}
    assert env.endpoint()["EndpointStatus"] == "Updating"
    env.advance(60)
    described = env.describe()
    assert described["Status"] == "Completed"
    assert env.variants() == {"prod": "Deleted", "shadow": "InService"}
    # EndTime becomes the time it actually ended.
    assert described["Schedule"]["EndTime"] == described["CompletionTime"]
    endpoint = env.endpoint()
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["EndpointConfigName"] not in ("base-config", experiment_config)
    assert "ShadowProductionVariants" not in endpoint
    (production,) = endpoint["ProductionVariants"]
    assert production["VariantName"] == "shadow"
    assert images(production) == [SHADOW_IMAGE]
    assert production["CurrentInstanceCount"] == 2
    config = env.sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    assert [(v["VariantName"], v["ModelName"], v["InitialInstanceCount"]) for v in config["ProductionVariants"]] == [
        ("shadow", "shadow-model", 2)
    ]
    assert "ShadowProductionVariants" not in config


def test_stop_retaining_production_and_removing_shadow_reverts_the_endpoint(env: Env) -> None:
    env.running()
    env.stop({"prod": "Retain", "shadow": "Remove"})
    assert env.variants() == {"prod": "InService", "shadow": "Deleting"}
    env.advance(60)
    assert env.status() == "Completed"
    assert env.variants() == {"prod": "InService", "shadow": "Deleted"}
    endpoint = env.endpoint()
    assert endpoint["EndpointConfigName"] == "base-config"
    assert "ShadowProductionVariants" not in endpoint


def test_stop_retaining_the_shadow_keeps_it_on_the_endpoint(env: Env) -> None:
    env.running(sampling=20)
    env.stop({"prod": "Retain", "shadow": "Retain"})
    env.advance(60)
    assert env.status() == "Completed"
    assert env.variants() == {"prod": "InService", "shadow": "InService"}
    endpoint = env.endpoint()
    assert endpoint["EndpointConfigName"] != "base-config"
    assert [v["VariantName"] for v in endpoint["ProductionVariants"]] == ["prod"]
    assert [(v["VariantName"], v["CurrentWeight"]) for v in endpoint["ShadowProductionVariants"]] == [("shadow", 0.2)]


def test_stop_as_cancelled(env: Env) -> None:
    env.running()
    env.stop({"prod": "Retain", "shadow": "Remove"}, DesiredState="Cancelled", Reason="not needed")
    env.advance(60)
    described = env.describe()
    assert described["Status"] == "Cancelled"
    assert described["StatusReason"] == "not needed"
    assert env.endpoint()["EndpointConfigName"] == "base-config"


def test_stop_validates_actions_and_status(env: Env) -> None:
    env.create()
    error = error_of(lambda: env.stop({"prod": "Retain", "shadow": "Remove"}))
    assert error["Code"] == "ConflictException"
    env.advance(90)
    cases = [
        ({"prod": "Retain"}, "shadow"),
        ({"prod": "Retain", "shadow": "Remove", "ghost": "Remove"}, "ghost"),
        ({"prod": "Promote", "shadow": "Remove"}, "Cannot promote production variant"),
        ({"prod": "Retain", "shadow": "Promote"}, "must be removed"),
        ({"prod": "Remove", "shadow": "Retain"}, "without promoting"),
    ]
    for actions, text in cases:
        error = error_of(functools.partial(env.stop, actions))
        assert error["Code"] == "ValidationException", actions
        assert text in error["Message"], (actions, error["Message"])
    error = error_of(
        lambda: env.stop(
            {"prod": "Remove", "shadow": "Promote"}, DesiredModelVariants=[variant("shadow", "missing-model")]
        )
    )
    assert error["Message"] == f'Could not find model "{ARN}:model/missing-model".'
    assert env.status() == "Running"


# -- updating --------------------------------------------------------------------------------
def test_update_while_running_changes_description_end_time_and_sampling(env: Env) -> None:
    env.running()
    start = env.describe()["Schedule"]["StartTime"].timestamp()
    env.sm.update_inference_experiment(
        Name="ie",
        Description="now at 80%",
        Schedule={"EndTime": start + 10 * DAY},
        ShadowModeConfig=shadow_config(80),
        # Unchanged members are accepted.
        ModelVariants=[variant("prod", "prod-model"), variant("shadow", "shadow-model")],
    )
    described = env.describe()
    assert described["Status"] == "Updating"
    assert described["Description"] == "now at 80%"
    assert env.endpoint()["EndpointStatus"] == "Updating"
    env.advance(30)
    described = env.describe()
    assert described["Status"] == "Running"
    assert described["ShadowModeConfig"]["ShadowModelVariants"][0]["SamplingPercentage"] == 80
    assert described["Schedule"]["EndTime"].timestamp() == pytest.approx(start + 10 * DAY, abs=1)
    endpoint = env.endpoint()
    assert endpoint["EndpointStatus"] == "InService"
    assert endpoint["ShadowProductionVariants"][0]["CurrentWeight"] == 0.8
    # The new EndTime counts: still running after the original seven days.
    env.advance(8 * DAY)
    assert env.status() == "Running"
    # Jumping far past the end lands where SageMaker would be: stopped 60 s after EndTime.
    env.advance(3 * DAY)
    described = env.describe()
    assert described["Status"] == "Completed"
    assert described["CompletionTime"].timestamp() == pytest.approx(start + 10 * DAY + 60, abs=0.01)
    assert env.endpoint()["EndpointConfigName"] == "base-config"


def test_update_while_running_refuses_other_changes(env: Env) -> None:
    env.running()
    now = env.now()
    cases: list[tuple[dict[str, Any], str]] = [
        ({"ModelVariants": [variant("prod", "prod-model"), variant("shadow", "other-model")]}, "ModelVariants"),
        ({"Schedule": {"StartTime": now + DAY}}, "Schedule.StartTime"),
        ({"DataStorageConfig": {"Destination": "s3://bucket/capture"}}, "DataStorageConfig"),
    ]
    for params, member in cases:
        error = error_of(functools.partial(env.sm.update_inference_experiment, Name="ie", **params))
        assert error["Code"] == "ValidationException"
        assert f"Cannot change {member} of inference experiment" in error["Message"]
        assert "Only Description, Schedule.EndTime and the SamplingPercentage" in error["Message"]
    error = error_of(lambda: env.sm.update_inference_experiment(Name="ie", Schedule={"EndTime": now + 40 * DAY}))
    assert error["Code"] == "ValidationException"
    assert "30 days" in error["Message"]
    assert env.status() == "Running"


def test_update_in_created_changes_variants_and_schedule(env: Env) -> None:
    now = env.now()
    env.create(schedule={"StartTime": now + DAY})
    env.advance(30)
    assert env.status() == "Created"
    env.sm.update_inference_experiment(
        Name="ie",
        Schedule={"StartTime": now + 2 * DAY, "EndTime": now + 5 * DAY},
        ModelVariants=[variant("prod", "prod-model"), variant("shadow", "other-model")],
        ShadowModeConfig=shadow_config(30),
    )
    assert env.status() == "Updating"
    env.advance(30)
    assert env.status() == "Created"
    env.advance(DAY)  # the old start time passes
    assert env.status() == "Created"
    env.advance(DAY)
    described = env.describe()
    assert described["Status"] == "Running"
    assert described["Schedule"]["StartTime"].timestamp() == pytest.approx(now + 2 * DAY, abs=1)
    endpoint = env.endpoint()
    assert images(endpoint["ShadowProductionVariants"][0]) == [OTHER_IMAGE]
    assert endpoint["ShadowProductionVariants"][0]["CurrentWeight"] == 0.3


def test_update_in_other_states_is_a_conflict(env: Env) -> None:
    env.create()
    error = error_of(lambda: env.sm.update_inference_experiment(Name="ie", Description="x"))
    assert error["Code"] == "ConflictException"
    assert error["Message"] == (
        f'Cannot update inference experiment "{ARN}:inference-experiment/ie" because it is in Creating status. '
        "It must be in Created or Running status."
    )


# -- deleting, errors ------------------------------------------------------------------------
def test_delete_while_running_is_refused_then_allowed_after_stop(env: Env) -> None:
    env.running(Tags=[{"Key": "team", "Value": "ml"}])
    arn = f"{ARN}:inference-experiment/ie"
    assert env.sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "team", "Value": "ml"}]
    error = error_of(lambda: env.sm.delete_inference_experiment(Name="ie"))
    assert error["Code"] == "ConflictException"
    env.stop({"prod": "Retain", "shadow": "Remove"})
    error = error_of(lambda: env.sm.delete_inference_experiment(Name="ie"))
    assert error["Code"] == "ConflictException"
    assert "Stopping" in error["Message"]
    env.advance(60)
    assert env.sm.delete_inference_experiment(Name="ie")["InferenceExperimentArn"] == arn
    assert error_of(lambda: env.describe())["Code"] == "ResourceNotFound"
    assert error_of(lambda: env.sm.list_tags(ResourceArn=arn))["Code"] == "ValidationException"
    # The name is free again.
    env.create()


def test_delete_a_scheduled_experiment(env: Env) -> None:
    now = env.now()
    env.create(schedule={"StartTime": now + DAY})
    env.advance(30)
    env.sm.delete_inference_experiment(Name="ie")
    env.advance(DAY)
    assert env.endpoint()["EndpointConfigName"] == "base-config"


def test_not_found(env: Env) -> None:
    message = f'Inference experiment "{ARN}:inference-experiment/nope" does not exist.'
    calls: list[Callable[[], Any]] = [
        lambda: env.sm.describe_inference_experiment(Name="nope"),
        lambda: env.sm.update_inference_experiment(Name="nope", Description="x"),
        lambda: env.sm.start_inference_experiment(Name="nope"),
        lambda: env.sm.stop_inference_experiment(Name="nope", ModelVariantActions={"a": "Retain"}),
        lambda: env.sm.delete_inference_experiment(Name="nope"),
    ]
    for call in calls:
        assert error_of(call) == {"Code": "ResourceNotFound", "Message": message}


def test_already_exists(env: Env) -> None:
    env.create()
    error = error_of(lambda: env.create(name="IE"))
    assert error["Code"] == "ResourceInUse"
    assert error["Message"] == f'Cannot create already existing inference experiment "{ARN}:inference-experiment/ie".'


def test_schedule_limits(env: Env) -> None:
    now = env.now()
    error = error_of(lambda: env.create(schedule={"StartTime": now + DAY, "EndTime": now + 32 * DAY}))
    assert error["Code"] == "ValidationException"
    assert error["Message"] == "The maximum duration of an inference experiment is 30 days."
    error = error_of(lambda: env.create(schedule={"EndTime": now + 31 * DAY}))
    assert error["Message"] == "The maximum duration of an inference experiment is 30 days."
    error = error_of(lambda: env.create(schedule={"StartTime": now + 2 * DAY, "EndTime": now + DAY}))
    assert "EndTime" in error["Message"]
    env.create(schedule={"StartTime": now + DAY, "EndTime": now + 31 * DAY - 60})
    assert env.sm.list_inference_experiments()["InferenceExperiments"][0]["Name"] == "ie"


def test_create_checks_models_endpoint_and_variants(env: Env) -> None:
    error = error_of(lambda: env.create(shadow_model="missing-model"))
    assert error == {"Code": "ValidationException", "Message": f'Could not find model "{ARN}:model/missing-model".'}
    error = error_of(lambda: env.create(endpoint="no-ep"))
    assert error == {"Code": "ValidationException", "Message": f'Could not find endpoint "{ARN}:endpoint/no-ep".'}
    two_shadows = {
        "SourceModelVariantName": "prod",
        "ShadowModelVariants": [
            {"ShadowModelVariantName": "shadow", "SamplingPercentage": 10},
            {"ShadowModelVariantName": "shadow2", "SamplingPercentage": 10},
        ],
    }
    error = error_of(lambda: env.create(ShadowModeConfig=two_shadows))
    assert error["Code"] == "ValidationException"
    assert (
        "'shadowModeConfig.shadowModelVariants' failed to satisfy constraint: Member must have length less"
        in (error["Message"])
    )
    error = error_of(lambda: env.create(ShadowModeConfig=shadow_config(shadow="ghost")))
    assert 'Variant "ghost"' in error["Message"]
    # The endpoint must be InService.
    env.sm.create_endpoint(EndpointName="ep2", EndpointConfigName="base-config")
    error = error_of(lambda: env.create(endpoint="ep2"))
    assert error["Code"] == "ValidationException"
    assert "InService" in error["Message"]
    # One experiment per endpoint at a time.
    env.create()
    error = error_of(lambda: env.create(name="ie2"))
    assert error["Code"] == "ResourceInUse"
    assert f'already used by inference experiment "{ARN}:inference-experiment/ie"' in error["Message"]


# -- cancellation by SageMaker ---------------------------------------------------------------
def test_sagemaker_side_cancellation_reverts_the_endpoint(env: Env) -> None:
    env.running()
    result = env.admin.post("oob/cancel-ie", {"name": "ie", "reason": "Internal error while routing shadow traffic"})
    assert result["Status"] == "Cancelled"
    described = env.describe()
    assert described["Status"] == "Cancelled"
    assert described["StatusReason"] == "Internal error while routing shadow traffic"
    assert "CompletionTime" in described
    assert env.variants() == {"prod": "InService", "shadow": "Deleted"}
    endpoint = env.endpoint()
    assert endpoint["EndpointConfigName"] == "base-config"
    assert "ShadowProductionVariants" not in endpoint
    # Nothing scheduled is left to fire.
    env.advance(8 * DAY)
    assert env.status() == "Cancelled"
    env.sm.delete_inference_experiment(Name="ie")


def test_forced_failure_cancels_creation(env: Env) -> None:
    env.admin.post("fail", {"kind": "inference-experiment", "name": "ie", "reason": "Simulated failure"})
    env.create()
    env.advance(30)
    described = env.describe()
    assert described["Status"] == "Cancelled"
    assert described["StatusReason"] == "Simulated failure"
    assert env.endpoint()["EndpointConfigName"] == "base-config"


def test_endpoint_gone_before_scheduled_start_cancels(env: Env) -> None:
    now = env.now()
    env.create(schedule={"StartTime": now + DAY})
    env.advance(30)
    env.admin.post("oob/delete-endpoint", {"name": "ep", "immediate": True})
    env.advance(DAY)
    described = env.describe()
    assert described["Status"] == "Cancelled"
    assert "InService" in described["StatusReason"]


# -- listing, tags ---------------------------------------------------------------------------
def test_list_filters_sorting_and_pagination(env: Env) -> None:
    for name in ("alpha", "beta"):
        env.sm.create_endpoint(EndpointName=f"ep-{name}", EndpointConfigName="base-config")
    env.advance(360)
    env.create("alpha", endpoint="ep-alpha")
    env.advance(10)
    env.create("beta", endpoint="ep-beta", schedule={"StartTime": env.now() + DAY})
    env.advance(10)
    env.create("gamma-test")
    env.advance(30 + 60)
    listing = env.sm.list_inference_experiments()["InferenceExperiments"]
    assert [e["Name"] for e in listing] == ["gamma-test", "beta", "alpha"]  # newest first
    summary = listing[0]
    assert set(summary) <= {
        "Name",
        "Type",
        "Schedule",
        "Status",
        "StatusReason",
        "Description",
        "CreationTime",
        "CompletionTime",
        "LastModifiedTime",
        "RoleArn",
    }
    assert summary["Status"] == "Running" and summary["Type"] == "ShadowMode"

    def names(**params: Any) -> list[str]:
        return [e["Name"] for e in env.sm.list_inference_experiments(**params)["InferenceExperiments"]]

    assert names(SortBy="Name", SortOrder="Ascending") == ["alpha", "beta", "gamma-test"]
    assert names(StatusEquals="Created") == ["beta"]
    assert names(StatusEquals="Running", SortBy="Name", SortOrder="Ascending") == ["alpha", "gamma-test"]
    assert names(NameContains="TEST") == ["gamma-test"]
    assert names(Type="ShadowMode", SortBy="Status", SortOrder="Ascending")[0] == "beta"
    # Timestamps are 10 s apart; a 1 s margin keeps the bounds clear of wire rounding.
    beta_created = env.describe("beta")["CreationTime"].timestamp()
    assert names(CreationTimeAfter=beta_created + 1) == ["gamma-test"]
    assert names(CreationTimeBefore=beta_created - 1) == ["alpha"]
    gamma_modified = env.describe("gamma-test")["LastModifiedTime"].timestamp()
    env.advance(10)
    env.sm.update_inference_experiment(Name="alpha", Description="touched")
    assert names(LastModifiedTimeAfter=gamma_modified + 1) == ["alpha"]
    assert names(LastModifiedTimeBefore=gamma_modified + 1, SortBy="Name") == ["gamma-test", "beta"]

    first = env.sm.list_inference_experiments(MaxResults=2, SortBy="Name", SortOrder="Ascending")
    assert [e["Name"] for e in first["InferenceExperiments"]] == ["alpha", "beta"]
    second = env.sm.list_inference_experiments(
        MaxResults=2, SortBy="Name", SortOrder="Ascending", NextToken=first["NextToken"]
    )
    assert [e["Name"] for e in second["InferenceExperiments"]] == ["gamma-test"]
    assert "NextToken" not in second
    paginator = env.sm.get_paginator("list_inference_experiments")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 1}))
    assert len(pages) == 3


def test_tags_and_data_capture(env: Env) -> None:
    arn = env.create(
        Tags=[{"Key": "owner", "Value": "team-a"}],
        DataStorageConfig={"Destination": "s3://bucket/shadow", "KmsKey": "key-1"},
        KmsKey="key-2",
    )
    assert env.sm.list_tags(ResourceArn=arn)["Tags"] == [{"Key": "owner", "Value": "team-a"}]
    env.sm.add_tags(ResourceArn=arn, Tags=[{"Key": "stage", "Value": "canary"}])
    assert {t["Key"] for t in env.sm.list_tags(ResourceArn=arn)["Tags"]} == {"owner", "stage"}
    described = env.describe()
    assert described["DataStorageConfig"] == {"Destination": "s3://bucket/shadow", "KmsKey": "key-1"}
    assert described["KmsKey"] == "key-2"
    env.advance(90)
    endpoint = env.endpoint()
    assert endpoint["DataCaptureConfig"]["DestinationS3Uri"] == "s3://bucket/shadow"
    config = env.sm.describe_endpoint_config(EndpointConfigName=endpoint["EndpointConfigName"])
    assert config["KmsKeyId"] == "key-2"
    # The config the experiment created is a taggable resource like any other.
    assert env.sm.list_tags(ResourceArn=config["EndpointConfigArn"])["Tags"] == []


def test_runs_at_test_time_scale_too(sm: Any) -> None:
    """Without jumping the clock, the scaled durations bring an experiment to Running quickly."""
    from .conftest import wait_for

    sm.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": PROD_IMAGE})
    sm.create_model(ModelName="s", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": SHADOW_IMAGE})
    sm.create_endpoint_config(
        EndpointConfigName="c",
        ProductionVariants=[
            {"VariantName": "prod", "ModelName": "m", "InstanceType": "ml.m5.xlarge", "InitialInstanceCount": 1}
        ],
    )
    sm.create_endpoint(EndpointName="e", EndpointConfigName="c")
    wait_for(lambda: sm.describe_endpoint(EndpointName="e")["EndpointStatus"] == "InService")
    sm.create_inference_experiment(
        Name="quick",
        Type="ShadowMode",
        RoleArn=ROLE,
        EndpointName="e",
        ModelVariants=[variant("prod", "m"), variant("shadow", "s")],
        ShadowModeConfig=shadow_config(100),
    )
    wait_for(lambda: sm.describe_inference_experiment(Name="quick")["Status"] == "Running")
    assert sm.describe_endpoint(EndpointName="e")["ShadowProductionVariants"][0]["CurrentWeight"] == 1.0


def test_endpoint_deleted_while_starting_cancels(env: Env) -> None:
    env.create()
    env.advance(30)
    assert env.status() == "Starting"
    env.admin.post("oob/delete-endpoint", {"name": "ep", "immediate": True})
    env.advance(60)
    described = env.describe()
    assert described["Status"] == "Cancelled"
    assert described["StatusReason"] == "The endpoint was changed or deleted while the experiment was starting."
