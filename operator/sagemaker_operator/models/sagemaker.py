"""SageMaker request structures used inside the CRs' specs, in lowerCamelCase.

Members, required-ness, ranges, lengths, enums and patterns follow botocore's SageMaker service
model (tests/test_models_botocore.py checks both directions); descriptions are trimmed from the
AWS documentation in that model. Exceptions, each with its reason next to it:
- instance types are checked by pattern instead of botocore's enum (see base.py);
- patterns with look-ahead are rewritten without it (neither RE2, which the API server and CEL
  use, nor pydantic's Rust regex engine supports look-around).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, model_validator

from .base import INSTANCE_TYPE_PATTERN, SpecModel, aws_pattern


class MetricsEndpoint(SpecModel):
    """Specifies a metrics endpoint for a container, including the path where the container exposes
    Prometheus-formatted metrics and the frequency at which to publish them to Amazon CloudWatch.
    """

    metrics_endpoint_path: str = Field(
        alias="metricsEndpointPath",
        max_length=256,
        # botocore: /(?!.*\.\.)[a-zA-Z0-9/_.\-]+ ; the look-ahead (no "..") is dropped.
        pattern=aws_pattern("/[a-zA-Z0-9/_.\\-]+"),
        description=(
            "The path to the metrics endpoint exposed by the container. For example, /metrics or /server/metrics ."
        ),
    )
    metric_publish_frequency_in_seconds: int | None = Field(
        None,
        alias="metricPublishFrequencyInSeconds",
        description=(
            "The interval, in seconds, at which container metrics scraped from the endpoint are "
            "published to Amazon CloudWatch. Valid values: 10 , 30 , 60 , 120 , 180 , 240 , 300 ."
        ),
    )


class ContainerMetricsConfig(SpecModel):
    """The configuration for container metrics scraping. Specifies the metrics endpoint path and publishing
    frequency for the inference component's container.
    """

    metrics_endpoints: list[MetricsEndpoint] | None = Field(
        None,
        alias="metricsEndpoints",
        max_length=1,
        description=(
            "A list of metrics endpoints to scrape from the container. Each endpoint specifies "
            "the path where the container exposes Prometheus-formatted metrics and the frequency "
            "at which to publish them."
        ),
    )


class InferenceComponentContainerSpecification(SpecModel):
    """Defines a container that provides the runtime environment for a model that you deploy with an
    inference component.
    """

    image: str | None = Field(
        None,
        alias="image",
        max_length=255,
        pattern=aws_pattern("[\\S]+"),
        description=(
            "The Amazon Elastic Container Registry (Amazon ECR) path where the Docker image for the model is stored."
        ),
    )
    artifact_url: str | None = Field(
        None,
        alias="artifactUrl",
        max_length=1024,
        pattern=aws_pattern("(https|s3)://([^/]+)/?(.*)"),
        description=(
            "The Amazon S3 path where the model artifacts, which result from model training, are "
            "stored. This path must point to a single gzip compressed tar archive (.tar.gz "
            "suffix)."
        ),
    )
    environment: (
        dict[
            Annotated[str, Field(max_length=1024, pattern=aws_pattern("[a-zA-Z_][a-zA-Z0-9_]*"))],
            Annotated[str, Field(max_length=1024, pattern=aws_pattern("[\\S\\s]*"))],
        ]
        | None
    ) = Field(
        None,
        alias="environment",
        max_length=100,
        description=(
            "The environment variables to set in the Docker container. Each key and value in the "
            "Environment string-to-string map can have length of up to 1024."
        ),
    )
    container_metrics_config: ContainerMetricsConfig | None = Field(
        None,
        alias="containerMetricsConfig",
        description=(
            "The configuration for container metrics scraping. Specifies the metrics endpoint "
            "path and publishing frequency for the inference component's container."
        ),
    )


class InferenceComponentStartupParameters(SpecModel):
    """Settings that take effect while the model container starts up."""

    model_data_download_timeout_in_seconds: int | None = Field(
        None,
        alias="modelDataDownloadTimeoutInSeconds",
        ge=60,
        le=3600,
        description=(
            "The timeout value, in seconds, to download and extract the model that you want to "
            "host from Amazon S3 to the individual inference instance associated with this "
            "inference component."
        ),
    )
    container_startup_health_check_timeout_in_seconds: int | None = Field(
        None,
        alias="containerStartupHealthCheckTimeoutInSeconds",
        ge=60,
        le=3600,
        description=(
            "The timeout value, in seconds, for your inference container to pass health check by "
            "Amazon S3 Hosting. For more information about health check, see How Your Container "
            "Should Respond to Health Check (Ping) Requests ."
        ),
    )


class InferenceComponentComputeResourceRequirements(SpecModel):
    """The compute resources allocated to run the model, plus any adapter models, that you assign to the
    inference component. Omit this parameter if your request is meant to create an adapter inference
    component.
    """

    number_of_cpu_cores_required: float | None = Field(
        None,
        alias="numberOfCpuCoresRequired",
        ge=0.25,
        description=("The number of CPU cores to allocate to run a model that you assign to an inference component."),
    )
    number_of_accelerator_devices_required: float | None = Field(
        None,
        alias="numberOfAcceleratorDevicesRequired",
        ge=1,
        description=(
            "The number of accelerators to allocate to run a model that you assign to an "
            "inference component. Accelerators include GPUs and Amazon Web Services Inferentia."
        ),
    )
    min_memory_required_in_mb: int = Field(
        alias="minMemoryRequiredInMb",
        ge=128,
        description=("The minimum MB of memory to allocate to run a model that you assign to an inference component."),
    )
    max_memory_required_in_mb: int | None = Field(
        None,
        alias="maxMemoryRequiredInMb",
        ge=128,
        description=("The maximum MB of memory to allocate to run a model that you assign to an inference component."),
    )
    accelerator_partition_type: str | None = Field(
        None,
        alias="acceleratorPartitionType",
        max_length=32,
        pattern=aws_pattern("mig-[0-9]+g\\.[0-9]+gb([+-][a-z0-9.]+)*"),
        description=(
            "The accelerator partition profile this inference component occupies; on NVIDIA GPUs "
            "this is a Multi-Instance GPU (MIG) profile such as mig-3g.40gb ."
        ),
    )


class InferenceComponentDataCacheConfig(SpecModel):
    """Settings that affect how the inference component caches data."""

    enable_caching: bool = Field(
        alias="enableCaching",
        description=(
            "Sets whether the endpoint that hosts the inference component caches the model "
            "artifacts and container image."
        ),
    )


class InferenceComponentAvailabilityZoneBalance(SpecModel):
    """Configuration for balancing inference component copies across Availability Zones."""

    enforcement_mode: Literal["PERMISSIVE"] = Field(
        alias="enforcementMode",
        description="Determines how strictly the Availability Zone balance constraint is enforced.",
    )
    max_imbalance: int | None = Field(
        None,
        alias="maxImbalance",
        ge=0,
        le=100,
        description=(
            "The maximum allowed difference in the number of inference component copies between "
            "any two Availability Zones. This parameter applies only when the endpoint has "
            "instances across two or more Availability Zones."
        ),
    )


class InferenceComponentSchedulingConfig(SpecModel):
    """The scheduling configuration that determines how inference component copies are placed across
    available instances when copies are added or removed.
    """

    placement_strategy: Literal["SPREAD", "BINPACK"] = Field(
        alias="placementStrategy",
        description=(
            "The strategy for placing inference component copies across available instances. If "
            "you also set AvailabilityZoneBalance , this strategy applies to placement within "
            "each Availability Zone."
        ),
    )
    availability_zone_balance: InferenceComponentAvailabilityZoneBalance | None = Field(
        None,
        alias="availabilityZoneBalance",
        description="Configuration for balancing inference component copies across Availability Zones.",
    )


class InferenceComponentSpecification(SpecModel):
    """Details about the resources to deploy with this inference component, including the model, container,
    and compute resources.
    """

    # AWS docs on ComputeResourceRequirements: "Omit this parameter if your request is meant to
    # create an adapter inference component" (one with BaseInferenceComponentName).
    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    "rule": "!has(self.baseInferenceComponentName) || !has(self.computeResourceRequirements)",
                    "message": "computeResourceRequirements must be omitted for an adapter component "
                    "(baseInferenceComponentName is set): adapters use the base component's resources",
                }
            ]
        }
    )

    @model_validator(mode="after")
    def _adapter_has_no_compute(self) -> InferenceComponentSpecification:
        if self.base_inference_component_name is not None and self.compute_resource_requirements is not None:
            raise ValueError(
                "computeResourceRequirements must be omitted for an adapter component "
                "(baseInferenceComponentName is set)"
            )
        return self

    instance_type: str | None = Field(
        None,
        alias="instanceType",
        pattern=INSTANCE_TYPE_PATTERN,
        description=(
            "The ML compute instance type for the inference component specification. Specifies "
            "which instance type this specification applies to."
        ),
    )
    model_name: str | None = Field(
        None,
        alias="modelName",
        max_length=63,
        pattern=aws_pattern("[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?"),
        description=(
            "The name of an existing SageMaker AI model object in your account that you want to "
            "deploy with the inference component."
        ),
    )
    container: InferenceComponentContainerSpecification | None = Field(
        None,
        alias="container",
        description=(
            "Defines a container that provides the runtime environment for a model that you "
            "deploy with an inference component."
        ),
    )
    startup_parameters: InferenceComponentStartupParameters | None = Field(
        None,
        alias="startupParameters",
        description="Settings that take effect while the model container starts up.",
    )
    compute_resource_requirements: InferenceComponentComputeResourceRequirements | None = Field(
        None,
        alias="computeResourceRequirements",
        description=(
            "The compute resources allocated to run the model, plus any adapter models, that you "
            "assign to the inference component. Omit this parameter if your request is meant to "
            "create an adapter inference component."
        ),
    )
    base_inference_component_name: str | None = Field(
        None,
        alias="baseInferenceComponentName",
        max_length=63,
        pattern=aws_pattern("[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?"),
        description=(
            "The name of an existing inference component that is to contain the inference "
            "component that you're creating with your request."
        ),
    )
    data_cache_config: InferenceComponentDataCacheConfig | None = Field(
        None,
        alias="dataCacheConfig",
        description="Settings that affect how the inference component caches data.",
    )
    scheduling_config: InferenceComponentSchedulingConfig | None = Field(
        None,
        alias="schedulingConfig",
        description=(
            "The scheduling configuration that determines how inference component copies are "
            "placed across available instances when copies are added or removed."
        ),
    )


class InferenceComponentCapacitySize(SpecModel):
    """The batch size for each rolling step in the deployment process. For each step, SageMaker AI
    provisions capacity on the new endpoint fleet, routes traffic to that fleet, and terminates capacity
    on the old endpoint fleet.
    """

    type: Literal["COPY_COUNT", "CAPACITY_PERCENT"] = Field(
        alias="type",
        description=(
            "Specifies the endpoint capacity type. COPY_COUNT The endpoint activates based on the"
            " number of inference component copies."
        ),
    )
    value: int = Field(
        alias="value",
        ge=1,
        description=(
            "Defines the capacity size, either as a number of inference component copies or a capacity percentage."
        ),
    )


class InferenceComponentRollingUpdatePolicy(SpecModel):
    """Specifies a rolling deployment strategy for updating a SageMaker AI endpoint."""

    maximum_batch_size: InferenceComponentCapacitySize = Field(
        alias="maximumBatchSize",
        description=(
            "The batch size for each rolling step in the deployment process. For each step, "
            "SageMaker AI provisions capacity on the new endpoint fleet, routes traffic to that "
            "fleet, and terminates capacity on the old endpoint fleet."
        ),
    )
    wait_interval_in_seconds: int = Field(
        alias="waitIntervalInSeconds",
        ge=0,
        le=3600,
        description=(
            "The length of the baking period, during which SageMaker AI monitors alarms for each "
            "batch on the new fleet."
        ),
    )
    maximum_execution_timeout_in_seconds: int | None = Field(
        None,
        alias="maximumExecutionTimeoutInSeconds",
        ge=600,
        le=28800,
        description="The time limit for the total deployment. Exceeding this limit causes a timeout.",
    )
    rollback_maximum_batch_size: InferenceComponentCapacitySize | None = Field(
        None,
        alias="rollbackMaximumBatchSize",
        description=(
            "The batch size for a rollback to the old endpoint fleet. If this field is absent, "
            "the value is set to the default, which is 100% of the total capacity."
        ),
    )


class Alarm(SpecModel):
    """An Amazon CloudWatch alarm configured to monitor metrics on an endpoint."""

    alarm_name: str | None = Field(
        None,
        alias="alarmName",
        min_length=1,
        max_length=255,
        # botocore: (?!\s*$).+ (not blank), rewritten without the look-ahead.
        pattern=aws_pattern(".*\\S.*"),
        description="The name of a CloudWatch alarm in your account.",
    )


class AutoRollbackConfig(SpecModel):
    """Automatic rollback configuration for handling endpoint deployment failures and recovery."""

    alarms: list[Alarm] | None = Field(
        None,
        alias="alarms",
        min_length=1,
        max_length=10,
        description=(
            "List of CloudWatch alarms in your account that are configured to monitor metrics on "
            "an endpoint. If any alarms are tripped during a deployment, SageMaker rolls back the"
            " deployment."
        ),
    )


class InferenceComponentDeploymentConfig(SpecModel):
    """The deployment configuration for an endpoint that hosts inference components. The configuration
    includes the desired deployment strategy and rollback settings.
    """

    rolling_update_policy: InferenceComponentRollingUpdatePolicy = Field(
        alias="rollingUpdatePolicy",
        description="Specifies a rolling deployment strategy for updating a SageMaker AI endpoint.",
    )
    auto_rollback_configuration: AutoRollbackConfig | None = Field(
        None,
        alias="autoRollbackConfiguration",
        description=("Automatic rollback configuration for handling endpoint deployment failures and recovery."),
    )


class InferenceExperimentSchedule(SpecModel):
    """The start and end times of an inference experiment. The maximum duration that you can set for an
    inference experiment is 30 days.
    """

    start_time: datetime | None = Field(
        None,
        alias="startTime",
        description="The timestamp at which the inference experiment started or will start.",
    )
    end_time: datetime | None = Field(
        None,
        alias="endTime",
        description="The timestamp at which the inference experiment ended or will end.",
    )


class RealTimeInferenceConfig(SpecModel):
    """The infrastructure configuration for deploying the model to real-time inference."""

    instance_type: str = Field(
        alias="instanceType",
        pattern=INSTANCE_TYPE_PATTERN,
        description="The instance type the model is deployed to.",
    )
    instance_count: int = Field(
        alias="instanceCount",
        ge=0,
        description="The number of instances of the type specified by InstanceType .",
    )


class ModelInfrastructureConfig(SpecModel):
    """The configuration for the infrastructure that the model will be deployed to."""

    infrastructure_type: Literal["RealTimeInference"] = Field(
        alias="infrastructureType",
        description=(
            "The inference option to which to deploy your model. Possible values are the "
            "following: RealTime : Deploy to real-time inference."
        ),
    )
    real_time_inference_config: RealTimeInferenceConfig = Field(
        alias="realTimeInferenceConfig",
        description="The infrastructure configuration for deploying the model to real-time inference.",
    )


class ModelVariantConfig(SpecModel):
    """Contains information about the deployment options of a model."""

    model_name: str = Field(
        alias="modelName",
        max_length=63,
        pattern=aws_pattern("[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?"),
        description="The name of the Amazon SageMaker Model entity.",
    )
    variant_name: str = Field(
        alias="variantName",
        max_length=63,
        pattern=aws_pattern("[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?"),
        description="The name of the variant.",
    )
    infrastructure_config: ModelInfrastructureConfig = Field(
        alias="infrastructureConfig",
        description="The configuration for the infrastructure that the model will be deployed to.",
    )


class CaptureContentTypeHeader(SpecModel):
    """Configuration specifying how to treat different headers. If no headers are specified Amazon
    SageMaker AI will by default base64 encode when capturing the data.
    """

    csv_content_types: (
        list[
            Annotated[
                str,
                Field(
                    min_length=1,
                    max_length=256,
                    pattern=aws_pattern("[a-zA-Z0-9](-*[a-zA-Z0-9])*\\/[a-zA-Z0-9](-*[a-zA-Z0-9.])*"),
                ),
            ]
        ]
        | None
    ) = Field(
        None,
        alias="csvContentTypes",
        min_length=1,
        max_length=10,
        description=(
            "The list of all content type headers that Amazon SageMaker AI will treat as CSV and capture accordingly."
        ),
    )
    json_content_types: (
        list[
            Annotated[
                str,
                Field(
                    min_length=1,
                    max_length=256,
                    pattern=aws_pattern("[a-zA-Z0-9](-*[a-zA-Z0-9])*\\/[a-zA-Z0-9](-*[a-zA-Z0-9.])*"),
                ),
            ]
        ]
        | None
    ) = Field(
        None,
        alias="jsonContentTypes",
        min_length=1,
        max_length=10,
        description=(
            "The list of all content type headers that SageMaker AI will treat as JSON and capture accordingly."
        ),
    )


class InferenceExperimentDataStorageConfig(SpecModel):
    """The Amazon S3 location and configuration for storing inference request and response data."""

    destination: str = Field(
        alias="destination",
        max_length=512,
        pattern=aws_pattern("(https|s3)://([^/])/?(.*)"),
        description="The Amazon S3 bucket where the inference request and response data is stored.",
    )
    kms_key: str | None = Field(
        None,
        alias="kmsKey",
        max_length=2048,
        pattern=aws_pattern("[a-zA-Z0-9:/_-]*"),
        description=(
            "The Amazon Web Services Key Management Service key that Amazon SageMaker uses to "
            "encrypt captured data at rest using Amazon S3 server-side encryption."
        ),
    )
    content_type: CaptureContentTypeHeader | None = Field(
        None,
        alias="contentType",
        description=(
            "Configuration specifying how to treat different headers. If no headers are specified"
            " Amazon SageMaker AI will by default base64 encode when capturing the data."
        ),
    )


class ShadowModelVariantConfig(SpecModel):
    """The name and sampling percentage of a shadow variant."""

    shadow_model_variant_name: str = Field(
        alias="shadowModelVariantName",
        max_length=63,
        pattern=aws_pattern("[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?"),
        description="The name of the shadow variant.",
    )
    sampling_percentage: int = Field(
        alias="samplingPercentage",
        le=100,
        description=(
            "The percentage of inference requests that Amazon SageMaker replicates from the "
            "production variant to the shadow variant."
        ),
    )


class ShadowModeConfig(SpecModel):
    """The configuration of ShadowMode inference experiment type, which specifies a production variant to
    take all the inference requests, and a shadow variant to which Amazon SageMaker replicates a
    percentage of the inference requests.
    """

    source_model_variant_name: str = Field(
        alias="sourceModelVariantName",
        max_length=63,
        pattern=aws_pattern("[a-zA-Z0-9]([\\-a-zA-Z0-9]*[a-zA-Z0-9])?"),
        description="The name of the production variant, which takes all the inference requests.",
    )
    shadow_model_variants: list[ShadowModelVariantConfig] = Field(
        alias="shadowModelVariants",
        min_length=1,
        max_length=1,
        description="List of shadow variant configurations.",
    )
