"""kopf wiring. Importing this package registers every handler on ``REGISTRY``."""

from __future__ import annotations

from . import inference_component  # noqa: F401  (registers its handlers)
from .common import REGISTRY

__all__ = ["REGISTRY"]
