"""Keep resource bodies and credentials out of the operator's logs, whatever the log level.

kopf's debug logging prints whole objects ("Creation is in progress: {body}", the spec diff, the
annotation patch carrying the last-handled spec). A spec holds container environment values, which
people use for tokens, so those lines keep their first words and lose the dump. As defence in depth
the process's own AWS secret key and session token are masked in every record.
"""

from __future__ import annotations

import logging
import os
import re

REDACTED = "<redacted: resource bodies are not logged>"
_BODY_DUMP = re.compile(
    r"^(?P<head>\w+ is in progress|\w+ diff|Merge-patching the (?:resource|status) with|Patching with): ",
)
_SECRET_VARIABLES = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


class Redact(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.secrets = [v for v in (os.environ.get(n) for n in _SECRET_VARIABLES) if v and len(v) >= 8]

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and not record.args:
            match = _BODY_DUMP.match(record.msg)
            if match:
                record.msg = f"{match['head']}: {REDACTED}"
        if self.secrets:
            text = record.getMessage()
            if any(s in text for s in self.secrets):
                for secret in self.secrets:
                    text = text.replace(secret, "<redacted>")
                record.msg, record.args = text, ()
        return True


def install() -> None:
    """Attach the filter to every handler of the root logger (call after logging is configured)."""
    redact = Redact()
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
