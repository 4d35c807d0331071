"""kopf wiring. Importing this package registers every handler on ``REGISTRY``."""

from __future__ import annotations

from . import inference_component, inference_experiment  # noqa: F401  (register their handlers)
from .common import REGISTRY

__all__ = ["REGISTRY"]
