"""Keeping credentials out of every message a provider writes: errors, retry notices, and so logs,
the store and the audit trail.

Two nets. Patterns catch what looks like a credential in a library's or a server's words
(a request signature, an Authorization header, a Slack webhook, an AWS access key id).
And each provider tells `remember_secret` the credentials it loads (the AWS keys and
session token, the OCI key's pass phrase, the Slack webhook, the rclone password, the
test login's password), so a server that echoes one back is caught whatever its words.

Logs get the same treatment, whichever library writes them (botocore's and httpx's
debug lines show request headers and URLs): importing this module makes every log
record created afterwards carry redacted words and a redacted traceback.
"""

from __future__ import annotations

import logging
import re
import threading
import traceback
from collections.abc import Callable, Iterable
from typing import Any

_PATTERNS = [
    (re.compile(r"(Signature|Credential|keyId|signature)=(\"[^\"]*\"|[^\s,&]+)"), r"\1=[redacted]"),
    (re.compile(r"(?i)(X-Amz-(?:Security-Token|Signature|Credential))=[^\s&]+"), r"\1=[redacted]"),
    (re.compile(r"(?i)(X-Amz-Security-Token:\s*)\S+"), r"\1[redacted]"),
    (re.compile(r"https://hooks\.slack\.com/\S+"), "https://hooks.slack.com/[redacted]"),
    (re.compile(r"(?i)(authorization:\s*)\S+(?: \S+)?"), r"\1[redacted]"),
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "[redacted access key id]"),
]
# Shorter values are not remembered: replacing them would garble ordinary words (the lab's AWS key is "lab").
MIN_SECRET_LENGTH = 8
_SECRET_KEY = re.compile(r"(?i)(secret|password|passphrase|pass_phrase|token|key)")

_known: set[str] = set()
_lock = threading.Lock()


def remember_secret(*values: str | None) -> None:
    """Credentials a provider has loaded: from now on no message shows them."""
    with _lock:
        _known.update(v for v in values if v and len(v) >= MIN_SECRET_LENGTH)


def remember_secrets_in(values: Iterable[tuple[str, object]]) -> None:
    """The values of the (key, value) pairs whose key names a secret (a login's password, a token)."""
    remember_secret(*(str(v) for k, v in values if isinstance(v, str) and _SECRET_KEY.search(k)))


def redact(text: str) -> str:
    """Remove anything that could be a credential from a message meant for people, logs or the store."""
    with _lock:
        known = sorted(_known, key=len, reverse=True)  # a secret inside a longer one goes with it
    for secret in known:
        if secret in text:
            text = text.replace(secret, "[redacted]")
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def _redacting(make: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def make_redacted(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call: leave it to logging to report
            return record
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:  # formatters print exc_text when it is set
            record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        return record

    make_redacted.redacting = True  # type: ignore[attr-defined]
    return make_redacted


def redact_logs() -> None:
    """Every log record from now on is redacted. Only records that pass their logger's level are made, so
    the cost is paid for what is logged."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "redacting", False):
        logging.setLogRecordFactory(_redacting(current))


redact_logs()
