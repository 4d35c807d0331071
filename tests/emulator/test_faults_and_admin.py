"""The core's admin API, fault injection, pagination and validation, seen through boto3."""

from __future__ import annotations

import time
from typing import Any

import botocore.exceptions
import pytest

from sagemaker_emulator.server import EmulatorServer

from .conftest import Admin, client
from .resources import arn, assert_error, error_of, make_config, make_endpoint, make_model, status_of


def test_tps_quota_throttles_beyond_quota_and_recovers(sm: Any, admin: Admin) -> None:
    admin.post("faults", {"operation": "ListEndpoints", "tps": 5, "burst": 3})
    for _ in range(3):
        sm.list_endpoints()
    response = assert_error(sm.list_endpoints, "ThrottlingException", "Rate exceeded")
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    sm.list_models()  # other operations have their own quota (none here)
    time.sleep(0.25)  # a token back at 5 TPS
    sm.list_endpoints()
    counters = admin.get("counters")
    assert counters["throttled"] == 1
    assert counters["errors"]["ListEndpoints:ThrottlingException"] == 1
    assert counters["calls"]["ListEndpoints"] == 5


def test_throttle_probability_and_clearing(sm: Any, admin: Admin, emulator: EmulatorServer) -> None:
    admin.post("faults", {"throttle_probability": 1.0})
    assert admin.get("faults")["*"]["throttle_probability"] == 1.0
    assert_error(sm.list_models, "ThrottlingException", "Rate exceeded")
    admin.request("DELETE", "faults")
    assert admin.get("faults") == {}
    sm.list_models()
    # Half the calls throttled: some but not all of 40 calls fail.
    admin.post("faults", {"operation": "ListModels", "throttle_probability": 0.5})
    outcomes = []
    for _ in range(40):
        try:
            sm.list_models()
            outcomes.append(True)
        except botocore.exceptions.ClientError:
            outcomes.append(False)
    assert 5 < outcomes.count(False) < 35


def test_server_errors_are_retried_by_botocore_standard_mode(emulator: EmulatorServer, admin: Admin) -> None:
    admin.post("faults", {"operation": "ListModels", "error_probability": 1.0})
    retrying = client(emulator.url, retries=2)
    response = error_of(retrying.list_models)
    assert response["Error"]["Code"] in ("InternalFailure", "ServiceUnavailable")
    assert response["ResponseMetadata"]["HTTPStatusCode"] in (500, 503)
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    assert admin.get("counters")["calls"]["ListModels"] == 3
    # A flaky service (some 5xx) is invisible to a retrying client.
    admin.post("faults", {"operation": "ListModels", "error_probability": 0.3})
    for _ in range(10):
        retrying.list_models()


def test_added_latency(sm: Any, admin: Admin) -> None:
    started = time.monotonic()
    sm.list_models()
    fast = time.monotonic() - started
    admin.post("faults", {"operation": "ListModels", "latency": 0.3})
    started = time.monotonic()
    sm.list_models()
    assert time.monotonic() - started >= 0.3 > fast


def test_connection_reset_is_a_connection_error(sm: Any, admin: Admin) -> None:
    admin.post("faults", {"operation": "ListModels", "reset_probability": 1.0})
    with pytest.raises((botocore.exceptions.ConnectionClosedError, botocore.exceptions.ConnectionError)):
        sm.list_models()
    sm.list_endpoints()  # the server itself is fine


def test_counters_and_reset(sm: Any, admin: Admin) -> None:
    make_model(sm)
    error_of(lambda: sm.describe_model(ModelName="nope"))
    counters = admin.get("counters")
    assert counters["calls"] == {"CreateModel": 1, "DescribeModel": 1}
    assert counters["errors"] == {"DescribeModel:ValidationException": 1}
    admin.post("reset", {"what": "counters"})
    assert admin.get("counters") == {"calls": {}, "errors": {}, "throttled": 0}
    sm.describe_model(ModelName="model")  # resources survive a counters reset
    admin.post("faults", {"latency": 0.01})
    admin.post("reset", {"what": "faults"})
    assert admin.get("faults") == {}
    admin.post("reset")
    error_of(lambda: sm.describe_model(ModelName="model"))


def test_time_advance_and_scale(sm: Any, admin: Admin, emulator: EmulatorServer) -> None:
    before = admin.get("time")
    assert admin.post("time", {"timeScale": 1.0})["timeScale"] == 1.0
    make_model(sm)
    make_config(sm)
    make_endpoint(sm, "ep", wait=False)
    assert status_of(sm, "ep") == "Creating"
    moved = admin.post("time", {"advance": 400})
    assert moved["now"] >= before["now"] + 400
    assert status_of(sm, "ep") == "InService"  # due transitions fired when time moved


