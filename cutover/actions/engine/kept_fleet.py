"""The engine's copy of the whole fleet, which the whole-fleet polls go through.

Read in full once, a page at a time; from then on brought up to date from the store's change feed
(`TenantStore.changed_ids(..., steady=True)`): only the tenants whose row (not their readings) changed since the
copy was last brought up to date are read again and rebuilt as Tenants, in place of the old ones (tenant_id
order kept; a tenant imported since goes in its place; tenants are never deleted). At 50,000 tenants re-reading
every row cost about 0.5 s of CPU a fleet interval, and left 50,000 new objects for the garbage collector to
walk; a refresh now costs the rows that changed, and the rest, frozen once the engine has read the fleet
(gc_freeze.py), stay out of its way.

What this copy does not hold: a tenant's readings (state/tenants.py `READINGS`: its confirmation times, the
metrics poll's live figures, a sync's progress and lag, the count of healthy backends), which the whole-fleet
polls change on nearly every row every fleet interval. The copy reads the tenants' rows alone, and a kept
tenant's readings are None ("not read"), never a value that looks like a measurement: following them would
re-read half the fleet or more every cycle, and holding them cost about 20 MB at 50,000. Nothing reads them from
this copy, and nothing may: the providers are asked about tenants by ID, names, targets, lifecycle and version;
the DNS poll keeps the TTL history from the dns_ttl fields (in the row: a change is read at the next refresh);
and each decision re-reads its tenants from the store first: the drift watch each suspect (drift.py), the
sync-after-cutover watch each migrated tenant (sync_watch.py), the checkpoint each tenant due (watch.py), while
the trigger loop judges the tenants in flight and under watch, read from the store each poll
(PollerBase.in_flight, state/watch.py) with the snapshot's own figures, not this copy. Every other field is as
fresh as when every row was re-read: as of the last refresh, at most a fleet interval old. Whatever needs a
confirmation time or a measured figure reads the tenant from the store (EngineCore.tenant).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from operator import attrgetter

from cutover.model.tenant import Tenant
from cutover.state.tenants import READINGS, TenantStore

_BY_ID = attrgetter("tenant_id")
FREEZE_AT_LEAST = 5_000  # tenants built anew before `on_rebuilt` is told, however small the fleet


class KeptFleet:
    """Every tenant, in tenant_id order, as of the last `refresh`."""

    def __init__(self, tenants: TenantStore, page: int, *, rebuilt_at_least: int = FREEZE_AT_LEAST) -> None:
        """`page`: rows read (or rebuilt) between two yields of the event loop; `rebuilt_at_least`: tenants built
        anew, at the least, before `on_rebuilt` is told."""
        self.store = tenants
        self.page = page
        self.tenants: list[Tenant] = []  # replaced by a refresh, never changed in place: a poll keeps its list
        self._index: dict[str, int] = {}  # tenant_id -> its place in `tenants`
        self._revision: int | None = None  # the change feed's revision the copy is up to date with
        self._refreshing = asyncio.Lock()  # one refresh at a time: an older one must not land on a newer one
        self.rows_read = 0  # stored rows read (and built as Tenants) so far, the first full read's included
        # Told, once a quarter of the fleet (and at least `rebuilt_at_least` tenants) has been built anew since it
        # was last told, how many this refresh built: the engine then moves them out of the collector's way
        # (gc_freeze.py), so a full collection walks at most a quarter of the fleet's Tenants.
        self.on_rebuilt: Callable[[int], object] | None = None
        self.rebuilt_at_least = rebuilt_at_least
        self._built_since_freeze = 0

    async def refresh(self) -> list[Tenant]:
        """Bring the copy up to date with the store: the whole fleet the first time, then what changed."""
        async with self._refreshing:
            if self._revision is None:
                await self._read_all()
            else:
                await self._catch_up()
            return self.tenants

    async def _read_all(self) -> None:
        revision = self.store.revision()  # before the pages: a row changed during the read is read again next time
        fleet: list[Tenant] = []
        told = 0
        for page in self.store.pages(self.page, readings=False):
            fleet.extend(page)
            if self.on_rebuilt is not None and len(fleet) - told >= self.rebuilt_at_least:
                # Told as the read goes, not once at the end: the collector would otherwise walk the Tenants read
                # so far (and everything loaded at start-up) each time they had grown by a quarter.
                self.on_rebuilt(len(fleet) - told)
                told = len(fleet)
            await asyncio.sleep(0)
        self.rows_read += len(fleet)
        self._install(fleet, revision, built=len(fleet) - told)

    async def _catch_up(self) -> None:
        assert self._revision is not None
        # The IDs first, then the rows a page at a time: after a new engine's first polls nearly every row has
        # changed, and every changed row held at once (besides the old and the new Tenants) was 90 MB at 50,000.
        revision, changed = self.store.changed_ids(self._revision, steady=True)
        if not changed:
            self._revision = revision
            return
        fleet = self.tenants
        added: list[Tenant] = []
        for start in range(0, len(changed), self.page):
            # A new list a page, in place of the last: a poll holding a list keeps it as it was, and the tenants a
            # page replaces are freed as it lands, not after the last page (at 50,000, after a new engine's
            # first polls, the old and the new copy of the whole fleet were alive together: 87 MB more).
            fleet = list(fleet)
            for columns, rows in self.store.raw_row_pages(changed[start : start + self.page], readings=False):
                for tenant in Tenant.from_rows(columns, rows, unread=READINGS):
                    at = self._index.get(tenant.tenant_id)
                    if at is None:
                        added.append(tenant)
                    else:
                        fleet[at] = tenant
            if len(changed) > self.page:
                self.tenants = fleet  # each tenant in it at least as new as before; the revision moves at the end
                await asyncio.sleep(0)
        self.rows_read += len(changed)
        if added:
            fleet.extend(added)
            fleet.sort(key=_BY_ID)  # nearly sorted already: a merge of two runs
        self._install(fleet, revision, built=len(changed), reindex=bool(added))

    def _install(self, fleet: list[Tenant], revision: int, *, built: int, reindex: bool = True) -> None:
        self.tenants = fleet
        if reindex:
            self._index = {tenant.tenant_id: at for at, tenant in enumerate(fleet)}
        self._revision = revision
        self._built_since_freeze += built
        if self.on_rebuilt is not None and self._built_since_freeze >= max(self.rebuilt_at_least, len(fleet) // 4):
            self._built_since_freeze = 0
            self.on_rebuilt(built)
