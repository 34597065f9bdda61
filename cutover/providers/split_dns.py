"""DNS served by two providers: most zones by one (Route 53), the listed zones by the other (OCI DNS)."""

from __future__ import annotations

from collections.abc import Sequence

from cutover.model.routing import ChangeReceipt, DnsChange, DnsName, DnsRecord
from cutover.model.tenant import Tenant
from cutover.providers.ports.dns import DnsProvider
from cutover.providers.zone_dns import tenant_zone


class SplitDns:
    def __init__(self, default: DnsProvider, other: DnsProvider, other_zones: Sequence[str]):
        self.default = default
        self.other = other
        self.other_zones = {zone.lower().rstrip(".") for zone in other_zones}
        self.source = f"{default.source}+{other.source}"

    def _for_zone(self, zone: str) -> DnsProvider:
        return self.other if zone.lower().rstrip(".") in self.other_zones else self.default

    async def read_routing(self, tenants: Sequence[Tenant]) -> dict[str, DnsRecord]:
        theirs = [t for t in tenants if tenant_zone(t) in self.other_zones]
        ours = [t for t in tenants if tenant_zone(t) not in self.other_zones]
        found: dict[str, DnsRecord] = {}
        if ours:
            found.update(await self.default.read_routing(ours))
        if theirs:
            found.update(await self.other.read_routing(theirs))
        return found

    async def read_names(self, names: Sequence[DnsName]) -> dict[tuple[str, str], DnsRecord]:
        theirs = [n for n in names if n.zone.lower().rstrip(".") in self.other_zones]
        ours = [n for n in names if n.zone.lower().rstrip(".") not in self.other_zones]
        found: dict[tuple[str, str], DnsRecord] = {}
        if ours:
            found.update(await self.default.read_names(ours))
        if theirs:
            found.update(await self.other.read_names(theirs))
        return found

    async def read_routing_and_names(
        self, tenants: Sequence[Tenant], names: Sequence[DnsName]
    ) -> tuple[dict[str, DnsRecord], dict[tuple[str, str], DnsRecord]]:
        first: dict[str, DnsRecord] = {}
        extra: dict[tuple[str, str], DnsRecord] = {}
        for provider, mine in ((self.default, False), (self.other, True)):
            members = [t for t in tenants if (tenant_zone(t) in self.other_zones) == mine]
            refs = [n for n in names if (n.zone.lower().rstrip(".") in self.other_zones) == mine]
            together = getattr(provider, "read_routing_and_names", None)
            if together is not None:
                got_first, got_extra = await together(members, refs)
            else:
                got_first = await provider.read_routing(members) if members else {}
                got_extra = await provider.read_names(refs) if refs else {}
            first.update(got_first)
            extra.update(got_extra)
        return first, extra

    async def apply(self, zone: str, changes: Sequence[DnsChange]) -> ChangeReceipt:
        return await self._for_zone(zone).apply(zone, changes)

    async def change_status(self, receipt: ChangeReceipt) -> ChangeReceipt:
        provider = self.other if receipt.source == self.other.source else self.default
        return await provider.change_status(receipt)

    async def aclose(self) -> None:
        for provider in (self.default, self.other):
            close = getattr(provider, "aclose", None)
            if close is not None:
                await close()
