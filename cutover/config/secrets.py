"""Credentials never belong in the configuration: what they look like, so they are refused, never echoed.

The configuration names where a secret comes from (an environment variable, a profile);
a value that is itself a credential (a password in a URL, a login in a JSON body, a
webhook URL or a key pasted where a variable's name goes) is refused naming the key, and
no message shows it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

# Key names that hold a credential.
SECRET_KEY = re.compile(
    r"(secret|password|passwd|passphrase|pass_phrase|token|private_key|key_content|access_key|api_?key|apikey"
    r"|credential|webhook_url|authorization|cookie)",
    re.IGNORECASE,
)
_USERINFO = re.compile(r"^[a-z][a-z0-9+.-]*://[^/?#@\s]*@", re.IGNORECASE)
_WEBHOOK = re.compile(r"https?://(?:hooks\.slack\.com|[^\s]*/(?:services|webhooks?|hooks)/)", re.IGNORECASE)
_AUTH_SCHEME = re.compile(r"\b(?:Basic|Bearer|Token)\s+[A-Za-z0-9._~+/=-]{8,}")
# One run of 20 or more letters, digits and key punctuation with letters and digits both: a key or token.
_KEY_LIKE = re.compile(r"(?=[^\s]*[A-Za-z])(?=[^\s]*\d)[A-Za-z0-9_+/=.:-]{20,}")


def credential_in_url(url: str) -> bool:
    """`http://user:pass@host`: a URL carrying a login."""
    return bool(_USERINFO.match(url.strip()))


def carries_credential(text: str) -> bool:
    """A URL with a login in it, or an Authorization value (Basic ..., Bearer ...)."""
    return bool(credential_in_url(text) or _AUTH_SCHEME.search(text))


def looks_secret(value: object) -> bool:
    """Would showing this value show a credential? URLs with a login, webhook URLs, auth headers, keys."""
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return bool(carries_credential(text) or _WEBHOOK.search(text) or _KEY_LIKE.fullmatch(text.strip()))


def secret_keys(body: Any, prefix: str = "") -> Iterator[str]:
    """The paths in a JSON body whose key names a credential or whose value is one."""
    if isinstance(body, dict):
        for key, value in body.items():
            path = f"{prefix}.{key}" if prefix else str(key)
            if SECRET_KEY.search(str(key)) and value not in (None, "", {}, []):
                yield path
            else:
                yield from secret_keys(value, path)
    elif isinstance(body, list):
        for number, value in enumerate(body):
            yield from secret_keys(value, f"{prefix}[{number}]")
    elif isinstance(body, str) and carries_credential(body):
        yield prefix
