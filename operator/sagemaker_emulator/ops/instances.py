"""Instance types, and what an endpoint offers to inference components.

Public helpers for other ops modules (records follow the convention in backend.py):

- ``endpoint_capacity(state, endpoint_name) -> list[VariantCapacity]``: per production variant,
  the instance type, how many instances it runs, and each instance's vCPUs / memory / accelerators.
- ``ic_capable(state, endpoint_name) -> bool``: whether the endpoint can host inference components.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..backend import RegionState


@dataclass(frozen=True)
class InstanceSpec:
    vcpus: int
    memory_mib: int
    accelerators: int = 0  # GPUs, or Neuron devices for inf/trn


_GIB = 1024

# (vCPUs, memory GiB, accelerators) of the instance types people deploy endpoints on.
_TABLE: dict[str, tuple[int, int, int]] = {
    "ml.t2.medium": (2, 4, 0),
    "ml.t2.large": (2, 8, 0),
    "ml.t2.xlarge": (4, 16, 0),
    "ml.t2.2xlarge": (8, 32, 0),
    "ml.m5.large": (2, 8, 0),
    "ml.m5.xlarge": (4, 16, 0),
    "ml.m5.2xlarge": (8, 32, 0),
    "ml.m5.4xlarge": (16, 64, 0),
    "ml.m5.12xlarge": (48, 192, 0),
    "ml.m5.24xlarge": (96, 384, 0),
    "ml.c5.large": (2, 4, 0),
    "ml.c5.xlarge": (4, 8, 0),
    "ml.c5.2xlarge": (8, 16, 0),
    "ml.c5.4xlarge": (16, 32, 0),
    "ml.c5.9xlarge": (36, 72, 0),
    "ml.c5.18xlarge": (72, 144, 0),
    "ml.g4dn.xlarge": (4, 16, 1),
    "ml.g4dn.2xlarge": (8, 32, 1),
    "ml.g4dn.4xlarge": (16, 64, 1),
    "ml.g4dn.8xlarge": (32, 128, 1),
    "ml.g4dn.12xlarge": (48, 192, 4),
    "ml.g4dn.16xlarge": (64, 256, 1),
    "ml.g5.xlarge": (4, 16, 1),
    "ml.g5.2xlarge": (8, 32, 1),
    "ml.g5.4xlarge": (16, 64, 1),
    "ml.g5.8xlarge": (32, 128, 1),
    "ml.g5.12xlarge": (48, 192, 4),
    "ml.g5.16xlarge": (64, 256, 1),
    "ml.g5.24xlarge": (96, 384, 4),
    "ml.g5.48xlarge": (192, 768, 8),
    "ml.g6.xlarge": (4, 16, 1),
    "ml.g6.2xlarge": (8, 32, 1),
    "ml.g6.4xlarge": (16, 64, 1),
    "ml.g6.8xlarge": (32, 128, 1),
    "ml.g6.12xlarge": (48, 192, 4),
    "ml.g6.16xlarge": (64, 256, 1),
    "ml.g6.24xlarge": (96, 384, 4),
    "ml.g6.48xlarge": (192, 768, 8),
    "ml.p4d.24xlarge": (96, 1152, 8),
    "ml.p4de.24xlarge": (96, 1152, 8),
    "ml.p5.48xlarge": (192, 2048, 8),
    "ml.inf2.xlarge": (4, 16, 1),
    "ml.inf2.8xlarge": (32, 128, 1),
    "ml.inf2.24xlarge": (96, 384, 6),
    "ml.inf2.48xlarge": (192, 768, 12),
}
INSTANCE_TYPES: dict[str, InstanceSpec] = {
    name: InstanceSpec(vcpus, gib * _GIB, acc) for name, (vcpus, gib, acc) in _TABLE.items()
}

_SIZE = re.compile(r"^ml\.(?P<family>[a-z0-9-]+)\.(?P<mult>\d*)(?P<size>medium|large|xlarge|metal)$")
_ACCELERATED = re.compile(r"^(g\d|p\d|inf\d|trn\d)")


def instance_spec(instance_type: str) -> InstanceSpec:
    """The instance's resources; unknown types are guessed from the size (4 vCPU/16 GiB per xlarge)."""
    known = INSTANCE_TYPES.get(instance_type)
    if known is not None:
        return known
    match = _SIZE.match(instance_type)
    if match is None:
        return InstanceSpec(4, 16 * _GIB, 0)
    size = match["size"]
    if size == "medium":
        vcpus = 1
    elif size == "large":
        vcpus = 2
    else:
        vcpus = 4 * int(match["mult"] or 1)
    accelerators = 1 if _ACCELERATED.match(match["family"]) else 0
    return InstanceSpec(vcpus, vcpus * 4 * _GIB, accelerators)


@dataclass(frozen=True)
class VariantCapacity:
    variant_name: str
    instance_type: str
    instance_count: int
    vcpus: int  # per instance
    memory_mib: int  # per instance
    accelerators: int  # per instance
    managed_max_instance_count: int | None = None  # ManagedInstanceScaling.MaxInstanceCount when enabled


def _endpoint(state: RegionState, endpoint_name: str) -> dict[str, Any] | None:
    record: dict[str, Any] | None = state.table("endpoint").get(endpoint_name.lower())
    return record


def endpoint_config_of(record: dict[str, Any]) -> dict[str, Any] | None:
    """The endpoint config the endpoint runs (or, until it first runs one, is deploying)."""
    config: dict[str, Any] | None = record.get("_config") or record.get("_pending")
    return config


def endpoint_capacity(state: RegionState, endpoint_name: str) -> list[VariantCapacity]:
    """Instances of each instance-backed production variant of the endpoint, as it runs now.

    Empty if the endpoint does not exist, is Deleting, or failed before it ever ran; serverless
    variants are left out. While the endpoint is first Creating, the config being deployed counts.
    """
    record = _endpoint(state, endpoint_name)
    if record is None or record["EndpointStatus"] == "Deleting":
        return []
    config = endpoint_config_of(record)
    if config is None or (record["EndpointStatus"] == "Failed" and not record.get("_config")):
        return []
    running = {v["VariantName"]: v for v in record.get("ProductionVariants", [])}
    result = []
    for variant in config.get("ProductionVariants", []):
        instance_type = variant.get("InstanceType")
        if not instance_type:
            continue
        summary = running.get(variant["VariantName"])
        count = (
            summary.get("CurrentInstanceCount", variant.get("InitialInstanceCount", 0))
            if summary is not None
            else variant.get("InitialInstanceCount", 0)
        )
        scaling = variant.get("ManagedInstanceScaling") or {}
        spec = instance_spec(instance_type)
        result.append(
            VariantCapacity(
                variant_name=variant["VariantName"],
                instance_type=instance_type,
                instance_count=int(count),
                vcpus=spec.vcpus,
                memory_mib=spec.memory_mib,
                accelerators=spec.accelerators,
                managed_max_instance_count=(
                    scaling.get("MaxInstanceCount") if scaling.get("Status") == "ENABLED" else None
                ),
            )
        )
    return result


def ic_capable(state: RegionState, endpoint_name: str) -> bool:
    """SageMaker's rule: production variants without ModelName, and the config has ExecutionRoleArn."""
    record = _endpoint(state, endpoint_name)
    if record is None:
        return False
    config = endpoint_config_of(record)
    if config is None or not config.get("ExecutionRoleArn"):
        return False
    variants = config.get("ProductionVariants", [])
    return bool(variants) and all(not v.get("ModelName") for v in variants)
