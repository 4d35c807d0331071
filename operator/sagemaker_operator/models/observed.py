"""SageMaker Describe structures mirrored into the CRs' status, in lowerCamelCase.

Members follow botocore's output shapes; values are unconstrained (see StatusModel) and
timestamps are RFC 3339 strings.
"""

from __future__ import annotations

from pydantic import Field

from .base import StatusModel


class DeployedImage(StatusModel):
    """Gets the Amazon EC2 Container Registry path of the docker image of the model that is hosted in this
    ProductionVariant .
    """

    specified_image: str | None = Field(
        None,
        alias="specifiedImage",
        description="The image path you specified when you created the model.",
    )
    resolved_image: str | None = Field(
        None,
        alias="resolvedImage",
        description="The specific digest path of the image hosted in this ProductionVariant .",
    )
    resolution_time: str | None = Field(
        None,
        alias="resolutionTime",
        description="The date and time when the image path for the model resolved to the ResolvedImage",
    )


class MetricsEndpoint(StatusModel):
    """Specifies a metrics endpoint for a container, including the path where the container exposes
    Prometheus-formatted metrics and the frequency at which to publish them to Amazon CloudWatch.
    """

    metrics_endpoint_path: str | None = Field(
        None,
        alias="metricsEndpointPath",
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


class ContainerMetricsConfig(StatusModel):
    """The container metrics scraping configuration for this inference component, including the metrics
    endpoint path and publishing frequency.
    """

    metrics_endpoints: list[MetricsEndpoint] | None = Field(
        None,
        alias="metricsEndpoints",
        description=(
            "A list of metrics endpoints to scrape from the container. Each endpoint specifies "
            "the path where the container exposes Prometheus-formatted metrics and the frequency "
            "at which to publish them."
        ),
    )


class InferenceComponentContainerSpecificationSummary(StatusModel):
    """Details about the container that provides the runtime environment for the model that is deployed
    with the inference component.
    """

    deployed_image: DeployedImage | None = Field(
        None,
        alias="deployedImage",
        description=(
            "Gets the Amazon EC2 Container Registry path of the docker image of the model that is"
            " hosted in this ProductionVariant ."
        ),
    )
    artifact_url: str | None = Field(
        None,
        alias="artifactUrl",
        description="The Amazon S3 path where the model artifacts are stored.",
    )
    environment: dict[str, str] | None = Field(
        None,
        alias="environment",
        description="The environment variables to set in the Docker container.",
    )
    container_metrics_config: ContainerMetricsConfig | None = Field(
        None,
        alias="containerMetricsConfig",
        description=(
            "The container metrics scraping configuration for this inference component, including"
            " the metrics endpoint path and publishing frequency."
        ),
    )


class InferenceComponentStartupParameters(StatusModel):
    """Settings that take effect while the model container starts up."""

    model_data_download_timeout_in_seconds: int | None = Field(
        None,
        alias="modelDataDownloadTimeoutInSeconds",
        description=(
            "The timeout value, in seconds, to download and extract the model that you want to "
            "host from Amazon S3 to the individual inference instance associated with this "
            "inference component."
        ),
    )
    container_startup_health_check_timeout_in_seconds: int | None = Field(
        None,
        alias="containerStartupHealthCheckTimeoutInSeconds",
        description=(
            "The timeout value, in seconds, for your inference container to pass health check by "
            "Amazon S3 Hosting. For more information about health check, see How Your Container "
            "Should Respond to Health Check (Ping) Requests ."
        ),
    )


class InferenceComponentComputeResourceRequirements(StatusModel):
    """The compute resources allocated to run the model, plus any adapter models, that you assign to the
    inference component.
    """

    number_of_cpu_cores_required: float | None = Field(
        None,
        alias="numberOfCpuCoresRequired",
        description=("The number of CPU cores to allocate to run a model that you assign to an inference component."),
    )
    number_of_accelerator_devices_required: float | None = Field(
        None,
        alias="numberOfAcceleratorDevicesRequired",
        description=(
            "The number of accelerators to allocate to run a model that you assign to an "
            "inference component. Accelerators include GPUs and Amazon Web Services Inferentia."
        ),
    )
    min_memory_required_in_mb: int | None = Field(
        None,
        alias="minMemoryRequiredInMb",
        description=("The minimum MB of memory to allocate to run a model that you assign to an inference component."),
    )
    max_memory_required_in_mb: int | None = Field(
        None,
        alias="maxMemoryRequiredInMb",
        description=("The maximum MB of memory to allocate to run a model that you assign to an inference component."),
    )
    accelerator_partition_type: str | None = Field(
        None,
        alias="acceleratorPartitionType",
        description=(
            "The accelerator partition profile this inference component occupies; on NVIDIA GPUs "
            "this is a Multi-Instance GPU (MIG) profile such as mig-3g.40gb ."
        ),
    )


class InferenceComponentDataCacheConfigSummary(StatusModel):
    """Settings that affect how the inference component caches data."""

    enable_caching: bool | None = Field(
        None,
        alias="enableCaching",
        description=(
            "Indicates whether the inference component caches model artifacts as part of the auto scaling process."
        ),
    )


class InferenceComponentAvailabilityZoneBalance(StatusModel):
    """Configuration for balancing inference component copies across Availability Zones."""

    enforcement_mode: str | None = Field(
        None,
        alias="enforcementMode",
        description="Determines how strictly the Availability Zone balance constraint is enforced.",
    )
    max_imbalance: int | None = Field(
        None,
        alias="maxImbalance",
        description=(
            "The maximum allowed difference in the number of inference component copies between "
            "any two Availability Zones. This parameter applies only when the endpoint has "
            "instances across two or more Availability Zones."
        ),
    )


class InferenceComponentSchedulingConfig(StatusModel):
    """The scheduling configuration that determines how inference component copies are placed across
    available instances when copies are added or removed.
    """

    placement_strategy: str | None = Field(
        None,
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


class InferenceComponentSpecificationSummary(StatusModel):
    """Details about the resources that are deployed with this inference component."""

    instance_type: str | None = Field(
        None,
        alias="instanceType",
        description="The ML compute instance type associated with this inference component specification.",
    )
    model_name: str | None = Field(
        None,
        alias="modelName",
        description=("The name of the SageMaker AI model object that is deployed with the inference component."),
    )
    container: InferenceComponentContainerSpecificationSummary | None = Field(
        None,
        alias="container",
        description=(
            "Details about the container that provides the runtime environment for the model that"
            " is deployed with the inference component."
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
            "assign to the inference component."
        ),
    )
    base_inference_component_name: str | None = Field(
        None,
        alias="baseInferenceComponentName",
        description="The name of the base inference component that contains this inference component.",
    )
    data_cache_config: InferenceComponentDataCacheConfigSummary | None = Field(
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


class InferenceComponentPlacementStatus(StatusModel):
    """The placement status of an inference component on a specific instance type. Shows the number of
    inference component copies currently placed on instances of a given type.
    """

    instance_type: str | None = Field(
        None,
        alias="instanceType",
        description="The ML compute instance type where the inference component copies are placed.",
    )
    current_copy_count: int | None = Field(
        None,
        alias="currentCopyCount",
        description="The number of inference component copies currently placed on instances of this type.",
    )


class InferenceComponentRuntimeConfigSummary(StatusModel):
    """Details about the runtime settings for the model that is deployed with the inference component."""

    desired_copy_count: int | None = Field(
        None,
        alias="desiredCopyCount",
        description=(
            "The number of runtime copies of the model container that you requested to deploy "
            "with the inference component."
        ),
    )
    current_copy_count: int | None = Field(
        None,
        alias="currentCopyCount",
        description="The number of runtime copies of the model container that are currently deployed.",
    )
    placement_status: list[InferenceComponentPlacementStatus] | None = Field(
        None,
        alias="placementStatus",
        description=(
            "The placement status of the inference component across instance types. Shows how the"
            " inference component copies are distributed across instance types."
        ),
    )


class InferenceComponentCapacitySize(StatusModel):
    """The batch size for each rolling step in the deployment process. For each step, SageMaker AI
    provisions capacity on the new endpoint fleet, routes traffic to that fleet, and terminates capacity
    on the old endpoint fleet.
    """

    type: str | None = Field(
        None,
        alias="type",
        description=(
            "Specifies the endpoint capacity type. COPY_COUNT The endpoint activates based on the"
            " number of inference component copies."
        ),
    )
    value: int | None = Field(
        None,
        alias="value",
        description=(
            "Defines the capacity size, either as a number of inference component copies or a capacity percentage."
        ),
    )


class InferenceComponentRollingUpdatePolicy(StatusModel):
    """Specifies a rolling deployment strategy for updating a SageMaker AI endpoint."""

    maximum_batch_size: InferenceComponentCapacitySize | None = Field(
        None,
        alias="maximumBatchSize",
        description=(
            "The batch size for each rolling step in the deployment process. For each step, "
            "SageMaker AI provisions capacity on the new endpoint fleet, routes traffic to that "
            "fleet, and terminates capacity on the old endpoint fleet."
        ),
    )
    wait_interval_in_seconds: int | None = Field(
        None,
        alias="waitIntervalInSeconds",
        description=(
            "The length of the baking period, during which SageMaker AI monitors alarms for each "
            "batch on the new fleet."
        ),
    )
    maximum_execution_timeout_in_seconds: int | None = Field(
        None,
        alias="maximumExecutionTimeoutInSeconds",
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


class Alarm(StatusModel):
    """An Amazon CloudWatch alarm configured to monitor metrics on an endpoint."""

    alarm_name: str | None = Field(
        None,
        alias="alarmName",
        description="The name of a CloudWatch alarm in your account.",
    )


class AutoRollbackConfig(StatusModel):
    """Automatic rollback configuration for handling endpoint deployment failures and recovery."""

    alarms: list[Alarm] | None = Field(
        None,
        alias="alarms",
        description=(
            "List of CloudWatch alarms in your account that are configured to monitor metrics on "
            "an endpoint. If any alarms are tripped during a deployment, SageMaker rolls back the"
            " deployment."
        ),
    )


class InferenceComponentDeploymentConfig(StatusModel):
    """The deployment configuration for an endpoint that hosts inference components. The configuration
    includes the desired deployment strategy and rollback settings.
    """

    rolling_update_policy: InferenceComponentRollingUpdatePolicy | None = Field(
        None,
        alias="rollingUpdatePolicy",
        description="Specifies a rolling deployment strategy for updating a SageMaker AI endpoint.",
    )
    auto_rollback_configuration: AutoRollbackConfig | None = Field(
        None,
        alias="autoRollbackConfiguration",
        description=("Automatic rollback configuration for handling endpoint deployment failures and recovery."),
    )


class InferenceExperimentSchedule(StatusModel):
    """The start and end times of an inference experiment. The maximum duration that you can set for an
    inference experiment is 30 days.
    """

    start_time: str | None = Field(
        None,
        alias="startTime",
        description="The timestamp at which the inference experiment started or will start.",
    )
    end_time: str | None = Field(
        None,
        alias="endTime",
        description="The timestamp at which the inference experiment ended or will end.",
    )


class EndpointMetadata(StatusModel):
    """The metadata of the endpoint."""

    endpoint_name: str | None = Field(
        None,
        alias="endpointName",
        description="The name of the endpoint.",
    )
    endpoint_config_name: str | None = Field(
        None,
        alias="endpointConfigName",
        description="The name of the endpoint configuration.",
    )
    endpoint_status: str | None = Field(
        None,
        alias="endpointStatus",
        description=(
            "The status of the endpoint. For possible values of the status of an endpoint, see EndpointSummary ."
        ),
    )
    failure_reason: str | None = Field(
        None,
        alias="failureReason",
        description=(
            "If the status of the endpoint is Failed , or the status is InService but update "
            "operation fails, this provides the reason why it failed."
        ),
    )


class RealTimeInferenceConfig(StatusModel):
    """The infrastructure configuration for deploying the model to real-time inference."""

    instance_type: str | None = Field(
        None,
        alias="instanceType",
        description="The instance type the model is deployed to.",
    )
    instance_count: int | None = Field(
        None,
        alias="instanceCount",
        description="The number of instances of the type specified by InstanceType .",
    )


class ModelInfrastructureConfig(StatusModel):
    """The configuration of the infrastructure that the model has been deployed to."""

    infrastructure_type: str | None = Field(
        None,
        alias="infrastructureType",
        description=(
            "The inference option to which to deploy your model. Possible values are the "
            "following: RealTime : Deploy to real-time inference."
        ),
    )
    real_time_inference_config: RealTimeInferenceConfig | None = Field(
        None,
        alias="realTimeInferenceConfig",
        description="The infrastructure configuration for deploying the model to real-time inference.",
    )


class ModelVariantConfigSummary(StatusModel):
    """Summary of the deployment configuration of a model."""

    model_name: str | None = Field(
        None,
        alias="modelName",
        description="The name of the Amazon SageMaker Model entity.",
    )
    variant_name: str | None = Field(
        None,
        alias="variantName",
        description="The name of the variant.",
    )
    infrastructure_config: ModelInfrastructureConfig | None = Field(
        None,
        alias="infrastructureConfig",
        description="The configuration of the infrastructure that the model has been deployed to.",
    )
    status: str | None = Field(
        None,
        alias="status",
        description=(
            "The status of deployment for the model variant on the hosted inference endpoint. "
            "Creating - Amazon SageMaker is preparing the model variant on the hosted inference "
            "endpoint."
        ),
    )


class CaptureContentTypeHeader(StatusModel):
    """Configuration specifying how to treat different headers. If no headers are specified Amazon
    SageMaker AI will by default base64 encode when capturing the data.
    """

    csv_content_types: list[str] | None = Field(
        None,
        alias="csvContentTypes",
        description=(
            "The list of all content type headers that Amazon SageMaker AI will treat as CSV and capture accordingly."
        ),
    )
    json_content_types: list[str] | None = Field(
        None,
        alias="jsonContentTypes",
        description=(
            "The list of all content type headers that SageMaker AI will treat as JSON and capture accordingly."
        ),
    )


class InferenceExperimentDataStorageConfig(StatusModel):
    """The Amazon S3 location and configuration for storing inference request and response data."""

    destination: str | None = Field(
        None,
        alias="destination",
        description="The Amazon S3 bucket where the inference request and response data is stored.",
    )
    kms_key: str | None = Field(
        None,
        alias="kmsKey",
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


class ShadowModelVariantConfig(StatusModel):
    """The name and sampling percentage of a shadow variant."""

    shadow_model_variant_name: str | None = Field(
        None,
        alias="shadowModelVariantName",
        description="The name of the shadow variant.",
    )
    sampling_percentage: int | None = Field(
        None,
        alias="samplingPercentage",
        description=(
            "The percentage of inference requests that Amazon SageMaker replicates from the "
            "production variant to the shadow variant."
        ),
    )


class ShadowModeConfig(StatusModel):
    """The configuration of ShadowMode inference experiment type, which specifies a production variant to
    take all the inference requests, and a shadow variant to which Amazon SageMaker replicates a
    percentage of the inference requests.
    """

    source_model_variant_name: str | None = Field(
        None,
        alias="sourceModelVariantName",
        description="The name of the production variant, which takes all the inference requests.",
    )
    shadow_model_variants: list[ShadowModelVariantConfig] | None = Field(
        None,
        alias="shadowModelVariants",
        description="List of shadow variant configurations.",
    )
