"""`helm lint --strict` and `helm template` of the main value combinations, checked structurally."""

from __future__ import annotations

import json
import pathlib
import re
import subprocess
import sys
import tomllib
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from sagemaker_operator import cli

from .conftest import (
    CHART,
    CRS,
    FULLNAME,
    GROUP,
    KOPF_CRDS,
    NAMESPACE,
    ROOT,
    Render,
    by_kind,
    container,
    env_of,
    one,
    sagemaker_crds,
    set_args,
)

COMBINATIONS: dict[str, dict[str, Any]] = {
    "cluster-wide": {},
    "namespaced": {"watchNamespaces": ["team-a", "team-b"]},
    "ha-cluster-wide": {"replicas": 3, "updateStrategy": "RollingUpdate"},
    "ha-namespaced": {"replicas": 2, "watchNamespaces": ["team-a", "team-b"]},
    "metrics-off": {"metrics.enabled": False},
    "service-monitor": {"metrics.serviceMonitor.enabled": True, "metrics.serviceMonitor.labels": {"release": "kps"}},
    "irsa": {
        "serviceAccount.iamRoleArn": "arn:aws:iam::123456789012:role/sagemaker-operator",
        "aws.region": "eu-west-1",
    },
    "no-crds": {"crds.install": False},
}


Rule = tuple[str, str, frozenset[str]]


def rules(role: dict[str, Any]) -> set[Rule]:
    """RBAC rules flattened to (apiGroup, resource, verbs) triples."""
    return {
        (group, resource, frozenset(rule["verbs"]))
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
    }


WATCHED: set[Rule] = {
    (GROUP, "inferencecomponents", frozenset({"get", "list", "watch", "patch"})),
    (GROUP, "inferenceexperiments", frozenset({"get", "list", "watch", "patch"})),
    (GROUP, "inferencecomponents/status", frozenset({"get", "patch"})),
    (GROUP, "inferenceexperiments/status", frozenset({"get", "patch"})),
    ("", "events", frozenset({"create", "patch"})),
}
CRD_SCAN: Rule = ("apiextensions.k8s.io", "customresourcedefinitions", frozenset({"get", "list", "watch"}))
NAMESPACES: Rule = ("", "namespaces", frozenset({"list", "watch"}))
FORBIDDEN_VERBS = {"create", "update", "delete", "deletecollection", "*", "escalate", "bind", "impersonate"}


@pytest.mark.parametrize("name", sorted(COMBINATIONS))
def test_lint_strict(helm: Callable[..., str], name: str) -> None:
    out = helm("lint", "--strict", str(CHART), *set_args(COMBINATIONS[name]))
    assert "1 chart(s) linted, 0 chart(s) failed" in out


def test_chart_versions_follow_pyproject() -> None:
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert chart["appVersion"] == project["version"]
    assert chart["name"] == project["name"]


def test_every_value_is_documented() -> None:
    """Each leaf in values.yaml that the schema describes has a comment line right above it (values
    inside free-form objects such as `resources.requests` are documented by their parent)."""
    schema = json.loads((CHART / "values.schema.json").read_text())
    lines = (CHART / "values.yaml").read_text().splitlines()
    stack: list[tuple[int, str]] = []
    for i, line in enumerate(lines):
        match = re.match(r"^(\s*)([A-Za-z][\w.]*):(.*)$", line)
        if not match:
            continue
        indent, key, rest = len(match[1]), match[2], match[3].strip()
        while stack and stack[-1][0] >= indent:
            stack.pop()
        parent = schema
        for _, name in stack:
            parent = parent.get("properties", {}).get(name, {})
        stack.append((indent, key))
        if rest and "properties" in parent:
            assert key in parent["properties"], f"values.yaml:{i + 1} {key} is not in values.schema.json"
            assert lines[i - 1].strip().startswith("#"), f"values.yaml:{i + 1} undocumented: {line}"


