"""Provisioning without building: precedence of user-supplied binaries, go.mod generation, extraction."""

from __future__ import annotations

import io
import tarfile
import zipfile
from pathlib import Path

import pytest

from kube_testenv import provision as prov
from kube_testenv import versions


def fake_binary(path: Path, text: str = "#!/bin/sh\nexit 0\n") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(0o755)
    return path


def test_explicit_variables_beat_kubebuilder_assets_and_cache(tmp_path: Path) -> None:
    assets = tmp_path / "assets"
    for name in ("kube-apiserver", "etcd", "kubectl"):
        fake_binary(assets / name)
    own_etcd = fake_binary(tmp_path / "mine" / "etcd")
    own_helm = fake_binary(tmp_path / "mine" / "helm")
    env = {"KUBEBUILDER_ASSETS": str(assets), "ETCD_BIN": str(own_etcd), "HELM_BIN": str(own_helm)}

    cache = tmp_path / "cache"
    binaries = prov.provision(env=env, cache_dir=cache)

    assert binaries.etcd == own_etcd.resolve()
    assert binaries.helm == own_helm.resolve()
    assert binaries.kube_apiserver == (assets / "kube-apiserver").resolve()
    assert binaries.kubectl == (assets / "kubectl").resolve()
    assert not cache.exists(), "nothing may be built or fetched when every binary is supplied"


def test_each_explicit_variable_is_honoured(tmp_path: Path) -> None:
    env = {var: str(fake_binary(tmp_path / name)) for name, var in prov.ENV_VARS.items()}
    found = prov.overrides(env)
    assert {name: str(path) for name, path in found.items()} == {
        name: str((tmp_path / name).resolve()) for name in prov.NAMES
    }


def test_override_must_be_executable(tmp_path: Path) -> None:
    plain = tmp_path / "kube-apiserver"
    plain.write_text("not executable")
    with pytest.raises(prov.ProvisionError, match="KUBE_APISERVER_BIN"):
        prov.overrides({"KUBE_APISERVER_BIN": str(plain)})


def test_cache_entries_need_a_matching_pin(tmp_path: Path) -> None:
    fake_binary(tmp_path / "etcd")
    assert prov.cached(tmp_path) == {}
    (tmp_path / "etcd.pin").write_text("go.etcd.io/etcd/server/v3@v0.0.1")
    assert prov.cached(tmp_path) == {}
    (tmp_path / "etcd.pin").write_text(f"go.etcd.io/etcd/server/v3@{versions.ETCD_VERSION}")
    assert prov.cached(tmp_path) == {"etcd": tmp_path / "etcd"}


def test_cache_dir_follows_xdg_and_override(tmp_path: Path) -> None:
    xdg = prov.default_cache_dir({"XDG_CACHE_HOME": str(tmp_path)})
    assert xdg == tmp_path / "sagemaker-inference-operator" / f"k8s-{versions.KUBERNETES_VERSION}"
    assert prov.default_cache_dir({"KUBE_TESTENV_CACHE": str(tmp_path / "c")}) == tmp_path / "c"


GO_MOD = """\
module k8s.io/kubernetes

go 1.26.0

require (
\tgithub.com/JeffAshton/win_pdh v0.0.0-20161109143554-76bb4ee9f0ab
\tk8s.io/api v0.0.0
\tk8s.io/apiserver v0.0.0
\tk8s.io/klog/v2 v2.140.0
\tk8s.io/utils v0.0.0-20260210185600-b8788abfbbc2
)

require k8s.io/kms v0.0.0 // indirect

replace (
\tk8s.io/api => ./staging/src/k8s.io/api
)
"""


def test_staging_modules_come_from_the_v000_requirements() -> None:
    assert prov.staging_modules(GO_MOD) == ["k8s.io/api", "k8s.io/apiserver", "k8s.io/kms"]
    build = prov.kube_apiserver_go_mod(GO_MOD, "v1.37.1")
    assert "require k8s.io/kubernetes v1.37.1" in build
    assert "\tk8s.io/api => k8s.io/api v0.37.1\n" in build
    assert "\tk8s.io/kms => k8s.io/kms v0.37.1\n" in build
    assert "k8s.io/utils =>" not in build


def test_go_missing_or_too_old_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prov, "GO_FALLBACKS", ())
    with pytest.raises(prov.ProvisionError, match=r"Go >= 1\.26 .*No `go` was found"):
        prov.find_go({"PATH": str(tmp_path)})
    fake_binary(tmp_path / "go", "#!/bin/sh\necho go1.19.8\n")
    with pytest.raises(prov.ProvisionError, match=r"/usr/local/go.*golang-go package is too old.*go1\.19\.8"):
        prov.find_go({"PATH": str(tmp_path)})
    fake_binary(tmp_path / "go", "#!/bin/sh\necho go1.26.3\n")
    assert prov.find_go({"PATH": str(tmp_path)}).version == (1, 26, 3)


def test_build_is_not_attempted_without_go(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(prov, "GO_FALLBACKS", ())
    env = {
        "PATH": str(tmp_path / "empty"),
        "KUBECTL_BIN": str(fake_binary(tmp_path / "kubectl")),
        "HELM_BIN": str(fake_binary(tmp_path / "helm")),
    }
    with pytest.raises(prov.ProvisionError, match=r"Go >= 1\.26"):
        prov.provision(env=env, cache_dir=tmp_path / "cache")


def test_kubectl_and_helm_are_extracted_from_the_layer(tmp_path: Path) -> None:
    layer = io.BytesIO()
    with zipfile.ZipFile(layer, "w") as archive:
        archive.writestr("kubectl/kubectl", b"KUBECTL")
        archive.writestr("helm/helm", b"HELM")
    tgz = io.BytesIO()
    with tarfile.open(fileobj=tgz, mode="w:gz") as tar:
        info = tarfile.TarInfo("package/lib/layer.zip")
        info.size = len(layer.getvalue())
        tar.addfile(info, io.BytesIO(layer.getvalue()))
    wheel = tmp_path / "fake-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as whl:
        whl.writestr("aws_cdk/x/_jsii/x@1.0.jsii.tgz", tgz.getvalue())

    out = prov.extract_kubectl_helm(wheel, tmp_path)

    assert out["kubectl"].read_bytes() == b"KUBECTL"
    assert out["helm"].read_bytes() == b"HELM"
    assert out["kubectl"].stat().st_mode & 0o111
