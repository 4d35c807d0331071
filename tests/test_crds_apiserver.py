"""The generated CRDs on a real kube-apiserver: install, examples, CEL, schema, scale, printer columns.

Uses kube_testenv's session fixtures `controlplane` (ControlPlane with .kubectl(*args, input=,
check=)) and `unique_namespace`.
"""

from __future__ import annotations

import json
import pathlib
from datetime import UTC, datetime
from typing import Any

import pytest
import yaml

from sagemaker_operator import shapes
from sagemaker_operator.models import InferenceComponentStatus

pytestmark = pytest.mark.controlplane

ROOT = pathlib.Path(__file__).resolve().parents[1]
ARN_PREFIX = "arn:aws:sagemaker:us-west-2:123456789012"
CRD_NAMES = [
    "inferencecomponents.sagemaker.inference-operator.dev",
    "inferenceexperiments.sagemaker.inference-operator.dev",
]


@pytest.fixture(scope="module")
def kube(controlplane: Any) -> Any:
    """The control plane with both CRDs installed and established."""
    controlplane.kubectl("apply", "--server-side", "-f", str(ROOT / "crds"))
    controlplane.kubectl("wait", "--for=condition=Established", "--timeout=60s", *(f"crd/{n}" for n in CRD_NAMES))
    return controlplane


def example(name: str, namespace: str, **spec: Any) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((ROOT / "examples" / name).read_text())
    data["metadata"]["namespace"] = namespace
    data["spec"].update(spec)
    return data


def apply(kube: Any, obj: dict[str, Any], *extra: str, check: bool = True) -> Any:
    return kube.kubectl("apply", *extra, "-f", "-", input=json.dumps(obj), check=check)


def get(kube: Any, kind: str, name: str, namespace: str) -> dict[str, Any]:
    out = kube.kubectl("get", kind, name, "-n", namespace, "-o", "json").stdout
    data: dict[str, Any] = json.loads(out)
    return data


def rejected(kube: Any, *args: str, obj: dict[str, Any] | None = None) -> str:
    """Run a kubectl command that the API server must refuse; return its error text."""
    result = kube.kubectl(*args, input=json.dumps(obj) if obj is not None else None, check=False)
    assert result.returncode != 0, f"accepted: {args}\n{result.stdout}"
    text: str = result.stderr
    return text


def test_examples_apply_with_defaults(kube: Any, unique_namespace: str) -> None:
    for name in sorted(p.name for p in (ROOT / "examples").glob("*.yaml")):
        apply(kube, example(name, unique_namespace))
    ic = get(kube, "smic", "embeddings-autoscaled", unique_namespace)
    assert ic["spec"]["deletionPolicy"] == "Delete"
    assert ic["spec"]["adoptExisting"] is False
    assert "runtimeConfig" not in ic["spec"]
    ie = get(kube, "smie", "shadow-test", unique_namespace)
    assert ie["spec"]["desiredState"] == "Running"
    listed = kube.kubectl("get", "sagemaker", "-n", unique_namespace, "-o", "name").stdout.split()
    assert len(listed) == 4


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"spec": {"endpointName": "other-endpoint"}}, "endpointName"),
        ({"spec": {"variantName": "Other"}}, "variantName"),
        ({"spec": {"variantName": None}}, "variantName"),
        ({"spec": {"inferenceComponentName": "renamed"}}, "inferenceComponentName"),
    ],
)
def test_ic_immutable_fields(kube: Any, unique_namespace: str, patch: dict[str, Any], field: str) -> None:
    apply(kube, example("inference-component.yaml", unique_namespace))
    args = ("patch", "smic", "llama-base", "-n", unique_namespace, "--type=merge", "-p", json.dumps(patch))
    assert f"{field} is immutable" in rejected(kube, *args)
    # fields that are not immutable can change
    kube.kubectl(
        "patch",
        "smic",
        "llama-base",
        "-n",
        unique_namespace,
        "--type=merge",
        "-p",
        json.dumps({"spec": {"runtimeConfig": {"copyCount": 2}}}),
    )


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"spec": {"name": "renamed"}}, "name"),
        ({"spec": {"roleArn": "arn:aws:iam::123456789012:role/Other"}}, "roleArn"),
        ({"spec": {"endpointName": "other-endpoint"}}, "endpointName"),
        ({"spec": {"kmsKey": "alias/new-key"}}, "kmsKey"),
    ],
)
def test_ie_immutable_fields(kube: Any, unique_namespace: str, patch: dict[str, Any], field: str) -> None:
    apply(kube, example("inference-experiment.yaml", unique_namespace))
    args = ("patch", "smie", "shadow-test", "-n", unique_namespace, "--type=merge", "-p", json.dumps(patch))
    assert f"{field} is immutable" in rejected(kube, *args)
    kube.kubectl(
        "patch",
        "smie",
        "shadow-test",
        "-n",
        unique_namespace,
        "--type=merge",
        "-p",
        json.dumps({"spec": {"desiredState": "Completed", "modelVariantActions": {"shadow": "Promote"}}}),
    )