@pytest.mark.parametrize(
    "values, message",
    [
        ({"unknownKey": 1}, "additional properties 'unknownKey' not allowed"),
        ({"replicas": 0}, "/replicas"),
        ({"updateStrategy": "Blue"}, "/updateStrategy"),
        ({"operator.logFormat": "xml"}, "/operator/logFormat"),
        ({"operator.poll.fast": "soon"}, "/operator/poll/fast"),
        ({"watchNamespaces": ["Not_A_Name"]}, "/watchNamespaces/0"),
        ({"serviceAccount.iamRoleArn": "my-role"}, "/serviceAccount/iamRoleArn"),
        ({"metrics.port": 70000}, "/metrics/port"),
        ({"crds": {"install": True, "typo": 1}}, "typo"),
    ],
)
def test_schema_rejects_bad_values(helm: Callable[..., str], values: dict[str, Any], message: str) -> None:
    out = helm("template", "x", str(CHART), *set_args(values), check=False)
    assert "don't meet the specifications of the schema" in out
    assert message in out


def test_cluster_wide_defaults(render: Render) -> None:
    docs = render()
    kinds = sorted(d["kind"] for d in docs)
    assert kinds == sorted(
        [
            "ServiceAccount",
            "ClusterRole",
            "ClusterRoleBinding",
            "Service",
            "Deployment",
        ]
        + ["CustomResourceDefinition"] * 4
    )
    crds = {d["metadata"]["name"] for d in by_kind(docs, "CustomResourceDefinition")}
    assert crds == {f"{plural}.{GROUP}" for plural in CRS} | KOPF_CRDS
    role = one(docs, "ClusterRole", FULLNAME)
    assert rules(role) == WATCHED | {CRD_SCAN, NAMESPACES}
    binding = one(docs, "ClusterRoleBinding", FULLNAME)
    assert binding["roleRef"] == {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": FULLNAME}
    assert binding["subjects"] == [{"kind": "ServiceAccount", "name": FULLNAME, "namespace": NAMESPACE}]

    deployment = one(docs, "Deployment")
    assert deployment["metadata"]["namespace"] == NAMESPACE
    assert deployment["spec"]["replicas"] == 1
    assert deployment["spec"]["strategy"] == {"type": "Recreate"}
    c = container(docs)
    assert c["image"] == "sagemaker-inference-operator:0.1.0"
    assert c["args"] == [
        "--all-namespaces",
        "--standalone",
        "--liveness=http://0.0.0.0:8080/healthz",
        "--metrics-port=9090",
        "--log-format=json",
    ]
    assert c["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "healthz"}
    assert {p["name"]: p["containerPort"] for p in c["ports"]} == {"healthz": 8080, "metrics": 9090}
    env = env_of(docs)
    assert env["POD_ID"] == {"fieldRef": {"fieldPath": "metadata.name"}}
    assert env["SAGEMAKER_OPERATOR_CLUSTER_ID"] == "default"
    assert "AWS_REGION" not in env and "SAGEMAKER_ENDPOINT_URL" not in env
    sa = one(docs, "ServiceAccount", FULLNAME)
    assert "annotations" not in sa["metadata"]
    assert deployment["spec"]["template"]["spec"]["serviceAccountName"] == FULLNAME
    service = one(docs, "Service")
    assert service["spec"]["selector"] == deployment["spec"]["selector"]["matchLabels"]
    assert service["spec"]["ports"] == [{"name": "metrics", "port": 9090, "targetPort": "metrics", "protocol": "TCP"}]


@pytest.mark.parametrize("name", sorted(COMBINATIONS))
def test_args_are_the_operators_flags(render: Render, name: str) -> None:
    """Every argument the chart passes parses with the operator's own CLI parser."""
    args = container(render({**COMBINATIONS[name], "operator.logLevel": "debug"}))["args"]
    parsed = cli.parser().parse_args(["run", *args])
    settings = cli.settings_from(parsed)
    assert settings.namespaces == COMBINATIONS[name].get("watchNamespaces", [])
    assert parsed.debug and parsed.log_format == "json" and parsed.liveness == "http://0.0.0.0:8080/healthz"
    assert parsed.metrics_port == (None if name == "metrics-off" else 9090)
    ha = COMBINATIONS[name].get("replicas", 1) > 1
    assert (parsed.peering, parsed.priority, parsed.standalone) == (
        (FULLNAME, None, False) if ha else (None, None, True)
    )
    # Replicas differ only by pod name: the priority each derives from it must differ too.
    priorities = {cli.peering_priority(parsed.peering, parsed.priority, f"{FULLNAME}-{i}") for i in range(5)}
    assert len(priorities) == (5 if ha else 1)


def test_restricted_security_context(render: Render) -> None:
    pod = one(render(), "Deployment")["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] == 65532
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    (c,) = pod["containers"]
    sc = c["securityContext"]
    assert sc["allowPrivilegeEscalation"] is False
    assert sc["readOnlyRootFilesystem"] is True
    assert sc["capabilities"] == {"drop": ["ALL"]}
    assert c["volumeMounts"] == [{"name": "tmp", "mountPath": "/tmp"}]
    assert pod["volumes"] == [{"name": "tmp", "emptyDir": {"sizeLimit": "64Mi"}}]
    assert "hostNetwork" not in pod and "hostPID" not in pod
    assert not any(p.get("hostPort") for p in c["ports"])


def test_namespaced_with_two_namespaces(render: Render) -> None:
    docs = render(COMBINATIONS["namespaced"])
    roles = by_kind(docs, "Role")
    assert sorted(r["metadata"]["namespace"] for r in roles) == ["team-a", "team-b"]
    for role in roles:
        assert rules(role) == WATCHED
    bindings = by_kind(docs, "RoleBinding")
    assert sorted(b["metadata"]["namespace"] for b in bindings) == ["team-a", "team-b"]
    for binding in bindings:
        assert binding["roleRef"]["kind"] == "Role" and binding["roleRef"]["name"] == FULLNAME
        assert binding["subjects"] == [{"kind": "ServiceAccount", "name": FULLNAME, "namespace": NAMESPACE}]
    # Cluster scope: only the CRD scan, no namespaces and nothing on the custom resources.
    (cluster_role,) = by_kind(docs, "ClusterRole")
    assert rules(cluster_role) == {CRD_SCAN}
    (cluster_binding,) = by_kind(docs, "ClusterRoleBinding")
    assert cluster_binding["roleRef"]["name"] == cluster_role["metadata"]["name"]
    args = container(docs)["args"]
    assert args[:3] == ["--namespace=team-a", "--namespace=team-b", "--standalone"]
    assert "--all-namespaces" not in args


@pytest.mark.parametrize("combo", ["ha-cluster-wide", "ha-namespaced"])
def test_ha_with_kopf_peering(render: Render, combo: str) -> None:
    docs = render(COMBINATIONS[combo])
    cluster_wide = combo == "ha-cluster-wide"
    deployment = one(docs, "Deployment")
    assert deployment["spec"]["replicas"] == (3 if cluster_wide else 2)
    args = container(docs)["args"]
    assert f"--peering={FULLNAME}" in args and not [a for a in args if a.startswith("--priority")]
    assert "--standalone" not in args
    kind = "ClusterKopfPeering" if cluster_wide else "KopfPeering"
    plural = kind.lower() + "s"
    # The peering CRDs come from the chart's crds/ (installed before the templates are built).
    crd = one(docs, "CustomResourceDefinition", f"{plural}.kopf.dev")
    assert crd["spec"]["scope"] == ("Cluster" if cluster_wide else "Namespaced")
    assert crd["spec"]["names"]["kind"] == kind
    (version,) = crd["spec"]["versions"]
    assert version["name"] == "v1" and version["served"] and version["storage"]
    status = version["schema"]["openAPIV3Schema"]["properties"]["status"]
    assert status["x-kubernetes-preserve-unknown-fields"] is True
    peerings = by_kind(docs, kind)
    assert all(p["apiVersion"] == "kopf.dev/v1" and p["metadata"]["name"] == FULLNAME for p in peerings)
    peering_rule: Rule = ("kopf.dev", plural, frozenset({"get", "list", "watch", "patch"}))
    if cluster_wide:
        assert len(peerings) == 1 and "namespace" not in peerings[0]["metadata"]
        assert peering_rule in rules(one(docs, "ClusterRole", FULLNAME))
    else:
        assert sorted(p["metadata"]["namespace"] for p in peerings) == ["team-a", "team-b"]
        for role in by_kind(docs, "Role"):
            assert rules(role) == WATCHED | {peering_rule}
    docs = render({**COMBINATIONS[combo], "peering.name": "shared"})
    assert {p["metadata"]["name"] for p in by_kind(docs, kind)} == {"shared"}
    assert "--peering=shared" in container(docs)["args"]


def test_single_replica_has_no_peering(render: Render) -> None:
    docs = render()
    assert not [d for d in docs if d["apiVersion"].startswith("kopf.dev/")]
    assert not any("kopf.dev" in rule for role in by_kind(docs, "ClusterRole") for rule in rules(role))


def test_metrics_off(render: Render) -> None:
    docs = render({**COMBINATIONS["metrics-off"], "metrics.serviceMonitor.enabled": True})
    assert not by_kind(docs, "Service") and not by_kind(docs, "ServiceMonitor")
    c = container(docs)
    assert not [a for a in c["args"] if a.startswith("--metrics-port")]
    assert [p["name"] for p in c["ports"]] == ["healthz"]


def test_service_monitor(render: Render) -> None:
    docs = render(COMBINATIONS["service-monitor"])
    monitor = one(docs, "ServiceMonitor")
    assert monitor["apiVersion"] == "monitoring.coreos.com/v1"
    assert monitor["metadata"]["labels"]["release"] == "kps"
    service = one(docs, "Service")
    selector = monitor["spec"]["selector"]["matchLabels"]
    assert selector.items() <= service["metadata"]["labels"].items()
    assert monitor["spec"]["namespaceSelector"] == {"matchNames": [NAMESPACE]}
    assert monitor["spec"]["endpoints"] == [
        {"port": "metrics", "path": "/metrics", "interval": "30s", "scrapeTimeout": "10s"}
    ]
    assert not by_kind(render(), "ServiceMonitor")


def test_irsa_and_region(render: Render) -> None:
    docs = render(COMBINATIONS["irsa"])
    sa = one(docs, "ServiceAccount")
    assert sa["metadata"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::123456789012:role/sagemaker-operator"
    }
    env = env_of(docs)
    assert env["AWS_REGION"] == env["AWS_DEFAULT_REGION"] == "eu-west-1"


def test_operator_settings_extra_args_env_and_scheduling(render: Render) -> None:
    docs = render(
        {
            "aws.endpointUrl": "http://sagemaker-emulator:8080",
            "operator.logLevel": "debug",
            "operator.logFormat": "text",
            "operator.clusterId": "prod-eu",
            "operator.poll.fast": 2.5,
            "operator.rateLimits.mutateTps": 4,
            "operator.extraArgs": ["--max-workers=4"],
            "operator.extraEnv": [{"name": "FOO", "value": "bar"}],
            "image.digest": "sha256:" + "a" * 64,
            "nodeSelector": {"kubernetes.io/os": "linux"},
            "tolerations": [{"key": "ops", "operator": "Exists", "effect": "NoSchedule"}],
            "priorityClassName": "system-cluster-critical",
            "affinity": {"nodeAffinity": {}},
        }
    )
    c = container(docs)
    assert c["image"] == "sagemaker-inference-operator@sha256:" + "a" * 64
    assert c["args"][-3:] == ["--log-format=text", "--debug", "--max-workers=4"]
    env = env_of(docs)
    assert env["SAGEMAKER_ENDPOINT_URL"] == "http://sagemaker-emulator:8080"
    assert env["SAGEMAKER_OPERATOR_CLUSTER_ID"] == "prod-eu"
    assert env["SAGEMAKER_OPERATOR_POLL_FAST"] == "2.5"
    assert env["SAGEMAKER_OPERATOR_MUTATE_TPS"] == "4"
    assert "SAGEMAKER_OPERATOR_READ_TPS" not in env
    assert env["FOO"] == "bar"
    pod = one(docs, "Deployment")["spec"]["template"]["spec"]
    assert pod["nodeSelector"] == {"kubernetes.io/os": "linux"}
    assert pod["tolerations"][0]["key"] == "ops"
    assert pod["priorityClassName"] == "system-cluster-critical"
    assert pod["affinity"] == {"nodeAffinity": {}}


def crd_objects() -> dict[str, dict[str, Any]]:
    objects = [yaml.safe_load(p.read_text()) for p in sorted((ROOT / "crds").glob("*.yaml"))]
    return {o["metadata"]["name"]: o for o in objects}


def test_chart_crd_files_are_generated() -> None:
    """files/crds/ is what `make crds` writes: the generator's --check passes on it."""
    cmd = [sys.executable, "-m", "sagemaker_operator.crdgen", "--out", str(CHART / "files" / "crds"), "--check"]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    for path in (ROOT / "crds").glob("*.yaml"):
        assert (CHART / "files" / "crds" / path.name).read_bytes() == path.read_bytes()


@pytest.mark.parametrize("keep", [True, False])
@pytest.mark.parametrize("extra", [{}, {"argocd.argoproj.io/sync-wave": "-1"}])
def test_rendered_crds_equal_crds_dir(render: Render, keep: bool, extra: dict[str, str]) -> None:
    """The CRD objects `helm template` renders are crds/'s, plus only the annotations asked for."""
    docs = render({"crds.keep": keep, "crds.annotations": extra})
    rendered = {d["metadata"]["name"]: d for d in sagemaker_crds(docs)}
    expected = crd_objects()
    assert sorted(rendered) == sorted(expected)
    for name, obj in rendered.items():
        annotations = obj["metadata"].pop("annotations", {})
        assert annotations == ({"helm.sh/resource-policy": "keep"} if keep else {}) | extra
        assert obj == expected[name], f"{name} differs from crds/"


def test_crds_install_off(render: Render) -> None:
    docs = render(COMBINATIONS["no-crds"])
    assert not sagemaker_crds(docs)
    assert {d["metadata"]["name"] for d in by_kind(docs, "CustomResourceDefinition")} == KOPF_CRDS


def test_readme_values_table_is_in_sync() -> None:
    from . import valuesdoc

    readme = valuesdoc.README.read_text()
    assert valuesdoc.with_table(readme) == readme, "README's chart values table is stale: run `make chart-docs`"
    assert len(valuesdoc.entries()) > 40


def test_packaged_chart_renders_the_same(helm: Callable[..., str], render: Render, tmp_path: pathlib.Path) -> None:
    """`helm package` keeps files/crds and crds/ (nothing needed is .helmignore'd)."""
    helm("package", str(CHART), "--destination", str(tmp_path))
    (archive,) = tmp_path.glob("sagemaker-inference-operator-*.tgz")
    out = helm("template", "sio", str(archive), "--namespace", NAMESPACE, "--include-crds", "--set", "replicas=2")
    packaged = [d for d in yaml.safe_load_all(out) if d]
    assert packaged == render({"replicas": 2})
