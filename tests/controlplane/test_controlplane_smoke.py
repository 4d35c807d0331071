"""Smoke tests of the real control plane, through real clients (kubectl, helm, HTTPS, kubernetes)."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
import yaml

from kube_testenv import versions
from kube_testenv.controlplane import ApiError, ControlPlane

pytestmark = pytest.mark.controlplane

GROUP = "smoke.kube-testenv.dev"
CRD = f"""
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.{GROUP}
spec:
  group: {GROUP}
  scope: Namespaced
  names: {{plural: widgets, singular: widget, kind: Widget, shortNames: [wdg]}}
  versions:
    - name: v1
      served: true
      storage: true
      subresources: {{status: {{}}}}
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              x-kubernetes-validations:
                - rule: "self.minReplicas <= self.maxReplicas"
                  message: "minReplicas must not exceed maxReplicas"
                  fieldPath: ".minReplicas"
              properties:
                minReplicas: {{type: integer, minimum: 0}}
                maxReplicas: {{type: integer, minimum: 0}}
            status:
              type: object
              properties:
                conditions:
                  type: array
                  items:
                    type: object
                    required: [type, status]
                    properties:
                      type: {{type: string}}
                      status: {{type: string}}
                      reason: {{type: string}}
                      message: {{type: string}}
                      lastTransitionTime: {{type: string, format: date-time}}
