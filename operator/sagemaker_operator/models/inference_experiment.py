"""The InferenceExperiment custom resource: spec (CreateInferenceExperiment's input) and status."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from .. import shapes
from .base import Condition, DeletionPolicy, SpecModel, StatusModel, Tag, aws_pattern
from .inference_component import _immutable, _merge_tags
from .observed import (
    EndpointMetadata,
    ModelVariantConfigSummary,
)
from .observed import (
    InferenceExperimentDataStorageConfig as ObservedDataStorageConfig,
)
from .observed import (
    InferenceExperimentSchedule as ObservedSchedule,
)
from .observed import (
    ShadowModeConfig as ObservedShadowModeConfig,
)
from .sagemaker import (
    InferenceExperimentDataStorageConfig,
    InferenceExperimentSchedule,
    ModelVariantConfig,
    ShadowModeConfig,
)

KIND = "InferenceExperiment"
PLURAL = "inferenceexperiments"

ModelVariantAction = Literal["Promote", "Remove", "Retain"]
DesiredState = Literal["Running", "Completed", "Cancelled"]

VariantName = Annotated[str, Field(max_length=63, pattern=aws_pattern("[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?"))]


class InferenceExperimentSpec(SpecModel):
    """Desired state of a SageMaker inference experiment (CreateInferenceExperiment's input)."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                _immutable("name"),
                _immutable("type"),
                _immutable("roleArn"),
                _immutable("endpointName"),
                _immutable("kmsKey"),
                {
                    # ShadowModeConfig names variants of ModelVariants: the production one that
                    # takes all requests and the shadow one that receives a copy.
                    "rule": "self.modelVariants.exists(v, v.variantName == "
                    "self.shadowModeConfig.sourceModelVariantName) && "
                    "self.shadowModeConfig.shadowModelVariants.all(s, self.modelVariants.exists("
                    "v, v.variantName == s.shadowModelVariantName))",
                    "message": "shadowModeConfig must name variants listed in modelVariants",
                },
                {
                    "rule": "!has(self.modelVariantActions) || self.modelVariantActions.all(k, "
                    "self.modelVariants.exists(v, v.variantName == k))",
                    "message": "modelVariantActions keys must be variant names from modelVariants",
                },
            ]
        }
    )

    name: str | None = Field(
        None,
        alias="name",
        min_length=1,
        max_length=120,
        pattern=aws_pattern("[a-zA-Z0-9](-*[a-zA-Z0-9]){0,119}"),
        description="The name of the experiment in SageMaker. Defaults to metadata.name. Immutable.",
    )
    type: Literal["ShadowMode"] = Field(
        "ShadowMode",
        alias="type",
        description="The type of the inference experiment. ShadowMode validates a shadow variant. Immutable.",
    )
    schedule: InferenceExperimentSchedule | None = Field(
        None,
        alias="schedule",
        description=(
            "The duration for which you want the inference experiment to run. Without it the "
            "experiment starts on creation and ends after 7 days (30 days at most)."
        ),
    )
    description: str | None = Field(
        None,
        alias="description",
        max_length=1024,
        pattern=aws_pattern(".*"),
        description="A description for the inference experiment.",
    )
    role_arn: str = Field(
        alias="roleArn",
        min_length=20,
        max_length=2048,
        pattern=aws_pattern("arn:aws[a-z\\-]*:iam::\\d{12}:role/?[a-zA-Z_0-9+=,.@\\-_/]+"),
        description=(
            "The ARN of the IAM role that SageMaker can assume to access model artifacts and "
            "container images, and manage the endpoint. Immutable."
        ),
    )
    endpoint_name: str = Field(
        alias="endpointName",
        max_length=63,
        pattern=aws_pattern("[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}"),
        description="The name of the SageMaker endpoint on which to run the experiment. Immutable.",
    )
    model_variants: list[ModelVariantConfig] = Field(
        alias="modelVariants",
        min_length=1,
        max_length=2,
        description="The variants in the experiment: at most one production and one shadow variant.",
    )
    data_storage_config: InferenceExperimentDataStorageConfig | None = Field(
        None,
        alias="dataStorageConfig",
        description="The Amazon S3 location and configuration for capturing requests and responses.",
    )
    shadow_mode_config: ShadowModeConfig = Field(
        alias="shadowModeConfig",
        description="The production variant that takes all requests and the shadow variant that gets a copy.",
    )
    kms_key: str | None = Field(
        None,
        alias="kmsKey",
        max_length=2048,
        pattern=aws_pattern("[a-zA-Z0-9:/_-]*"),
        description=(
            "The KMS key SageMaker uses to encrypt data on the storage volume attached to the "
            "instances that host the endpoint. Immutable."
        ),
    )
    tags: list[Tag] | None = Field(
        None,
        alias="tags",
        max_length=50,
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["key"]},
        description="Tags applied to the inference experiment when it is created.",
    )
    desired_state: DesiredState = Field(
        "Running",
        alias="desiredState",
        description=(
            "Running runs the experiment on its schedule; Completed or Cancelled stops it "
            "(StopInferenceExperiment's DesiredState)."
        ),
    )
    model_variant_actions: dict[VariantName, ModelVariantAction] | None = Field(
        None,
        alias="modelVariantActions",
        min_length=1,
        max_length=2,
        description=(
            "What to do with each variant when the experiment is stopped: Promote (the shadow "
            "serves production), Remove or Retain. Variants left out are retained."
        ),
    )
    stop_reason: str | None = Field(
        None,
        alias="stopReason",
        max_length=1024,
        pattern=aws_pattern(".*"),
        description="The reason given to StopInferenceExperiment; it becomes status.statusReason.",
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
            "Delete stops (if running) and deletes the SageMaker experiment when this resource is "
            "deleted; Retain leaves it."
        ),
    )
    adopt_existing: bool = Field(
        False,
        alias="adoptExisting",
        description=(
            "Adopt an existing SageMaker inference experiment of the same name that the operator did "
            "not create (not tagged as ours). Without it such an experiment is reported as a conflict."
        ),
    )

    @model_validator(mode="after")
    def _variants_are_known(self) -> InferenceExperimentSpec:
        names = {v.variant_name for v in self.model_variants}
        shadow = self.shadow_mode_config
        referenced = [shadow.source_model_variant_name] + [
            s.shadow_model_variant_name for s in shadow.shadow_model_variants
        ]
        for ref in referenced:
            if ref not in names:
                raise ValueError(f"shadowModeConfig names variant {ref!r}, which is not in modelVariants")
        for key in self.model_variant_actions or {}:
            if key not in names:
                raise ValueError(f"modelVariantActions names variant {key!r}, which is not in modelVariants")
        return self

    # --- requests -------------------------------------------------------------------------
    def name_for(self, metadata_name: str) -> str:
        """The SageMaker name: spec.name, else metadata.name."""
        return self.name or metadata_name

    def _camel(self, *fields: str) -> dict[str, Any]:
        dumped: dict[str, Any] = self.model_dump(by_alias=True, exclude_none=True, mode="json")
        return {k: dumped[k] for k in fields if k in dumped}

    def create_request(self, name: str, tags: Mapping[str, str] | None = None) -> dict[str, Any]:
        """Keyword arguments for boto3's create_inference_experiment (`tags` win on a key clash)."""
        camel = self._camel(
            "type",
            "schedule",
            "description",
            "roleArn",
            "endpointName",
            "modelVariants",
            "dataStorageConfig",
            "shadowModeConfig",
            "kmsKey",
        )
        camel["name"] = name
        merged = _merge_tags(self.tags, tags)
        if merged:
            camel["tags"] = merged
        return shapes.to_request("CreateInferenceExperiment", camel)

    def update_request(self, name: str) -> dict[str, Any]:
        """Keyword arguments for boto3's update_inference_experiment.

        Carries every updatable member; SageMaker only accepts updates in Created or Running,
        and while Running only description, schedule end time and sampling percentage may change.
        """
        camel = self._camel("schedule", "description", "modelVariants", "dataStorageConfig", "shadowModeConfig")
        camel["name"] = name
        return shapes.to_request("UpdateInferenceExperiment", camel)

    def stop_request(self, name: str) -> dict[str, Any]:
        """Keyword arguments for boto3's stop_inference_experiment.

        Every variant gets an action (Retain unless modelVariantActions says otherwise);
        DesiredState is spec.desiredState when it is Completed or Cancelled, else Completed.
        """
        actions: dict[str, str] = {v.variant_name: "Retain" for v in self.model_variants}
        actions.update(self.model_variant_actions or {})
        camel: dict[str, Any] = {
            "name": name,
            "modelVariantActions": actions,
            "desiredState": self.desired_state if self.desired_state != "Running" else "Completed",
        }
        if self.stop_reason is not None:
            camel["reason"] = self.stop_reason
        return shapes.to_request("StopInferenceExperiment", camel)


