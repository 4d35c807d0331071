"""Endpoints through boto3: state machine, catalogued errors, quotas, forced failures, helpers."""

from __future__ import annotations

import datetime
from typing import Any

from sagemaker_emulator import admin as admin_api
from sagemaker_emulator.forced import force_failure
from sagemaker_emulator.limits import set_instance_limits
from sagemaker_emulator.ops.instances import endpoint_capacity, ic_capable, instance_spec
from sagemaker_emulator.server import EmulatorServer

from .conftest import Admin, wait_for
from .resources import (
    IMAGE,
    ROLE,
    arn,
    assert_error,
    make_config,
    make_endpoint,
    make_model,
    status_of,
    wait_status,
)


def _slow(emulator: EmulatorServer) -> None:
    """Realistic durations, so a transitional status stays put until the test advances time."""
    emulator.backend.clock.time_scale = 1.0


def _advance(admin: Admin, seconds: float) -> None:
    admin.post("time", {"advance": seconds})


def test_create_goes_creating_then_in_service(sm: Any, emulator: EmulatorServer, admin: Admin) -> None:
    _slow(emulator)
    make_model(sm)
    make_config(sm, count=2)
    endpoint_arn = sm.create_endpoint(EndpointName="My-Endpoint", EndpointConfigName="config")["EndpointArn"]
    assert endpoint_arn == arn("endpoint", "my-endpoint")

    creating = sm.describe_endpoint(EndpointName="My-Endpoint")
    assert creating["EndpointStatus"] == "Creating"
    assert creating["EndpointName"] == "My-Endpoint"
    assert creating["EndpointConfigName"] == "config"
    assert "ProductionVariants" not in creating
    pending = creating["PendingDeploymentSummary"]
    assert pending["EndpointConfigName"] == "config"
    assert pending["ProductionVariants"][0]["DesiredInstanceCount"] == 2
    assert pending["ProductionVariants"][0]["InstanceType"] == "ml.g5.xlarge"

    _advance(admin, 359)
    assert status_of(sm, "my-endpoint") == "Creating"
    _advance(admin, 2)
    ready = sm.describe_endpoint(EndpointName="my-endpoint")
    assert ready["EndpointStatus"] == "InService"
    assert "PendingDeploymentSummary" not in ready
    assert ready["LastModifiedTime"] > ready["CreationTime"]
    (variant,) = ready["ProductionVariants"]
    assert variant["VariantName"] == "AllTraffic"
    assert (variant["CurrentWeight"], variant["DesiredWeight"]) == (1.0, 1.0)
    assert (variant["CurrentInstanceCount"], variant["DesiredInstanceCount"]) == (2, 2)
    (image,) = variant["DeployedImages"]
    assert image["SpecifiedImage"] == IMAGE
    assert image["ResolvedImage"].startswith(IMAGE.rsplit(":", 1)[0] + "@sha256:")


def test_not_found_messages(sm: Any) -> None:
    message = f'Could not find endpoint "{arn("endpoint", "Missing")}".'
    assert_error(lambda: sm.describe_endpoint(EndpointName="Missing"), "ValidationException", message)
    assert_error(lambda: sm.delete_endpoint(EndpointName="Missing"), "ValidationException", message)
    assert_error(
        lambda: sm.update_endpoint(EndpointName="Missing", EndpointConfigName="c"), "ValidationException", message
    )
    assert_error(
        lambda: sm.update_endpoint_weights_and_capacities(
            EndpointName="Missing", DesiredWeightsAndCapacities=[{"VariantName": "v", "DesiredWeight": 1}]
        ),
        "ValidationException",
        message,
    )


def test_create_with_missing_config_or_model(sm: Any) -> None:
    assert_error(
        lambda: sm.create_endpoint(EndpointName="e", EndpointConfigName="nope"),
        "ValidationException",
        f'Could not find endpoint configuration "{arn("endpoint-config", "nope")}".',
    )
    make_model(sm)
    make_config(sm)
    sm.delete_model(ModelName="model")
    assert_error(
        lambda: sm.create_endpoint(EndpointName="e", EndpointConfigName="config"),
        "ValidationException",
        f'Could not find model "{arn("model", "model")}".',
    )
    assert sm.list_endpoints()["Endpoints"] == []