"""


def widget(name: str, min_replicas: int = 1, max_replicas: int = 2) -> str:
    return yaml.safe_dump(
        {
            "apiVersion": f"{GROUP}/v1",
            "kind": "Widget",
            "metadata": {"name": name},
            "spec": {"minReplicas": min_replicas, "maxReplicas": max_replicas},
        }
    )


@pytest.fixture(scope="module")
def widget_crd(controlplane: ControlPlane) -> str:
    controlplane.kubectl("apply", "-f", "-", input=CRD)
    controlplane.kubectl("wait", "--for=condition=Established", f"crd/widgets.{GROUP}", "--timeout=30s")
    return f"widgets.{GROUP}"


def test_server_reports_the_pinned_version(controlplane: ControlPlane) -> None:
    out = json.loads(controlplane.kubectl("version", "-o", "json").stdout)
    assert out["serverVersion"]["gitVersion"] == versions.KUBERNETES_VERSION
    assert out["clientVersion"]["gitVersion"].startswith("v1.")
    assert controlplane.request("GET", "/readyz") == "ok"


def test_default_namespaces_exist(controlplane: ControlPlane) -> None:
    names = controlplane.kubectl("get", "namespaces", "-o", "name").stdout.split()
    assert {"namespace/default", "namespace/kube-system"} <= set(names)


def test_python_client_uses_the_kubeconfig(controlplane: ControlPlane) -> None:
    from kubernetes import client, config

    api = client.CoreV1Api(config.new_client_from_config(config_file=str(controlplane.kubeconfig)))
    assert "default" in {ns.metadata.name for ns in api.list_namespace().items}


def test_crd_instance_status_patch_and_wait(controlplane: ControlPlane, widget_crd: str, unique_namespace: str) -> None:
    ns = unique_namespace
    controlplane.kubectl("apply", "-n", ns, "-f", "-", input=widget("w1"))
    # Status is a subresource: a normal update must not be able to set it.
    controlplane.kubectl(
        "patch",
        "-n",
        ns,
        "widget",
        "w1",
        "--type=merge",
        "-p",
        '{"status": {"conditions": [{"type": "Ready", "status": "True"}]}}',
    )
    got = json.loads(controlplane.kubectl("get", "-n", ns, "widget", "w1", "-o", "json").stdout)
    assert "status" not in got
    waited = controlplane.kubectl("wait", "-n", ns, "--for=condition=Ready", "widget/w1", "--timeout=1s", check=False)
    assert waited.returncode != 0

    status = {
        "status": {
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "Smoke",
                    "message": "patched through the status subresource",
                    "lastTransitionTime": "2024-01-01T00:00:00Z",
                }
            ]
        }
    }
    controlplane.kubectl(
        "patch", "-n", ns, "widget", "w1", "--subresource=status", "--type=merge", "-p", json.dumps(status)
    )
    out = controlplane.kubectl("wait", "-n", ns, "--for=condition=Ready", "widget/w1", "--timeout=30s")
    assert "condition met" in out.stdout
    short = controlplane.kubectl("get", "-n", ns, "wdg", "-o", "name").stdout.split()
    assert short == [f"widget.{GROUP}/w1"]


def test_cel_rule_rejects_bad_object_naming_the_field(
    controlplane: ControlPlane, widget_crd: str, unique_namespace: str
) -> None:
    bad = controlplane.kubectl("apply", "-n", unique_namespace, "-f", "-", input=widget("bad", 5, 2), check=False)
    assert bad.returncode != 0
    assert "spec.minReplicas" in bad.stderr
    assert "minReplicas must not exceed maxReplicas" in bad.stderr
    missing = controlplane.kubectl("get", "-n", unique_namespace, "widget", "bad", check=False)
    assert "NotFound" in missing.stderr


def test_helm_template_applies_with_server_dry_run(
    controlplane: ControlPlane, widget_crd: str, unique_namespace: str, tmp_path: Path
) -> None:
    chart = tmp_path / "tiny"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: tiny\nversion: 0.1.0\n")
    (chart / "values.yaml").write_text("greeting: hello\nreplicas: 2\n")
    (chart / "templates" / "objects.yaml").write_text(
        textwrap.dedent(
            f"""\
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: {{{{ .Release.Name }}}}-config
            data:
              greeting: {{{{ .Values.greeting | quote }}}}
            ---
            apiVersion: apps/v1
            kind: Deployment
            metadata:
              name: {{{{ .Release.Name }}}}
            spec:
              replicas: {{{{ .Values.replicas }}}}
              selector: {{matchLabels: {{app: tiny}}}}
              template:
                metadata: {{labels: {{app: tiny}}}}
                spec:
                  containers: [{{name: app, image: "example.invalid/app:1"}}]
            ---
            apiVersion: {GROUP}/v1
            kind: Widget
            metadata:
              name: {{{{ .Release.Name }}}}-widget
            spec: {{minReplicas: 1, maxReplicas: {{{{ .Values.replicas }}}}}}
            """
        )
    )
    rendered = controlplane.helm("template", "smoke", str(chart), "--namespace", unique_namespace).stdout
    applied = controlplane.kubectl(
        "apply", "--dry-run=server", "-n", unique_namespace, "-f", "-", input=rendered
    ).stdout
    assert "configmap/smoke-config created (server dry run)" in applied
    assert "deployment.apps/smoke created (server dry run)" in applied
    assert f"widget.{GROUP}/smoke-widget created (server dry run)" in applied
    # A dry run stores nothing.
    gone = controlplane.kubectl("get", "-n", unique_namespace, "configmap", "smoke-config", check=False)
    assert "NotFound" in gone.stderr


def test_service_account_without_rbac_is_forbidden(controlplane: ControlPlane, unique_namespace: str) -> None:
    ns = unique_namespace
    kubeconfig = controlplane.service_account_kubeconfig(ns, "nobody")
    whoami = controlplane.kubectl("auth", "whoami", "-o", "json", kubeconfig=kubeconfig)
    assert json.loads(whoami.stdout)["status"]["userInfo"]["username"] == f"system:serviceaccount:{ns}:nobody"

    denied = controlplane.kubectl("get", "configmaps", "-n", ns, kubeconfig=kubeconfig, check=False)
    assert denied.returncode != 0
    assert "Forbidden" in denied.stderr
    token = controlplane.service_account_token(ns, "nobody")
    with pytest.raises(ApiError) as err:
        controlplane.request("GET", f"/api/v1/namespaces/{ns}/configmaps", token=token)
    assert err.value.status == 403

    # The same identity is allowed once RBAC says so: the 403 was authorization, not authentication.
    controlplane.kubectl("create", "role", "cm-reader", "-n", ns, "--verb=list", "--resource=configmaps")
    controlplane.kubectl(
        "create", "rolebinding", "cm-reader", "-n", ns, "--role=cm-reader", f"--serviceaccount={ns}:nobody"
    )
    allowed = controlplane.kubectl("get", "configmaps", "-n", ns, kubeconfig=kubeconfig)
    assert allowed.returncode == 0


def test_apiserver_restart_keeps_objects(controlplane: ControlPlane, widget_crd: str, unique_namespace: str) -> None:
    ns = unique_namespace
    controlplane.kubectl("create", "configmap", "kept", "-n", ns, "--from-literal=k=v")
    controlplane.kubectl("apply", "-n", ns, "-f", "-", input=widget("kept"))
    before = controlplane.request("GET", f"/api/v1/namespaces/{ns}/configmaps/kept")
    port = controlplane.port

    controlplane.restart_apiserver()

    assert controlplane.port == port
    after = controlplane.request("GET", f"/api/v1/namespaces/{ns}/configmaps/kept")
    assert after["metadata"]["uid"] == before["metadata"]["uid"]
    assert after["data"] == {"k": "v"}
    got = controlplane.kubectl("get", "-n", ns, "widget", "kept", "-o", "jsonpath={.spec.maxReplicas}")
    assert got.stdout == "2"
