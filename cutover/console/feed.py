"""What the console reads from the store, once a second, in a worker thread.

`FleetFeed.poll()` reads the tenants, the sources' health and the events that
arrived since the last poll, builds the display rows, and returns only what
changed since the previous poll. It never touches Textual: the app hands the
result to its widgets on the UI thread.

The tenants come from the store's change feed (`TenantStore.changed_since`): the
first read takes every row (a page at a time), each later one only the rows whose
revision moved since the last, so a second where nothing changed reads no tenant
row. A poll confirming a figure rewrites only its time (CONFIRMED_AT), which moves
no revision: the feed re-reads a row itself when its copy of those times would make
a figure turn stale (at a spread moment in the minute before, so a fleet polled
together is not re-read together), and the selected tenant's row every second (the
key figures show how old its metrics are).
"""

from __future__ import annotations

import functools
import heapq
import marshal
import operator
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from cutover.actions.plan.go_no_go import NightDecision, read_night
from cutover.actions.plan.read_model import job_activity, pinned_alert
from cutover.config.settings import Settings
from cutover.config.units import format_clock
from cutover.config.war_room import WarRoom
from cutover.console.fleet.columns import FleetRow
from cutover.console.fleet.rows import RowContext, TonightSlot, build_row, row_valid_until
from cutover.console.fleet.waves import WaveCounts, WaveSummary
from cutover.model.clock import Clock
from cutover.model.jobs import JobKind
from cutover.model.tenant import Tenant
from cutover.state.events import Event, EventLog
from cutover.state.facts import ALERT_ACKNOWLEDGED, Facts, TriggerStatusStore
from cutover.state.holds import active_holds
from cutover.state.job_records import Job, LockHolder
from cutover.state.jobs import JobStore
from cutover.state.leases import Lease, LeaseStore
from cutover.state.simworld import SimWorldStore
from cutover.state.sources import SourceHealth, SourceStore
from cutover.state.store import Store
from cutover.state.tenants import CONFIRMED_AT, TenantStore
from cutover.state.watch import checkpoints

# Kinds shown in the alerts feed: trigger outcomes, provider errors, stale sources.
ALERT_KINDS = ("alert",)
NIGHT = 12 * 3600.0
FIRST_EVENTS = 200
PINNED_LOOKBACK = 500  # alerts read back at start for those still waiting for an acknowledgement
PAGE = 2_000  # tenant rows a query on the first read of the whole fleet
# How long before a row's copy would turn a figure stale the feed may re-read it, each row at its own moment
# within this span (from a hash of its ID): the rows of a fleet polled together are re-read spread over it.
LOOKAHEAD = 60.0

NO_CONTEXT = (None,) * 6  # a row's context (lock, activity, slot, breach, checkpoint, hold) when it has none
Batch = tuple[list[str], list[tuple]]  # tenant rows as read, with their column names


@dataclass(frozen=True)
class FeedUpdate:
    """One poll's worth of change."""

    now: float
    changed: dict[str, FleetRow]
    removed: tuple[str, ...]
    total: int
    summary: list[WaveSummary]
    sources: list[SourceHealth]
    alerts: list[Event]
    rollbacks_tonight: int
    tenants: Mapping[str, Tenant] = field(repr=False, default_factory=dict)
    locks: dict[str, LockHolder] = field(default_factory=dict)
    jobs: list[Job] = field(default_factory=list)  # jobs not ended, oldest first
    leader: Lease | None = None
    complete: bool = True  # False: only the first screenful was read, the rest follows
    pinned: tuple[Event, ...] = ()  # holds, automatic rollbacks, failing sources not acknowledged yet, oldest first
    world_speed: float | None = None  # the simulated world's speed; None on real clouds
    night: NightDecision | None = None  # tonight's go/no-go ("GO 4/5: waiting for dba" in the header)