class InferenceExperimentStatus(StatusModel):
    """Observed state: conditions plus DescribeInferenceExperiment's output in lowerCamelCase."""

    conditions: list[Condition] | None = Field(
        None,
        alias="conditions",
        json_schema_extra={"x-kubernetes-list-type": "map", "x-kubernetes-list-map-keys": ["type"]},
        description="Ready (and other) conditions of the resource.",
    )
    observed_generation: int | None = Field(
        None, alias="observedGeneration", description="The metadata.generation last reconciled."
    )
    arn: str | None = Field(None, alias="arn", description="The ARN of the inference experiment.")
    name: str | None = Field(None, alias="name", description="The name of the inference experiment.")
    type: str | None = Field(None, alias="type", description="The type of the inference experiment.")
    schedule: ObservedSchedule | None = Field(
        None, alias="schedule", description="The duration for which the experiment ran or will run."
    )
    status: str | None = Field(
        None,
        alias="status",
        description=(
            "SageMaker's status: Creating, Created, Updating, Starting, Running, Stopping, Completed or Cancelled."
        ),
    )
    status_reason: str | None = Field(
        None,
        alias="statusReason",
        description="The error message, or the Reason given to StopInferenceExperiment.",
    )
    description: str | None = Field(None, alias="description", description="The experiment's description.")
    creation_time: str | None = Field(
        None,
        alias="creationTime",
        json_schema_extra={"format": "date-time"},
        description="When the experiment was created (RFC 3339).",
    )
    completion_time: str | None = Field(
        None,
        alias="completionTime",
        json_schema_extra={"format": "date-time"},
        description="When the experiment completed (RFC 3339).",
    )
    last_modified_time: str | None = Field(
        None,
        alias="lastModifiedTime",
        json_schema_extra={"format": "date-time"},
        description="When the experiment was last modified (RFC 3339).",
    )
    role_arn: str | None = Field(None, alias="roleArn", description="The IAM role SageMaker assumes.")
    endpoint_metadata: EndpointMetadata | None = Field(
        None, alias="endpointMetadata", description="The endpoint on which the experiment ran."
    )
    model_variants: list[ModelVariantConfigSummary] | None = Field(
        None, alias="modelVariants", description="The experiment's variants, each with its status."
    )
    data_storage_config: ObservedDataStorageConfig | None = Field(
        None, alias="dataStorageConfig", description="Where captured requests and responses are stored."
    )
    shadow_mode_config: ObservedShadowModeConfig | None = Field(
        None, alias="shadowModeConfig", description="The production and shadow variants and the sampling."
    )
    kms_key: str | None = Field(None, alias="kmsKey", description="The KMS key for the storage volumes.")
    # The operator's bookkeeping (not from SageMaker).
    failed_generation: int | None = Field(
        None,
        alias="failedGeneration",
        description="The generation whose create, update, start or stop SageMaker rejected; it is not retried "
        "until the spec changes.",
    )
    failure_message: str | None = Field(
        None, alias="failureMessage", description="Why failedGeneration failed (SageMaker's message)."
    )
    managed_tag_keys: list[str] | None = Field(
        None,
        alias="managedTagKeys",
        description="The spec.tags keys last applied (a key removed from spec.tags is removed from SageMaker).",
    )