def test_name_stays_taken_while_creating_failed_and_deleting(sm: Any, emulator: EmulatorServer, admin: Admin) -> None:
    _slow(emulator)
    make_model(sm)
    make_config(sm)
    sm.create_endpoint(EndpointName="ep", EndpointConfigName="config")
    message = f'Cannot create already existing endpoint "{arn("endpoint", "ep")}".'

    def again() -> Any:
        return sm.create_endpoint(EndpointName="EP", EndpointConfigName="config")

    assert_error(again, "ValidationException", message)  # Creating
    admin.post("oob/fail-endpoint", {"name": "ep", "reason": "boom"})
    assert status_of(sm, "ep") == "Failed"
    assert_error(again, "ValidationException", message)  # Failed
    sm.delete_endpoint(EndpointName="ep")
    assert status_of(sm, "ep") == "Deleting"
    assert_error(again, "ValidationException", message)  # Deleting
    _advance(admin, 61)
    assert status_of(sm, "ep") is None
    again()  # gone: the name is free again
    assert status_of(sm, "ep") == "Creating"


def test_in_progress_update_and_delete_refused(sm: Any, emulator: EmulatorServer, admin: Admin) -> None:
    _slow(emulator)
    make_model(sm)
    make_config(sm)
    make_config(sm, "config2")
    sm.create_endpoint(EndpointName="ep", EndpointConfigName="config")
    message = f'Cannot update in-progress endpoint "{arn("endpoint", "ep")}".'
    assert_error(lambda: sm.delete_endpoint(EndpointName="ep"), "ValidationException", message)
    assert_error(
        lambda: sm.update_endpoint(EndpointName="ep", EndpointConfigName="config2"), "ValidationException", message
    )
    _advance(admin, 400)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="config2")
    assert status_of(sm, "ep") == "Updating"
    assert_error(lambda: sm.delete_endpoint(EndpointName="ep"), "ValidationException", message)
    assert_error(
        lambda: sm.update_endpoint(EndpointName="ep", EndpointConfigName="config"), "ValidationException", message
    )
    _advance(admin, 301)
    sm.delete_endpoint(EndpointName="ep")
    # Deleting again while Deleting is refused the same way (inferred wording).
    assert_error(lambda: sm.delete_endpoint(EndpointName="ep"), "ValidationException", message)


def test_update_switches_config_after_updating(sm: Any, emulator: EmulatorServer, admin: Admin) -> None:
    _slow(emulator)
    make_model(sm)
    make_model(sm, "model2", image=IMAGE.replace("1.0", "2.0"))
    make_config(sm)
    make_config(sm, "config2", model="model2", count=3)
    sm.create_endpoint(EndpointName="ep", EndpointConfigName="config")
    _advance(admin, 361)
    assert_error(
        lambda: sm.update_endpoint(EndpointName="ep", EndpointConfigName="nope"),
        "ValidationException",
        f'Could not find endpoint configuration "{arn("endpoint-config", "nope")}".',
    )
    assert sm.update_endpoint(EndpointName="ep", EndpointConfigName="config2")["EndpointArn"] == arn("endpoint", "ep")
    updating = sm.describe_endpoint(EndpointName="ep")
    assert updating["EndpointStatus"] == "Updating"
    assert updating["EndpointConfigName"] == "config"  # the old config serves until the update is done
    assert updating["ProductionVariants"][0]["CurrentInstanceCount"] == 1
    assert updating["PendingDeploymentSummary"]["EndpointConfigName"] == "config2"
    _advance(admin, 301)
    done = sm.describe_endpoint(EndpointName="ep")
    assert done["EndpointStatus"] == "InService"
    assert done["EndpointConfigName"] == "config2"
    assert "PendingDeploymentSummary" not in done
    assert done["ProductionVariants"][0]["CurrentInstanceCount"] == 3
    assert done["ProductionVariants"][0]["DeployedImages"][0]["SpecifiedImage"].endswith(":2.0")