def test_schema_rejections(kube: Any, unique_namespace: str) -> None:
    ns = unique_namespace
    bad = example("inference-component.yaml", ns, deletionPolicy="Orphan")
    assert "spec.deletionPolicy" in rejected(kube, "apply", "-f", "-", obj=bad)

    bad = example("inference-component.yaml", ns, runtimeConfig={"copyCount": -1})
    assert "spec.runtimeConfig.copyCount" in rejected(kube, "apply", "-f", "-", obj=bad)

    bad = example("inference-component.yaml", ns)
    bad["spec"]["specification"]["startupParameters"]["modelDataDownloadTimeoutInSeconds"] = 5000
    assert "modelDataDownloadTimeoutInSeconds" in rejected(kube, "apply", "-f", "-", obj=bad)

    bad = example("inference-experiment.yaml", ns)
    bad["spec"]["shadowModeConfig"]["shadowModelVariants"][0]["samplingPercentage"] = 101
    assert "samplingPercentage" in rejected(kube, "apply", "-f", "-", obj=bad)

    bad = example("inference-component.yaml", ns, bogusField=1)
    err = rejected(kube, "apply", "--validate=strict", "-f", "-", obj=bad)
    assert "bogusField" in err

    bad = example("inference-component.yaml", ns, endpointName="not_valid!")
    assert "spec.endpointName" in rejected(kube, "apply", "-f", "-", obj=bad)


def test_cel_cross_field_rules(kube: Any, unique_namespace: str) -> None:
    ns = unique_namespace
    adapter = example("inference-component-adapter.yaml", ns)
    adapter["spec"]["specification"]["computeResourceRequirements"] = {"minMemoryRequiredInMb": 1024}
    assert "computeResourceRequirements must be omitted" in rejected(kube, "apply", "-f", "-", obj=adapter)

    both = example("inference-component.yaml", ns)
    both["spec"]["specifications"] = [both["spec"]["specification"]]
    assert "mutually exclusive" in rejected(kube, "apply", "-f", "-", obj=both)

    dotted = example("inference-component.yaml", ns)
    dotted["metadata"]["name"] = "has.dots"
    assert "set spec.inferenceComponentName" in rejected(kube, "apply", "-f", "-", obj=dotted)
    dotted["spec"]["inferenceComponentName"] = "has-dots"
    apply(kube, dotted)

    ie = example("inference-experiment.yaml", ns, modelVariantActions={"nope": "Retain"})
    assert "modelVariantActions keys" in rejected(kube, "apply", "-f", "-", obj=ie)


def test_scale_sets_copy_count(kube: Any, unique_namespace: str) -> None:
    ns = unique_namespace
    apply(kube, example("inference-component.yaml", ns))
    kube.kubectl("scale", "smic/llama-base", "-n", ns, "--replicas=3")
    assert get(kube, "smic", "llama-base", ns)["spec"]["runtimeConfig"]["copyCount"] == 3
    # an autoscaled component (no copyCount) gets one when scaled explicitly
    apply(kube, example("inference-component-autoscaled.yaml", ns))
    kube.kubectl("scale", "smic/embeddings-autoscaled", "-n", ns, "--replicas=2")
    assert get(kube, "smic", "embeddings-autoscaled", ns)["spec"]["runtimeConfig"]["copyCount"] == 2


def test_status_from_describe_is_accepted_and_shown(kube: Any, unique_namespace: str) -> None:
    ns = unique_namespace
    apply(kube, example("inference-component.yaml", ns))
    now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    described = shapes.from_response(
        "DescribeInferenceComponent",
        {
            "InferenceComponentName": "llama-base",
            "InferenceComponentArn": f"{ARN_PREFIX}:inference-component/llama-base",
            "EndpointName": "demo-endpoint",
            "EndpointArn": f"{ARN_PREFIX}:endpoint/demo-endpoint",
            "VariantName": "AllTraffic",
            "Specification": {"Container": {"DeployedImage": {"SpecifiedImage": "img", "ResolutionTime": now}}},
            "RuntimeConfig": {"DesiredCopyCount": 1, "CurrentCopyCount": 1},
            "CreationTime": now,
            "LastModifiedTime": now,
            "InferenceComponentStatus": "InService",
        },
    )
    status = InferenceComponentStatus.model_validate(
        {
            **described,
            "observedGeneration": 1,
            "conditions": [
                {
                    "type": "Ready",
                    "status": "True",
                    "reason": "InService",
                    "message": "1/1 copies in service",
                    "lastTransitionTime": "2026-03-01T12:00:00Z",
                    "observedGeneration": 1,
                }
            ],
            "endpoint": {"name": "demo-endpoint", "status": "InService"},
        }
    ).model_dump(by_alias=True, exclude_none=True)
    kube.kubectl(
        "patch",
        "smic",
        "llama-base",
        "-n",
        ns,
        "--subresource=status",
        "--type=merge",
        "-p",
        json.dumps({"status": status}),
    )
    stored = get(kube, "smic", "llama-base", ns)["status"]
    assert stored == status  # nothing pruned: the status schema covers the whole model
    table = kube.kubectl("get", "smic", "llama-base", "-n", ns, "-o", "wide").stdout
    header, row = table.splitlines()[:2]
    assert header.split()[:6] == ["NAME", "READY", "STATUS", "ENDPOINT", "CURRENT", "DESIRED"]
    assert row.split()[:6] == ["llama-base", "True", "InService", "demo-endpoint", "1", "1"]
    assert "1/1 copies in service" in row and "inference-component/llama-base" in row
    scale = json.loads(
        kube.kubectl(
            "get",
            "--raw",
            f"/apis/sagemaker.inference-operator.dev/v1alpha1/namespaces/{ns}/inferencecomponents/llama-base/scale",
        ).stdout
    )
    assert scale["status"]["replicas"] == 1
