"""Keeping credentials out of every message a provider writes: errors, retry notices, and so logs,
the store and the audit trail.

Two nets. Patterns catch what looks like a credential in a library's or a server's words
(a request signature, an Authorization or other credential header in any shape a server
echoes it: `Authorization: Basic ...`, `"Authorization": "Bearer ..."`, Go's
`map[Authorization:[Basic ...]]`; a `Basic <base64 user:password>` or `Bearer <token>`
anywhere; a password in a URL; a Slack webhook; an AWS access key id). And each provider
tells `remember_secret` the credentials it loads (the AWS keys and session token, the OCI
key's pass phrase, the Slack webhook, the rclone login, the test login's password), so a
server that echoes one back is caught whatever its words: as it is, or base64-encoded
(inside a Basic header or any other base64 text).

Logs get the same treatment, whichever library writes them (botocore's and httpx's
debug lines show request headers and URLs): importing this module makes every log
record created afterwards carry redacted words and a redacted traceback.
"""

from __future__ import annotations

import base64
import binascii
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
    # A credential header, however it is quoted or bracketed: its whole value goes.
    (
        re.compile(
            r"(?i)([\"']?\b(?:proxy-)?(?:authorization|x-api-key|api-key|x-auth-token|cookie|set-cookie)[\"']?"
            r"\s*[:=]\s*\[?\s*[\"']?)(?!(?:[A-Za-z]+ )?\[redacted)(?:[A-Za-z]+ )?[^\s\"'\[\],}]+"
        ),
        r"\1[redacted]",
    ),
    (re.compile(r"\b(Bearer)\s+[A-Za-z0-9._~+/=-]{8,}"), r"\1 [redacted]"),
    (re.compile(r"(//[^/\s:@]+:)[^/\s@]+@"), r"\1[redacted]@"),  # user:password@host
    (re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"), "[redacted access key id]"),
]
_BASIC = re.compile(r"\b(Basic)\s+([A-Za-z0-9+/_-]{4,}={0,2})")
# Shorter values are not remembered: replacing them would garble ordinary words (the lab's AWS key is "lab").
MIN_SECRET_LENGTH = 8
_SECRET_KEY = re.compile(r"(?i)(secret|password|passphrase|pass_phrase|token|key)")

_known: set[str] = set()
_lock = threading.Lock()


def remember_secret(*values: str | None) -> None:
    """Credentials a provider has loaded: from now on no message shows them, nor their base64."""
    kept = [v for v in values if v and len(v) >= MIN_SECRET_LENGTH]
    with _lock:
        for value in kept:
            _known.add(value)
            _known.update(base64_forms(value))


def base64_forms(secret: str) -> set[str]:
    """The base64 text that stands for `secret` wherever it sits in a longer encoded text (a Basic
    header's `user:password`): one form per alignment, without the characters shared with its neighbours."""
    raw = secret.encode()
    forms = set()
    for shift in range(3):
        encoded = base64.b64encode(bytes(shift) + raw).decode()
        first = -(-8 * shift // 6)  # the first character made of the secret's bits only
        last = (8 * (shift + len(raw)) - 6) // 6  # and the last
        core = encoded[first : last + 1]
        if len(core) >= MIN_SECRET_LENGTH:
            forms.update({core, core.replace("+", "-").replace("/", "_")})
    return forms


def remember_secrets_in(values: Iterable[tuple[str, object]]) -> None:
    """The values of the (key, value) pairs whose key names a secret (a login's password, a token)."""
    remember_secret(*(str(v) for k, v in values if isinstance(v, str) and _SECRET_KEY.search(k)))


def redact(text: str) -> str:
    """Remove anything that could be a credential from a message meant for people, logs or the store."""
    text = _BASIC.sub(_basic, text)  # first: the whole header value goes, not the secret's part of it
    with _lock:
        known = sorted(_known, key=len, reverse=True)  # a secret inside a longer one goes with it
    for secret in known:
        if secret in text:
            text = text.replace(secret, "[redacted]")
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def redact_json(value: Any) -> Any:
    """`value` (a server's decoded JSON answer) with every string in it redacted."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {key: redact_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [redact_json(item) for item in value]
    return value


def _basic(match: re.Match[str]) -> str:
    """`Basic <base64>` goes when the base64 is a login (user:password); "basic checks" stays."""
    try:
        decoded = base64.b64decode(match[2] + "=" * (-len(match[2]) % 4), altchars=b"-_", validate=False)
    except (binascii.Error, ValueError):
        return match[0]
    return f"{match[1]} [redacted]" if b":" in decoded else match[0]


def _redacting(make: Callable[..., logging.LogRecord]) -> Callable[..., logging.LogRecord]:
    def make_redacted(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call: leave it to logging to report
            return record
        try:
            record.msg, record.args = redact(message), None
            if record.exc_info and not record.exc_text:  # formatters print exc_text when it is set
                record.exc_text = redact("".join(traceback.format_exception(*record.exc_info)).rstrip("\n"))
        except Exception:  # the interpreter is shutting down: say nothing rather than something unredacted
            record.msg, record.args, record.exc_info = "(a message withheld: it could not be redacted)", None, None
        return record

    make_redacted.redacting = True  # type: ignore[attr-defined]
    return make_redacted


class RedactingFilter(logging.Filter):
    """On a handler: what it writes is redacted, whichever logger made the record and however
    (the record factory below only covers records made after this module was imported)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call: leave it to logging to report
            return True
        record.msg, record.args = redact(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


def redact_logs() -> None:
    """Every log record from now on is redacted. Only records that pass their logger's level are made, so
    the cost is paid for what is logged."""
    current = logging.getLogRecordFactory()
    if not getattr(current, "redacting", False):
        logging.setLogRecordFactory(_redacting(current))


redact_logs()
