"""The DNS port: read the tenants' records and change them, compare-and-swap, one zone at a time."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from cutover.model.routing import ChangeReceipt, DnsChange, DnsName, DnsRecord
from cutover.model.tenant import Tenant


@runtime_checkable
class DnsProvider(Protocol):
    source: str

    async def read_routing(self, tenants: Sequence[Tenant]) -> dict[str, DnsRecord]:
        """Every tenant's record, in as few calls as the API allows. A tenant with no record is absent."""

    async def read_names(self, names: Sequence[DnsName]) -> dict[tuple[str, str], DnsRecord]:
        """Each name's record, by (tenant id, name), in as few calls as the API allows; a name with no
        record is absent. For tenants with several names (see providers.dns_names)."""

    async def apply(self, zone: str, changes: Sequence[DnsChange]) -> ChangeReceipt:
        """One atomic change set for one hosted zone, compare-and-swap per record (a tenant with several
        names has one change a name in the set: all of them land, or none).

        Raises RecordChanged (nothing applied) if any record differs from its `expected`.
        """

    async def change_status(self, receipt: ChangeReceipt) -> ChangeReceipt:
        """The change set's current status: PENDING until the DNS service reports it in sync."""
