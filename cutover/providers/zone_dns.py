"""What the two real DNS providers (Route 53 and OCI DNS) share.

Both read a whole zone in one listing and hand each tenant its records; both change
records by compare-and-swap (the provider applies a change only while the records
are still as they were read) and, when a change is refused, read the names again to
say whose record changed under us. Both keep each tenant name's fencing TXT record
(model/routing.FENCE_LABEL) and change it in the same atomic change as the tenant's
record. What differs is how each lists records and how its raw records read (their
name, type, routing, version and fence token): a subclass says that.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections import defaultdict
from collections.abc import Sequence
from typing import Any, Generic, TypeVar

from cutover.model.clock import Clock
from cutover.model.routing import DnsChange, DnsName, DnsRecord, Routing, fence_name, fenced_name
from cutover.model.tenant import Tenant
from cutover.providers.ports.errors import RecordChanged

Record = TypeVar("Record")
_Index = tuple[dict[str, list[Any]], dict[str, list[Any]]]
READ_TYPES = ("A", "AAAA", "CNAME")  # the records that route a tenant; others in the zone are not ours to read
FENCE_TYPE = "TXT"
# A Route 53 zone id is upper case without dots (Z0123456789ABC); a zone name is lower case with dots.
ROUTE53_ZONE_ID = re.compile(r"^(?:/hostedzone/)?([A-Z0-9]{4,32})$")


def bare(name: str) -> str:
    """A DNS name as both providers compare names: lower case, no trailing dot."""
    return name.lower().rstrip(".")


def tenant_zone(tenant: Tenant) -> str:
    """The tenant's zone: as the matrix gives it (a Route 53 zone id keeps its case, a name is made bare),
    else the parent of its DNS name."""
    zone = tenant.hosted_zone.strip() or tenant.dns_name.split(".", 1)[-1]
    return zone if ROUTE53_ZONE_ID.match(zone) else bare(zone)


def zone_as_written(zone: str) -> str:
    """A zone as a change is addressed to: a Route 53 zone id keeps its case, a name is made bare."""
    zone = zone.strip()
    return zone if ROUTE53_ZONE_ID.match(zone) or zone.startswith("ocid1.") else bare(zone)


def tenant_names(tenant: Tenant) -> tuple[DnsName, ...]:
    """Every name of the tenant with its zone: its DNS name first, then its extra names (an extra name
    without a zone of its own lives in the tenant's zone)."""
    home = tenant_zone(tenant)
    first = DnsName(tenant.tenant_id, bare(tenant.dns_name), home, True)
    return (
        first,
        *(
            DnsName(tenant.tenant_id, extra.name, zone_as_written(extra.zone) if extra.zone else home, False)
            for extra in tenant.dns_names[1:]
        ),
    )


class ZoneDns(ABC, Generic[Record]):
    """A DnsProvider's reading side and its compare-and-swap refusals, over one provider's raw records."""

    source: str
    clock: Clock

    def zone_of(self, tenant: Tenant) -> str:
        return tenant_zone(tenant)

    @abstractmethod
    async def zone_records(self, zone: str) -> list[Record]:
        """Every A, AAAA and CNAME record of the zone, and its fencing TXT records."""

    @abstractmethod
    async def name_records(self, zone: str, name: str) -> list[Record]:
        """The A, AAAA and CNAME records of one name, and its fencing TXT record, read now."""

    @abstractmethod
    def name_of(self, record: Record) -> str:
        """The record's name, bare (see `bare`)."""

    @abstractmethod
    def type_of(self, record: Record) -> str:
        """The record's type: A, AAAA, CNAME, TXT."""

    @abstractmethod
    def text_of(self, record: Record) -> str:
        """A TXT record's text, without its quotes."""

    def is_fence(self, record: Record) -> bool:
        return self.type_of(record) == FENCE_TYPE and fenced_name(self.name_of(record)) is not None

    def fence_of(self, records: Sequence[Record]) -> str:
        """The token of a name's fencing record, "" when it has none."""
        return ",".join(sorted(self.text_of(r) for r in records if self.is_fence(r)))

    def split(self, records: Sequence[Record]) -> tuple[list[Record], list[Record]]:
        """(routing records, fencing records)."""
        routing = [r for r in records if self.type_of(r) in READ_TYPES and not self.is_fence(r)]
        return routing, [r for r in records if self.is_fence(r)]

    @abstractmethod
    def routing_of(self, records: Sequence[Record]) -> Routing: ...

    @abstractmethod
    def version_of(self, records: Sequence[Record]) -> str:
        """What a change must find to apply: equal versions mean equal records."""

    async def read_routing(
        self, tenants: Sequence[Tenant], *, _listed: dict[str, _Index] | None = None
    ) -> dict[str, DnsRecord]:
        """One listing a zone; a tenant with no record in its zone is left out."""
        by_zone: dict[str, list[Tenant]] = defaultdict(list)
        for tenant in tenants:
            by_zone[self.zone_of(tenant)].append(tenant)
        found: dict[str, DnsRecord] = {}
        for zone, members in by_zone.items():
            by_name, fences = await self._zone_index(zone, _listed)
            now = self.clock.now()
            for tenant in members:
                mine = by_name.get(bare(tenant.dns_name))
                if mine:
                    fence = fences.get(bare(tenant.dns_name), [])
                    found[tenant.tenant_id] = self.dns_record(
                        tenant.tenant_id, tenant.dns_name, zone, [*mine, *fence], now
                    )
        return found

    async def read_names(
        self, names: Sequence[DnsName], *, _listed: dict[str, _Index] | None = None
    ) -> dict[tuple[str, str], DnsRecord]:
        """One listing a zone, for every name in it; a name with no record is left out."""
        by_zone: dict[str, list[DnsName]] = defaultdict(list)
        for name in names:
            by_zone[name.zone].append(name)
        found: dict[tuple[str, str], DnsRecord] = {}
        for zone, members in by_zone.items():
            by_name, fences = await self._zone_index(zone, _listed)
            now = self.clock.now()
            for member in members:
                mine = by_name.get(bare(member.name))
                if mine:
                    fence = fences.get(bare(member.name), [])
                    found[(member.tenant_id, member.name)] = self.dns_record(
                        member.tenant_id, member.name, zone, [*mine, *fence], now
                    )
        return found

    async def read_routing_and_names(
        self, tenants: Sequence[Tenant], names: Sequence[DnsName]
    ) -> tuple[dict[str, DnsRecord], dict[tuple[str, str], DnsRecord]]:
        """`read_routing(tenants)` and `read_names(names)` together: a zone both need is listed once."""
        listed: dict[str, _Index] = {}
        return await self.read_routing(tenants, _listed=listed), await self.read_names(names, _listed=listed)

    async def _zone_index(self, zone: str, listed: dict[str, _Index] | None = None) -> _Index:
        """The zone's routing records by name, and its fencing records by the name they stand beside."""
        if listed is not None and zone in listed:
            return listed[zone]
        index = await self._list_index(zone)
        if listed is not None:
            listed[zone] = index
        return index

    async def _list_index(self, zone: str) -> _Index:
        by_name: dict[str, list[Record]] = defaultdict(list)
        fences: dict[str, list[Record]] = defaultdict(list)
        for record in await self.zone_records(zone):
            if self.is_fence(record):
                fences[bare(fenced_name(self.name_of(record)) or "")].append(record)
            elif self.type_of(record) in READ_TYPES:
                by_name[self.name_of(record)].append(record)
        return by_name, fences

    def dns_record(self, tenant_id: str, name: str, zone: str, records: Sequence[Record], now: float) -> DnsRecord:
        """A tenant's record from its name's records (its fencing record among them, if any)."""
        routing, fence = self.split(records)
        return DnsRecord(
            tenant_id,
            name,
            zone,
            self.routing_of(routing),
            self.version_of(routing),
            now,
            self.source,
            self.fence_of(fence),
        )

    async def read_name(self, zone: str, name: str) -> list[Record]:
        """One name's routing records and its fencing record, read now."""
        return [*await self.name_records(zone, name), *await self.name_records(zone, fence_name(name))]

    def changed_under_us(self, zone: str, change: DnsChange, current: Sequence[Record]) -> RecordChanged:
        """The error that says the change's record is no longer what was read, and what it is now."""
        routing, _ = self.split(current)
        found = (
            self.dns_record(change.tenant_id, change.expected.name, zone, current, self.clock.now())
            if routing
            else None
        )
        return RecordChanged(self.source, change.tenant_id, change.expected, found)

    def unchanged(self, change: DnsChange, current: Sequence[Record]) -> bool:
        """The name's records (and, for a fenced change, its fence) are still as the change expects."""
        routing, fence = self.split(current)
        if self.version_of(routing) != change.expected.version:
            return False
        return not change.fence or self.fence_of(fence) == change.expected.fence

    async def first_changed(self, zone: str, changes: Sequence[DnsChange]) -> RecordChanged | None:
        """Reads each change's name again, in order, and names the first one no longer as expected."""
        for change in changes:
            current = await self.read_name(zone, change.expected.name)
            if not self.unchanged(change, current):
                return self.changed_under_us(zone, change, current)
        return None
