"""Tenants in the store: the matrix, their lifecycle, and what was last observed of them."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from cutover.config.tenant_spec import MATRIX_FIELDS, TenantSpec
from cutover.config.war_room import WarRoom
from cutover.model.lifecycle import SYNC_HEALTH_VALUES, DomainError, Lifecycle, SyncHealth, check_transition
from cutover.model.tenant import Tenant
from cutover.state.events import EventLog
from cutover.state.store import Store


class UnknownTenant(DomainError):
    def __init__(self, tenant_id: str):
        super().__init__(f"{tenant_id}: no such tenant in the store (check the ID, or import the matrix)")
        self.tenant_id = tenant_id


class ConcurrentChange(DomainError):
    pass


# When a figure was last confirmed: every poll rewrites these, though the figures themselves rarely change.
# Writing only these leaves the row's revision alone (a reader of the change feed is not sent every row every
# poll); a reader that shows a figure's staleness re-reads the row when its copy would turn stale.
CONFIRMED_AT = frozenset({"observed_at", "metrics_at", "dns_at", "health_at"})

# The metrics poll's figures: they move with every datapoint, so a whole-fleet metrics poll changes them on every
# row with traffic.
LIVE_FIGURES = frozenset({"observed_oci_share", "requests", "error_rate", "p95_ms"})
# A sync's progress (a continuous sync's lag and pending objects move on every pass) and the count of healthy
# backends, as the whole-fleet sync and health polls measure them.
SYNC_PROGRESS = frozenset(
    {
        "sync_percent",
        "sync_eta_s",
        "sync_lag_s",
        "pending_objects",
        "pending_bytes",
        "checksum_mismatches",
        "last_pass_at",
    }
)
BACKEND_COUNTS = frozenset({"backends_healthy", "backends_total"})
# What the whole-fleet polls measure and that moves poll after poll on many rows. These and the confirmation times
# are a tenant's readings (`tenant_readings`, READINGS below); a change to a figure raises the readings' revision,
# not the row's, so a reader that does not use them (the engine's copy of the fleet, actions/engine/kept_fleet.py)
# asks for the rows changed (`steady=True`) and is not sent half the fleet every poll cycle. A sync's health
# (started, continuous, stalled), a hydration and everything else observed are in the row and move its revision.
MEASURED_FIGURES = LIVE_FIGURES | SYNC_PROGRESS | BACKEND_COUNTS

# Observations the engine may record; everything else changes only by import or transition.
OBSERVED_FIELDS = (
    CONFIRMED_AT
    | MEASURED_FIGURES
    | frozenset(
        {
            "sync_health",
            "verified_at",
            "validation_passed",
            "validation_total",
            "validated_at",
            "hydrated_at",
            "monitoring_until",
            "dns_oci_share",
            "dns_routing",
            "dns_ttl",
            "dns_ttl_since",
            "dns_ttl_before",
            "dns_ttl_safe_at",
            "dns_names_seen",
        }
    )
)

# The columns of a tenant's readings row (`tenant_readings`): its measured figures and their confirmation times,
# which whole-fleet polls write on many rows every poll; everything else of a tenant is its row in `tenants`.
READINGS = CONFIRMED_AT | MEASURED_FIGURES  # READING_COLUMNS' names (tests/test_change_feed.py)
# A tenant as every reader reads it: its row and its readings, one row a tenant (`SELECT * FROM {TENANT_ROWS}`).
# Every tenant has its readings row (the migration made them, an import makes one with each tenant); a LEFT JOIN
# all the same, so that a tenant without one would be shown with no readings rather than not at all.
TENANT_ROWS = "tenants LEFT JOIN tenant_readings USING (tenant_id)"

# The change feed's high-water mark: the highest revision of either table (two indexed maxima). A row's revision
# in the feed is the greater of its `revision` (its last change to anything but its readings: the steady one)
# and its `readings_revision` (its readings' last change of a figure).
HIGHEST_REVISION = (
    "max((SELECT coalesce(max(revision), 0) FROM tenants), "
    "(SELECT coalesce(max(readings_revision), 0) FROM tenant_readings))"
)
# The store-wide counter of the change feed: what the next write gives the rows it changes.
NEXT_REVISION = f"({HIGHEST_REVISION} + 1)"
BATCH = 500  # tenant IDs per `IN (...)` query
_SECOND = itemgetter(1)
_LAST = itemgetter(-1)


def _changed_ids_sql(steady: bool) -> str:
    """The IDs of the tenants changed since a revision (its parameter given once if `steady`, else twice): those
    whose row changed, and unless `steady` those whose readings' figures changed; each an indexed range."""
    rows = "SELECT tenant_id FROM tenants WHERE revision > ?"
    return rows if steady else f"{rows} UNION SELECT tenant_id FROM tenant_readings WHERE readings_revision > ?"


