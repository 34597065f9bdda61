"""The DNS changes an action makes: what each tenant's record becomes, grouped into change sets.

Pure: the routing a tenant should have for each action, and how changes group
into one change set per hosted zone (Route 53 applies a change set atomically).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cutover.model.routing import DnsRecord, Routing
from cutover.model.tenant import Tenant


def to_oci(tenant: Tenant, ttl: int) -> Routing:
    return Routing.simple(tenant.oci_target, ttl)


def to_aws(tenant: Tenant, ttl: int) -> Routing:
    return Routing.simple(tenant.aws_target, ttl)


def ramp_stage(tenant: Tenant, percent: int, ttl: int) -> Routing:
    """A ramp stage's routing: a weighted pair, or the simple OCI record at 100 %.

    The last stage returns to a simple record (weighted 0/100 would keep the AWS
    record alive for no reason): one atomic change from the pair to the record.
    """
    if percent >= 100:
        return to_oci(tenant, ttl)
    return Routing.split(tenant.aws_target, tenant.oci_target, percent, ttl)


def same_routing(a: Routing, b: Routing) -> bool:
    """Equal as DNS serves them: same target, or same weights per target (TTL aside)."""
    if a.target is not None or b.target is not None:
        return a.target == b.target
    return sorted((w.target, w.weight) for w in a.weights if w.weight) == sorted(
        (w.target, w.weight) for w in b.weights if w.weight
    )


@dataclass(frozen=True)
class ChangeLine:
    tenant_id: str
    zone: str
    name: str
    before: str  # the record as last read (live, or from the store's last DNS poll)
    after: str
    noop: bool = False  # the record already is what the action wants

    def to_json(self) -> dict[str, object]:
        return {
            "tenant": self.tenant_id,
            "zone": self.zone,
            "name": self.name,
            "from": self.before,
            "to": self.after,
            "noop": self.noop,
        }


@dataclass(frozen=True)
class ChangeSet:
    zone: str
    lines: tuple[ChangeLine, ...]

    def to_json(self) -> dict[str, object]:
        return {"zone": self.zone, "changes": [line.to_json() for line in self.lines]}


def change_line(tenant: Tenant, to: Routing, record: DnsRecord | None) -> ChangeLine:
    if record is not None:
        before = record.describe()
        noop = same_routing(record.routing, to)
    else:
        before = tenant.dns_routing or "not read yet"
        noop = False
    # A tenant with several names: every one of them changes with it (one change set a zone).
    name = ", ".join(extra.name for extra in tenant.dns_names) if tenant.several_names else tenant.dns_name
    return ChangeLine(tenant.tenant_id, tenant.hosted_zone, name, before, to.describe(), noop)


def name_lines(tenant: Tenant, to: Routing, records: Mapping[str, DnsRecord]) -> list[ChangeLine]:
    """A tenant with several DNS names: one line a name, in its zone (as the matrix gave it)."""
    lines = []
    for index, extra in enumerate(tenant.dns_names):
        record = records.get(extra.name)
        zone = tenant.hosted_zone if index == 0 else extra.zone or tenant.hosted_zone
        before = record.describe() if record is not None else "not read yet"
        noop = record is not None and same_routing(record.routing, to)
        lines.append(ChangeLine(tenant.tenant_id, zone, extra.name, before, to.describe(), noop))
    return lines


def group_by_zone(lines: Sequence[ChangeLine], *, per_tenant: bool) -> tuple[ChangeSet, ...]:
    """One change set per zone (rollback of many), or one per tenant (flips run tenant by tenant); a tenant
    with several names has them in one set per zone."""
    if per_tenant:
        sets: dict[tuple[str, str], list[ChangeLine]] = {}
        for line in lines:
            if not line.noop:
                sets.setdefault((line.tenant_id, line.zone), []).append(line)
        return tuple(ChangeSet(zone, tuple(found)) for (_, zone), found in sets.items())
    zones: dict[str, list[ChangeLine]] = {}
    for line in lines:
        if not line.noop:
            zones.setdefault(line.zone, []).append(line)
    return tuple(ChangeSet(zone, tuple(found)) for zone, found in sorted(zones.items()))