def test_pagination_round_trip_over_many_endpoints(sm: Any, admin: Admin) -> None:
    make_model(sm)
    make_config(sm, instance_type="ml.m5.large")
    admin.post("limits", {"ml.m5.large": 100})
    names = {f"ep-{i:03d}" for i in range(35)}
    for name in names:
        make_endpoint(sm, name, wait=False)
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        kwargs: dict[str, Any] = {"MaxResults": 10, "SortBy": "Name"}
        if token:
            kwargs["NextToken"] = token
        page = sm.list_endpoints(**kwargs)
        pages += 1
        assert len(page["Endpoints"]) <= 10
        seen.extend(e["EndpointName"] for e in page["Endpoints"])
        token = page.get("NextToken")
        if not token:
            break
    assert pages == 4
    assert seen == sorted(names, reverse=True)
    default_page = sm.list_endpoints()
    assert len(default_page["Endpoints"]) == 10 and default_page["NextToken"]
    paginator = sm.get_paginator("list_endpoints")
    collected = [
        e["EndpointName"] for p in paginator.paginate(PaginationConfig={"PageSize": 7}) for e in p["Endpoints"]
    ]
    assert sorted(collected) == sorted(names)


def test_pagination_token_replayed_with_other_filters_is_refused(sm: Any) -> None:
    for i in range(5):
        make_model(sm, f"m{i}")
    first = sm.list_models(MaxResults=2, NameContains="m")
    assert_error(
        lambda: sm.list_models(MaxResults=2, NameContains="m1", NextToken=first["NextToken"]),
        "ValidationException",
        "Invalid pagination token because of a parameter change.",
    )
    assert_error(
        lambda: sm.list_models(NextToken="garbage"),
        "ValidationException",
        "Invalid pagination token because of a parameter change.",
    )
    # Same filters, other page size: fine.
    assert len(sm.list_models(MaxResults=3, NameContains="m", NextToken=first["NextToken"])["Models"]) == 3


def test_server_side_validation_on_create(sm_raw: Any) -> None:
    response = error_of(lambda: sm_raw.create_endpoint(EndpointName="bad_name!" + "x" * 60, EndpointConfigName="c"))
    message = response["Error"]["Message"]
    assert response["Error"]["Code"] == "ValidationException"
    assert message.startswith("2 validation errors detected: ")
    assert "at 'endpointName' failed to satisfy constraint: Member must satisfy regular expression pattern: " in message
    assert "at 'endpointName' failed to satisfy constraint: Member must have length less than or equal to 63" in message

    response = error_of(
        lambda: sm_raw.create_endpoint_config(
            EndpointConfigName="c",
            ProductionVariants=[{"VariantName": "v", "InstanceType": "ml.nope.xlarge", "InitialInstanceCount": 0}],
        )
    )
    message = response["Error"]["Message"]
    assert message.startswith("2 validation errors detected: ")
    assert (
        "Value 'ml.nope.xlarge' at 'productionVariants.1.member.instanceType' failed to satisfy constraint: "
        "Member must satisfy enum value set: [" in message
    )
    assert (
        "Value '0' at 'productionVariants.1.member.initialInstanceCount' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1" in message
    )
    response = error_of(
        lambda: sm_raw.create_endpoint_config(
            EndpointConfigName="c",
            ProductionVariants=[{"VariantName": "v", "InstanceType": "ml.m5.large", "InitialInstanceCount": "2"}],
        )
    )
    assert response["Error"]["Code"] == "SerializationException"


def test_regions_are_separate(emulator: EmulatorServer) -> None:
    west, east = client(emulator.url), client(emulator.url, region="us-east-1")
    make_model(west)
    assert west.describe_model(ModelName="model")["ModelArn"] == arn("model", "model")
    assert east.list_models()["Models"] == []
    make_model(east)
    assert east.describe_model(ModelName="model")["ModelArn"].startswith("arn:aws:sagemaker:us-east-1:")


def test_forced_failure_helpers(emulator: EmulatorServer, admin: Admin) -> None:
    import urllib.error

    from sagemaker_emulator.forced import force_failure, pending_forced_failures, take_forced_failure

    backend = emulator.backend
    force_failure(backend, "inference-component", "My-IC", "CapacityError: nope")
    assert pending_forced_failures(backend) == {"inference-component/my-ic": "CapacityError: nope"}
    assert take_forced_failure(backend, "endpoint", "my-ic") is None  # another kind
    assert take_forced_failure(backend, "inference-component", "MY-IC") == "CapacityError: nope"
    assert take_forced_failure(backend, "inference-component", "my-ic") is None  # consumed
    admin.post("fail", {"kind": "endpoint", "name": "e"})
    assert admin.get("fail")["forced"]["endpoint/e"].startswith("Forced failure")
    admin.post("reset")
    assert admin.get("fail") == {"forced": {}}
    with pytest.raises(urllib.error.HTTPError) as info:
        admin.post("fail", {"name": "e"})
    assert info.value.code == 400