def test_update_of_failed_endpoint_refused(sm: Any, admin: Admin) -> None:
    make_model(sm)
    make_config(sm)
    make_endpoint(sm, "ep")
    admin.post("oob/fail-endpoint", {"name": "ep", "reason": "instance health check failed"})
    described = sm.describe_endpoint(EndpointName="ep")
    assert (described["EndpointStatus"], described["FailureReason"]) == ("Failed", "instance health check failed")
    assert_error(
        lambda: sm.update_endpoint(EndpointName="ep", EndpointConfigName="config"),
        "ValidationException",
        f'Cannot update failed endpoint "{arn("endpoint", "ep")}".',
    )
    sm.delete_endpoint(EndpointName="ep")  # a failed endpoint can be deleted
    wait_status(sm, "ep", None)


def test_delete_shows_deleting_then_not_found(sm: Any, emulator: EmulatorServer, admin: Admin) -> None:
    make_model(sm)
    make_config(sm)
    make_endpoint(sm, "ep")
    _slow(emulator)
    assert sm.list_tags(ResourceArn=arn("endpoint", "ep"))["Tags"] == []
    sm.delete_endpoint(EndpointName="ep")
    deleting = sm.describe_endpoint(EndpointName="ep")
    assert deleting["EndpointStatus"] == "Deleting"
    assert [e["EndpointStatus"] for e in sm.list_endpoints()["Endpoints"]] == ["Deleting"]
    _advance(admin, 61)
    assert_error(
        lambda: sm.describe_endpoint(EndpointName="ep"),
        "ValidationException",
        f'Could not find endpoint "{arn("endpoint", "ep")}".',
    )
    assert sm.list_endpoints()["Endpoints"] == []
    assert_error(
        lambda: sm.list_tags(ResourceArn=arn("endpoint", "ep")),
        "ValidationException",
        f'Resource "{arn("endpoint", "ep")}" does not exist.',
    )


def test_delete_refused_while_inference_components_attached(sm: Any, emulator: EmulatorServer) -> None:
    make_config(sm, model=None, role=ROLE)
    make_endpoint(sm, "ep")
    # The inference-component module owns these records; a minimal one is enough here.
    table = emulator.backend.region("us-west-2").table("inference-component")
    table["ic"] = {"InferenceComponentName": "ic", "EndpointName": "EP", "InferenceComponentStatus": "Deleting"}
    assert_error(
        lambda: sm.delete_endpoint(EndpointName="ep"),
        "ValidationException",
        "Cannot delete endpoint with inference component associated. "
        "Please delete inference component and try it again.",
    )
    del table["ic"]
    sm.delete_endpoint(EndpointName="ep")
    wait_status(sm, "ep", None)


def test_forced_failure_on_create_is_consumed(sm: Any, admin: Admin) -> None:
    make_model(sm)
    make_config(sm)
    forced = admin.post("fail", {"kind": "endpoint", "name": "EP", "reason": "CapacityError: no g5 left"})
    assert forced == {"forced": {"endpoint/ep": "CapacityError: no g5 left"}}
    sm.create_endpoint(EndpointName="ep", EndpointConfigName="config")
    failed = wait_status(sm, "ep", "Failed")
    assert failed is not None
    assert failed["FailureReason"] == "CapacityError: no g5 left"
    assert "ProductionVariants" not in failed
    assert admin.get("fail") == {"forced": {}}
    sm.delete_endpoint(EndpointName="ep")
    wait_status(sm, "ep", None)
    make_endpoint(sm, "ep")  # the failure was used up


def test_forced_failure_on_update_rolls_back(sm: Any, emulator: EmulatorServer) -> None:
    make_model(sm)
    make_config(sm)
    make_config(sm, "config2", count=2)
    make_endpoint(sm, "ep")
    force_failure(emulator.backend, "endpoint", "ep", "ModelError: container failed health check")
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="config2")
    wait_for(lambda: sm.describe_endpoint(EndpointName="ep").get("FailureReason"))
    described = sm.describe_endpoint(EndpointName="ep")
    assert described["EndpointStatus"] == "InService"
    assert described["EndpointConfigName"] == "config"
    assert described["FailureReason"] == "ModelError: container failed health check"
    assert described["ProductionVariants"][0]["CurrentInstanceCount"] == 1


