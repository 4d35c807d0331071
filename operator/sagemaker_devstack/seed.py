"""Apply the SageMaker-side setup in `examples/sagemaker/*.json` (AWS CLI input JSON) with boto3.

The file name says the operation (`03-endpoint-config-ic.json` -> CreateEndpointConfig). Applying is
idempotent: a resource that already exists is left alone. Endpoints are then waited for.
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

import botocore.exceptions

_KINDS = [  # file-name marker -> boto3 method; order of the checks matters ("endpoint-config" first)
    ("endpoint-config", "create_endpoint_config"),
    ("endpoint", "create_endpoint"),
    ("model", "create_model"),
]


def operation_for(path: Path) -> str:
    stem = re.sub(r"^\d+-", "", path.stem)
    for marker, method in _KINDS:
        if stem.startswith(marker):
            return method
    raise ValueError(f"{path.name}: name must start with model-, endpoint-config- or endpoint- (after NN-)")


def apply(sm: Any, directory: Path, log: Any = print) -> list[str]:
    """Create every resource described in `directory`; return the endpoint names."""
    endpoints: list[str] = []
    for path in sorted(directory.glob("*.json")):
        method = operation_for(path)
        params: dict[str, Any] = json.loads(path.read_text())
        try:
            getattr(sm, method)(**params)
            log(f"  created {method.removeprefix('create_').replace('_', ' ')} from {path.name}")
        except botocore.exceptions.ClientError as err:
            if "already existing" not in err.response["Error"]["Message"]:
                raise
            log(f"  exists: {path.name}")
        if method == "create_endpoint":
            endpoints.append(params["EndpointName"])
    return endpoints


def wait_in_service(sm: Any, names: list[str], timeout: float = 300.0) -> None:
    deadline = time.monotonic() + timeout
    pending = set(names)
    while pending:
        for name in sorted(pending):
            status = sm.describe_endpoint(EndpointName=name)["EndpointStatus"]
            if status == "InService":
                pending.discard(name)
            elif status == "Failed":
                raise RuntimeError(f"endpoint {name} failed")
        if pending and time.monotonic() > deadline:
            raise TimeoutError(f"endpoints not InService after {timeout}s: {sorted(pending)}")
        if pending:
            time.sleep(0.5)
