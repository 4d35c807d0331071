"""Inference components through real boto3 clients: lifecycle, errors, capacity, adapters, lists, OOB."""

from __future__ import annotations

import datetime
import json
import re
import urllib.error
from typing import Any

import botocore.exceptions
import pytest

from .conftest import Admin
from .conftest import wait_for as _wait_for

ROLE = "arn:aws:iam::123456789012:role/sagemaker"
PREFIX = "arn:aws:sagemaker:us-west-2:123456789012"
IMAGE = "763104351884.dkr.ecr.us-west-2.amazonaws.com/djl-inference:0.29.0-lmi11.0.0-cu124"


def wait_for(predicate: Any, sm: Any = None) -> Any:
    """Poll like conftest.wait_for, nudging the emulator's clock forward between polls so that
    transitions happen after a few polls instead of after their (scaled) real duration."""

    def nudged() -> Any:
        value = predicate()
        if not value and sm is not None:
            Admin(sm.meta.endpoint_url).post("time", {"advance": 0.02})
        return value

    return _wait_for(nudged)


def error_of(call: Any) -> dict[str, str]:
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call()
    error: dict[str, str] = info.value.response["Error"]
    return error


def endpoint(
    sm: Any,
    name: str = "ep",
    instance_type: str = "ml.g5.2xlarge",
    count: int = 1,
    variants: tuple[str, ...] = ("AllTraffic",),
    model: str | None = None,
    wait: bool = True,
) -> None:
    """An endpoint that can host inference components (no ModelName, ExecutionRoleArn set)."""
    production = []
    for variant in variants:
        entry: dict[str, Any] = {"VariantName": variant, "InstanceType": instance_type, "InitialInstanceCount": count}
        if model:
            entry["ModelName"] = model
        production.append(entry)
    config: dict[str, Any] = {"EndpointConfigName": f"{name}-cfg", "ProductionVariants": production}
    if not model:
        config["ExecutionRoleArn"] = ROLE
    sm.create_endpoint_config(**config)
    sm.create_endpoint(EndpointName=name, EndpointConfigName=f"{name}-cfg")
    if wait:
        wait_for(lambda: sm.describe_endpoint(EndpointName=name)["EndpointStatus"] == "InService", sm)


def spec(cpu: float | None = 1, mem: int = 1024, acc: float | None = None, image: str = IMAGE) -> dict[str, Any]:
    needs: dict[str, Any] = {"MinMemoryRequiredInMb": mem}
    if cpu is not None:
        needs["NumberOfCpuCoresRequired"] = cpu
    if acc is not None:
        needs["NumberOfAcceleratorDevicesRequired"] = acc
    return {
        "Container": {"Image": image, "ArtifactUrl": "s3://bucket/model.tar.gz", "Environment": {"K": "v"}},
        "StartupParameters": {"ModelDataDownloadTimeoutInSeconds": 600},
        "ComputeResourceRequirements": needs,
    }


def component(sm: Any, name: str, ep: str = "ep", copies: int = 1, **kwargs: Any) -> str:
    arn: str = sm.create_inference_component(
        InferenceComponentName=name,
        EndpointName=ep,
        VariantName=kwargs.pop("variant", "AllTraffic"),
        Specification=kwargs.pop("specification", None) or spec(**kwargs),
        RuntimeConfig={"CopyCount": copies},
    )["InferenceComponentArn"]
    return arn


def describe(sm: Any, name: str) -> dict[str, Any]:
    result: dict[str, Any] = sm.describe_inference_component(InferenceComponentName=name)
    return result


def status(sm: Any, name: str) -> str:
    return str(describe(sm, name)["InferenceComponentStatus"])


def wait_status(sm: Any, name: str, wanted: str) -> dict[str, Any]:
    return dict(wait_for(lambda: (d := describe(sm, name))["InferenceComponentStatus"] == wanted and d, sm))


def wait_gone(sm: Any, name: str) -> None:
    def gone() -> bool:
        try:
            describe(sm, name)
        except botocore.exceptions.ClientError:
            return True
        return False

    wait_for(gone, sm)


def arn(name: str) -> str:
    return f"{PREFIX}:inference-component/{name.lower()}"


def slow(admin: Admin, scale: float = 0.01) -> None:
    """Stretch time so that short transient states (Deleting takes 30 s) are surely observed."""
    admin.post("time", {"timeScale": scale})


def oob(admin: Admin, action: str, body: dict[str, Any]) -> tuple[int, Any]:
    try:
        return 200, admin.post(f"oob/{action}", body)
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


