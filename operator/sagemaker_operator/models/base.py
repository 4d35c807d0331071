"""Base classes and shared pieces of the custom resource models.

The pydantic models in this package are the one source of truth for the CRDs
(`sagemaker_operator.crdgen` renders them) and for the operator's view of a
resource. Python attributes are snake_case; every field carries an explicit
lowerCamelCase alias, which is the name in the manifest (SageMaker's member name
with its first letter lowered).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

GROUP = "sagemaker.inference-operator.dev"
VERSION = "v1alpha1"
API_VERSION = f"{GROUP}/{VERSION}"

# SageMaker lists ~280 instance types in an enum that grows every few months. A CRD enum
# would reject a new instance type until the operator is upgraded, so the schema checks the
# shape of the name instead (tests check that every botocore value matches this pattern).
INSTANCE_TYPE_PATTERN = r"^ml\.[a-z0-9-]+\.[a-z0-9]+$"


def aws_pattern(pattern: str) -> str:
    """Anchor a botocore pattern: SageMaker matches the whole value, JSON Schema searches."""
    return f"^(?:{pattern})$"


class SpecModel(BaseModel):
    """A piece of a CR's spec: unknown fields are errors, names are the camelCase aliases."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, validate_default=True)


class StatusModel(BaseModel):
    """A piece of a CR's status, mirrored from a Describe response.

    Status carries types but no value constraints (enums, ranges, patterns): it reports what
    SageMaker says, and the API server must never reject reality. Unknown members (from a
    newer SageMaker) are ignored rather than failing the status patch.
    """

    model_config = ConfigDict(extra="ignore", populate_by_name=True)


DeletionPolicy = Literal["Delete", "Retain"]


# The ownership tags (ownership.py) live under this prefix; spec.tags may not set them.
RESERVED_TAG_PREFIX = "sagemaker.inference-operator.dev/"


class Tag(SpecModel):
    """A SageMaker tag (key-value pair) applied to the resource."""

    model_config = ConfigDict(
        json_schema_extra={
            "x-kubernetes-validations": [
                {
                    # The operator always wins on these keys; refusing them up front says so
                    # instead of silently ignoring a tag that names another owner.
                    "rule": f"!self.key.startsWith('{RESERVED_TAG_PREFIX}')",
                    "message": f"tag keys starting with {RESERVED_TAG_PREFIX} are reserved for the operator",
                    "fieldPath": ".key",
                }
            ]
        }
    )

    key: str = Field(
        alias="key",
        min_length=1,
        max_length=128,
        # botocore: ([\p{L}\p{Z}\p{N}_.:/=+\-@]*). Kept here (the operator validates it);
        # crdgen leaves \p{...} patterns out of the CRD (not ECMA-262 without the u flag).
        pattern=aws_pattern(r"([\p{L}\p{Z}\p{N}_.:/=+\-@]*)"),
        description="The tag key. Tag keys must be unique per resource.",
    )
    value: str = Field(
        alias="value",
        max_length=256,
        pattern=aws_pattern(r"([\p{L}\p{Z}\p{N}_.:/=+\-@]*)"),
        description="The tag value.",
    )

    @model_validator(mode="after")
    def _not_reserved(self) -> Tag:
        if self.key.startswith(RESERVED_TAG_PREFIX):
            raise ValueError(f"tag keys starting with {RESERVED_TAG_PREFIX} are reserved for the operator")
        return self


class Condition(StatusModel):
    """A Kubernetes-style status condition (metav1.Condition)."""

    type: str = Field(alias="type", description="Type of condition in CamelCase, e.g. Ready.")
    status: Literal["True", "False", "Unknown"] = Field(
        alias="status", description="Status of the condition: True, False or Unknown."
    )
    reason: str | None = Field(
        None, alias="reason", description="Machine-readable CamelCase reason for the last transition."
    )
    message: str | None = Field(None, alias="message", description="Human-readable details of the condition.")
    observed_generation: int | None = Field(
        None,
        alias="observedGeneration",
        description="The metadata.generation the condition was set for.",
    )
    last_transition_time: str | None = Field(
        None,
        alias="lastTransitionTime",
        json_schema_extra={"format": "date-time"},
        description="When the condition last changed status (RFC 3339).",
    )
