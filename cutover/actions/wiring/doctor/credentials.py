"""Credentials and their expiry: AWS (SSO and assumed roles expire), OCI (config profiles, session tokens)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from cutover.actions.wiring.doctor.common import Probe, aws_accesses, from_error, oci_accesses
from cutover.actions.wiring.doctor.results import Check, failed, ok, warn
from cutover.config.access import AwsAccess, OciAccess
from cutover.config.units import format_duration

SOON_S = 15 * 60.0  # credentials ending sooner than this will not last through a batch


def _when(at: float, now: float) -> str:
    stamp = datetime.fromtimestamp(at, UTC).strftime("%Y-%m-%d %H:%M UTC")
    left = at - now
    if left < 0:
        return f"{stamp} ({format_duration(-left)} ago)"
    return f"{stamp} (in {format_duration(left)})"


async def check_aws_credentials(probe: Probe) -> list[Check]:
    return [await _aws(access, roles) for access, roles in aws_accesses(probe.settings).values()]


async def _aws(access: AwsAccess, roles: list[str]) -> Check:
    from cutover.providers.aws.credentials import credential_info, profile_of

    profile = profile_of(access)
    name = f"aws credentials (profile {profile}, for {', '.join(roles)})"
    sso = f"run `aws sso login --profile {profile}` (or renew the role's session)"
    try:
        info = await credential_info(access)
    except Exception as error:
        return from_error(
            name,
            error,
            unreachable=f"the credential service did not answer: check the network, then {sso}",
            denied=sso,
            otherwise="set profile in the provider's [aws] section, or AWS_PROFILE, or run on an instance with a role",
        )
    now = time.time()
    if info.expires_at is None:
        return ok(name, f"{info.method} credentials, no expiry")
    if info.expires_at <= now:
        return failed(name, f"{info.method} credentials expired at {_when(info.expires_at, now)}", sso)
    if info.expires_at - now < SOON_S:
        return warn(name, f"{info.method} credentials expire at {_when(info.expires_at, now)}", sso)
    return ok(name, f"{info.method} credentials, valid until {_when(info.expires_at, now)}")


def check_oci_credentials(probe: Probe) -> list[Check]:
    return [_oci(access, roles) for access, roles in oci_accesses(probe.settings).values()]


def _oci(access: OciAccess, roles: list[str]) -> Check:
    from cutover.providers.oci.token import profile_info

    if access.auth == "instance_principal":
        return ok(f"oci credentials (instance principals, for {', '.join(roles)})", "checked by the calls below")
    name = f"oci credentials (profile {access.profile}, for {', '.join(roles)})"
    authenticate = f"run `oci session authenticate --profile-name {access.profile}`"
    try:
        info = profile_info(access)
    except Exception as error:
        return from_error(
            name, error, unreachable=authenticate, denied=authenticate, otherwise=_fix_words(error, authenticate)
        )
    where = f"{info.config_file} [{info.profile}]"
    if not info.token_file:
        return ok(name, f"{where}: API key {info.key_file or '(none named)'}; no session token to expire")
    now = time.time()
    expires = info.token_expires_at or 0.0
    refresh = (
        f"run `oci session refresh --profile {access.profile}` (while the session can still be refreshed) "
        f"or `oci session authenticate --profile-name {access.profile}`"
    )
    if expires <= now:
        return failed(name, f"{where}: the session token expired at {_when(expires, now)}", refresh)
    if expires - now < SOON_S:
        return warn(name, f"{where}: the session token expires at {_when(expires, now)}", refresh)
    return ok(name, f"{where}: session token valid until {_when(expires, now)}")


def _fix_words(error: BaseException, fallback: str) -> str:
    """The provider's own advice (the words after the last `;`), else the fallback."""
    words = str(error)
    return words.rsplit("; ", 1)[1] if "; " in words else fallback