def tonight_slots(active: list[Job]) -> dict[str, TonightSlot]:
    """Tonight's tenants: those a batch job not ended holds or targets, each with its group and the
    group's expected start in the zone the batch was planned in."""
    from zoneinfo import ZoneInfo

    slots: dict[str, TonightSlot] = {}
    for job in active:
        if job.kind != JobKind.BATCH:
            continue
        zone = ZoneInfo(job.params["timezone"]) if job.params.get("timezone") else None
        expected = {int(t["group"]): float(t["start"]) for t in job.params.get("expected") or []}
        state = job.state.value
        for number, tenant_ids in enumerate(job.params.get("groups") or [], start=1):
            when = format_clock(expected[number], zone) if number in expected else ""
            for tenant_id in tenant_ids:
                slots.setdefault(tenant_id, TonightSlot(job.job_id, number, when, state))
        for tenant_id in job.targets:
            slots.setdefault(tenant_id, TonightSlot(job.job_id, None, "", state))
    return slots


class FleetFeed:
    """Reads the store and diffs it against the previous read. Used from one worker thread at a time."""

    @property
    def rollbacks_tonight(self) -> int:
        """Rollbacks since the night began, as of the last read."""
        return self._rollbacks

    def __init__(self, store: Store, events: EventLog, clock: Clock, settings: Settings) -> None:
        self.tenants = TenantStore(store, events)
        self.sources = SourceStore(store)
        self.jobs = JobStore(store, events)
        self.leases = LeaseStore(store, name=settings.war_room.room().lease)
        self.events = events
        self.facts = Facts(store)
        self.trigger_status = TriggerStatusStore(store)
        self.worlds = SimWorldStore(store)
        self.clock = clock
        self.settings = settings
        self._rows: dict[str, FleetRow] = {}
        # Each tenant's row as stored, packed (marshal): the feed keeps no Tenant object per row, and one bytes
        # object a row, not a tuple of 59 values: 25 MB at 50,000 tenants instead of 106, none of it tracked.
        self._raw: dict[str, bytes] = {}
        self._columns: list[str] = []  # the raw rows' column names
        self._until: dict[str, float] = {}
        self._context: dict[str, tuple] = {}
        self._last_seq: int | None = None
        self._rollbacks_since: float | None = None
        self._rollbacks = 0
        self._pinned: dict[int, Event] = {}
        self._acknowledged = 0
        self._revision: int | None = None  # the change feed's revision as of the last complete read
        self._checks: list[tuple[float, str]] = []  # (when to look at the row again, tenant), a heap
        self._check_at: dict[str, float] = {}  # the one entry of a tenant's in the heap that counts
        self._with_context: set[str] = set()  # tenants with a lock, an activity, a slot... in the last poll
        self._waves = WaveCounts()
        self._summary: list[WaveSummary] = []
        # What the app sees of the tenants: each built from its stored row when looked up (one at a time, by ID).
        self._view: Mapping[str, Tenant] = StoredTenants(self._raw, self._columns)
        self.focus: str | None = None  # the tenant under the cursor: its row is read every poll
        self.full_reads = False  # True: read every row every poll, as before the change feed (benchmarks)
        self._others: tuple[WarRoom, ...] = ()  # the other war rooms leading, as of the last poll

    def poll(self, limit: int | None = None) -> FeedUpdate:
        """Read the store and return what changed. With `limit`, only the first tenants by ID (a quick
        first screenful before the whole fleet is read); such an update is not `complete`."""
        now = self.clock.now()
        with self.tenants.store.read():
            sources = self.sources.all()
            alerts = self._new_events(now) if limit is None else []
            locks = {holder.tenant_id: holder for holder in self.jobs.lock_holders()}
            jobs = self.jobs.active()
            leader = self.leases.leader()
            activity = job_activity(self.jobs, jobs, locks)
            breaching = {
                (status.tenant_id, status.rule): status.breaching_since
                for status in self.trigger_status.all()
                if status.breaching_since is not None
            }
            recorded = checkpoints(self.tenants.store, since=now - self.settings.watch.duration)
            holds = hold_steps(self.tenants.store, now, self.settings)
            night = read_night(self.tenants.store, self.settings, now)
            room = self.settings.war_room.room()
            others = () if room.whole_fleet else self.leases.other_war_rooms_leading(room)
            ctx = RowContext(
                now=now,
                gates=self.settings.gates,
                locks={tid: h.operator for tid, h in locks.items()},
                activity=activity,
                triggers=self.settings.triggers,
                breaching_since=breaching,
                tonight={tid: slot.text() for tid, slot in tonight_slots(jobs).items()},
                watch=self.settings.watch,
                checkpoints=recorded,
                holds=holds,
                war_room=room,
                others=others,
            )
            batches, candidates = self._read_tenants(now, limit)
            if others != self._others:
                # Another war room began or stopped leading: every row's next step may name another owner.
                self._others = others
                self._context.clear()
                if candidates is not None:
                    candidates |= set(self._raw)
            if candidates is not None:
                # Besides the rows read, those whose lock, activity, slot, breach, checkpoint or hold changed.
                with_context = set(ctx.locks) | set(ctx.activity) | set(ctx.tonight) | set(ctx.checkpoints)
                with_context |= set(ctx.holds) | {tid for tid, _ in ctx.breaching_since}
                candidates |= with_context | self._with_context
                self._with_context = with_context
            changed: dict[str, FleetRow] = {}
            seen: set[str] = set()
            for columns, raws in batches:  # a page at a time: only a page's tuples live
                changed.update(self._rebuild(columns, raws, ctx))
                seen.update(raw[0] for raw in raws)
            if candidates:  # not read again: rebuilt from their rows as last read
                changed.update(self._rebuild([], [], ctx, candidates - seen))
        removed: tuple[str, ...] = ()
        if limit is None and candidates is None:  # a read of every row: a tenant not in it has gone
            removed = tuple(tid for tid in self._rows if tid not in seen)
            for tid in removed:
                self._waves.move(self._rows.get(tid), None)
                for cache in (self._rows, self._raw, self._until, self._context, self._check_at):
                    cache.pop(tid, None)
        if changed or removed or not self._summary:
            self._summary = self._waves.summary()
        return FeedUpdate(
            now=now,
            changed=changed,
            removed=removed,
            total=len(self._rows),
            summary=self._summary,
            sources=sources,
            alerts=alerts,
            rollbacks_tonight=self._rollbacks,
            tenants=self._view,
            locks=locks,
            jobs=jobs,
            leader=leader,
            complete=limit is None,
            pinned=tuple(self._pinned[seq] for seq in sorted(self._pinned)),
            world_speed=self.worlds.clock_row()[2] if self.worlds.has_world() else None,
            night=night,
        )

    def _read_tenants(self, now: float, limit: int | None) -> tuple[Iterable[Batch], set[str] | None]:
        """The tenant rows to look at now, in batches with their column names (read as they are iterated:
        inside the poll's read), and the tenants to consider besides them (None: the rows are the whole
        fleet, every tenant is considered)."""
        if limit is not None:
            return [self.tenants.raw(limit)], None
        if self._revision is None or self.full_reads:
            self._revision = self.tenants.revision()  # before the pages: a row changed meanwhile is read again
            return self.tenants.raw_pages(PAGE), None
        self._revision, changed = self.tenants.changed_pages(self._revision, PAGE)
        return self._changed_then_due(changed, now), set()

    def _changed_then_due(self, changed: Iterator[Batch], now: float) -> Iterator[Batch]:
        """The rows changed since the last poll, a page at a time (a poll that changed the whole fleet holds a
        page of tuples at a time), then those due to be looked at again, and the selected one, not among them."""
        read: set[str] = set()
        for columns, raws in changed:
            read.update(raw[0] for raw in raws)
            yield columns, raws
        due = self._due(now) - read
        if self.focus is not None and self.focus in self._raw and self.focus not in read:
            due.add(self.focus)
        yield from self.tenants.raw_row_pages(due)

    def _due(self, now: float) -> set[str]:
        """The tenants whose row is due to be looked at again: a countdown, a figure turning stale."""
        due: set[str] = set()
        while self._checks and self._checks[0][0] <= now:
            at, tid = heapq.heappop(self._checks)
            if self._check_at.get(tid) == at:
                del self._check_at[tid]
                due.add(tid)
        return due

    def _schedule(self, tid: str, at: float) -> None:
        if at == float("inf"):
            self._check_at.pop(tid, None)
            return
        self._check_at[tid] = at
        heapq.heappush(self._checks, (at, tid))
        if len(self._checks) > 4 * len(self._check_at) + 1_000:  # entries superseded since: drop them
            self._checks = [(when, tenant) for tenant, when in self._check_at.items()]
            heapq.heapify(self._checks)

    def _rebuild(
        self, columns: list[str], raws: list[tuple], ctx: RowContext, candidates: set[str] | None = None
    ) -> dict[str, FleetRow]:
        """Build rows only for tenants whose record, lock or activity changed, or whose row ages
        (a figure turning stale, a countdown): at 10,000 tenants a poll rebuilds a few dozen.
        `candidates`: the tenants to look at (those not in `raws` as last read); None: every row in `raws`."""
        changed: dict[str, FleetRow] = {}
        now = ctx.now
        breaching: dict[str, tuple] = {}
        for (tid, rule), since in sorted(ctx.breaching_since.items()):
            breaching[tid] = (*breaching.get(tid, ()), rule, since)
        fetched = {raw[0]: raw for raw in raws}
        if raws:
            assert columns[0] == "tenant_id"
            self._columns[:] = columns
        columns = self._columns
        stamps = [columns.index(name) for name in sorted(CONFIRMED_AT) if name in columns]
        for tid in fetched if candidates is None else candidates:
            raw = fetched.get(tid)
            packed_before = self._raw.get(tid)
            if raw is not None:
                packed = marshal.dumps(raw, 2)  # version 2: no references, equal rows pack alike
            elif packed_before is not None:
                raw, packed = marshal.loads(packed_before), packed_before  # not read again: as last read
            else:
                continue
            context = (
                ctx.locks.get(tid),
                ctx.activity.get(tid),
                ctx.tonight.get(tid),
                breaching.get(tid),
                ctx.checkpoints.get(tid),
                ctx.holds.get(tid),
            )
            if context == NO_CONTEXT:
                context = NO_CONTEXT  # most tenants: one tuple shared, not one kept per row (11 MB at 50,000)
            until = self._until.get(tid, now)
            same_record = packed_before == packed
            same_context = self._context.get(tid) == context
            if same_record and now < until and same_context:
                if tid not in self._check_at:
                    self._schedule(tid, until)  # looked at ahead of time, unchanged: look again when it ages
                continue
            if (
                not same_record
                and packed_before is not None
                and same_context
                and now < until
                and _only_confirmed(marshal.loads(packed_before), raw, stamps, now, ctx.gates.stale_after)
            ):
                # A figure confirmed again, still as fresh as shown: the row reads the same; only when it
                # turns stale moves.
                tenant = Tenant.from_rows(columns, [raw])[0]
                self._raw[tid] = packed
                self._until[tid] = until = row_valid_until(tenant, ctx)
                self._schedule(tid, _check_time(tid, until, ctx.gates.stale_after))
                continue
            tenant = Tenant.from_rows(columns, [raw])[0]
            self._raw[tid] = packed
            row = build_row(tenant, ctx)
            self._until[tid] = until = row_valid_until(tenant, ctx)
            self._schedule(tid, _check_time(tid, until, ctx.gates.stale_after))
            self._context[tid] = context
            before_row = self._rows.get(tid)
            if before_row != row:
                self._waves.move(before_row, row)
                self._rows[tid] = changed[tid] = row
        return changed

    def _new_events(self, now: float) -> list[Event]:
        if self._last_seq is None:
            # First read: the latest alerts, and tonight's rollbacks counted once.
            self._rollbacks_since = now - NIGHT
            self._rollbacks = self.events.count_transitions("rolling_back", self._rollbacks_since)
            self._last_seq = self.events.last_seq()
            self._acknowledged = self.facts.alerts_acknowledged_up_to()
            for event in self.facts.alerts(PINNED_LOOKBACK, after_seq=self._acknowledged):
                if pinned_alert(event):
                    self._pinned[event.seq] = event
            return self.events.find(kinds=ALERT_KINDS, limit=FIRST_EVENTS)
        fresh = self.events.find(after_seq=self._last_seq)
        if fresh:
            self._last_seq = fresh[-1].seq
        for event in fresh:
            if event.kind == ALERT_ACKNOWLEDGED:
                self._acknowledged = max(self._acknowledged, int(event.detail.get("up_to_seq", 0)))
                self._pinned = {seq: e for seq, e in self._pinned.items() if seq > self._acknowledged}
            elif pinned_alert(event) and event.seq > self._acknowledged:
                self._pinned[event.seq] = event
        self._rollbacks += sum(1 for e in fresh if e.kind == "transition" and e.state_after == "rolling_back")
        return [e for e in fresh if e.kind in ALERT_KINDS]


