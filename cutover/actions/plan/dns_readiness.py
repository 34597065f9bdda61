"""DNS readiness: may this tenant's record be changed now and reach every client within the low TTL?

The record must exist and send everything to the tenant's AWS target (what the
cutover's compare-and-swap expects), carry a TTL of at most `dns.ttl`, and have
carried it long enough that no resolver still caches an answer with the longer
TTL it had before (the store's TTL history, see cutover/state/ttl_history.py).
A tenant that only has to wait says when it becomes ready. A tenant with several DNS names
(`Extra DNS names`) is ready when every name is: each on AWS, the TTL the longest of theirs.
"""

from __future__ import annotations

from dataclasses import dataclass

from cutover.config.settings import Settings
from cutover.config.units import format_clock, format_duration
from cutover.model.tenant import Tenant


@dataclass(frozen=True)
class DnsReadiness:
    passed: bool | None  # None: cannot be judged (the record was never read)
    evidence: str
    age_s: float | None
    ready_at: float | None = None  # when a tenant that only has to wait becomes ready


def dns_readiness(tenant: Tenant, now: float, settings: Settings) -> DnsReadiness:
    if tenant.dns_at is None or tenant.dns_ttl is None:
        return DnsReadiness(None, f"{tenant.dns_name}: record not read yet", None)
    age = max(0.0, now - tenant.dns_at)
    if tenant.several_names:
        names = _every_name(tenant, age)
        if names is not None:
            return names
    share = tenant.dns_oci_share
    if share is None:
        return DnsReadiness(
            False, f"{tenant.dns_name} is {tenant.dns_routing}, not the AWS target {tenant.aws_target}", age
        )
    if share > 0:
        return DnsReadiness(
            False, f"{tenant.dns_name} already sends {share * 100:.0f} % to OCI ({tenant.dns_routing})", age
        )
    low = settings.dns.ttl
    if tenant.dns_ttl > low:
        return DnsReadiness(
            False,
            f"TTL {tenant.dns_ttl} s, must be at most {low} s: lower it (cutover dns lower-ttl {tenant.tenant_id})",
            age,
        )
    held = _held(tenant, now)
    safe_at = tenant.dns_ttl_safe_at
    if safe_at is not None and safe_at > now:
        when = format_clock(safe_at, settings.safety.window.zone)
        return DnsReadiness(
            False,
            f"{held}: ready at {when}, in {format_duration(safe_at - now)} "
            "(resolvers may still cache the longer TTL until then)",
            age,
            safe_at,
        )
    if tenant.several_names:
        held = f"{held}, {len(tenant.dns_names)} names on AWS"
    return DnsReadiness(True, held, age)


def _every_name(tenant: Tenant, age: float) -> DnsReadiness | None:
    """A name of several that is not on AWS (or not read yet) blocks the tenant; None when all are on AWS."""
    seen = {item.name: item for item in tenant.names_seen}
    for extra in tenant.dns_names:
        item = seen.get(extra.name)
        if item is None:
            return DnsReadiness(None, f"{extra.name}: record not read yet", None)
        if item.oci_share is None:
            return DnsReadiness(False, f"{item.name} is {item.routing}, not the AWS target {tenant.aws_target}", age)
        if item.oci_share > 0:
            return DnsReadiness(
                False, f"{item.name} already sends {item.oci_share * 100:.0f} % to OCI ({item.routing})", age
            )
    return None


def _held(tenant: Tenant, now: float) -> str:
    """ "TTL 60 s for 2m (was 3600 s)", "TTL 60 s since first read 2m ago (TTL before unknown)"."""
    since = tenant.dns_ttl_since if tenant.dns_ttl_since is not None else tenant.dns_at or now
    for_ = format_duration(max(0.0, now - since))
    if tenant.dns_ttl_before is None:
        return f"TTL {tenant.dns_ttl} s since first read {for_} ago (TTL before unknown)"
    return f"TTL {tenant.dns_ttl} s for {for_} (was {tenant.dns_ttl_before} s)"