# -- lifecycle ------------------------------------------------------------------------------
def test_create_then_in_service_with_describe_shape(sm: Any) -> None:
    endpoint(sm)
    created = component(sm, "My-IC", copies=1, cpu=2, mem=2048, acc=1)
    assert created == arn("My-IC")
    first = describe(sm, "My-IC")
    assert first["InferenceComponentStatus"] == "Creating"
    assert first["RuntimeConfig"] == {"DesiredCopyCount": 1, "CurrentCopyCount": 0}
    done = wait_status(sm, "My-IC", "InService")
    assert done["RuntimeConfig"] == {"DesiredCopyCount": 1, "CurrentCopyCount": 1}
    assert done["InferenceComponentName"] == "My-IC"
    assert done["EndpointName"] == "ep"
    assert done["EndpointArn"] == f"{PREFIX}:endpoint/ep"
    assert done["VariantName"] == "AllTraffic"
    assert "FailureReason" not in done
    assert done["LastModifiedTime"] >= done["CreationTime"]
    container = done["Specification"]["Container"]
    image = container["DeployedImage"]
    assert image["SpecifiedImage"] == IMAGE
    assert re.fullmatch(re.escape(IMAGE.rsplit(":", 1)[0]) + r"@sha256:[0-9a-f]{64}", image["ResolvedImage"])
    assert isinstance(image["ResolutionTime"], datetime.datetime)
    assert container["ArtifactUrl"] == "s3://bucket/model.tar.gz"
    assert container["Environment"] == {"K": "v"}
    assert done["Specification"]["StartupParameters"] == {"ModelDataDownloadTimeoutInSeconds": 600}
    assert done["Specification"]["ComputeResourceRequirements"] == {
        "NumberOfCpuCoresRequired": 2.0,
        "MinMemoryRequiredInMb": 2048,
        "NumberOfAcceleratorDevicesRequired": 1.0,
    }
    # The fake digest is deterministic: the same image resolves the same way again.
    component(sm, "other", cpu=1, mem=1024)
    again = wait_status(sm, "other", "InService")
    assert again["Specification"]["Container"]["DeployedImage"]["ResolvedImage"] == image["ResolvedImage"]


