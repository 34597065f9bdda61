"""What the provider checks share: which cloud accesses the configuration names, and a failure's fix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cutover.actions.wiring.doctor.results import Check, failed
from cutover.actions.wiring.doctor.skew import FIX as CLOCK_FIX
from cutover.actions.wiring.doctor.skew import DateSeen
from cutover.config.access import AwsAccess, OciAccess
from cutover.config.settings import Settings
from cutover.model.tenant import Tenant
from cutover.providers.ports.errors import ProviderError
from cutover.providers.redaction import redact

_UNREACHABLE: tuple[str, ...] = ("connection failed", "connecterror", "connect timeout", "connecttimeout", "timed out")
_UNREACHABLE += ("timeout", "could not connect", "endpointconnectionerror", "connection refused", "newconnectionerror")
_DENIED = ("accessdenied", "access denied", "notauthorized", "notauthenticated", " 401 ", " 403 ", "unauthorized")
_SKEWED = ("requesttimetooskewed", "signature expired", "clock skew", "date header")


@dataclass
class Probe:
    """What the checks share while they run: the tenants to sample, the Date headers seen."""

    settings: Settings
    tenants: list[Tenant]
    dates: list[DateSeen] = field(default_factory=list)

    def zones(self) -> list[str]:
        found = {t.hosted_zone for t in self.tenants if t.hosted_zone}
        return sorted(found)

    def sample(self, count: int = 3) -> list[Tenant]:
        return self.tenants[:count]


def fix_for(error: BaseException, *, unreachable: str, denied: str, otherwise: str) -> str:
    text = f" {error} ".lower()
    code = getattr(error, "code", "") or ""
    if code == "ExpiredToken" or "sso login" in text:
        words = str(error)
        return "run " + words.rsplit(": run ", 1)[1] if ": run " in words else otherwise
    if any(word in text for word in _SKEWED):
        return CLOCK_FIX
    if any(word in text for word in _UNREACHABLE):
        return unreachable
    if any(word in text for word in _DENIED) or code in ("401", "403", "AccessDenied", "NotAuthorizedOrNotFound"):
        return denied
    return otherwise


def from_error(name: str, error: BaseException, *, unreachable: str, denied: str, otherwise: str) -> Check:
    """A failed check from a provider's error: its words (credentials stripped) and the fix that fits."""
    detail = str(error) if isinstance(error, ProviderError) else redact(f"{type(error).__name__}: {error}")
    return failed(name, detail, fix_for(error, unreachable=unreachable, denied=denied, otherwise=otherwise))


def aws_accesses(settings: Settings) -> dict[tuple[Any, ...], tuple[AwsAccess, list[str]]]:
    """Every AWS access the configured providers use, once each, with who uses it."""
    providers = settings.providers
    found: list[tuple[str, AwsAccess]] = []
    dns = providers.dns
    if dns.kind == "route53":
        found.append(("dns", dns.aws))
    elif dns.kind == "split":
        found.append(("dns", dns.route53.aws))
    metrics = providers.metrics
    if metrics.kind == "cloud" and metrics.aws is not None:
        found.append(("metrics", metrics.aws.aws))
    sync = providers.sync
    if sync.kind == "rclone" and sync.listings is not None:
        found.append(("sync listings", sync.listings.s3))
    health = providers.health
    if health.kind == "oci_lb" and health.aws_targets is not None:
        found.append(("health aws targets", health.aws_targets.aws))
    accesses: dict[tuple[Any, ...], tuple[AwsAccess, list[str]]] = {}
    for role, access in found:
        key = (access.profile, access.region, access.endpoint_url)
        accesses.setdefault(key, (access, []))[1].append(role)
    return accesses


def oci_accesses(settings: Settings) -> dict[tuple[Any, ...], tuple[OciAccess, list[str]]]:
    providers = settings.providers
    found: list[tuple[str, OciAccess]] = []
    dns = providers.dns
    if dns.kind == "oci_dns":
        found.append(("dns", dns.oci))
    elif dns.kind == "split":
        found.append(("dns", dns.oci.oci))
    metrics = providers.metrics
    if metrics.kind == "cloud" and metrics.oci is not None:
        found.append(("metrics", metrics.oci.oci))
    sync = providers.sync
    if sync.kind == "rclone" and sync.listings is not None:
        found.append(("sync listings", sync.listings.oci))
    health = providers.health
    if health.kind == "oci_lb":
        found.append(("health", health.oci))
    accesses: dict[tuple[Any, ...], tuple[OciAccess, list[str]]] = {}
    for role, access in found:
        key = (access.auth, str(access.config_file), access.profile, access.region, access.endpoint)
        accesses.setdefault(key, (access, []))[1].append(role)
    return accesses
