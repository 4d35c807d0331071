"""Kubernetes operator for Amazon SageMaker real-time inference."""