def test_create_with_model_name_and_variant_defaulted(sm: Any) -> None:
    sm.create_model(ModelName="m1", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    endpoint(sm)
    sm.create_inference_component(
        InferenceComponentName="ic",
        EndpointName="ep",
        Specification={"ModelName": "m1", "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024}},
        RuntimeConfig={"CopyCount": 1},
    )
    done = wait_status(sm, "ic", "InService")
    assert done["VariantName"] == "AllTraffic"
    assert done["Specification"]["ModelName"] == "m1"
    error = error_of(
        lambda: sm.create_inference_component(
            InferenceComponentName="ic2",
            EndpointName="ep",
            Specification={"ModelName": "nope", "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024}},
            RuntimeConfig={"CopyCount": 1},
        )
    )
    assert error == {"Code": "ValidationException", "Message": f'Could not find model "{PREFIX}:model/nope".'}


def test_multiple_specifications(sm: Any) -> None:
    endpoint(sm, instance_type="ml.g5.12xlarge")
    specs = [dict(spec(acc=1), InstanceType="ml.g5.12xlarge"), dict(spec(acc=1), InstanceType="ml.g6.12xlarge")]
    sm.create_inference_component(
        InferenceComponentName="multi",
        EndpointName="ep",
        VariantName="AllTraffic",
        Specifications=specs,
        RuntimeConfig={"CopyCount": 2},
    )
    done = wait_status(sm, "multi", "InService")
    assert "Specification" not in done
    assert [s["InstanceType"] for s in done["Specifications"]] == ["ml.g5.12xlarge", "ml.g6.12xlarge"]
    assert done["RuntimeConfig"]["PlacementStatus"] == [{"InstanceType": "ml.g5.12xlarge", "CurrentCopyCount": 2}]
    error = error_of(
        lambda: sm.create_inference_component(
            InferenceComponentName="both",
            EndpointName="ep",
            Specification=spec(),
            Specifications=specs,
            RuntimeConfig={"CopyCount": 1},
        )
    )
    assert error["Code"] == "ValidationException" and "not both" in error["Message"]


def test_update_spec_with_deployment_config(sm: Any) -> None:
    endpoint(sm)
    component(sm, "ic")
    wait_status(sm, "ic", "InService")
    deployment = {
        "RollingUpdatePolicy": {
            "MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1},
            "WaitIntervalInSeconds": 0,
        }
    }
    new_image = IMAGE.replace("0.29.0", "0.30.0")
    sm.update_inference_component(
        InferenceComponentName="ic", Specification=spec(image=new_image, mem=2048), DeploymentConfig=deployment
    )
    during = describe(sm, "ic")
    assert during["InferenceComponentStatus"] == "Updating"
    assert during["Specification"]["Container"]["DeployedImage"]["SpecifiedImage"] == IMAGE
    done = wait_status(sm, "ic", "InService")
    assert done["Specification"]["Container"]["DeployedImage"]["SpecifiedImage"] == new_image
    assert done["Specification"]["ComputeResourceRequirements"]["MinMemoryRequiredInMb"] == 2048
    assert done["LastDeploymentConfig"] == deployment
    assert done["LastModifiedTime"] > during["LastModifiedTime"]


def test_update_needs_specification_or_runtime_config(sm: Any) -> None:
    endpoint(sm)
    component(sm, "ic")
    wait_status(sm, "ic", "InService")
    deployment = {
        "RollingUpdatePolicy": {"MaximumBatchSize": {"Type": "COPY_COUNT", "Value": 1}, "WaitIntervalInSeconds": 0}
    }
    error = error_of(lambda: sm.update_inference_component(InferenceComponentName="ic", DeploymentConfig=deployment))
    assert error["Code"] == "ValidationException"
    assert "Specification, Specifications or RuntimeConfig" in error["Message"]
    assert status(sm, "ic") == "InService"
    sm.update_inference_component(InferenceComponentName="ic", RuntimeConfig={"CopyCount": 2})
    done = wait_status(sm, "ic", "InService")
    assert done["RuntimeConfig"] == {"DesiredCopyCount": 2, "CurrentCopyCount": 2}


def test_runtime_config_steps_copies_up_and_down(sm: Any) -> None:
    endpoint(sm, instance_type="ml.m5.24xlarge")
    component(sm, "ic", copies=1)
    wait_status(sm, "ic", "InService")
    sm.update_inference_component_runtime_config(InferenceComponentName="ic", DesiredRuntimeConfig={"CopyCount": 5})
    during = describe(sm, "ic")
    assert during["InferenceComponentStatus"] == "Updating"
    assert during["RuntimeConfig"]["DesiredCopyCount"] == 5
    seen = set()

    def reached() -> bool:
        d = describe(sm, "ic")
        seen.add(d["RuntimeConfig"]["CurrentCopyCount"])
        return bool(d["InferenceComponentStatus"] == "InService")

    wait_for(reached, sm)
    assert describe(sm, "ic")["RuntimeConfig"] == {"DesiredCopyCount": 5, "CurrentCopyCount": 5}
    assert len(seen) >= 2  # copies arrived in steps, not all at once
    sm.update_inference_component_runtime_config(InferenceComponentName="ic", DesiredRuntimeConfig={"CopyCount": 0})
    done = wait_status(sm, "ic", "InService")
    assert done["RuntimeConfig"] == {"DesiredCopyCount": 0, "CurrentCopyCount": 0}


def test_delete_goes_through_deleting_then_not_found(sm: Any, admin: Admin) -> None:
    endpoint(sm)
    component(sm, "ic")
    wait_status(sm, "ic", "InService")
    slow(admin)
    assert sm.delete_inference_component(InferenceComponentName="ic")["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert status(sm, "ic") == "Deleting"
    error = error_of(lambda: sm.delete_inference_component(InferenceComponentName="ic"))
    assert error["Code"] == "ValidationException" and "DELETE_IN_PROGRESS" in error["Message"]
    # The name stays taken while Deleting.
    error = error_of(lambda: component(sm, "ic"))
    assert error["Message"] == f'Cannot create already existing inference component "{arn("ic")}".'
    slow(admin, 0.001)
    wait_gone(sm, "ic")
    assert sm.list_inference_components()["InferenceComponents"] == []
    component(sm, "ic")  # the name is free again
    wait_status(sm, "ic", "InService")


# -- errors -----------------------------------------------------------------------------------
def test_not_found_everywhere(sm: Any) -> None:
    message = f'Could not find inference component "{arn("Nope")}".'
    assert "inference-component/nope" in message
    calls = [
        lambda: sm.describe_inference_component(InferenceComponentName="Nope"),
        lambda: sm.update_inference_component(InferenceComponentName="Nope", RuntimeConfig={"CopyCount": 1}),
        lambda: sm.update_inference_component_runtime_config(
            InferenceComponentName="Nope", DesiredRuntimeConfig={"CopyCount": 1}
        ),
        lambda: sm.delete_inference_component(InferenceComponentName="Nope"),
    ]
    for call in calls:
        assert error_of(call) == {"Code": "ValidationException", "Message": message}


def test_already_exists_also_while_failed(sm: Any, admin: Admin) -> None:
    endpoint(sm)
    admin.post("fail", {"kind": "inference-component", "name": "ic", "reason": "boom"})
    component(sm, "IC")
    failed = wait_status(sm, "IC", "Failed")
    assert failed["FailureReason"] == "boom"
    assert failed["RuntimeConfig"]["CurrentCopyCount"] == 0
    error = error_of(lambda: component(sm, "ic"))
    assert error == {
        "Code": "ValidationException",
        "Message": f'Cannot create already existing inference component "{arn("ic")}".',
    }


def test_endpoint_errors(sm: Any) -> None:
    error = error_of(lambda: component(sm, "ic", ep="Missing"))
    assert error == {"Code": "ValidationException", "Message": f'Could not find endpoint "{PREFIX}:endpoint/missing".'}
    sm.create_model(ModelName="m", ExecutionRoleArn=ROLE, PrimaryContainer={"Image": IMAGE})
    endpoint(sm, name="classic", model="m")
    error = error_of(lambda: component(sm, "ic", ep="classic"))
    assert error == {
        "Code": "ValidationException",
        "Message": "Invalid request provided: Inference Components are not supported in this Endpoint. "
        "Please make sure this endpoint can deploy inference components.",
    }
    endpoint(sm, name="slow", wait=False)
    error = error_of(lambda: component(sm, "ic", ep="slow"))
    assert error["Code"] == "ValidationException"
    assert error["Message"] == f'Cannot create inference component on in-progress endpoint "{PREFIX}:endpoint/slow".'
    wait_for(lambda: sm.describe_endpoint(EndpointName="slow")["EndpointStatus"] == "InService", sm)
    error = error_of(lambda: component(sm, "ic", ep="slow", variant="Other"))
    assert error == {
        "Code": "ValidationException",
        "Message": f'Could not find production variant "Other" in endpoint "{PREFIX}:endpoint/slow".',
    }
    assert sm.list_inference_components()["InferenceComponents"] == []


def test_failed_endpoint_refuses_components(sm: Any, admin: Admin) -> None:
    endpoint(sm)
    code, _ = oob(admin, "fail-endpoint", {"name": "ep", "reason": "broken"})
    assert code == 200
    error = error_of(lambda: component(sm, "ic"))
    assert error == {
        "Code": "ValidationException",
        "Message": f'Cannot create inference component on endpoint "{PREFIX}:endpoint/ep" in Failed status.',
    }


def test_copy_count_zero_rejected_on_create(sm: Any) -> None:
    endpoint(sm)
    error = error_of(lambda: component(sm, "ic", copies=0))
    assert error == {
        "Code": "ValidationException",
        "Message": "1 validation error detected: Value '0' at 'runtimeConfig.copyCount' failed to satisfy "
        "constraint: Member must have value greater than or equal to 1",
    }


def test_create_request_checks(sm: Any) -> None:
    endpoint(sm)
    error = error_of(
        lambda: sm.create_inference_component(
            InferenceComponentName="ic", EndpointName="ep", RuntimeConfig={"CopyCount": 1}
        )
    )
    assert error["Code"] == "ValidationException" and "Specification or Specifications" in error["Message"]
    error = error_of(
        lambda: sm.create_inference_component(
            InferenceComponentName="ic", EndpointName="ep", Specification=spec(), VariantName="AllTraffic"
        )
    )
    assert error["Code"] == "ValidationException" and "RuntimeConfig must be specified" in error["Message"]
    no_compute = spec()
    del no_compute["ComputeResourceRequirements"]
    error = error_of(lambda: component(sm, "ic", specification=no_compute))
    assert error["Code"] == "ValidationException" and "ComputeResourceRequirements" in error["Message"]


def test_update_and_delete_refused_while_in_progress(sm: Any) -> None:
    endpoint(sm)
    component(sm, "ic")
    in_progress = f'Cannot update in-progress inference component "{arn("ic")}".'
    for call in (
        lambda: sm.update_inference_component(InferenceComponentName="ic", RuntimeConfig={"CopyCount": 2}),
        lambda: sm.update_inference_component_runtime_config(
            InferenceComponentName="ic", DesiredRuntimeConfig={"CopyCount": 2}
        ),
        lambda: sm.delete_inference_component(InferenceComponentName="ic"),
    ):
        assert status(sm, "ic") == "Creating"
        assert error_of(call) == {"Code": "ValidationException", "Message": in_progress}
    wait_status(sm, "ic", "InService")
    sm.update_inference_component(InferenceComponentName="ic", Specification=spec(mem=2048))
    assert status(sm, "ic") == "Updating"
    assert error_of(lambda: sm.delete_inference_component(InferenceComponentName="ic"))["Message"] == in_progress
    error = error_of(
        lambda: sm.update_inference_component_runtime_config(
            InferenceComponentName="ic", DesiredRuntimeConfig={"CopyCount": 3}
        )
    )
    assert error["Message"] == in_progress
    wait_status(sm, "ic", "InService")


# -- capacity and failures ------------------------------------------------------------------
def test_capacity_error_on_create(sm: Any) -> None:
    endpoint(sm, instance_type="ml.g5.2xlarge", count=1)  # one GPU
    component(sm, "big", copies=2, acc=1)
    failed = wait_status(sm, "big", "Failed")
    assert "CapacityError" in failed["FailureReason"]
    assert "Unable to place 2 copies" in failed["FailureReason"]
    assert failed["RuntimeConfig"] == {"DesiredCopyCount": 2, "CurrentCopyCount": 0}
    # A failed component holds nothing: one copy fits now.
    component(sm, "small", copies=1, acc=1)
    wait_status(sm, "small", "InService")


def test_first_placed_wins_the_room(sm: Any) -> None:
    endpoint(sm, instance_type="ml.g5.2xlarge", count=1)
    component(sm, "first", acc=1)
    component(sm, "second", acc=1)
    assert wait_status(sm, "first", "InService")["RuntimeConfig"]["CurrentCopyCount"] == 1
    assert "CapacityError" in wait_status(sm, "second", "Failed")["FailureReason"]


def test_copies_spread_over_instances_but_never_span_one(sm: Any) -> None:
    # ml.m5.xlarge: 4 vCPU / 16 GiB each; 3-vCPU copies fit one per instance.
    endpoint(sm, instance_type="ml.m5.xlarge", count=2)
    component(sm, "ic", copies=2, cpu=3, mem=4096)
    wait_status(sm, "ic", "InService")
    component(sm, "more", copies=1, cpu=2, mem=1024)
    assert "CapacityError" in wait_status(sm, "more", "Failed")["FailureReason"]


def test_capacity_error_on_scale_up_rolls_back(sm: Any) -> None:
    endpoint(sm, instance_type="ml.g5.12xlarge", count=1)  # four GPUs
    component(sm, "ic", copies=2, acc=1)
    wait_status(sm, "ic", "InService")
    sm.update_inference_component_runtime_config(InferenceComponentName="ic", DesiredRuntimeConfig={"CopyCount": 6})
    assert describe(sm, "ic")["RuntimeConfig"]["DesiredCopyCount"] == 6
    rolled = wait_for(lambda: (d := describe(sm, "ic")).get("FailureReason") and d, sm)
    assert rolled["InferenceComponentStatus"] == "InService"
    assert "CapacityError" in rolled["FailureReason"]
    assert rolled["RuntimeConfig"] == {"DesiredCopyCount": 2, "CurrentCopyCount": 2}
    # A later successful change works, and the old FailureReason stays.
    sm.update_inference_component_runtime_config(InferenceComponentName="ic", DesiredRuntimeConfig={"CopyCount": 4})
    done = wait_status(sm, "ic", "InService")
    assert done["RuntimeConfig"] == {"DesiredCopyCount": 4, "CurrentCopyCount": 4}
    assert "CapacityError" in done["FailureReason"]


def test_capacity_error_on_spec_update_rolls_back(sm: Any) -> None:
    endpoint(sm, instance_type="ml.m5.large", count=1)  # 2 vCPU, 8 GiB
    component(sm, "ic", copies=1, cpu=1, mem=1024)
    wait_status(sm, "ic", "InService")
    sm.update_inference_component(InferenceComponentName="ic", Specification=spec(cpu=1, mem=64 * 1024))
    assert status(sm, "ic") == "Updating"
    rolled = wait_for(lambda: (d := describe(sm, "ic")).get("FailureReason") and d, sm)
    assert rolled["InferenceComponentStatus"] == "InService"
    assert "CapacityError" in rolled["FailureReason"]
    assert rolled["Specification"]["ComputeResourceRequirements"]["MinMemoryRequiredInMb"] == 1024
    assert rolled["RuntimeConfig"] == {"DesiredCopyCount": 1, "CurrentCopyCount": 1}


def test_forced_failure_of_create_and_of_update(sm: Any, admin: Admin) -> None:
    endpoint(sm)
    admin.post("fail", {"kind": "inference-component", "name": "ic", "reason": "ModelError: container crashed"})
    component(sm, "ic")
    assert wait_status(sm, "ic", "Failed")["FailureReason"] == "ModelError: container crashed"
    sm.delete_inference_component(InferenceComponentName="ic")
    wait_gone(sm, "ic")
    component(sm, "ic")  # the forced failure was consumed: a retry succeeds
    wait_status(sm, "ic", "InService")
    admin.post("fail", {"kind": "inference-component", "name": "ic", "reason": "update broke"})
    sm.update_inference_component(InferenceComponentName="ic", Specification=spec(mem=2048))
    rolled = wait_for(lambda: (d := describe(sm, "ic")).get("FailureReason") and d, sm)
    assert rolled["InferenceComponentStatus"] == "InService"
    assert rolled["FailureReason"] == "update broke"
    assert rolled["Specification"]["ComputeResourceRequirements"]["MinMemoryRequiredInMb"] == 1024
    # Forced failure of a copy-count change rolls back too.
    admin.post("fail", {"kind": "inference-component", "name": "ic", "reason": "scale broke"})
    sm.update_inference_component_runtime_config(InferenceComponentName="ic", DesiredRuntimeConfig={"CopyCount": 2})
    rolled = wait_for(lambda: (d := describe(sm, "ic")).get("FailureReason") == "scale broke" and d, sm)
    assert rolled["InferenceComponentStatus"] == "InService"
    assert rolled["RuntimeConfig"] == {"DesiredCopyCount": 1, "CurrentCopyCount": 1}


def test_failed_component_can_be_updated_back_into_service(sm: Any, admin: Admin) -> None:
    endpoint(sm)
    admin.post("fail", {"kind": "inference-component", "name": "ic"})
    component(sm, "ic")
    wait_status(sm, "ic", "Failed")
    sm.update_inference_component(InferenceComponentName="ic", Specification=spec(), RuntimeConfig={"CopyCount": 1})
    assert status(sm, "ic") == "Updating"
    done = wait_status(sm, "ic", "InService")
    assert done["RuntimeConfig"] == {"DesiredCopyCount": 1, "CurrentCopyCount": 1}


# -- adapters ---------------------------------------------------------------------------------
def adapter(sm: Any, name: str, base: str, ep: str = "ep", **extra: Any) -> None:
    sm.create_inference_component(
        InferenceComponentName=name,
        EndpointName=ep,
        Specification={"BaseInferenceComponentName": base, "Container": {"ArtifactUrl": f"s3://b/{name}/"}},
        **extra,
    )


def test_adapters(sm: Any) -> None:
    endpoint(sm)
    component(sm, "base", acc=1)
    wait_status(sm, "base", "InService")
    adapter(sm, "lora", "base")
    done = wait_status(sm, "lora", "InService")
    assert done["Specification"]["BaseInferenceComponentName"] == "base"
    assert done["Specification"]["Container"] == {"ArtifactUrl": "s3://b/lora/"}
    assert done["VariantName"] == "AllTraffic"
    assert "RuntimeConfig" not in done
    error = error_of(lambda: sm.delete_inference_component(InferenceComponentName="base"))
    assert error["Code"] == "ValidationException"
    assert "is a base inference component for one or more associated" in error["Message"]
    assert arn("base") in error["Message"]
    error = error_of(
        lambda: sm.update_inference_component_runtime_config(
            InferenceComponentName="lora", DesiredRuntimeConfig={"CopyCount": 2}
        )
    )
    assert error["Code"] == "ValidationException" and "adapter" in error["Message"]
    sm.delete_inference_component(InferenceComponentName="lora")
    wait_gone(sm, "lora")
    sm.delete_inference_component(InferenceComponentName="base")
    wait_gone(sm, "base")


def adapter_fn(sm: Any, name: str, base: str, **extra: Any) -> Any:
    return lambda: adapter(sm, name, base, **extra)


def test_adapter_errors(sm: Any) -> None:
    endpoint(sm)
    endpoint(sm, name="ep2")
    component(sm, "base", acc=1)
    wait_status(sm, "base", "InService")
    error = error_of(adapter_fn(sm, "a", "missing"))
    assert error == {
        "Code": "ValidationException",
        "Message": f'Could not find inference component "{arn("missing")}".',
    }
    error = error_of(lambda: adapter(sm, "a", "base", ep="ep2"))
    assert error["Code"] == "ValidationException" and "is not hosted on endpoint" in error["Message"]
    error = error_of(adapter_fn(sm, "a", "base", RuntimeConfig={"CopyCount": 1}))
    assert error["Code"] == "ValidationException" and "RuntimeConfig" in error["Message"]
    with_compute = {
        "BaseInferenceComponentName": "base",
        "ComputeResourceRequirements": {"MinMemoryRequiredInMb": 1024},
    }
    error = error_of(
        lambda: sm.create_inference_component(InferenceComponentName="a", EndpointName="ep", Specification=with_compute)
    )
    assert error["Code"] == "ValidationException" and "ComputeResourceRequirements" in error["Message"]


# -- lists ------------------------------------------------------------------------------------
def test_list_filters_sorting_and_pagination(sm: Any, admin: Admin) -> None:
    endpoint(sm, name="ep-a", instance_type="ml.m5.24xlarge", variants=("One", "Two"))
    endpoint(sm, name="ep-b", instance_type="ml.m5.24xlarge")
    names = []
    for i in range(25):
        name = f"ic-{i:02d}" if i % 5 else f"special-{i:02d}"
        if i < 15:
            component(sm, name, ep="ep-a", variant="One" if i % 2 else "Two", cpu=0.5, mem=512)
        else:
            component(sm, name, ep="ep-b", cpu=0.5, mem=512)
        names.append(name)
    wait_for(lambda: all(s["InferenceComponentStatus"] == "InService" for s in _all(sm)), sm)
    everything = _all(sm)
    assert len(everything) == 25
    # Default: CreationTime, Descending.
    assert [s["InferenceComponentName"] for s in everything] == names[::-1]
    assert set(everything[0]) == {
        "CreationTime",
        "InferenceComponentArn",
        "InferenceComponentName",
        "EndpointArn",
        "EndpointName",
        "VariantName",
        "InferenceComponentStatus",
        "LastModifiedTime",
    }
    page = sm.list_inference_components(MaxResults=10, SortBy="Name", SortOrder="Ascending")
    assert [s["InferenceComponentName"] for s in page["InferenceComponents"]] == sorted(names)[:10]
    page2 = sm.list_inference_components(
        MaxResults=10, SortBy="Name", SortOrder="Ascending", NextToken=page["NextToken"]
    )
    assert [s["InferenceComponentName"] for s in page2["InferenceComponents"]] == sorted(names)[10:20]
    descending = sm.list_inference_components(MaxResults=100, SortBy="Name", SortOrder="Descending")
    assert [s["InferenceComponentName"] for s in descending["InferenceComponents"]] == sorted(names, reverse=True)
    assert "NextToken" not in descending
    assert len(sm.list_inference_components()["InferenceComponents"]) == 10  # default page size
    assert {s["InferenceComponentName"] for s in _all(sm, NameContains="SPECIAL")} == {
        n for n in names if n.startswith("special")
    }
    assert len(_all(sm, EndpointNameEquals="ep-b")) == 10
    assert {s["VariantName"] for s in _all(sm, EndpointNameEquals="ep-a", VariantNameEquals="One")} == {"One"}
    assert len(_all(sm, VariantNameEquals="One")) == 7
    # Status filter and sort.
    slow(admin)
    sm.delete_inference_component(InferenceComponentName="ic-01")
    sm.update_inference_component_runtime_config(InferenceComponentName="ic-02", DesiredRuntimeConfig={"CopyCount": 2})
    assert [s["InferenceComponentName"] for s in _all(sm, StatusEquals="Deleting")] == ["ic-01"]
    assert [s["InferenceComponentName"] for s in _all(sm, StatusEquals="Updating")] == ["ic-02"]
    by_status = [s["InferenceComponentStatus"] for s in _all(sm, SortBy="Status", SortOrder="Ascending")]
    assert by_status == sorted(by_status) and by_status[0] == "Deleting"
    slow(admin, 0.001)
    # Time filters.
    pivot = describe(sm, names[12])["CreationTime"]
    before = _all(sm, CreationTimeBefore=pivot)
    after = _all(sm, CreationTimeAfter=pivot)
    assert {s["InferenceComponentName"] for s in before} == set(names[:12])
    assert {s["InferenceComponentName"] for s in after} == set(names[13:])
    changed = _all(sm, LastModifiedTimeAfter=describe(sm, "ic-02")["LastModifiedTime"] - datetime.timedelta(0, 0.0005))
    assert "ic-02" in {s["InferenceComponentName"] for s in changed}
    assert len(_all(sm, LastModifiedTimeBefore=datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC))) == 0
    # The paginator walks it all (ic-01 is gone by now).
    wait_gone(sm, "ic-01")
    paginator = sm.get_paginator("list_inference_components")
    walked = [s for p in paginator.paginate(PaginationConfig={"PageSize": 7}) for s in p["InferenceComponents"]]
    assert sorted(s["InferenceComponentName"] for s in walked) == sorted(set(names) - {"ic-01"})


def _all(sm: Any, **filters: Any) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = sm.list_inference_components(MaxResults=100, **filters)["InferenceComponents"]
    return result


# -- tags, endpoints --------------------------------------------------------------------------
def test_tags_on_component_arn(sm: Any) -> None:
    endpoint(sm)
    created = sm.create_inference_component(
        InferenceComponentName="ic",
        EndpointName="ep",
        Specification=spec(),
        RuntimeConfig={"CopyCount": 1},
        Tags=[{"Key": "team", "Value": "ml"}],
    )["InferenceComponentArn"]
    assert sm.list_tags(ResourceArn=created)["Tags"] == [{"Key": "team", "Value": "ml"}]
    sm.add_tags(ResourceArn=created, Tags=[{"Key": "env", "Value": "dev"}])
    assert {t["Key"] for t in sm.list_tags(ResourceArn=created)["Tags"]} == {"team", "env"}
    untagged = component(sm, "bare")
    assert sm.list_tags(ResourceArn=untagged)["Tags"] == []
    wait_status(sm, "ic", "InService")
    sm.delete_inference_component(InferenceComponentName="ic")
    wait_gone(sm, "ic")
    assert error_of(lambda: sm.list_tags(ResourceArn=created))["Code"] == "ValidationException"


def test_endpoint_delete_waits_for_components(sm: Any) -> None:
    endpoint(sm)
    component(sm, "ic")
    wait_status(sm, "ic", "InService")
    error = error_of(lambda: sm.delete_endpoint(EndpointName="ep"))
    assert error["Message"].startswith("Cannot delete endpoint with inference component associated.")
    sm.delete_inference_component(InferenceComponentName="ic")
    wait_gone(sm, "ic")
    sm.delete_endpoint(EndpointName="ep")


# -- out-of-band actions ---------------------------------------------------------------------
def test_oob_set_copy_count_like_autoscaling(sm: Any, admin: Admin) -> None:
    endpoint(sm, instance_type="ml.m5.24xlarge")
    component(sm, "ic")
    wait_status(sm, "ic", "InService")
    code, body = oob(admin, "set-ic-copy-count", {"name": "ic", "copyCount": 3})
    assert code == 200 and body["InferenceComponentStatus"] == "Updating"
    assert body["RuntimeConfig"]["DesiredCopyCount"] == 3
    assert wait_status(sm, "ic", "InService")["RuntimeConfig"] == {"DesiredCopyCount": 3, "CurrentCopyCount": 3}
    # Autoscaling goes through the API's rules: not while in progress.
    oob(admin, "set-ic-copy-count", {"name": "ic", "copyCount": 4})
    code, body = oob(admin, "set-ic-copy-count", {"name": "ic", "copyCount": 5})
    assert code == 400 and body["__type"] == "ValidationException" and "in-progress" in body["message"]
    code, body = oob(admin, "set-ic-copy-count", {"name": "nope", "copyCount": 1})
    assert code == 400 and body["message"] == f'Could not find inference component "{arn("nope")}".'


def test_oob_update_spec_like_the_console(sm: Any, admin: Admin) -> None:
    endpoint(sm)
    component(sm, "ic")
    wait_status(sm, "ic", "InService")
    code, body = oob(
        admin,
        "update-ic-spec",
        {"name": "ic", "specification": {"Container": {"Environment": {"NEW": "1"}}}},
    )
    assert code == 200 and body["InferenceComponentStatus"] == "Updating"
    done = wait_status(sm, "ic", "InService")
    container = done["Specification"]["Container"]
    assert container["Environment"] == {"K": "v", "NEW": "1"}  # maps merge key by key
    assert container["DeployedImage"]["SpecifiedImage"] == IMAGE  # the rest of the spec is kept
    assert done["Specification"]["ComputeResourceRequirements"]["MinMemoryRequiredInMb"] == 1024


def test_oob_fail_and_delete(sm: Any, admin: Admin) -> None:
    endpoint(sm)
    component(sm, "a")
    component(sm, "b")
    wait_status(sm, "a", "InService")
    wait_status(sm, "b", "InService")
    code, body = oob(admin, "fail-ic", {"name": "a", "reason": "OOM: container killed"})
    assert code == 200
    failed = describe(sm, "a")
    assert failed["InferenceComponentStatus"] == "Failed"
    assert failed["FailureReason"] == "OOM: container killed"
    assert failed["RuntimeConfig"]["CurrentCopyCount"] == 0
    code, body = oob(admin, "delete-ic", {"name": "a"})
    assert code == 200 and body["InferenceComponentStatus"] == "Deleting"
    wait_gone(sm, "a")
    code, _ = oob(admin, "delete-ic", {"name": "b", "immediate": True})
    assert code == 200
    error = error_of(lambda: describe(sm, "b"))
    assert error["Message"] == f'Could not find inference component "{arn("b")}".'
    sm.delete_endpoint(EndpointName="ep")  # nothing attached any more


def test_other_region(emulator: Any) -> None:
    from .conftest import client

    sm = client(emulator.url, region="eu-central-1")
    endpoint(sm)
    created = component(sm, "ic")
    assert created == "arn:aws:sagemaker:eu-central-1:123456789012:inference-component/ic"
    assert wait_status(sm, "ic", "InService")["EndpointArn"].startswith("arn:aws:sagemaker:eu-central-1:")