def test_oob_delete_endpoint(sm: Any, admin: Admin, emulator: EmulatorServer) -> None:
    make_model(sm)
    make_config(sm)
    make_endpoint(sm, "ep1")
    make_endpoint(sm, "ep2")
    _slow(emulator)
    assert admin.post("oob/delete-endpoint", {"name": "ep1"})["EndpointStatus"] == "Deleting"
    assert status_of(sm, "ep1") == "Deleting"
    assert admin.post("oob/delete-endpoint", {"name": "ep2", "immediate": True}) == {}
    assert status_of(sm, "ep2") is None
    _advance(admin, 61)
    assert status_of(sm, "ep1") is None


def test_oob_on_missing_endpoint_answers_not_found(admin: Admin) -> None:
    import urllib.error

    try:
        admin.post("oob/fail-endpoint", {"name": "nope"})
    except urllib.error.HTTPError as err:
        assert err.code == 400
        assert b"Could not find endpoint" in err.read()
    else:
        raise AssertionError("expected HTTP 400")


LIMIT_MESSAGE = (
    "The account-level service limit 'ml.g5.xlarge for endpoint usage' is {limit} Instances, with current "
    "utilization of {current} Instances and a request delta of {delta} Instances. "
    "Please contact AWS support to request an increase for this limit."
)


def test_instance_quota_over_admin(sm: Any, admin: Admin) -> None:
    make_model(sm)
    make_config(sm)
    assert admin.post("limits", {"ml.g5.xlarge": 0}) == {"default": 20, "limits": {"ml.g5.xlarge": 0}}
    assert_error(
        lambda: sm.create_endpoint(EndpointName="ep", EndpointConfigName="config"),
        "ResourceLimitExceeded",
        LIMIT_MESSAGE.format(limit=0, current=0, delta=1),
    )
    assert sm.list_endpoints()["Endpoints"] == []
    admin.post("limits", {"ml.g5.xlarge": None})
    assert admin.get("limits") == {"default": 20, "limits": {}}
    make_endpoint(sm, "ep")


def test_instance_quota_counts_other_endpoints_and_updates(sm: Any, emulator: EmulatorServer) -> None:
    set_instance_limits(emulator.backend, {"ml.g5.xlarge": 5})
    make_model(sm)
    make_config(sm, count=2)
    make_config(sm, "config3", count=3)
    make_config(sm, "small", instance_type="ml.m5.large", count=4)
    make_endpoint(sm, "ep1")
    make_endpoint(sm, "ep2", "small")  # another instance type does not count
    make_endpoint(sm, "ep3")
    assert_error(
        lambda: sm.create_endpoint(EndpointName="ep4", EndpointConfigName="config3"),
        "ResourceLimitExceeded",
        LIMIT_MESSAGE.format(limit=5, current=4, delta=3),
    )
    # An update provisions the new fleet before retiring the old one, so both count.
    assert_error(
        lambda: sm.update_endpoint(EndpointName="ep1", EndpointConfigName="config3"),
        "ResourceLimitExceeded",
        LIMIT_MESSAGE.format(limit=5, current=4, delta=3),
    )
    assert status_of(sm, "ep1") == "InService"
    assert_error(
        lambda: sm.update_endpoint_weights_and_capacities(
            EndpointName="ep1", DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "DesiredInstanceCount": 4}]
        ),
        "ResourceLimitExceeded",
        LIMIT_MESSAGE.format(limit=5, current=4, delta=2),
    )
    sm.delete_endpoint(EndpointName="ep3")  # Deleting endpoints release their instances
    make_endpoint(sm, "ep4", "config3")


