"""SageMaker errors, classified once (in the gateway) into the kinds the reconciler acts on.

SageMaker's error codes are coarse: a missing inference component is a ValidationException whose
message starts with "Could not find inference component", an in-progress conflict is a
ValidationException too. The message patterns come from shared/reference/sagemaker-behaviour.md.
"""

from __future__ import annotations

import enum
import re
from typing import Any


class Kind(enum.Enum):
    NOT_FOUND = "NotFound"
    ALREADY_EXISTS = "AlreadyExists"
    IN_PROGRESS = "InProgress"
    THROTTLED = "Throttled"
    VALIDATION = "Validation"
    LIMIT_EXCEEDED = "LimitExceeded"
    ACCESS_DENIED = "AccessDenied"
    TRANSIENT = "Transient"

    @property
    def transient(self) -> bool:
        """Goes away by itself: retry with backoff, never Stalled."""
        return self in (Kind.IN_PROGRESS, Kind.THROTTLED, Kind.TRANSIENT)


class SageMakerError(Exception):
    """A failed SageMaker call, with its kind decided once."""

    def __init__(self, kind: Kind, code: str, message: str, operation: str) -> None:
        super().__init__(f"{operation}: {code}: {message}")
        self.kind = kind
        self.code = code
        self.message = message
        self.operation = operation


_THROTTLE_CODES = {
    "ThrottlingException",
    "Throttling",
    "ThrottledException",
    "RequestThrottledException",
    "TooManyRequestsException",
    "ProvisionedThroughputExceededException",
    "TransactionInProgressException",
    "RequestLimitExceeded",
    "SlowDown",
    "PriorRequestNotComplete",
    "EC2ThrottledException",
}
_TRANSIENT_CODES = {"InternalFailure", "InternalServerError", "ServiceUnavailable", "RequestTimeout", "InternalError"}
_ACCESS_CODES = {
    "AccessDeniedException",
    "AccessDenied",
    "UnauthorizedOperation",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "ExpiredTokenException",
    "ExpiredToken",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
}

_NOT_FOUND = re.compile(r"^Could not find |does not exist", re.IGNORECASE)
_ALREADY_EXISTS = re.compile(r"^Cannot create already existing ", re.IGNORECASE)
_IN_PROGRESS = re.compile(
    r"in-progress|in progress|DELETE_IN_PROGRESS|is a base inference component for one or more associated"
    r"|status (?:is )?(?:Creating|Updating|Deleting)|while .* (?:Creating|Updating|Deleting)",
    re.IGNORECASE,
)


def classify(code: str, message: str, http_status: int | None = None) -> Kind:
    """The kind of a SageMaker error from its code, message and HTTP status."""
    if code in _THROTTLE_CODES or message.strip().lower() == "rate exceeded" or http_status == 429:
        return Kind.THROTTLED
    if code in _TRANSIENT_CODES or (http_status is not None and http_status >= 500):
        return Kind.TRANSIENT
    if code in _ACCESS_CODES:
        return Kind.ACCESS_DENIED
    if code == "ResourceLimitExceeded":
        return Kind.LIMIT_EXCEEDED
    if code == "ResourceNotFound":
        return Kind.NOT_FOUND
    if code == "ResourceInUse":
        return Kind.ALREADY_EXISTS if _ALREADY_EXISTS.search(message) else Kind.IN_PROGRESS
    if code == "ConflictException":
        return Kind.IN_PROGRESS
    if code == "ValidationException":
        if _ALREADY_EXISTS.search(message):
            return Kind.ALREADY_EXISTS
        if _NOT_FOUND.search(message):
            return Kind.NOT_FOUND
        if _IN_PROGRESS.search(message):
            return Kind.IN_PROGRESS
        return Kind.VALIDATION
    return Kind.VALIDATION


def from_botocore(exc: BaseException, operation: str) -> SageMakerError:
    """Wrap a botocore/network exception as a classified SageMakerError."""
    response: Any = getattr(exc, "response", None)
    if isinstance(response, dict) and "Error" in response:
        err = response.get("Error") or {}
        code = str(err.get("Code") or "Unknown")
        message = str(err.get("Message") or "")
        status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return SageMakerError(classify(code, message, status), code, message, operation)
    # No answer at all: connection reset, timeout, DNS; botocore already retried it.
    return SageMakerError(Kind.TRANSIENT, type(exc).__name__, str(exc), operation)
