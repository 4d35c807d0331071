"""A local, faithful emulator of the SageMaker control-plane API (inference scope)."""
