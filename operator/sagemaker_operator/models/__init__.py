"""Pydantic models of the custom resources: the one source of truth for the CRDs."""

from .base import API_VERSION, GROUP, VERSION, Condition, Tag
from .inference_component import (
    InferenceComponent,
    InferenceComponentSpec,
    InferenceComponentStatus,
)
from .inference_experiment import (
    InferenceExperiment,
    InferenceExperimentSpec,
    InferenceExperimentStatus,
)

__all__ = [
    "API_VERSION",
    "GROUP",
    "VERSION",
    "Condition",
    "InferenceComponent",
    "InferenceComponentSpec",
    "InferenceComponentStatus",
    "InferenceExperiment",
    "InferenceExperimentSpec",
    "InferenceExperimentStatus",
    "Tag",
]
