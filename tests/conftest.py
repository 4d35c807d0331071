"""Shared pytest setup: the real control plane fixtures come from kube_testenv's plugin."""

pytest_plugins = ["kube_testenv.pytest_plugin"]
