"""OCI DNS as the DNS provider, for tenants whose zone lives in OCI.

A change is one PATCH of the zone's records: REQUIRE each record as it was read
(the precondition: OCI answers 412 and applies nothing if one is gone), REMOVE
it, ADD the new one; where there was no record, PROHIBIT one appearing meanwhile. The
name's fencing TXT record is changed in the same patch, with the same preconditions.
Preconditions are per record, not the zone's ETag (If-Match): the ETag changes
with every change anywhere in the zone, so another tenant's flip would refuse ours.
OCI DNS zones have no weighted records (traffic steering
policies do that), so a ramp is refused here with a clear message.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from cutover.config.providers import OciDnsSettings
from cutover.model.clock import Clock, SystemClock
from cutover.model.routing import FENCE_TTL, ChangeReceipt, ChangeStatus, DnsChange, Routing, fence_name
from cutover.providers.aws.change_batch import record_type
from cutover.providers.oci.session import OciService
from cutover.providers.ports.errors import ProviderError, ProviderObserver
from cutover.providers.zone_dns import FENCE_TYPE, READ_TYPES, ZoneDns, bare

PAGE_SIZE = 100


class OciDns(ZoneDns[dict[str, Any]]):
    def __init__(
        self,
        settings: OciDnsSettings,
        *,
        observer: ProviderObserver | None = None,
        clock: Clock | None = None,
        source: str = "oci-dns",
    ):
        self.source = source
        self.settings = settings
        self.clock = clock or SystemClock()
        self.dns = OciService.of(settings, "dns", source, observer)

    async def aclose(self) -> None:
        await self.dns.aclose()

    def _scope(self) -> dict[str, Any]:
        return {"compartment_id": self.settings.compartment_id} if self.settings.compartment_id else {}

    async def zone_records(self, zone: str) -> list[dict[str, Any]]:
        return await self._records(zone)

    async def name_records(self, zone: str, name: str) -> list[dict[str, Any]]:
        return await self._records(zone, domain=bare(name))

    async def _records(self, zone: str, domain: str | None = None) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        only = {"domain": domain} if domain else {}
        async for answer in self.dns.pages("get_zone_records", zone, limit=PAGE_SIZE, **self._scope(), **only):
            records += [
                {"domain": bare(r.domain), "rtype": r.rtype, "rdata": r.rdata, "ttl": r.ttl}
                for r in answer.data.items
                if r.rtype in READ_TYPES or r.rtype == FENCE_TYPE
            ]
        return [r for r in records if r["rtype"] in READ_TYPES or self.is_fence(r)]

    def name_of(self, record: dict[str, Any]) -> str:
        return record["domain"]

    def type_of(self, record: dict[str, Any]) -> str:
        return str(record["rtype"])

    def text_of(self, record: dict[str, Any]) -> str:
        return str(record["rdata"]).strip('"')

    def routing_of(self, records: Sequence[dict[str, Any]]) -> Routing:
        return Routing.simple(",".join(sorted(str(r["rdata"]) for r in records)), int(records[0]["ttl"]))

    def version_of(self, records: Sequence[dict[str, Any]]) -> str:
        return json.dumps(
            sorted(
                ({"rtype": r["rtype"], "rdata": r["rdata"], "ttl": int(r["ttl"])} for r in records),
                key=lambda r: (r["rtype"], r["rdata"]),
            ),
            separators=(",", ":"),
        )

    def build_operations(self, changes: Sequence[DnsChange]) -> list[dict[str, Any]]:
        operations: list[dict[str, Any]] = []
        for change in changes:
            if change.to.target is None:
                raise ProviderError(
                    self.source,
                    f"{change.tenant_id}: OCI DNS zones have no weighted records; a ramp needs Route 53 "
                    "(or an OCI traffic steering policy, which cutover does not drive): cut over in one step",
                )
            domain = bare(change.expected.name)
            old = json.loads(change.expected.version or "[]")
            if not old:  # there was no record: there must still be none
                for rtype in sorted({record_type(t) for t in change.to.target.split(",")}):
                    operations.append({"domain": domain, "rtype": rtype, "operation": "PROHIBIT"})
            for record in old:
                operations.append(
                    {
                        "domain": domain,
                        "rtype": record["rtype"],
                        "rdata": record["rdata"],
                        "ttl": record["ttl"],
                        "operation": "REQUIRE",
                    }
                )
            for record in old:
                operations.append(
                    {"domain": domain, "rtype": record["rtype"], "rdata": record["rdata"], "operation": "REMOVE"}
                )
            for target in change.to.target.split(","):
                operations.append(
                    {
                        "domain": domain,
                        "rtype": record_type(target),
                        "rdata": target,
                        "ttl": change.to.ttl,
                        "operation": "ADD",
                    }
                )
            if change.fence:
                operations += _fence_operations(domain, change.expected.fence, change.fence)
        return operations

    async def apply(self, zone: str, changes: Sequence[DnsChange]) -> ChangeReceipt:
        import oci

        operations = self.build_operations(changes)
        details = oci.dns.models.PatchZoneRecordsDetails(
            items=[oci.dns.models.RecordOperation(**operation) for operation in operations]
        )
        now = self.clock.now()
        try:
            answer = await self.dns.call("patch_zone_records", zone, details, **self._scope())
        except ProviderError as exc:
            if exc.code != "PreconditionFailed":
                raise
            changed = await self.first_changed(zone, changes)
            if changed is not None:
                raise changed from exc
            raise
        tenant_ids = tuple(change.tenant_id for change in changes)
        # OCI DNS applies a patch when it answers: there is no change to wait for.
        return ChangeReceipt(zone, answer.request_id or "", tenant_ids, ChangeStatus.INSYNC, now, self.source)

    async def change_status(self, receipt: ChangeReceipt) -> ChangeReceipt:
        return receipt


def _fence_operations(domain: str, read: str, token: str) -> list[dict[str, Any]]:
    """Replace the fencing record's token `read` by `token`, on condition it is still `read` (or still absent)."""
    fence = bare(fence_name(domain))
    if not read:
        operations = [{"domain": fence, "rtype": FENCE_TYPE, "operation": "PROHIBIT"}]
    else:
        old = {"domain": fence, "rtype": FENCE_TYPE, "rdata": f'"{read}"'}
        operations = [{**old, "operation": "REQUIRE"}, {**old, "operation": "REMOVE"}]
    new = {"domain": fence, "rtype": FENCE_TYPE, "rdata": f'"{token}"', "ttl": FENCE_TTL, "operation": "ADD"}
    return [*operations, new]
