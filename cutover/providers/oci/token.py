"""An OCI config profile's session token (`oci session authenticate`): when it expires.

Only for `cutover doctor`. The profile is read as the OCI SDK reads it (an INI file,
[DEFAULT] inherited); the token is a JWT whose `exp` claim is its end. Nothing here
returns the token or any key.
"""

from __future__ import annotations

import base64
import configparser
import json
from dataclasses import dataclass
from pathlib import Path

from cutover.config.access import OciAccess
from cutover.providers.ports.errors import ProviderError


@dataclass(frozen=True)
class OciProfileInfo:
    config_file: Path
    profile: str
    key_file: str  # "" when the profile names none
    token_file: str  # "" when the profile does not use a session token
    token_expires_at: float | None  # the token's `exp`, epoch seconds


def profile_info(access: OciAccess, source: str = "oci") -> OciProfileInfo:
    path = Path(access.config_file).expanduser()
    parser = configparser.ConfigParser(interpolation=None)
    try:
        with path.open() as handle:
            parser.read_file(handle)
    except FileNotFoundError:
        raise ProviderError(source, f"{path}: no OCI config file; run `oci setup config` or set config_file") from None
    except (OSError, configparser.Error) as exc:
        raise ProviderError(source, f"{path}: unreadable ({type(exc).__name__}): fix or recreate it") from None
    if access.profile != "DEFAULT" and not parser.has_section(access.profile):
        raise ProviderError(source, f"{path}: no profile [{access.profile}]; set profile to one in that file")
    section = parser[access.profile] if access.profile != "DEFAULT" else parser.defaults()
    key_file = str(section.get("key_file", "") or "")
    token_file = str(section.get("security_token_file", "") or "")
    expires = None
    if token_file:
        token_path = Path(token_file).expanduser()
        if not token_path.is_absolute():
            token_path = path.parent / token_path
        try:
            token = token_path.read_text().strip()
        except OSError as exc:
            raise ProviderError(
                source,
                f"{path} [{access.profile}]: session token {token_path} unreadable ({exc.strerror}): "
                f"run `oci session authenticate --profile-name {access.profile}`",
            ) from None
        expires = token_expiry(token)
        if expires is None:
            raise ProviderError(
                source,
                f"{path} [{access.profile}]: {token_path} does not hold a session token: "
                f"run `oci session authenticate --profile-name {access.profile}`",
            )
    return OciProfileInfo(path, access.profile, key_file, token_file, expires)


def token_expiry(token: str) -> float | None:
    """A JWT's `exp` claim, or None when the text is not a JWT with one (the signature is not checked)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
        return float(payload["exp"])
    except (ValueError, KeyError, TypeError):
        return None
