"""SageMaker operations, one module per resource family; importing registers the handlers."""

from . import tags  # noqa: F401
