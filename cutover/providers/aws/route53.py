"""Route 53 as the DNS provider: fleet reads by paginated listing, flips as compare-and-swap batches."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from cutover.config.providers import Route53Settings
from cutover.model.clock import Clock, SystemClock
from cutover.model.routing import ChangeReceipt, ChangeStatus, DnsChange, Routing, fenced_name
from cutover.providers.aws import change_batch as cb
from cutover.providers.aws.session import AwsService
from cutover.providers.calls import RequestBudget
from cutover.providers.ports.errors import ProviderError, ProviderObserver
from cutover.providers.zone_dns import READ_TYPES, ROUTE53_ZONE_ID, ZoneDns, bare

PAGE_SIZE = 300  # ListResourceRecordSets returns at most 300 record sets a page
# Route 53 and moto name the record a refused DELETE or CREATE was about in these two ways.
_NAMED = (re.compile(r"name='([^']+)'"), re.compile(r"Name=([^,\]\s]+)"))


class Route53Dns(ZoneDns[dict[str, Any]]):
    """DnsProvider on Route 53. One request budget (5 a second) covers every call it makes."""

    def __init__(
        self,
        settings: Route53Settings,
        *,
        observer: ProviderObserver | None = None,
        clock: Clock | None = None,
        source: str = "route53",
    ):
        self.source = source
        self.settings = settings
        self.clock = clock or SystemClock()
        self.route53 = AwsService(
            settings.aws,
            "route53",
            source,
            retry=settings.retry,
            budget=RequestBudget(settings.requests_per_second),
            observer=observer,
        )
        self._zone_ids: dict[str, str] = dict(settings.zones)
        self._zone_names: dict[str, str] = {zone_id: name for name, zone_id in settings.zones.items()}

    async def aclose(self) -> None:
        await self.route53.aclose()

    # --- zones ---------------------------------------------------------------------

    async def zone_id(self, zone: str) -> str:
        """The hosted zone id of a zone name (or the id itself); looked up once, then remembered."""
        match = ROUTE53_ZONE_ID.match(zone)
        if match:
            return match.group(1)
        name = zone.lower().rstrip(".")
        if name in self._zone_ids:
            return self._zone_ids[name]
        answer = await self.route53.call("ListHostedZonesByName", DNSName=name + ".", MaxItems="10")
        found = [z for z in answer.get("HostedZones", []) if z["Name"].lower() == name + "."]
        public = [z for z in found if not z.get("Config", {}).get("PrivateZone")]
        if not found:
            raise ProviderError(
                self.source, f"no hosted zone named {name}: check the tenant's hosted_zone or providers.dns.zones"
            )
        if len(public) > 1 or (not public and len(found) > 1):
            ids = ", ".join(z["Id"].removeprefix("/hostedzone/") for z in found)
            raise ProviderError(
                self.source, f"several hosted zones are named {name} ({ids}): name one in providers.dns.zones"
            )
        zone_id = (public or found)[0]["Id"].removeprefix("/hostedzone/")
        self._zone_ids[name] = zone_id
        self._zone_names[zone_id] = name
        return zone_id

    async def _zone_name(self, zone: str) -> str:
        zone_id = await self.zone_id(zone)
        if zone_id not in self._zone_names:
            answer = await self.route53.call("GetHostedZone", Id=zone_id)
            self._zone_names[zone_id] = answer["HostedZone"]["Name"].lower().rstrip(".")
        return self._zone_names[zone_id]

    async def list_zone(self, zone: str) -> list[dict[str, Any]]:
        """Every record set of a zone: ceil(record sets / 300) requests."""
        zone_id = await self.zone_id(zone)
        sets: list[dict[str, Any]] = []
        start: dict[str, str] = {}
        while True:
            page = await self.route53.call(
                "ListResourceRecordSets", HostedZoneId=zone_id, MaxItems=str(PAGE_SIZE), **start
            )
            sets += page.get("ResourceRecordSets", [])
            if not page.get("IsTruncated"):
                return sets
            start = {"StartRecordName": page["NextRecordName"], "StartRecordType": page["NextRecordType"]}
            if page.get("NextRecordIdentifier"):
                start["StartRecordIdentifier"] = page["NextRecordIdentifier"]

    # --- reading -----------------------------------------------------------------------

    async def zone_records(self, zone: str) -> list[dict[str, Any]]:
        return [s for s in await self.list_zone(zone) if s["Type"] in READ_TYPES or self.is_fence(s)]

    async def name_records(self, zone: str, name: str) -> list[dict[str, Any]]:
        """One small listing that starts at the name."""
        zone_id = await self.zone_id(zone)
        name = cb.fqdn(name)
        page = await self.route53.call(
            "ListResourceRecordSets", HostedZoneId=zone_id, StartRecordName=name, MaxItems="10"
        )
        return [
            s
            for s in page.get("ResourceRecordSets", [])
            if self.name_of(s) == bare(name) and (s["Type"] in READ_TYPES or self.is_fence(s))
        ]

    def name_of(self, record: dict[str, Any]) -> str:
        return bare(_unescape(record["Name"]))

    def type_of(self, record: dict[str, Any]) -> str:
        return str(record["Type"])

    def text_of(self, record: dict[str, Any]) -> str:
        return cb.txt_text(record)

    def routing_of(self, records: Sequence[dict[str, Any]]) -> Routing:
        return cb.routing_of(records)

    def version_of(self, records: Sequence[dict[str, Any]]) -> str:
        return cb.version_of(records)

    # --- changing --------------------------------------------------------------------------

    def build_changes(self, changes: Sequence[DnsChange]) -> list[dict[str, Any]]:
        """DELETE exactly what was read, CREATE what is wanted, for each tenant that changes; the same for
        its fencing record when the change is fenced (a fence never read is CREATEd: it must not exist)."""
        batch: list[dict[str, Any]] = []
        for change in changes:
            old = cb.sets_of_version(change.expected.version)
            new = cb.record_sets(change.expected.name, change.to)
            if cb.version_of(old) == cb.version_of(new):
                continue
            batch += [{"Action": "DELETE", "ResourceRecordSet": record} for record in old]
            batch += [{"Action": "CREATE", "ResourceRecordSet": record} for record in new]
            if change.fence:
                if change.expected.fence:
                    old_fence = cb.fence_set(change.expected.name, change.expected.fence)
                    batch.append({"Action": "DELETE", "ResourceRecordSet": old_fence})
                batch.append(
                    {"Action": "CREATE", "ResourceRecordSet": cb.fence_set(change.expected.name, change.fence)}
                )
        return batch

    async def apply(self, zone: str, changes: Sequence[DnsChange]) -> ChangeReceipt:
        zone_name = await self._zone_name(zone)
        zone_id = await self.zone_id(zone)
        batch = self.build_changes(changes)
        tenant_ids = tuple(change.tenant_id for change in changes)
        now = self.clock.now()
        if not batch:
            return ChangeReceipt(zone, "", tenant_ids, ChangeStatus.INSYNC, now, self.source)
        cb.validate(zone_name, batch, self.source)
        comment = f"cutover: {', '.join(tenant_ids)}"[:256]
        attempts = 0

        async def send(client: Any) -> dict[str, Any]:
            nonlocal attempts
            attempts += 1
            return await client.change_resource_record_sets(
                HostedZoneId=zone_id, ChangeBatch={"Comment": comment, "Changes": batch}
            )

        try:
            answer = await self.route53.send("ChangeResourceRecordSets", send)
        except ProviderError as exc:
            if exc.code not in ("InvalidChangeBatch", "InvalidInput", "ResourceRecordAlreadyExists"):
                raise
            return await self._refused(zone, changes, exc, retried=attempts > 1, tenant_ids=tenant_ids, now=now)
        info = answer["ChangeInfo"]
        return ChangeReceipt(zone, info["Id"], tenant_ids, ChangeStatus(info["Status"]), now, self.source)

    async def _refused(
        self,
        zone: str,
        changes: Sequence[DnsChange],
        exc: ProviderError,
        *,
        retried: bool,
        tenant_ids: tuple[str, ...],
        now: float,
    ) -> ChangeReceipt:
        """Route 53 refused the batch: say which record changed under us, or notice our own earlier try landed."""
        wanted = {cb.fqdn(change.expected.name): change for change in changes}
        current = {name: await self.read_name(zone, name) for name in wanted}
        if retried and all(self._landed(change, current[name]) for name, change in wanted.items()):
            # An earlier attempt was applied but its answer was lost: the records are what we asked for.
            return ChangeReceipt(zone, "", tenant_ids, ChangeStatus.INSYNC, now, self.source)
        named = {
            cb.fqdn(fenced_name(m.group(1)) or m.group(1)) for pattern in _NAMED for m in pattern.finditer(str(exc))
        }
        suspects = [name for name in wanted if name in named] or [
            name for name, change in wanted.items() if not self.unchanged(change, current[name])
        ]
        if not suspects:
            raise exc
        raise self.changed_under_us(zone, wanted[suspects[0]], current[suspects[0]]) from exc

    def _landed(self, change: DnsChange, current: Sequence[dict[str, Any]]) -> bool:
        routing, fence = self.split(current)
        if cb.version_of(routing) != cb.version_of(cb.record_sets(change.expected.name, change.to)):
            return False
        return not change.fence or self.fence_of(fence) == change.fence

    async def change_status(self, receipt: ChangeReceipt) -> ChangeReceipt:
        if not receipt.change_id or receipt.status == ChangeStatus.INSYNC:
            return receipt
        answer = await self.route53.call("GetChange", Id=receipt.change_id)
        status = ChangeStatus(answer["ChangeInfo"]["Status"])
        return ChangeReceipt(
            receipt.zone, receipt.change_id, receipt.tenant_ids, status, receipt.submitted_at, receipt.source
        )


def _unescape(name: str) -> str:
    """Route 53 returns some characters octal-escaped (\\052 for '*')."""
    return re.sub(r"\\(\d{3})", lambda m: chr(int(m.group(1), 8)), name)
