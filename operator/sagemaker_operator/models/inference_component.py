"""The InferenceComponent custom resource: spec (CreateInferenceComponent's input) and status."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.config import JsonDict

from .. import shapes
from .base import Condition, DeletionPolicy, SpecModel, StatusModel, Tag, aws_pattern
from .observed import (
    InferenceComponentDeploymentConfig as ObservedDeploymentConfig,
)
from .observed import (
    InferenceComponentRuntimeConfigSummary,
    InferenceComponentSpecificationSummary,
)
from .sagemaker import InferenceComponentDeploymentConfig, InferenceComponentSpecification

KIND = "InferenceComponent"
PLURAL = "inferencecomponents"

# Used when runtimeConfig.copyCount is omitted: SageMaker needs a count at creation (and rejects 0),
# afterwards Application Auto Scaling owns it.
INITIAL_COPY_COUNT = 1

_NAME_PATTERN = aws_pattern("[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?")
_ENDPOINT_PATTERN = aws_pattern("[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}")


def _immutable(field: str) -> JsonDict:
    """CEL transition rule: an optional field can be neither set, unset nor changed after creation."""
    return {
        "rule": f"(!has(oldSelf.{field}) && !has(self.{field})) || "
        f"(has(oldSelf.{field}) && has(self.{field}) && self.{field} == oldSelf.{field})",
        "message": f"{field} is immutable",
    }


class InferenceComponentRuntimeConfig(SpecModel):
    """Runtime settings for the model deployed with the inference component."""

    copy_count: int | None = Field(
        None,
        alias="copyCount",
        ge=0,
        description=(
            "The number of runtime copies of the model container to deploy. Omit it to create the "
            "component with 1 copy and leave the count to Application Auto Scaling; set it to "
            "have the operator enforce it."
        ),
    )


class InferenceComponentSpec(SpecModel):
    """Desired state of a SageMaker inference component (CreateInferenceComponent's input)."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                _immutable("inferenceComponentName"),
                _immutable("endpointName"),
                _immutable("variantName"),
                {
                    # AWS docs: "You can use either this parameter or the singular Specification
                    # parameter, but not both."
                    "rule": "!(has(self.specification) && has(self.specifications))",
                    "message": "specification and specifications are mutually exclusive",
                },
                {
                    # AWS docs on InstanceType: "Required when using the Specifications parameter
                    # with multiple entries."
                    "rule": "!has(self.specifications) || size(self.specifications) < 2 || "
                    "self.specifications.all(s, has(s.instanceType))",
                    "message": "specifications[].instanceType is required when specifications has more than one entry",
                },
            ]
        }
    )

    inference_component_name: str | None = Field(
        None,
        alias="inferenceComponentName",
        max_length=63,
        pattern=_NAME_PATTERN,
        description=(
            "A unique name to assign to the inference component in SageMaker. Defaults to metadata.name. Immutable."
        ),
    )
    endpoint_name: str = Field(
        alias="endpointName",
        max_length=63,
        pattern=_ENDPOINT_PATTERN,
        description="The name of an existing endpoint where you host the inference component. Immutable.",
    )
    variant_name: str | None = Field(
        None,
        alias="variantName",
        max_length=63,
        pattern=_ENDPOINT_PATTERN,
        description=("The name of an existing production variant where you host the inference component. Immutable."),
    )
    specification: InferenceComponentSpecification | None = Field(
        None,
        alias="specification",
        description=(
            "Details about the resources to deploy with this inference component, including the "
            "model, container, and compute resources."
        ),
    )
    specifications: list[InferenceComponentSpecification] | None = Field(
        None,
        alias="specifications",
        min_length=1,
        max_length=5,
        description=(
            "A list of specification objects for the inference component, one per instance type. "
            "Use either this or specification, not both."
        ),
    )
    runtime_config: InferenceComponentRuntimeConfig | None = Field(
        None,
        alias="runtimeConfig",
        description="Runtime settings for a model that is deployed with an inference component.",
    )
    deployment_config: InferenceComponentDeploymentConfig | None = Field(
        None,
        alias="deploymentConfig",
        description=(
            "The deployment strategy and rollback settings used when the operator updates the "
            "component (UpdateInferenceComponent's DeploymentConfig)."
        ),
    )
    tags: list[Tag] | None = Field(
        None,
        alias="tags",
        max_length=50,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["key"]},
        description="Tags applied to the inference component when it is created.",
    )
    region: str | None = Field(
        None,
        alias="region",
        max_length=32,
        pattern=r"^[a-z]{2}(-[a-z]+)+-[0-9]+$",
        description="AWS region of the endpoint; defaults to the operator's region.",
    )
    deletion_policy: DeletionPolicy = Field(
        "Delete",
        alias="deletionPolicy",
        description=(
            "Delete removes the SageMaker inference component when this resource is deleted; Retain leaves it running."
        ),
    )
    adopt_existing: bool = Field(
        False,
        alias="adoptExisting",
        description=(
            "Adopt an existing SageMaker inference component of the same name that the operator did "
            "not create (not tagged as ours). Without it such a component is reported as a conflict."
        ),
    )

    @model_validator(mode="after")
    def _one_specification_form(self) -> InferenceComponentSpec:
        if self.specification is not None and self.specifications is not None:
            raise ValueError("specification and specifications are mutually exclusive")
        if self.specifications and len(self.specifications) > 1:
            for i, spec in enumerate(self.specifications):
                if spec.instance_type is None:
                    raise ValueError(
                        f"specifications[{i}].instanceType is required when specifications has more than one entry"
                    )
        return self

    # --- requests -------------------------------------------------------------------------
    def name_for(self, metadata_name: str) -> str:
        """The SageMaker name: spec.inferenceComponentName, else metadata.name."""
        return self.inference_component_name or metadata_name

    def _camel(self, *fields: str) -> dict[str, Any]:
        dumped: dict[str, Any] = self.model_dump(by_alias=True, exclude_none=True, mode="json")
        return {k: dumped[k] for k in fields if k in dumped}

    def create_request(self, name: str, tags: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Keyword arguments for boto3's create_inference_component.

        `tags` (e.g. the ownership tags) are added to spec.tags and win on a key clash. Without
        spec.runtimeConfig.copyCount the component starts with INITIAL_COPY_COUNT copies; so does
        copyCount 0, which SageMaker rejects at creation (the reconciler scales to 0 afterwards
        with runtime_config_request). Adapters get no RuntimeConfig unless copyCount is set: they
        run inside the base component's copies.
        """
        camel = self._camel("endpointName", "variantName", "specification", "specifications")
        camel["inferenceComponentName"] = name
        if self.desired_copy_count or not self.is_adapter:
            camel["runtimeConfig"] = {"copyCount": self.desired_copy_count or INITIAL_COPY_COUNT}
        merged = _merge_tags(self.tags, tags)
        if merged:
            camel["tags"] = merged
        return shapes.to_request("CreateInferenceComponent", camel)

    def update_request(self, name: str, *, include_copy_count: bool = True) -> dict[str, Any]:
        """Keyword arguments for boto3's update_inference_component.

        Carries the specification(s), runtimeConfig when copyCount is enforced (and
        include_copy_count), and deploymentConfig when given.
        """
        camel = self._camel("specification", "specifications", "deploymentConfig")
        camel["inferenceComponentName"] = name
        if include_copy_count and self.desired_copy_count is not None:
            camel["runtimeConfig"] = {"copyCount": self.desired_copy_count}
        return shapes.to_request("UpdateInferenceComponent", camel)

    def runtime_config_request(self, name: str, copy_count: int | None = None) -> dict[str, Any]:
        """Keyword arguments for boto3's update_inference_component_runtime_config."""
        count = copy_count if copy_count is not None else self.desired_copy_count
        if count is None:
            raise ValueError("runtimeConfig.copyCount is not set: the copy count is left to autoscaling")
        camel = {"inferenceComponentName": name, "desiredRuntimeConfig": {"copyCount": count}}
        return shapes.to_request("UpdateInferenceComponentRuntimeConfig", camel)

    @property
    def is_adapter(self) -> bool:
        """True for an adapter component (its specification names a base component)."""
        return self.base_component_name is not None

    @property
    def base_component_name(self) -> str | None:
        """The base component an adapter runs on (None for a regular component)."""
        specs = [self.specification] if self.specification else list(self.specifications or [])
        return next((s.base_inference_component_name for s in specs if s.base_inference_component_name), None)

    @property
    def desired_copy_count(self) -> int | None:
        """The enforced copy count, or None when Application Auto Scaling owns it."""
        return self.runtime_config.copy_count if self.runtime_config else None


def _merge_tags(spec_tags: list[Tag] | None, extra: Mapping[str, str] | None) -> list[dict[str, str]]:
    merged = {t.key: t.value for t in spec_tags or []}
    merged.update(extra or {})
    return [{"key": k, "value": v} for k, v in merged.items()]


class EndpointSummary(StatusModel):
    """The endpoint hosting the component, from DescribeEndpoint."""

    name: str | None = Field(None, alias="name", description="The endpoint name.")
    arn: str | None = Field(None, alias="arn", description="The endpoint ARN.")
    status: str | None = Field(None, alias="status", description="The endpoint status (EndpointStatus).")
    failure_reason: str | None = Field(None, alias="failureReason", description="Why the endpoint failed, if it did.")


class InferenceComponentStatus(StatusModel):
    """Observed state: conditions plus DescribeInferenceComponent's output in lowerCamelCase."""

    conditions: list[Condition] | None = Field(
        None,
        alias="conditions",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
        description="Ready (and other) conditions of the resource.",
    )
    observed_generation: int | None = Field(
        None, alias="observedGeneration", description="The metadata.generation last reconciled."
    )
    inference_component_name: str | None = Field(
        None, alias="inferenceComponentName", description="The name of the inference component."
    )
    inference_component_arn: str | None = Field(
        None, alias="inferenceComponentArn", description="The ARN of the inference component."
    )
    endpoint_name: str | None = Field(
        None, alias="endpointName", description="The name of the endpoint that hosts the inference component."
    )
    endpoint_arn: str | None = Field(
        None, alias="endpointArn", description="The ARN of the endpoint that hosts the inference component."
    )
    variant_name: str | None = Field(
        None, alias="variantName", description="The production variant that hosts the inference component."
    )
    failure_reason: str | None = Field(
        None,
        alias="failureReason",
        description="If the inference component status is Failed (or an update rolled back), the reason.",
    )
    specification: InferenceComponentSpecificationSummary | None = Field(
        None,
        alias="specification",
        description="Details about the resources that are deployed with this inference component.",
    )
    specifications: list[InferenceComponentSpecificationSummary] | None = Field(
        None,
        alias="specifications",
        description="Specification summaries, one per instance type, when created with specifications.",
    )
    runtime_config: InferenceComponentRuntimeConfigSummary | None = Field(
        None, alias="runtimeConfig", description="Desired and current copy counts."
    )
    creation_time: str | None = Field(
        None,
        alias="creationTime",
        json_schema_extra={"format": "date-time"},
        description="When the inference component was created (RFC 3339).",
    )
    last_modified_time: str | None = Field(
        None,
        alias="lastModifiedTime",
        json_schema_extra={"format": "date-time"},
        description="When the inference component was last updated (RFC 3339).",
    )
    inference_component_status: str | None = Field(
        None,
        alias="inferenceComponentStatus",
        description="SageMaker's status: Creating, InService, Updating, Failed or Deleting.",
    )
    last_deployment_config: ObservedDeploymentConfig | None = Field(
        None,
        alias="lastDeploymentConfig",
        description="The deployment and rollback settings of the last update.",
    )
    endpoint: EndpointSummary | None = Field(
        None, alias="endpoint", description="The hosting endpoint, from DescribeEndpoint."
    )
    # The operator's bookkeeping (see reconcile/inference_component.py), kept in status so it
    # survives restarts.
    failed_generation: int | None = Field(
        None,
        alias="failedGeneration",
        description="The generation whose create or update SageMaker rejected or rolled back; it is not "
        "retried until the spec changes.",
    )
    failure_message: str | None = Field(
        None, alias="failureMessage", description="Why failedGeneration failed (SageMaker's message)."
    )
    applied_spec_hash: str | None = Field(
        None, alias="appliedSpecHash", description="Hash of the specification SageMaker last accepted."
    )
    managed_tag_keys: list[str] | None = Field(
        None,
        alias="managedTagKeys",
        description="The spec.tags keys last applied (a key removed from spec.tags is removed from SageMaker).",
    )
    pending_update: dict[str, Any] | None = Field(
        None,
        alias="pendingUpdate",
        json_schema_extra={"x-kubernetes-preserve-unknown-fields": True},
        description="The create or update in flight: kind, generation and target.",
    )


class InferenceComponent(BaseModel):
    """An Amazon SageMaker inference component (a model deployed with its own compute on an endpoint),
    managed by the sagemaker-inference-operator.
    """

    # Without spec.inferenceComponentName the SageMaker name is metadata.name, which must then be one.
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "has(self.spec.inferenceComponentName) || (size(self.metadata.name) <= 63 && "
                    "self.metadata.name.matches('^[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?$'))",
                    "message": "metadata.name is not a valid SageMaker inference component name: "
                    "set spec.inferenceComponentName",
                }
            ]
        },
    )

    @model_validator(mode="after")
    def _name_is_valid(self) -> InferenceComponent:
        name = self.metadata.get("name")
        if self.spec.inference_component_name is not None or not isinstance(name, str):
            return self
        if len(name) > 63 or not re.fullmatch(r"[a-zA-Z0-9]([-a-zA-Z0-9]*[a-zA-Z0-9])?", name):
            raise ValueError(
                f"metadata.name {name!r} is not a valid SageMaker inference component name: "
                "set spec.inferenceComponentName"
            )
        return self

    api_version: Literal["sagemaker.inference-operator.dev/v1alpha1"] = Field(
        "sagemaker.inference-operator.dev/v1alpha1", alias="apiVersion"
    )
    kind: Literal["InferenceComponent"] = Field("InferenceComponent", alias="kind")
    metadata: dict[str, Any] = Field(default_factory=dict, alias="metadata")
    spec: InferenceComponentSpec = Field(alias="spec")
    status: InferenceComponentStatus | None = Field(None, alias="status")
