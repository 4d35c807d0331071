"""SageMaker operations, one module per resource family; importing registers the handlers."""

from . import (  # noqa: F401
    components,
    endpoint_configs,
    endpoints,
    experiments,
    models,
    tags,
)