class StoredTenants(Mapping[str, Tenant]):
    """The tenants as the feed last read them, each built from its stored row when looked up: the app asks
    for one at a time (the tenant under the cursor), so the feed keeps rows, not ~60-field objects."""

    def __init__(self, raws: Mapping[str, bytes], columns: list[str]) -> None:
        self._raws = raws
        self._columns = columns  # the feed's own list, filled in place by its first read

    def __getitem__(self, tenant_id: str) -> Tenant:
        return Tenant.from_rows(self._columns, [marshal.loads(self._raws[tenant_id])])[0]

    def __iter__(self) -> Iterator[str]:
        return iter(self._raws)

    def __len__(self) -> int:
        return len(self._raws)


def _check_time(tid: str, until: float, stale_after: float) -> float:
    """When to look at a row again: at `until` for a countdown (less than LOOKAHEAD away), else at a moment
    of the tenant's own in the LOOKAHEAD before it (its copy of a confirmation time may be older than the
    store's: read ahead, rows polled together are re-read spread over that minute, not in one second)."""
    if until == float("inf"):
        return until
    ahead = min(LOOKAHEAD, stale_after / 2)
    return until - ahead * (zlib.crc32(tid.encode()) % 1000) / 1000


def _only_confirmed(before: tuple, after: tuple, stamps: list[int], now: float, stale_after: float) -> bool:
    """Whether two reads of a row differ only in confirmation times, each as fresh (or as stale) as before."""
    if len(before) != len(after):
        return False
    if _without(before, stamps) != _without(after, stamps):
        return False
    for index in stamps:
        old, new = before[index], after[index]
        if old == new:
            continue
        if old is None or new is None or now - old > stale_after or now - new > stale_after:
            return False  # one of them is (or turns) stale: the row shows how long ago, or turns fresh
    return True


@functools.cache
def _others(width: int, stamps: tuple[int, ...]) -> Callable[[tuple], tuple]:
    """A getter of every column of a row of `width` columns but the confirmation times (compared in C)."""
    return operator.itemgetter(*(index for index in range(width) if index not in stamps))


def _without(row: tuple, stamps: list[int]) -> tuple:
    return _others(len(row), tuple(stamps))(row)


def hold_steps(store: Store, now: float, settings: Settings) -> dict[str, str]:
    """Each held tenant's hold as its next step: "held: customer asked to reschedule (bob)"."""
    zone = settings.safety.window.zone
    return {tid: hold.step(zone) for tid, hold in active_holds(store, now).items()}