def test_update_weights_and_capacities(sm: Any, emulator: EmulatorServer, admin: Admin) -> None:
    make_model(sm)
    make_config(sm, count=2)
    make_endpoint(sm, "ep")
    _slow(emulator)
    assert_error(
        lambda: sm.update_endpoint_weights_and_capacities(
            EndpointName="ep", DesiredWeightsAndCapacities=[{"VariantName": "Nope", "DesiredWeight": 1}]
        ),
        "ValidationException",
        f'The variant name(s) [Nope] is/are not present in the endpoint "{arn("endpoint", "ep")}".',
    )
    sm.update_endpoint_weights_and_capacities(
        EndpointName="ep",
        DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "DesiredWeight": 0.5, "DesiredInstanceCount": 4}],
    )
    updating = sm.describe_endpoint(EndpointName="ep")
    variant = updating["ProductionVariants"][0]
    assert updating["EndpointStatus"] == "Updating"
    assert (variant["CurrentInstanceCount"], variant["DesiredInstanceCount"]) == (2, 4)
    assert (variant["CurrentWeight"], variant["DesiredWeight"]) == (1.0, 0.5)
    assert variant["VariantStatus"][0]["Status"] == "Updating"
    assert endpoint_capacity(emulator.backend.region("us-west-2"), "ep")[0].instance_count == 2
    _advance(admin, 121)
    done = sm.describe_endpoint(EndpointName="ep")
    variant = done["ProductionVariants"][0]
    assert done["EndpointStatus"] == "InService"
    assert (variant["CurrentInstanceCount"], variant["CurrentWeight"]) == (4, 0.5)
    assert "VariantStatus" not in variant
    assert endpoint_capacity(emulator.backend.region("us-west-2"), "ep")[0].instance_count == 4

    # UpdateEndpoint with RetainAllVariantProperties keeps the scaled count.
    make_config(sm, "config2", count=1)
    sm.update_endpoint(EndpointName="ep", EndpointConfigName="config2", RetainAllVariantProperties=True)
    _advance(admin, 301)
    variant = sm.describe_endpoint(EndpointName="ep")["ProductionVariants"][0]
    assert (variant["CurrentInstanceCount"], variant["CurrentWeight"]) == (4, 0.5)


def test_list_endpoints_filters_sorting_and_status(sm: Any, emulator: EmulatorServer, admin: Admin) -> None:
    make_model(sm)
    make_config(sm)
    for name in ("beta", "alpha", "gamma-x"):
        make_endpoint(sm, name, wait=False)
        _advance(admin, 10)  # distinct creation seconds (the wire carries whole seconds back)
    _advance(admin, 361)
    _slow(emulator)
    sm.delete_endpoint(EndpointName="beta")
    names = [e["EndpointName"] for e in sm.list_endpoints()["Endpoints"]]
    assert names == ["gamma-x", "alpha", "beta"]  # CreationTime, Descending by default
    ascending = sm.list_endpoints(SortBy="Name", SortOrder="Ascending")["Endpoints"]
    assert [e["EndpointName"] for e in ascending] == ["alpha", "beta", "gamma-x"]
    in_service = sm.list_endpoints(StatusEquals="InService", SortBy="Name", SortOrder="Ascending")["Endpoints"]
    assert [e["EndpointName"] for e in in_service] == ["alpha", "gamma-x"]
    assert [e["EndpointName"] for e in sm.list_endpoints(NameContains="A-X")["Endpoints"]] == ["gamma-x"]
    summary = sm.list_endpoints(NameContains="alpha")["Endpoints"][0]
    assert set(summary) == {"EndpointName", "EndpointArn", "CreationTime", "LastModifiedTime", "EndpointStatus"}
    created = sm.describe_endpoint(EndpointName="alpha")["CreationTime"] + datetime.timedelta(seconds=5)
    after = sm.list_endpoints(CreationTimeAfter=created, SortBy="Name", SortOrder="Ascending")["Endpoints"]
    assert [e["EndpointName"] for e in after] == ["gamma-x"]
    before = sm.list_endpoints(CreationTimeBefore=created)["Endpoints"]
    assert [e["EndpointName"] for e in before] == ["alpha", "beta"]


def test_ic_capable_and_capacity_helpers(sm: Any, emulator: EmulatorServer) -> None:
    state = emulator.backend.region("us-west-2")
    make_model(sm)
    make_config(sm, "with-model", role=ROLE)
    make_config(sm, "no-role", model=None)
    make_config(
        sm,
        "ic",
        model=None,
        role=ROLE,
        instance_type="ml.g5.12xlarge",
        count=2,
    )
    for name in ("with-model", "no-role", "ic"):
        make_endpoint(sm, name, name, wait=False)
    assert ic_capable(state, "IC")  # already while Creating
    wait_status(sm, "ic", "InService")
    assert ic_capable(state, "ic")
    assert not ic_capable(state, "with-model")
    assert not ic_capable(state, "no-role")
    assert not ic_capable(state, "missing")
    (capacity,) = endpoint_capacity(state, "ic")
    assert (capacity.variant_name, capacity.instance_type, capacity.instance_count) == (
        "AllTraffic",
        "ml.g5.12xlarge",
        2,
    )
    assert (capacity.vcpus, capacity.memory_mib, capacity.accelerators) == (48, 192 * 1024, 4)
    assert endpoint_capacity(state, "missing") == []
    sm.delete_endpoint(EndpointName="ic")
    assert endpoint_capacity(state, "ic") == []


