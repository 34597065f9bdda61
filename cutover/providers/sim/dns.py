"""Simulated DNS, behaving like Route 53: atomic change sets per hosted zone,
compare-and-swap on what was last read, PENDING for 10-60 s then INSYNC.

A change is what moves the traffic the simulated metrics report: resolvers pick
it up as their caches expire (see `model.SHIFT_CURVE`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from cutover.model.lifecycle import ON_OCI
from cutover.model.routing import ChangeReceipt, ChangeStatus, DnsChange, DnsName, DnsRecord, Routing
from cutover.model.tenant import Tenant
from cutover.providers.ports.errors import ProviderError, RecordChanged, Throttled
from cutover.providers.sim.model import S_DNS, YIELD_EVERY, stable_key, uniform
from cutover.providers.sim.world import RecordState, SimWorld, normalised, routing_from_json, routing_to_json, split_of
from cutover.state.simworld_rows import DnsRecordRow, NameRecordRow

SOURCE = "sim-route53"
DEFAULT_TTL = 60
MAX_CHANGES = 1000  # Route 53: at most 1,000 record values a change set


class SimDns:
    source = SOURCE

    def __init__(self, world: SimWorld):
        self.world = world

    async def read_routing(self, tenants: Sequence[Tenant]) -> dict[str, DnsRecord]:
        world = self.world
        world.refresh()
        now = world.clock.now()
        self._refuse_if_throttled(now, None)
        found, missing = await _records_as_read(world.records, tenants, now)
        if missing:  # tenants never read before get the record their lifecycle says; then read them all again
            world.db.add_records(initial_record(t, now) for t in missing)
            world.refresh()
            found, _ = await _records_as_read(world.records, tenants, now)
        return found

    async def read_names(self, names: Sequence[DnsName]) -> dict[tuple[str, str], DnsRecord]:
        """The first name of a tenant is its record (see read_routing); an extra name, never read before,
        starts out routed as the first name is."""
        world = self.world
        world.refresh()
        now = world.clock.now()
        self._refuse_if_throttled(now, None)
        extra_ids = sorted({n.tenant_id for n in names if not n.primary})
        rows = world.db.name_records(extra_ids) if extra_ids else {}
        missing = [
            NameRecordRow(n.tenant_id, n.name, n.zone, record.row.routing, 1, now)
            for n in names
            if not n.primary and (n.tenant_id, n.name) not in rows and (record := world.record(n.tenant_id)) is not None
        ]
        if missing:
            world.db.add_name_records(missing)
            world.refresh()
            rows = world.db.name_records(extra_ids)
        found: dict[tuple[str, str], DnsRecord] = {}
        for n in names:
            if n.primary:
                record = world.record(n.tenant_id)
                if record is not None:
                    row = record.row
                    found[(n.tenant_id, n.name)] = DnsRecord(
                        n.tenant_id, row.name, row.zone, record.routing, record.version, now, SOURCE, row.fence
                    )
                continue
            extra = rows.get((n.tenant_id, n.name))
            if extra is not None:
                found[(n.tenant_id, n.name)] = DnsRecord(
                    n.tenant_id,
                    extra.name,
                    extra.zone,
                    routing_from_json(extra.routing),
                    f"n{extra.version}",
                    now,
                    SOURCE,
                    extra.fence,
                )
        return found

    async def apply(self, zone: str, changes: Sequence[DnsChange]) -> ChangeReceipt:
        world = self.world
        world.refresh()
        now = world.clock.now()
        # A tenant's DNS name is its record; its extra names (config.dns_names) are records of their own.
        first_names = {c.tenant_id: state.row.name for c in changes if (state := world.record(c.tenant_id))}
        extras = [c for c in changes if c.tenant_id in first_names and c.expected.name != first_names[c.tenant_id]]
        changes = [c for c in changes if c not in extras]
        tenant_ids = [change.tenant_id for change in changes]
        self._refuse_if_throttled(now, tenant_ids + [c.tenant_id for c in extras])
        _check_change_set(zone, [*changes, *extras])
        targets = world.db.tenant_targets(tenant_ids)
        history = world.db.count_changes()
        keys = (
            sorted(tenant_ids)
            if not extras
            else sorted(f"{c.tenant_id}/{c.expected.name}" for c in [*changes, *extras])
        )
        change_id = f"C{stable_key(world.seed, zone, now, history, *keys):016X}"
        insync_delay = uniform(stable_key(world.seed, change_id), S_DNS, 10.0, 60.0)
        slow = self._propagation_delay(now, tenant_ids)
        visible_at = now + slow

        def decide_for(change: DnsChange) -> Callable[[DnsRecordRow | None], tuple[DnsRecordRow, bool]]:
            def decide(current: DnsRecordRow | None) -> tuple[DnsRecordRow, bool]:
                tenant_targets = targets.get(change.tenant_id)
                if current is None or tenant_targets is None:
                    raise ProviderError(
                        SOURCE,
                        f"InvalidChangeBatch: {change.tenant_id}: {change.expected.name} has no record in {zone}; "
                        "nothing was changed",
                    )
                if current.zone != zone:
                    raise ProviderError(
                        SOURCE,
                        f"InvalidChangeBatch: {change.expected.name} is in zone {current.zone}, not {zone}; "
                        "nothing was changed",
                    )
                found = routing_from_json(current.routing)
                value_moved = normalised(found) != normalised(change.expected.routing)
                if value_moved or (change.fence and current.fence != change.expected.fence):
                    # What the value was read as, the version the reader saw: only the fence tells the ABA case.
                    version = str(current.version) if value_moved else change.expected.version
                    raise RecordChanged(
                        SOURCE,
                        change.tenant_id,
                        change.expected,
                        DnsRecord(change.tenant_id, current.name, zone, found, version, now, SOURCE, current.fence),
                    )
                state = world.record(change.tenant_id)
                before_oci, before_lost = state.share_at(*tenant_targets, now) if state is not None else (0.0, 0.0)
                old_oci = split_of(found, *tenant_targets)[0]
                new_oci = split_of(change.to, *tenant_targets)[0]
                new = DnsRecordRow(
                    tenant_id=change.tenant_id,
                    zone=zone,
                    name=current.name,
                    routing=routing_to_json(change.to),
                    version=current.version + 1,
                    changed_at=now,
                    visible_at=visible_at,
                    before_oci=before_oci,
                    before_lost=before_lost,
                    before_ttl=found.ttl,
                    fence=change.fence or current.fence,
                )
                return new, old_oci == 0.0 and new_oci > 0.0

            return decide

        def decide_name(change: DnsChange) -> Callable[[NameRecordRow | None], NameRecordRow]:
            def decide(current: NameRecordRow | None) -> NameRecordRow:
                if current is None:
                    raise ProviderError(
                        SOURCE,
                        f"InvalidChangeBatch: {change.tenant_id}: {change.expected.name} has no record in {zone}; "
                        "nothing was changed",
                    )
                found = routing_from_json(current.routing)
                value_moved = normalised(found) != normalised(change.expected.routing)
                if value_moved or (change.fence and current.fence != change.expected.fence):
                    version = f"n{current.version}" if value_moved else change.expected.version
                    raise RecordChanged(
                        SOURCE,
                        change.tenant_id,
                        change.expected,
                        DnsRecord(change.tenant_id, current.name, zone, found, version, now, SOURCE, current.fence),
                    )
                return NameRecordRow(
                    change.tenant_id,
                    current.name,
                    zone,
                    routing_to_json(change.to),
                    current.version + 1,
                    now,
                    change.fence or current.fence,
                )

            return decide

        world.db.apply_change_set(
            zone,
            change_id,
            now,
            now + slow + insync_delay,
            [(c.tenant_id, decide_for(c)) for c in changes],
            [(c.tenant_id, c.expected.name, decide_name(c)) for c in extras],
        )
        world.refresh()
        receipt_ids = tuple(dict.fromkeys([*tenant_ids, *(c.tenant_id for c in extras)]))
        return ChangeReceipt(zone, change_id, receipt_ids, ChangeStatus.PENDING, now, SOURCE)

    async def change_status(self, receipt: ChangeReceipt) -> ChangeReceipt:
        world = self.world
        now = world.clock.now()
        world.refresh()
        self._refuse_if_throttled(now, None)
        rows = world.db.changes(change_id=receipt.change_id)
        if not rows:
            raise ProviderError(SOURCE, f"NoSuchChange: no change with id {receipt.change_id}")
        insync_at = max(row.insync_at for row in rows)
        status = ChangeStatus.INSYNC if now >= insync_at else ChangeStatus.PENDING
        return ChangeReceipt(receipt.zone, receipt.change_id, receipt.tenant_ids, status, rows[0].submitted_at, SOURCE)

    # --- faults ---------------------------------------------------------------------

    def _refuse_if_throttled(self, now: float, tenant_ids: Sequence[str] | None) -> None:
        everyone, per_tenant = self.world.faults_at(now, ("dns_throttle",))
        if everyone or (tenant_ids is not None and any(t in per_tenant for t in tenant_ids)):
            raise Throttled(SOURCE, "Throttling: Rate exceeded (the simulated Route 53 is throttling this account)")

    def _propagation_delay(self, now: float, tenant_ids: Sequence[str]) -> float:
        """Extra seconds before resolvers see a change set touching these tenants."""
        everyone, per_tenant = self.world.faults_at(now, ("dns_slow_propagation",))
        faults = [*everyone, *(f for tenant_id in tenant_ids for f in per_tenant.get(tenant_id, ()))]
        return max((float(f.params.get("delay_s", 300.0)) for f in faults), default=0.0)


async def _records_as_read(
    records: dict[str, RecordState], tenants: Sequence[Tenant], now: float
) -> tuple[dict[str, DnsRecord], list[Tenant]]:
    """(the tenants' records as read at `now`, the tenants with a target but no record yet)."""
    found: dict[str, DnsRecord] = {}
    missing: list[Tenant] = []
    for number, tenant in enumerate(tenants, 1):
        if number % YIELD_EVERY == 0:
            await asyncio.sleep(0)
        tenant_id = tenant.tenant_id
        record = records.get(tenant_id)
        if record is not None:
            row = record.row
            found[tenant_id] = DnsRecord(
                tenant_id, row.name, row.zone, record.routing, record.version, now, SOURCE, row.fence
            )
        elif tenant.aws_target:
            missing.append(tenant)
    return found, missing


def _check_change_set(zone: str, changes: Sequence[DnsChange]) -> None:
    if not changes:
        raise ProviderError(SOURCE, "InvalidChangeBatch: a change set needs at least one change")
    if len(changes) > MAX_CHANGES:
        raise ProviderError(
            SOURCE, f"InvalidChangeBatch: {len(changes)} changes; Route 53 takes at most {MAX_CHANGES} a change set"
        )
    seen: set[tuple[str, str]] = set()
    for change in changes:
        if (change.tenant_id, change.expected.name) in seen:
            raise ProviderError(
                SOURCE, f"InvalidChangeBatch: {change.tenant_id} {change.expected.name} appears twice in one change set"
            )
        seen.add((change.tenant_id, change.expected.name))
        if change.expected.zone != zone:
            raise ProviderError(
                SOURCE,
                f"InvalidChangeBatch: {change.expected.name} is in zone {change.expected.zone}, not {zone}",
            )


def initial_record(tenant: Tenant, now: float) -> DnsRecordRow:
    """A tenant's record before anyone changed it: on OCI if its lifecycle says so, else AWS."""
    on_oci = tenant.lifecycle in ON_OCI and bool(tenant.oci_target)
    routing = Routing.simple(tenant.oci_target if on_oci else tenant.aws_target, DEFAULT_TTL)
    share = 1.0 if on_oci else 0.0
    return DnsRecordRow(
        tenant_id=tenant.tenant_id,
        zone=tenant.hosted_zone or tenant.dns_name.split(".", 1)[-1],
        name=tenant.dns_name,
        routing=routing_to_json(routing),
        version=1,
        changed_at=now,
        visible_at=now - 3600.0,  # it was there long before: no traffic is moving
        before_oci=share,
        before_lost=0.0,
        before_ttl=DEFAULT_TTL,
    )
