"""SageMaker's error vocabulary, as the service puts it on the wire.

Every error leaves the emulator as ``{"__type": code, "message": text}`` with the HTTP status
SageMaker uses for that code (see shared/reference/sagemaker-behaviour.md).
"""

from __future__ import annotations

_STATUS = {
    "ValidationException": 400,
    "ResourceNotFound": 400,
    "ResourceInUse": 400,
    "ResourceLimitExceeded": 400,
    "ConflictException": 400,
    "ThrottlingException": 400,
    "AccessDeniedException": 400,
    "UnknownOperationException": 400,
    "SerializationException": 400,
    "InternalFailure": 500,
    "ServiceUnavailable": 503,
}


class SageMakerError(Exception):
    """An error answered to the client exactly as SageMaker would."""

    def __init__(self, code: str, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status if status is not None else _STATUS.get(code, 400)

    def body(self) -> dict[str, str]:
        return {"__type": self.code, "message": self.message}


def validation(message: str) -> SageMakerError:
    return SageMakerError("ValidationException", message)


def not_found(message: str) -> SageMakerError:
    return SageMakerError("ResourceNotFound", message)


def in_use(message: str) -> SageMakerError:
    return SageMakerError("ResourceInUse", message)


def conflict(message: str) -> SageMakerError:
    return SageMakerError("ConflictException", message)


def limit_exceeded(message: str) -> SageMakerError:
    return SageMakerError("ResourceLimitExceeded", message)


def throttled() -> SageMakerError:
    return SageMakerError("ThrottlingException", "Rate exceeded")


def internal() -> SageMakerError:
    return SageMakerError("InternalFailure", "We encountered an internal error. Please try again.")


def unavailable() -> SageMakerError:
    return SageMakerError("ServiceUnavailable", "Service Unavailable")
