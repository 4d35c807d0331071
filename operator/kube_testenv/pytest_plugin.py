"""pytest plugin: a session-wide real control plane.

Load it with ``pytest_plugins = ["kube_testenv.pytest_plugin"]`` in the top conftest.py. Then:

* ``kube_binaries`` (session scope): the provisioned :class:`kube_testenv.provision.Binaries`;
* the ``controlplane`` fixture (session scope) yields a started
  :class:`kube_testenv.controlplane.ControlPlane`: ``.kubeconfig``, ``.server``, ``.binaries``
  (``.kubectl_bin``, ``.helm_bin``), ``.kubectl(...)``, ``.helm(...)``, ``.request(...)``,
  ``.service_account_kubeconfig(ns, name)``, ``.restart_apiserver()``;
* ``unique_namespace`` (function scope) creates a fresh namespace and returns its name
  (namespaces are never deleted: there is no namespace controller);
* every test using ``controlplane`` gets the ``controlplane`` marker;
* the binaries are provisioned right after collection, with progress on the terminal, so a cold build
  (minutes) is not charged to the first test's timeout.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from .controlplane import ControlPlane
from .provision import Binaries, Progress, ProvisionError, provision

_BINARIES = pytest.StashKey[Binaries]()
_FAILURE = pytest.StashKey[ProvisionError]()


def _uses_controlplane(item: pytest.Item) -> bool:
    return bool({"controlplane", "kube_binaries"} & set(getattr(item, "fixturenames", ())))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _uses_controlplane(item):
            item.add_marker(pytest.mark.controlplane)


def pytest_collection_finish(session: pytest.Session) -> None:
    if session.config.option.collectonly or not any(_uses_controlplane(i) for i in session.items):
        return
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    write = (lambda line: reporter.write_line(line)) if reporter is not None else None
    try:
        session.config.stash[_BINARIES] = provision(log=Progress(write))
    except ProvisionError as err:
        # Reported as an error of every test that needs the control plane (never a skip).
        session.config.stash[_FAILURE] = err


@pytest.fixture(scope="session")
def kube_binaries(request: pytest.FixtureRequest) -> Binaries:
    """kube-apiserver, etcd, kubectl and helm at the pinned versions (or the user's overrides)."""
    failure = request.config.stash.get(_FAILURE, None)
    if failure is not None:
        raise failure
    return request.config.stash.get(_BINARIES, None) or provision(log=Progress())


@pytest.fixture(scope="session")
def controlplane(kube_binaries: Binaries, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ControlPlane]:
    with ControlPlane(kube_binaries, directory=tmp_path_factory.mktemp("controlplane")) as plane:
        yield plane


@pytest.fixture
def unique_namespace(controlplane: ControlPlane, request: pytest.FixtureRequest) -> str:
    stem = "".join(c if c.isalnum() else "-" for c in request.node.name.lower())[:40].strip("-")
    name = f"{stem}-{uuid.uuid4().hex[:6]}"
    controlplane.create_namespace(name)
    return name
