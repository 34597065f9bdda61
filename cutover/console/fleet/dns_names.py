"""A tenant's DNS names as the console shows them: every name, the zone it lives in, where it sends the
tenant's traffic as last read, and (in the detail view) how its last change propagated."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from cutover.config.units import format_duration
from cutover.model.tenant import Tenant
from cutover.state.events import Event


@dataclass(frozen=True)
class NameRow:
    name: str
    zone: str  # as the matrix gave it ("" for the tenant's zone)
    side: str  # "AWS", "OCI", "OCI 25 %", "no record", "not read yet", "neither target"
    routing: str  # the record as read, in words
    at: float | None
    primary: bool

    @property
    def where(self) -> str:
        return f"{self.name}@{self.zone}" if self.zone else self.name


def _side(share: float | None, routing: str) -> str:
    if routing == "no record":
        return "no record"
    if share is None:
        return "neither target"
    if share == 0:
        return "AWS"
    if share == 1:
        return "OCI"
    return f"OCI {share * 100:.0f} %"


def name_rows(tenant: Tenant) -> list[NameRow]:
    """Every name of the tenant (its DNS name first), with what the last read found."""
    seen = {item.name: item for item in tenant.names_seen}
    zone_of = {extra.name: extra.zone for extra in tenant.dns_names}
    rows = []
    for index, extra in enumerate(tenant.dns_names):
        item = seen.get(extra.name)
        if item is None:
            rows.append(NameRow(extra.name, zone_of[extra.name], "not read yet", "", None, index == 0))
        else:
            side = _side(item.oci_share, item.routing)
            rows.append(NameRow(extra.name, zone_of[extra.name], side, item.routing, item.at, index == 0))
    return rows


def name_lines(tenant: Tenant, now: float) -> list[str]:
    """ "api.t42.example.com@zone-b: OCI (129.213.0.1 (TTL 60)), read 5s ago" — one line a name."""
    lines = []
    for row in name_rows(tenant):
        age = f", read {format_duration(max(0.0, now - row.at))} ago" if row.at is not None else ""
        routing = f" ({row.routing})" if row.routing and row.routing != row.side else ""
        lines.append(f"{row.where}: {row.side}{routing}{age}")
    return lines


def names_json(tenant: Tenant) -> list[dict[str, Any]]:
    return [
        {"name": row.name, "zone": row.zone or None, "side": row.side, "routing": row.routing or None, "at": row.at}
        for row in name_rows(tenant)
    ]


def propagation_of(events: Sequence[Event], name: str) -> str:
    """The last `dns.propagated` outcome for this name: "propagated 58s (2/2 servers)", or ""."""
    for event in reversed(events):
        if event.kind == "dns.propagated" and event.detail.get("name") == name:
            return str(event.detail.get("summary", ""))
    return ""
