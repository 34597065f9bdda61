"""Tenants with several DNS names (the matrix's `Extra DNS names`): reading every name, and what the
store shows of them.

A tenant with one name is read and shown exactly as before (`read_routing`). A tenant with
several is read name by name (`read_names`); the store keeps each name's last read
(`Tenant.names_seen`) and, for the fleet table and the rules, the worst of them: its share to
OCI is the smallest (a tenant is on OCI only when every name is), unknown when one name is
unknown, and its routing in words says `split` when the names disagree.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cutover.model.routing import DnsRecord, Routing, WeightedTarget
from cutover.model.tenant import NameSeen, Tenant, names_seen_json
from cutover.providers.ports.dns import DnsProvider
from cutover.providers.zone_dns import tenant_names
from cutover.state.ttl_history import ttl_observation

NO_RECORD = "no record"


async def read_every_name(
    dns: DnsProvider, tenants: Sequence[Tenant]
) -> tuple[dict[str, DnsRecord], dict[str, dict[str, DnsRecord]]]:
    """(each tenant's DNS-name record as `read_routing` gives it, and for each tenant with several names
    every name's record by name, its DNS name included). A name with no record is absent."""
    several = [tenant for tenant in tenants if tenant.several_names]
    if not several:
        return await dns.read_routing(list(tenants)), {}
    refs = [ref for tenant in several for ref in tenant_names(tenant)[1:]]
    together = getattr(dns, "read_routing_and_names", None)
    if together is not None:  # a zone both reads need is listed once
        first, extra = await together(list(tenants), refs)
    else:
        first = await dns.read_routing(list(tenants))
        extra = await dns.read_names(refs)
    names: dict[str, dict[str, DnsRecord]] = {}
    for tenant in several:
        mine: dict[str, DnsRecord] = {}
        for ref in tenant_names(tenant):
            record = first.get(tenant.tenant_id) if ref.primary else extra.get((tenant.tenant_id, ref.name))
            if record is not None:
                mine[ref.name] = record
        names[tenant.tenant_id] = mine
    return first, names


def side_of(routing: Routing, tenant: Tenant) -> str:
    """ "AWS", "OCI", "OCI 25 %" or the routing in words: where a name sends the tenant's traffic."""
    share = routing.oci_share(tenant.aws_target, tenant.oci_target)
    if share == 0.0:
        return "AWS"
    if share == 1.0:
        return "OCI"
    if share is not None:
        return f"OCI {share * 100:.0f} %"
    return routing.describe()


def seen_of(tenant: Tenant, records: Mapping[str, DnsRecord], now: float) -> list[NameSeen]:
    """Each name of the tenant as read (a name without a record says so)."""
    seen = []
    for ref in tenant_names(tenant):
        record = records.get(ref.name)
        if record is None:
            seen.append(NameSeen(ref.name, ref.zone, NO_RECORD, None, None, now, ref.primary))
        else:
            seen.append(
                NameSeen(
                    ref.name,
                    record.zone,
                    record.describe(),
                    record.routing.oci_share(tenant.aws_target, tenant.oci_target),
                    record.routing.ttl,
                    record.measured_at,
                    ref.primary,
                )
            )
    return seen


def names_observation(tenant: Tenant, seen: Sequence[NameSeen], *, assume_previous: int) -> dict[str, Any]:
    """What the store records for a tenant with several names: every name, and the worst of them."""
    shares = [item.oci_share for item in seen]
    share = None if any(s is None for s in shares) else min(s for s in shares if s is not None)
    routings = {item.routing for item in seen}
    if len(routings) == 1:
        routing = seen[0].routing
    else:
        routing = "split: " + "; ".join(f"{item.name} {item.routing}" for item in seen)
    at = min(item.at for item in seen)
    ttls = [item.ttl for item in seen if item.ttl is not None]
    observed: dict[str, Any] = {
        "dns_oci_share": share,
        "dns_routing": routing,
        "dns_at": at,
        "dns_names_seen": names_seen_json(seen),
    }
    if ttls:
        observed.update(ttl_observation(tenant, max(ttls), at, assume_previous=assume_previous))
    return observed


def worst_name(tenant: Tenant) -> NameSeen | None:
    """The name furthest from the rest: the first whose share differs from the DNS name's, else None."""
    seen = tenant.names_seen
    if not seen:
        return None
    first = seen[0]
    return next((item for item in seen[1:] if item.oci_share != first.oci_share), None)


def routing_json(routing: Routing) -> dict[str, Any]:
    """A routing as a job step keeps it, to put a name back to it after a restart."""
    if routing.target is not None:
        return {"ttl": routing.ttl, "target": routing.target}
    return {"ttl": routing.ttl, "weights": [[w.set_id, w.target, w.weight] for w in routing.weights]}


def routing_from(data: Mapping[str, Any]) -> Routing:
    if "target" in data:
        return Routing(ttl=int(data["ttl"]), target=str(data["target"]))
    return Routing(
        ttl=int(data["ttl"]), weights=tuple(WeightedTarget(str(s), str(t), int(w)) for s, t, w in data["weights"])
    )