def _picker(indexes: list[int]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    """The values at `indexes` of a tuple, as a tuple (however many there are)."""
    if len(indexes) == 1:
        index = indexes[0]
        return lambda row: (row[index],)
    return itemgetter(*indexes) if indexes else lambda row: ()


def _by_names_observed(
    observations: dict[str, dict[str, Any]],
) -> dict[tuple[str, ...], list[tuple[str, tuple[Any, ...]]]]:
    """Observations grouped by the names observed (a poll observes one or two sets of names), each tenant's as
    (its ID, the values in that order), checked (`_checked`)."""
    grouped: dict[tuple[str, ...], list[tuple[str, tuple[Any, ...]]]] = {}
    for tenant_id, observed in observations.items():
        names = tuple(observed)
        rows = grouped.get(names)
        if rows is None:
            rows = grouped[names] = []
        rows.append((tenant_id, tuple(observed.values())))
    return _checked(grouped)


def _checked(
    grouped: dict[tuple[str, ...], list[tuple[str, tuple[Any, ...]]]],
) -> dict[tuple[str, ...], list[tuple[str, tuple[Any, ...]]]]:
    """Grouped observations with every name checked once a set, every sync health checked and stored as its value
    (the rows changed in place). Raises ValueError for a name that is not an observation or a value that is not a
    sync health."""
    for names, rows in grouped.items():
        unknown = set(names) - OBSERVED_FIELDS
        if unknown:
            raise ValueError(f"not observations: {', '.join(sorted(unknown))}")
        if "sync_health" not in names:
            continue
        index = names.index("sync_health")
        for number, (tenant_id, values) in enumerate(rows):
            health = values[index]
            value = SYNC_HEALTH_VALUES.get(health)
            if value is None:
                value = SyncHealth(health).value  # not a sync health: its ValueError says so
            if value is not health:
                rows[number] = (tenant_id, (*values[:index], value, *values[index + 1 :]))
    return grouped


@dataclass(frozen=True)
class Changes:
    """The tenant rows changed since a revision (`TenantStore.changed_since`), as plain tuples with their column
    names, and the revision they bring the reader up to."""

    revision: int
    columns: list[str]
    rows: list[tuple[Any, ...]]


@dataclass(frozen=True)
class ImportPlan:
    """What an import would do. Lifecycle and history are never touched by an import."""

    source: str
    added: tuple[TenantSpec, ...]
    changed: tuple[tuple[str, dict[str, tuple[Any, Any]]], ...]
    unchanged: int
    absent: tuple[str, ...]

    @property
    def is_noop(self) -> bool:
        return not self.added and not self.changed


class TenantStore:
    def __init__(self, store: Store, events: EventLog):
        self.store = store
        self.events = events

    # --- reading ---------------------------------------------------------------

    def get(self, tenant_id: str) -> Tenant:
        found = self._tenants(f"SELECT * FROM {TENANT_ROWS} WHERE tenant_id = ?", [tenant_id])
        if not found:
            raise UnknownTenant(tenant_id)
        return found[0]

    def resolve_id(self, typed: str) -> str:
        """The stored ID for what an operator typed: exact, else the one ID equal to it ignoring case
        ("t-0008" is T-0008). Raises UnknownTenant when there is none, or more than one."""
        exact = next(self.store.db.query("SELECT tenant_id FROM tenants WHERE tenant_id = ?", [typed]), None)
        if exact is not None:
            return typed
        rows = list(self.store.db.query("SELECT tenant_id FROM tenants WHERE tenant_id = ? COLLATE NOCASE", [typed]))
        if len(rows) != 1:
            raise UnknownTenant(typed)
        return str(rows[0]["tenant_id"])

    def find(self, wave: int | None = None, lifecycle: Lifecycle | str | None = None) -> list[Tenant]:
        where: list[str] = []
        params: list[object] = []
        if wave is not None:
            where.append("wave = ?")
            params.append(wave)
        if lifecycle is not None:
            where.append("lifecycle = ?")
            params.append(Lifecycle(lifecycle).value)
        condition = f" WHERE {' AND '.join(where)}" if where else ""
        sql = f"SELECT * FROM {TENANT_ROWS}{condition} ORDER BY tenant_id"
        return self._tenants(sql, params)

    def pages(self, size: int, *, readings: bool = True) -> Iterator[list[Tenant]]:
        """Every tenant in tenant_id order, `size` at a time, each page its own short query (no cursor is left
        open between pages): a reader on an event loop can let other tasks run between two pages. Without
        `readings`, a tenant's readings (READINGS) are not read and are None."""
        last = ""
        source = TENANT_ROWS if readings else "tenants"
        while True:
            page = self._tenants(
                f"SELECT * FROM {source} WHERE tenant_id > ? ORDER BY tenant_id LIMIT ?",
                [last, int(size)],
                unread=frozenset() if readings else READINGS,
            )
            if not page:
                return
            yield page
            last = page[-1].tenant_id

    def _tenants(self, sql: str, params: list[object], *, unread: frozenset[str] = frozenset()) -> list[Tenant]:
        cursor = self.store.db.execute(sql, params)
        columns = [description[0] for description in cursor.description]
        return Tenant.from_rows(columns, cursor.fetchall(), unread=unread)

    def raw(self, limit: int | None = None) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Every tenant as a plain tuple, in tenant_id order, with the column names: for readers
        that diff one read against the last (the console) and build Tenants only for what changed."""
        sql = f"SELECT * FROM {TENANT_ROWS} ORDER BY tenant_id" + (f" LIMIT {int(limit)}" if limit is not None else "")
        cursor = self.store.db.execute(sql)
        columns = [description[0] for description in cursor.description]
        return columns, cursor.fetchall()

    def raw_pages(self, size: int) -> Iterator[tuple[list[str], list[tuple[Any, ...]]]]:
        """Every tenant as plain tuples with the column names, in tenant_id order, `size` rows a query."""
        last = ""
        while True:
            cursor = self.store.db.execute(
                f"SELECT * FROM {TENANT_ROWS} WHERE tenant_id > ? ORDER BY tenant_id LIMIT ?", [last, int(size)]
            )
            columns = [description[0] for description in cursor.description]
            page = cursor.fetchall()
            if not page:
                return
            yield columns, page
            last = page[-1][0]

    def revision(self) -> int:
        """The change feed's high-water mark: the highest revision of any tenant row (0: no tenants)."""
        return int(self.store.db.execute(f"SELECT {HIGHEST_REVISION}").fetchone()[0])

    def changed_since(self, revision: int, *, steady: bool = False) -> Changes:
        """The rows whose revision is above `revision`, in ID order (indexed ranges: the cost is the rows changed,
        not the fleet), and the revision to ask from next time. Read inside `store.read()` with anything that must
        agree. `steady`: leave out a row whose only changes since are to its readings' figures (MEASURED_FIGURES)."""
        high, pages = self.changed_pages(revision, BATCH, steady=steady)
        columns: list[str] = []
        rows: list[tuple[Any, ...]] = []
        for read_columns, page in pages:
            columns = read_columns
            rows.extend(page)
        return Changes(high, columns, rows)

    def changed_pages(
        self, revision: int, size: int, *, steady: bool = False
    ) -> tuple[int, Iterator[tuple[list[str], list[tuple[Any, ...]]]]]:
        """`changed_since`, its rows `size` at a time from one query: the revision to ask from next time, and
        the pages (read as they are iterated: inside the same `store.read()`), so a poll that changed every
        row holds a page of tuples at a time, not the fleet's (100 MB at 50,000)."""
        high = self.revision()
        if high <= revision:
            return high, iter(())
        # In ID order (SQLite walks the changed IDs in order: no sort, no scan of the table).
        cursor = self.store.db.execute(
            f"SELECT * FROM {TENANT_ROWS} WHERE tenant_id IN ({_changed_ids_sql(steady)}) ORDER BY tenant_id",
            [int(revision)] * (1 if steady else 2),
        )
        columns = [description[0] for description in cursor.description]

        def pages() -> Iterator[tuple[list[str], list[tuple[Any, ...]]]]:
            while page := cursor.fetchmany(size):
                yield columns, page

        return high, pages()

    def changed_ids(self, revision: int, *, steady: bool = False) -> tuple[int, list[str]]:
        """`changed_since`'s rows by ID only (in ID order), and the revision to ask from next time: for a reader that
        then reads the rows a page at a time (`raw_row_pages`), holding one page, not every changed row (90 MB at
        50,000).
        A row changed between the two reads is read as it is then, and again next time (its revision is above)."""
        high = self.revision()
        if high <= revision:
            return high, []
        cursor = self.store.db.execute(_changed_ids_sql(steady), [int(revision)] * (1 if steady else 2))
        return high, sorted(row[0] for row in cursor.fetchall())

    def raw_rows(self, tenant_ids: Collection[str]) -> tuple[list[str], list[tuple[Any, ...]]]:
        """The rows of these tenants (those that exist) as plain tuples, with the column names."""
        columns: list[str] = []
        rows: list[tuple[Any, ...]] = []
        for read_columns, page in self.raw_row_pages(tenant_ids):
            columns = read_columns
            rows.extend(page)
        return columns, rows

    def outside(self, room: WarRoom, tenant_ids: Collection[str]) -> list[str]:
        """Those of these tenants outside `room`'s part of the fleet, in ID order (none, for the whole fleet)."""
        if room.whole_fleet or not tenant_ids:
            return []
        columns, rows = self.raw_rows(set(tenant_ids))
        return sorted(tenant.tenant_id for tenant in Tenant.from_rows(columns, rows) if not room.holds(tenant))

    def raw_row_pages(
        self, tenant_ids: Collection[str], *, readings: bool = True
    ) -> Iterator[tuple[list[str], list[tuple[Any, ...]]]]:
        """`raw_rows`, a query (BATCH tenants) at a time, read as the pages are iterated; without `readings`, the
        tenants' rows alone (their columns but READINGS)."""
        ids = list(tenant_ids)
        source = TENANT_ROWS if readings else "tenants"
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            cursor = self.store.db.execute(
                f"SELECT * FROM {source} WHERE tenant_id IN ({', '.join('?' * len(chunk))})", chunk
            )
            yield [description[0] for description in cursor.description], cursor.fetchall()

    def count(self) -> int:
        return int(self.store.db.execute("SELECT count(*) FROM tenants").fetchone()[0])

    # --- lifecycle ---------------------------------------------------------------

    def transition(
        self,
        tenant_id: str,
        to: Lifecycle | str,
        *,
        why: str,
        job_id: str | None = None,
        detail: dict[str, Any] | None = None,
        expect: Lifecycle | str | None = None,
    ) -> Tenant:
        """Move a tenant to `to`, recording the event in the same transaction.

        `expect` guards against a change made by someone else meanwhile: if the
        tenant is no longer in that state, nothing happens and ConcurrentChange says so.
        """
        to = Lifecycle(to)
        with self.store.write() as db:
            current = self.get(tenant_id)
            if expect is not None and current.lifecycle != Lifecycle(expect):
                raise ConcurrentChange(
                    f"{tenant_id}: expected {Lifecycle(expect).value} but it is {current.lifecycle.value} now; "
                    "someone else changed it"
                )
            check_transition(tenant_id, current.lifecycle, to)
            now = self.events.clock.now()
            revision = self.next_revision()
            db.execute(
                "UPDATE tenants SET lifecycle = ?, lifecycle_since = ?, version = version + 1, revision = ? "
                "WHERE tenant_id = ?",
                [to.value, now, revision, tenant_id],
            )
            self.events.append(
                "transition",
                f"{current.lifecycle.label} -> {to.label}",
                tenant_id=tenant_id,
                job_id=job_id,
                why=why,
                state_before=current.lifecycle.value,
                state_after=to.value,
                detail=detail,
            )
            return self.get(tenant_id)

    def observe(self, tenant_id: str, **observed: Any) -> None:
        """Record what was last observed of a tenant (sync, health, validation)."""
        self.observe_many({tenant_id: observed})

    def observe_many(self, observations: dict[str, dict[str, Any]]) -> None:
        """Record observations of many tenants in one transaction, writing only what differs from what is stored:
        a tenant whose readings' figures changed gets them (and their confirmation times) and a new readings
        revision; one whose figures are the same gets only its newer confirmation times (CONFIRMED_AT), and
        keeps its revision; a change to anything else observed (a sync's health, DNS as read) is written to its
        row with a new revision; nothing differing, nothing is written. A NaN always differs (SQLite keeps none)."""
        self._record(_by_names_observed(observations), observations)

    def observe_rows(self, names: tuple[str, ...], rows: list[tuple[str, tuple[Any, ...]]]) -> None:
        """`observe_many` for observations of the same names, each tenant's as (its ID, its values in the order of
        `names`): a whole-fleet poll builds no dict a tenant. Raises ValueError for a row of another length."""
        if set(map(len, map(_SECOND, rows))) - {len(names)}:  # each row's length, counted in C
            for tenant_id, values in rows:
                if len(values) != len(names):
                    raise ValueError(f"{tenant_id}: {len(values)} values observed for {len(names)} names")
        if rows:
            self._record(_checked({tuple(names): list(rows)}), [tenant_id for tenant_id, _ in rows])

    def _record(
        self, observed_by_names: dict[tuple[str, ...], list[tuple[str, tuple[Any, ...]]]], tenant_ids: Collection[str]
    ) -> None:
        if not observed_by_names:
            return
        fields = sorted({name for names in observed_by_names for name in names})
        position = {name: index for index, name in enumerate(fields)}
        with self.store.write() as db:
            stored = self._stored(db, fields, tenant_ids)
            # (table, its columns) -> the rows (values, then the tenant's ID) that changed there
            revised: dict[tuple[str, tuple[str, ...]], list[tuple[Any, ...]]] = {}
            # columns -> their values -> the tenants confirmed with them (a poll confirms most at the same time)
            confirmed: dict[tuple[str, ...], dict[tuple[Any, ...], list[str]]] = {}
            for names, observed in observed_by_names.items():
                # Where the names sit in a stored row and which table each is in: a tenant's comparison is then
                # a few tuple comparisons rather than one per field.
                pick_stored = _picker([position[name] for name in names])
                in_row = [index for index, name in enumerate(names) if name not in READINGS]
                in_readings = [index for index, name in enumerate(names) if name in READINGS]
                pick_row = _picker(in_row)
                pick_readings = _picker(in_readings)
                pick_figures = _picker([index for index, name in enumerate(names) if name in MEASURED_FIGURES])
                pick_measured = _picker([index for index, name in enumerate(names) if name not in CONFIRMED_AT])
                times = tuple(index for index, name in enumerate(names) if name in CONFIRMED_AT)
                row_changes = revised.setdefault(("tenants", tuple(names[index] for index in in_row)), [])
                readings_changes = revised.setdefault(
                    ("tenant_readings", tuple(names[index] for index in in_readings)), []
                )
                by_times = confirmed.setdefault(tuple(names[index] for index in times), {})
                for tenant_id, values in observed:
                    current = stored.get(tenant_id)
                    if current is None:
                        raise UnknownTenant(tenant_id)
                    was = pick_stored(current)
                    # Tuples compare equal only if every pair is (the same object, or) equal: NaN never is, and a
                    # stored value is never NaN, so a NaN observed always differs, as it must.
                    if values == was:
                        continue
                    # Most tenants of a poll differ only in their confirmation time: one comparison tells.
                    if pick_measured(values) != pick_measured(was):
                        if in_row and pick_row(values) != pick_row(was):
                            row_changes.append((*pick_row(values), tenant_id))
                        # With no names in the row, what differs is a figure.
                        if not in_row or pick_figures(values) != pick_figures(was):
                            readings_changes.append((*pick_readings(values), tenant_id))
                            continue
                    if len(times) == 1:
                        time = values[times[0]]
                        if time != was[times[0]] or time != time:
                            by_times.setdefault((time,), []).append(tenant_id)
                        continue
                    differs = tuple(
                        index for index in times if values[index] != was[index] or values[index] != values[index]
                    )
                    if differs:
                        confirmed.setdefault(tuple(names[index] for index in differs), {}).setdefault(
                            tuple(values[index] for index in differs), []
                        ).append(tenant_id)
            if any(revised.values()):
                revision = self.next_revision()
                for (table, names), rows in revised.items():
                    if not rows:
                        continue
                    assignments = ", ".join(f"{name} = ?" for name in names)
                    mark = "revision" if table == "tenants" else "readings_revision"
                    db.conn.executemany(
                        f"UPDATE {table} SET {assignments}, {mark} = {revision} WHERE tenant_id = ?", rows
                    )
            for names, groups in confirmed.items():
                if not groups:
                    continue
                # One statement for the tenants sharing the same times, not one a tenant; a tenant with times of
                # its own, a statement of its own.
                assignments = ", ".join(f"{name} = ?" for name in names)
                alone = [(*values, ids[0]) for values, ids in groups.items() if len(ids) == 1]
                if alone:
                    db.conn.executemany(f"UPDATE tenant_readings SET {assignments} WHERE tenant_id = ?", alone)
                shared = {values: ids for values, ids in groups.items() if len(ids) > 1}
                for values, ids in shared.items():
                    for start in range(0, len(ids), BATCH):
                        chunk = ids[start : start + BATCH]
                        db.conn.execute(
                            f"UPDATE tenant_readings SET {assignments} "
                            f"WHERE tenant_id IN ({', '.join('?' * len(chunk))})",
                            [*values, *chunk],
                        )

    def next_revision(self) -> int:
        """The revision a write now gives the rows it changes (inside the write's transaction)."""
        return int(self.store.db.execute(f"SELECT {NEXT_REVISION}").fetchone()[0])

    @staticmethod
    def _stored(db: Any, fields: list[str], tenant_ids: Collection[str]) -> dict[str, tuple[Any, ...]]:
        """The stored values of `fields` (in that order, then the tenant's ID) of each of these tenants that
        exists, by ID."""
        stored: dict[str, tuple[Any, ...]] = {}
        names = ", ".join(fields)
        # A poll reading only readings (metrics, sync progress) or only the row reads one table.
        if READINGS.issuperset(fields):
            source = "tenant_readings"
        elif READINGS.isdisjoint(fields):
            source = "tenants"
        else:
            source = TENANT_ROWS
        ids = list(tenant_ids)
        for start in range(0, len(ids), BATCH):
            chunk = ids[start : start + BATCH]
            marks = ", ".join("?" * len(chunk))
            cursor = db.execute(f"SELECT {names}, tenant_id FROM {source} WHERE tenant_id IN ({marks})", chunk)
            found = cursor.fetchall()
            stored.update(zip(map(_LAST, found), found, strict=True))
        return stored

    # --- import ------------------------------------------------------------------

    def plan_import(
        self,
        specs: tuple[TenantSpec, ...] | list[TenantSpec],
        source: str,
        only: Collection[str] | None = None,
    ) -> ImportPlan:
        """What importing `specs` would change. Of a tenant already stored, only the fields in `only`
        (default: all) are compared and written: a column the file lacks leaves the stored value."""
        compared = [name for name in MATRIX_FIELDS[1:] if only is None or name in only]
        existing = {
            row["tenant_id"]: row
            for row in self.store.db.query(f"SELECT tenant_id, {', '.join(MATRIX_FIELDS[1:])} FROM tenants")
        }
        added: list[TenantSpec] = []
        changed: list[tuple[str, dict[str, tuple[Any, Any]]]] = []
        unchanged = 0
        for spec in specs:
            row = existing.pop(spec.tenant_id, None)
            if row is None:
                added.append(spec)
                continue
            new = spec.matrix_fields()
            diff = {name: (row[name], new[name]) for name in compared if row[name] != new[name]}
            if diff:
                changed.append((spec.tenant_id, diff))
            else:
                unchanged += 1
        return ImportPlan(source, tuple(added), tuple(changed), unchanged, tuple(sorted(existing)))

    def apply_import(
        self, plan: ImportPlan, specs: tuple[TenantSpec, ...] | list[TenantSpec], file_sha256: str
    ) -> None:
        """Write an import in one transaction: every row lands, or none does."""
        by_id = {spec.tenant_id: spec for spec in specs}
        now = self.events.clock.now()
        with self.store.write() as db:
            revision = self.next_revision()
            if plan.added:
                db.table("tenants").insert_all(
                    [
                        {
                            **spec.matrix_fields(),
                            "lifecycle": Lifecycle.PENDING.value,
                            "lifecycle_since": now,
                            "imported_at": now,
                            "import_source": plan.source,
                            "revision": revision,
                        }
                        for spec in plan.added
                    ]
                )
                db.table("tenant_readings").insert_all(
                    [{"tenant_id": spec.tenant_id, "readings_revision": revision} for spec in plan.added]
                )
            for tenant_id, diff in plan.changed:
                values = {name: getattr(by_id[tenant_id], name) for name in diff}
                assignments = ", ".join(f"{name} = ?" for name in values)
                db.execute(
                    f"UPDATE tenants SET {assignments}, import_source = ?, version = version + 1, revision = ? "
                    "WHERE tenant_id = ?",
                    [*values.values(), plan.source, revision, tenant_id],
                )
            entries = [
                dict(
                    kind="tenant.added",
                    what=f"added from {plan.source}",
                    tenant_id=spec.tenant_id,
                    state_after=Lifecycle.PENDING.value,
                    detail={"wave": spec.wave, "tier": spec.tier},
                )
                for spec in plan.added
            ]
            entries += [
                dict(
                    kind="tenant.updated",
                    what=f"matrix fields changed by {plan.source}",
                    tenant_id=tenant_id,
                    detail={name: {"from": old, "to": new} for name, (old, new) in diff.items()},
                )
                for tenant_id, diff in plan.changed
            ]
            entries.append(
                dict(
                    kind="matrix.import",
                    what=f"imported {plan.source}",
                    detail={
                        "added": len(plan.added),
                        "changed": len(plan.changed),
                        "unchanged": plan.unchanged,
                        "absent": len(plan.absent),
                        "sha256": file_sha256,
                    },
                )
            )
            self.events.append_many(entries)


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()