def test_instance_spec_table_and_defaults() -> None:
    assert instance_spec("ml.t2.medium").memory_mib == 4096
    assert instance_spec("ml.p4d.24xlarge").accelerators == 8
    assert instance_spec("ml.inf2.48xlarge").accelerators == 12
    assert instance_spec("ml.c5.large").vcpus == 2
    guessed = instance_spec("ml.g7.8xlarge")
    assert (guessed.vcpus, guessed.memory_mib, guessed.accelerators) == (32, 128 * 1024, 1)
    assert instance_spec("ml.r7i.2xlarge").accelerators == 0
    assert instance_spec("weird").vcpus == 4


def test_managed_instance_scaling_and_shadow_variants(sm: Any, emulator: EmulatorServer) -> None:
    make_model(sm)
    make_model(sm, "shadow")
    sm.create_endpoint_config(
        EndpointConfigName="config",
        ProductionVariants=[
            {
                "VariantName": "main",
                "InstanceType": "ml.g5.2xlarge",
                "InitialInstanceCount": 1,
                "ManagedInstanceScaling": {"Status": "ENABLED", "MinInstanceCount": 1, "MaxInstanceCount": 4},
                "RoutingConfig": {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"},
            }
        ],
        ShadowProductionVariants=[
            {"VariantName": "shadow", "ModelName": "shadow", "InstanceType": "ml.g5.xlarge", "InitialInstanceCount": 1}
        ],
        ExecutionRoleArn=ROLE,
    )
    ready = sm.describe_endpoint(EndpointName=make_endpoint(sm, "ep").rsplit("/", 1)[1])
    variant = ready["ProductionVariants"][0]
    assert variant["ManagedInstanceScaling"]["MaxInstanceCount"] == 4
    assert variant["RoutingConfig"] == {"RoutingStrategy": "LEAST_OUTSTANDING_REQUESTS"}
    assert "DeployedImages" not in variant
    (shadow,) = ready["ShadowProductionVariants"]
    assert shadow["VariantName"] == "shadow" and shadow["DeployedImages"][0]["SpecifiedImage"] == IMAGE
    state = emulator.backend.region("us-west-2")
    (capacity,) = endpoint_capacity(state, "ep")  # shadow variants do not host components
    assert capacity.managed_max_instance_count == 4


def test_oob_actions_are_listed_when_unknown(emulator: EmulatorServer) -> None:
    assert {"fail-endpoint", "delete-endpoint"} <= set(admin_api.OOB_ACTIONS)


def test_botocore_waiters(sm: Any) -> None:
    make_model(sm)
    make_config(sm)
    sm.create_endpoint(EndpointName="ep", EndpointConfigName="config")
    fast = {"Delay": 0.05, "MaxAttempts": 200}
    sm.get_waiter("endpoint_in_service").wait(EndpointName="ep", WaiterConfig=fast)
    assert status_of(sm, "ep") == "InService"
    sm.delete_endpoint(EndpointName="ep")
    sm.get_waiter("endpoint_deleted").wait(EndpointName="ep", WaiterConfig=fast)
    assert status_of(sm, "ep") is None


def test_forced_failure_on_scaling_rolls_back_desired_counts(sm: Any, emulator: EmulatorServer) -> None:
    make_model(sm)
    make_config(sm, count=2)
    make_endpoint(sm, "ep")
    force_failure(emulator.backend, "endpoint", "ep", "InsufficientInstanceCapacity")
    sm.update_endpoint_weights_and_capacities(
        EndpointName="ep", DesiredWeightsAndCapacities=[{"VariantName": "AllTraffic", "DesiredInstanceCount": 5}]
    )
    wait_status(sm, "ep", "InService")
    described = sm.describe_endpoint(EndpointName="ep")
    variant = described["ProductionVariants"][0]
    assert described["FailureReason"] == "InsufficientInstanceCapacity"
    assert (variant["CurrentInstanceCount"], variant["DesiredInstanceCount"]) == (2, 2)