class InferenceExperiment(BaseModel):
    """An Amazon SageMaker inference experiment (a shadow test of a model variant on an endpoint), managed
    by the sagemaker-inference-operator.
    """

    # Without spec.name the SageMaker name is metadata.name, which must then be one.
    model_config = ConfigDict(
        extra="forbid",
        populate_by_name=True,
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "has(self.spec.name) || (size(self.metadata.name) <= 120 && "
                    "self.metadata.name.matches('^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,119}$'))",
                    "message": "metadata.name is not a valid SageMaker inference experiment name: set spec.name",
                }
            ]
        },
    )

    @model_validator(mode="after")
    def _name_is_valid(self) -> InferenceExperiment:
        name = self.metadata.get("name")
        if self.spec.name is not None or not isinstance(name, str):
            return self
        if len(name) > 120 or not re.fullmatch(r"[a-zA-Z0-9](-*[a-zA-Z0-9]){0,119}", name):
            raise ValueError(
                f"metadata.name {name!r} is not a valid SageMaker inference experiment name: set spec.name"
            )
        return self

    api_version: Literal["sagemaker.inference-operator.dev/v1alpha1"] = Field(
        "sagemaker.inference-operator.dev/v1alpha1", alias="apiVersion"
    )
    kind: Literal["InferenceExperiment"] = Field("InferenceExperiment", alias="kind")
    metadata: dict[str, Any] = Field(default_factory=dict, alias="metadata")
    spec: InferenceExperimentSpec = Field(alias="spec")
    status: InferenceExperimentStatus | None = Field(None, alias="status")
