"""The log filter that keeps resource bodies and credentials out of the operator's logs."""

from __future__ import annotations

import logging

import pytest

from sagemaker_operator.logredact import REDACTED, Redact


def _record(msg: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord("kopf.objects", logging.DEBUG, __file__, 1, msg, args, None)


@pytest.mark.parametrize(
    "line",
    [
        "Creation is in progress: {'spec': {'environment': {'TOKEN': 'hunter2'}}}",
        "Updating diff: (('change', ('spec', 'environment', 'TOKEN'), 'hunter1', 'hunter2'),)",
        "Merge-patching the resource with: {'metadata': {'annotations': {'x': '{\"TOKEN\": \"hunter2\"}'}}}",
        "Merge-patching the status with: {'status': {'x': 'hunter2'}}",
    ],
)
def test_body_dumps_lose_the_body(line: str) -> None:
    record = _record(line)
    assert Redact().filter(record)
    assert "hunter2" not in record.getMessage() and record.getMessage().endswith(REDACTED)


def test_credentials_masked_and_other_lines_untouched(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMIsecret")
    monkeypatch.delenv("AWS_SESSION_TOKEN", raising=False)
    redact = Redact()
    record = _record("signing with %s", "wJalrXUtnFEMIsecret")
    redact.filter(record)
    assert record.getMessage() == "signing with <redacted>"
    record = _record("Handler %r succeeded.", "wake_on_change")
    redact.filter(record)
    assert record.getMessage() == "Handler 'wake_on_change' succeeded."
