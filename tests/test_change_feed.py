"""The store's change feed (issue 17): a row's revision moves only when what a reader shows of it changes,
and the console's feed reads only the rows that moved."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlite_utils
from pytest import MonkeyPatch

from cutover.config.matrix import parse_matrix
from cutover.config.settings import Settings
from cutover.console.feed import FleetFeed
from cutover.model.clock import ManualClock
from cutover.model.lifecycle import Lifecycle, SyncHealth
from cutover.state import schema
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.location import open_store
from cutover.state.schema import MIGRATIONS, READING_COLUMNS, _tenant_readings, _tenant_revisions
from cutover.state.store import Store
from cutover.state.tenants import (
    BATCH,
    CONFIRMED_AT,
    MEASURED_FIGURES,
    READINGS,
    TenantStore,
    UnknownTenant,
)

pytestmark = pytest.mark.both_stores


def _matrix(size: int = 40) -> str:
    rows = "".join(f"T-{n:04d},2GB,Std,t{n}.example.com\n" for n in range(1, size + 1))
    return "Tenant ID,Size,SLA,DNS name\n" + rows


MATRIX = _matrix()
# Fleet sizes a poll's observations are recorded at in one call: a few tenants, and more than one query reads.
SIZES = pytest.mark.parametrize("size", [40, 3 * BATCH + 7], ids=["40 tenants", f"{3 * BATCH + 7} tenants"])


def _import(tenants: TenantStore, size: int = 40) -> None:
    parsed = parse_matrix(_matrix(size))
    tenants.apply_import(tenants.plan_import(parsed.tenants, "m.csv"), parsed.tenants, "x")


def _revisions(store: Store) -> dict[str, int]:
    """Each tenant's revision in the change feed: the greater of its row's and its readings'."""
    return {
        row["tenant_id"]: row["revision"]
        for row in store.db.query(
            "SELECT tenant_id, max(revision, readings_revision) AS revision FROM tenants "
            "JOIN tenant_readings USING (tenant_id)"
        )
    }


def _health(tenants: TenantStore, at: float, down: str | None = None, size: int = 40) -> None:
    """A whole-fleet health poll as the engine records it: every tenant, 3/3 healthy (but `down`), at `at`."""
    tenants.observe_many(
        {
            f"T-{n:04d}": {
                "backends_healthy": 2 if f"T-{n:04d}" == down else 3,
                "backends_total": 3,
                "health_at": at,
            }
            for n in range(1, size + 1)
        }
    )


@SIZES
def test_a_poll_that_changes_no_figure_moves_no_revision(store: Store, tenants: TenantStore, size: int) -> None:
    _import(tenants, size)
    _health(tenants, 1_800_000_000.0, size=size)
    before = _revisions(store)
    high = tenants.revision()

    _health(tenants, 1_800_000_015.0, size=size)  # the same figures, confirmed 15 s later

    assert _revisions(store) == before
    assert tenants.revision() == high
    assert tenants.changed_since(high).rows == []
    assert tenants.get("T-0007").health_at == 1_800_000_015.0  # the confirmation itself is kept


@SIZES
def test_one_changed_figure_moves_only_its_row(store: Store, tenants: TenantStore, size: int) -> None:
    _import(tenants, size)
    _health(tenants, 1_800_000_000.0, size=size)
    high = tenants.revision()

    _health(tenants, 1_800_000_015.0, down="T-0012", size=size)

    changes = tenants.changed_since(high)
    assert [row[0] for row in changes.rows] == ["T-0012"]
    assert changes.revision > high
    assert tenants.changed_since(changes.revision).rows == []
    assert tenants.get("T-0012").backends_healthy == 2 and tenants.get("T-0012").health_at == 1_800_000_015.0
    assert tenants.get(f"T-{size:04d}").health_at == 1_800_000_015.0  # the last row's confirmation too


@SIZES
def test_a_poll_naming_a_tenant_not_in_the_store_records_nothing(store: Store, tenants: TenantStore, size: int) -> None:
    _import(tenants, size)
    _health(tenants, 1_800_000_000.0, size=size)
    before = _revisions(store)
    poll = {f"T-{n:04d}": {"backends_healthy": 1, "backends_total": 3, "health_at": 1_800_000_015.0} for n in (1, 2)}
    poll["T-9999"] = {"backends_healthy": 3, "backends_total": 3, "health_at": 1_800_000_015.0}
    poll.update({f"T-{n:04d}": {"backends_healthy": 1, "backends_total": 3, "health_at": 1.0} for n in range(3, size)})

    with pytest.raises(UnknownTenant, match="T-9999"):
        tenants.observe_many(poll)

    assert _revisions(store) == before and tenants.get("T-0001").backends_healthy == 3


def test_transitions_and_imports_move_the_revision(store: Store, tenants: TenantStore) -> None:
    _import(tenants)
    high = tenants.revision()
    assert high > 0 and set(_revisions(store).values()) == {high}  # an import's rows arrive together

    tenants.transition("T-0003", "syncing", why="test")
    first = tenants.changed_since(high)
    assert [row[0] for row in first.rows] == ["T-0003"]

    parsed = parse_matrix(MATRIX.replace("T-0005,2GB", "T-0005,3GB"))
    tenants.apply_import(tenants.plan_import(parsed.tenants, "m.csv"), parsed.tenants, "y")
    assert [row[0] for row in tenants.changed_since(first.revision).rows] == ["T-0005"]

    again = tenants.revision()
    tenants.apply_import(tenants.plan_import(parsed.tenants, "m.csv"), parsed.tenants, "y")  # the same file
    assert tenants.revision() == again


def test_new_live_figures_move_the_revision_but_not_the_steady_one(store: Store, tenants: TenantStore) -> None:
    """A whole-fleet metrics poll changes every row's live figures: a reader that does not use them (the engine's
    copy of the fleet) asks for the steady changes only, and is sent the rows whose anything else changed."""
    _import(tenants)
    high = tenants.revision()

    tenants.observe_many(  # a metrics poll: new figures for every tenant
        {
            f"T-{n:04d}": {
                "observed_oci_share": 0.0,
                "requests": 100.0 + n,
                "error_rate": 0.001,
                "p95_ms": 80.0,
                "metrics_at": 1_800_000_000.0,
            }
            for n in range(1, 41)
        }
    )
    assert len(tenants.changed_since(high).rows) == 40  # the console shows them: every row is sent
    assert tenants.changed_since(high, steady=True).rows == []

    tenants.transition("T-0004", "syncing", why="test")
    tenants.observe_many({f"T-{n:04d}": {"sync_health": "initial_sync", "sync_percent": 1.0} for n in range(1, 41)})
    tenants.observe("T-0007", requests=5.0, dns_oci_share=0.0, dns_routing="aws", dns_at=1_800_000_000.0)
    steady = tenants.changed_since(high, steady=True)
    assert len(steady.rows) == 40 and steady.revision == tenants.revision()
    moved = tenants.revision()
    tenants.transition("T-0005", "syncing", why="test")
    tenants.observe("T-0006", p95_ms=90.0, metrics_at=1_800_000_005.0)
    assert [row[0] for row in tenants.changed_since(moved, steady=True).rows] == ["T-0005"]
    assert [row[0] for row in tenants.changed_since(moved).rows] == ["T-0005", "T-0006"]
    # By ID only (the engine's copy then reads the rows a page at a time): the same tenants, the same revision.
    assert tenants.changed_ids(moved, steady=True) == (tenants.revision(), ["T-0005"])
    assert tenants.changed_ids(moved) == (tenants.revision(), ["T-0005", "T-0006"])
    assert tenants.changed_ids(tenants.revision()) == (tenants.revision(), [])


def test_a_syncs_progress_and_backend_counts_move_the_revision_but_not_the_steady_one(tenants: TenantStore) -> None:
    """A continuous sync's lag moves on every pass, backends go down and up: the console is sent those rows, the
    engine's copy of the fleet (which uses none of it) is not; a sync's health is a change it is sent."""
    _import(tenants)
    sync = {"sync_health": "continuous", "sync_lag_s": 4.0, "pending_objects": 10, "observed_at": 1_800_000_000.0}
    tenants.observe_many({f"T-{n:04d}": dict(sync) for n in range(1, 41)})
    _health(tenants, 1_800_000_000.0)
    high = tenants.revision()

    tenants.observe_many(  # the next pass: every lag and backlog moved; T-0009 stalled
        {
            f"T-{n:04d}": {
                **sync,
                "sync_health": "stalled" if n == 9 else "continuous",
                "sync_lag_s": 4.0 + n,
                "pending_objects": 10 + n,
                "observed_at": 1_800_000_060.0,
            }
            for n in range(1, 41)
        }
    )
    _health(tenants, 1_800_000_060.0, down="T-0012")

    assert len(tenants.changed_since(high).rows) == 40
    assert [row[0] for row in tenants.changed_since(high, steady=True).rows] == ["T-0009"]
    assert tenants.get("T-0012").backends_healthy == 2 and tenants.get("T-0020").sync_lag_s == 24.0


def _feed(store: Store, events: EventLog, clock: ManualClock) -> FleetFeed:
    return FleetFeed(store, events, clock, Settings())


def test_the_console_reads_only_the_changed_row(
    store: Store, events: EventLog, tenants: TenantStore, clock: ManualClock
) -> None:
    _import(tenants)
    _health(tenants, clock.now())
    feed = _feed(store, events, clock)
    first = feed.poll()
    assert len(first.changed) == 40

    clock.advance(1.0)
    steady = feed.poll()
    assert steady.changed == {} and steady.total == 40

    revision = tenants.revision()
    clock.advance(1.0)
    _health(tenants, clock.now(), down="T-0021")
    assert [row[0] for row in tenants.changed_since(revision).rows] == ["T-0021"]  # what the feed asks for
    update = feed.poll()
    assert list(update.changed) == ["T-0021"]
    assert update.changed["T-0021"].cell("backends").text == "2/3"
    assert update.tenants["T-0021"].backends_healthy == 2
    assert update.total == 40 and update.removed == ()


def test_the_console_shows_what_another_connection_wrote(
    store_location: str, store: Store, events: EventLog, tenants: TenantStore, clock: ManualClock
) -> None:
    """A transition and an observation written by another process (its own connection to the file)."""
    _import(tenants)
    feed = _feed(store, events, clock)
    feed.poll()

    with open_store(store_location) as other:
        theirs = TenantStore(other, EventLog(other, Actor(operator="bob", host="jump-2"), clock))
        theirs.transition("T-0002", "syncing", why="bob starts it")
        theirs.observe("T-0009", sync_health="continuous", sync_lag_s=0.0, observed_at=clock.now())

    clock.advance(1.0)
    update = feed.poll()
    assert set(update.changed) == {"T-0002", "T-0009"}
    assert update.tenants["T-0002"].lifecycle.value == "syncing"
    assert update.tenants["T-0009"].sync_lag_s == 0.0


def test_a_figure_confirmed_without_a_new_revision_never_turns_stale_on_screen(
    store: Store, events: EventLog, tenants: TenantStore, clock: ManualClock
) -> None:
    """The engine confirms health every 15 s without moving the revision: the console re-reads a row before
    its copy would call the figure stale, so a fresh figure is never shown stale; one that stops being
    confirmed is shown stale once it is."""
    _import(tenants)
    _health(tenants, clock.now())
    feed = _feed(store, events, clock)
    shown = dict(feed.poll().changed)  # what the table shows: each update's changed rows applied
    stale_after = Settings().gates.stale_after
    for _ in range(int(stale_after * 3 / 15)):
        clock.advance(15.0)
        _health(tenants, clock.now())
        shown.update(feed.poll().changed)
        backends = {row.cell("backends").text for row in shown.values()}
        assert backends == {"3/3"}, "a figure confirmed every 15 s is shown stale"

    clock.advance(stale_after + 1.0)  # the engine stopped: nothing confirms the figures any more
    update = feed.poll()
    assert len(update.changed) == 40
    assert all(row.cell("backends").text == "3/3?" for row in update.changed.values())


def test_the_selected_tenant_is_read_every_poll(
    store: Store, events: EventLog, tenants: TenantStore, clock: ManualClock
) -> None:
    """The key figures show how old the selected tenant's metrics are: its confirmation times stay current."""
    _import(tenants)
    tenants.observe("T-0004", error_rate=0.001, p95_ms=100.0, metrics_at=clock.now())
    feed = _feed(store, events, clock)
    feed.poll()
    feed.focus = "T-0004"
    clock.advance(5.0)
    tenants.observe("T-0004", error_rate=0.001, p95_ms=100.0, metrics_at=clock.now())
    update = feed.poll()
    assert update.tenants["T-0004"].metrics_at == clock.now()


def _store_before(path: Path, migration: Callable[[sqlite_utils.Database], None]) -> sqlite3.Connection:
    """A store file at the schema an older cutover made, just before `migration`: its connection, to fill."""
    conn = sqlite3.connect(path)
    db = sqlite_utils.Database(conn)
    before = MIGRATIONS.index(migration)
    for earlier in MIGRATIONS[:before]:
        earlier(db)
    conn.execute(f"PRAGMA user_version = {before}")
    return conn


def test_a_store_from_the_schema_before_revisions_gets_them(tmp_path: Path, clock: ManualClock) -> None:
    path = tmp_path / "old.db"
    conn = _store_before(path, _tenant_revisions)
    for n in (1, 2, 3):
        conn.execute(
            "INSERT INTO tenants (tenant_id, size_bytes, tier, wave, dns_name, lifecycle_since, imported_at) "
            "VALUES (?, 1, 'standard', 1, ?, 0, 0)",
            [f"T-{n:04d}", f"t{n}.example.com"],
        )
    conn.commit()
    conn.close()

    with Store(path) as store:
        tenants = TenantStore(store, EventLog(store, Actor(operator="alice", host="jump-1"), clock))
        revisions = _revisions(store)
        assert sorted(revisions) == ["T-0001", "T-0002", "T-0003"]
        assert all(revision > 0 for revision in revisions.values())
        assert len(set(revisions.values())) == 3
        readings = store.db.query("SELECT tenant_id, readings_revision FROM tenant_readings ORDER BY tenant_id")
        assert {row["tenant_id"]: row["readings_revision"] for row in readings} == revisions
        high = tenants.revision()
        tenants.transition("T-0002", "syncing", why="test")
        assert [row[0] for row in tenants.changed_since(high).rows] == ["T-0002"]
        assert [row[0] for row in tenants.changed_since(high, steady=True).rows] == ["T-0002"]
        feed = FleetFeed(store, tenants.events, clock, Settings())
        assert feed.poll().total == 3


def test_the_readings_table_holds_exactly_the_measured_figures_and_their_confirmation_times(store: Store) -> None:
    columns = [column[0] for column in store.db.execute("SELECT * FROM tenant_readings LIMIT 0").description]
    assert columns == ["tenant_id", "readings_revision", *(name for name, _ in READING_COLUMNS)]
    assert set(columns[2:]) == READINGS == CONFIRMED_AT | MEASURED_FIGURES


@pytest.mark.parametrize("drop_column", [True, False], ids=["DROP COLUMN", "SQLite before 3.35"])
def test_a_store_from_before_the_readings_table_keeps_every_reading_and_revision(
    tmp_path: Path, clock: ManualClock, monkeypatch: MonkeyPatch, drop_column: bool
) -> None:
    """Schema 20 moves a tenant's measured figures and confirmation times to their own table: what was stored is
    read back the same, and the change feed goes on from where it was (steady or not); where SQLite has no DROP
    COLUMN (before 3.35), the tenants table is made again without them, to the same effect."""
    monkeypatch.setattr(schema, "DROP_COLUMN", drop_column)
    path = tmp_path / "old.db"
    conn = _store_before(path, _tenant_readings)
    # T-0001 last changed in a figure only (revision 7, steady 3); T-0002 in its row (5, 5); T-0003 never since.
    for tenant_id, revision, steady in (("T-0001", 7, 3), ("T-0002", 5, 5), ("T-0003", 2, 2)):
        conn.execute(
            "INSERT INTO tenants (tenant_id, size_bytes, tier, wave, dns_name, lifecycle_since, imported_at, "
            "requests, error_rate, metrics_at, sync_health, sync_lag_s, backends_healthy, backends_total, dns_at, "
            "dns_routing, revision, steady_revision) "
            "VALUES (?, 1, 'standard', 1, ?, 0, 0, 120.0, 0.002, 1800000000.0, 'continuous', 4.0, 2, 3, "
            "1800000001.0, 'aws', ?, ?)",
            [tenant_id, f"{tenant_id.lower()}.example.com", revision, steady],
        )
    conn.commit()
    conn.close()

    with Store(path) as store:
        tenants = TenantStore(store, EventLog(store, Actor(operator="alice", host="jump-1"), clock))
        columns = {row["name"] for row in store.db.query("PRAGMA table_info(tenants)")}
        assert not columns & (READINGS | {"steady_revision"})  # moved, not left behind
        got = tenants.get("T-0001")
        assert (got.requests, got.error_rate, got.metrics_at, got.dns_at) == (120.0, 0.002, 1_800_000_000.0, 1.8e9 + 1)
        assert (got.sync_health, got.sync_lag_s, got.backends_healthy, got.dns_routing) == (
            SyncHealth.CONTINUOUS,
            4.0,
            2,
            "aws",
        )
        assert tenants.revision() == 7
        assert [row[0] for row in tenants.changed_since(4).rows] == ["T-0001", "T-0002"]
        assert [row[0] for row in tenants.changed_since(4, steady=True).rows] == ["T-0002"]
        tenants.observe("T-0003", requests=5.0)
        assert tenants.changed_ids(7) == (8, ["T-0003"]) and tenants.changed_ids(7, steady=True) == (8, [])


def test_a_store_made_where_sqlite_has_no_drop_column_has_the_same_tables(monkeypatch: MonkeyPatch) -> None:
    """Every column (name, type, NOT NULL, default, key) and index of every table, made by DROP COLUMN and by
    making the tenants table again (SQLite before 3.35)."""

    def made() -> tuple[list[tuple[object, ...]], list[str]]:
        db = sqlite_utils.Database(sqlite3.connect(":memory:"))
        with db.conn:
            schema.migrate(db)
        tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        columns = [(table, *column) for table in tables for column in db.execute(f"PRAGMA table_info({table})")]
        indexes = db.execute(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL ORDER BY name"
        ).fetchall()
        return columns, indexes

    by_drop_column = made()
    monkeypatch.setattr(schema, "DROP_COLUMN", False)
    assert made() == by_drop_column
    assert any(column[0] == "tenants" and column[2] == "revision" for column in by_drop_column[0])


def test_the_waves_summary_follows_each_changed_row(
    store: Store, events: EventLog, tenants: TenantStore, clock: ManualClock
) -> None:
    """The waves' counts move with the rows the feed reads (it keeps them, it does not recount the fleet)."""
    _import(tenants)
    feed = _feed(store, events, clock)
    (wave,) = feed.poll().summary
    assert wave.total == 40 and wave.by_state == {Lifecycle.PENDING: 40}

    tenants.transition("T-0002", "syncing", why="started")
    tenants.transition("T-0003", "syncing", why="started")
    clock.advance(1.0)
    (wave,) = feed.poll().summary
    assert wave.by_state == {Lifecycle.PENDING: 38, Lifecycle.SYNCING: 2}
    assert wave.in_flight == 0 and wave.total == 40

    tenants.transition("T-0002", "failed", why="broke")
    clock.advance(1.0)
    (wave,) = feed.poll().summary
    assert wave.by_state == {Lifecycle.PENDING: 38, Lifecycle.SYNCING: 1, Lifecycle.FAILED: 1}


def test_the_fleet_read_a_page_at_a_time_is_each_tenant_as_read_alone(tenants: TenantStore) -> None:
    """The engine's fleet read (pages) and find() build Tenants in bulk: each is the tenant `get` reads,
    field for field, whatever its sync state (not started is the empty value) and observations."""
    _import(tenants)
    tenants.transition("T-0003", "syncing", why="test")
    tenants.observe_many(
        {
            "T-0003": {"sync_health": "continuous", "sync_percent": 100.0, "observed_at": 1_800_000_000.0},
            "T-0004": {"requests": 120.0, "error_rate": 0.001, "metrics_at": 1_800_000_010.0},
        }
    )

    paged = [tenant for page in tenants.pages(7) for tenant in page]

    assert [t.tenant_id for t in paged] == [f"T-{n:04d}" for n in range(1, 41)]
    assert paged == [tenants.get(t.tenant_id) for t in paged] == tenants.find()
    assert paged[2].lifecycle is Lifecycle.SYNCING and paged[2].sync_health is SyncHealth.CONTINUOUS
    assert paged[0].sync_health is SyncHealth.NOT_STARTED and paged[0].lifecycle is Lifecycle.PENDING
    assert paged[3].requests == 120.0 and paged[3].metrics_at == 1_800_000_010.0


def test_a_figure_observed_as_nan_is_written_and_moves_the_revision(store: Store, tenants: TenantStore) -> None:
    """SQLite keeps no NaN (it stores NULL): a NaN observed is never taken for the figure already stored."""
    _import(tenants)
    tenants.observe_many({"T-0005": {"p95_ms": 850.0, "metrics_at": 1_800_000_000.0}})
    high = tenants.revision()

    tenants.observe_many({"T-0005": {"p95_ms": float("nan"), "metrics_at": 1_800_000_000.0}})

    assert [row[0] for row in tenants.changed_since(high).rows] == ["T-0005"]
    assert tenants.get("T-0005").p95_ms is None


def test_a_poll_that_changed_every_row_is_read_a_page_at_a_time(
    store: Store, events: EventLog, tenants: TenantStore, clock: ManualClock, monkeypatch: MonkeyPatch
) -> None:
    """The engine's first poll changes every row: the console reads them a page at a time from one query (at
    50,000 tenants the whole list of changed rows held at once was 100 MB of the console's memory), and shows
    every one of them, with the selected tenant and the rows due to be looked at again read once besides."""
    monkeypatch.setattr("cutover.console.feed.PAGE", 7)
    _import(tenants)
    feed = _feed(store, events, clock)
    feed.poll()
    feed.focus = "T-0040"
    revision = tenants.revision()

    clock.advance(1.0)
    _health(tenants, clock.now(), down="T-0040")

    high, pages = tenants.changed_pages(revision, 7)
    sizes = [len(rows) for _, rows in pages]
    assert high == tenants.revision() and sizes == [7, 7, 7, 7, 7, 5]
    update = feed.poll()
    assert len(update.changed) == 40
    assert {row.cell("backends").text for tid, row in update.changed.items() if tid != "T-0040"} == {"3/3"}
    assert update.changed["T-0040"].cell("backends").text == "2/3"
    assert update.tenants["T-0040"].backends_healthy == 2
    clock.advance(1.0)
    assert feed.poll().changed == {}


def test_a_war_rooms_console_rewrites_every_row_when_another_war_room_begins_leading(
    store: Store, events: EventLog, tenants: TenantStore, clock: ManualClock
) -> None:
    """A console of war room `here` says whose each tenant outside its part is: nobody's until another war room's
    engine leads it, then that war room's, on the next read, although no tenant row changed."""
    from cutover.config.war_room import WarRoom
    from cutover.state.leases import LeaseStore

    _import(tenants)
    region = tenants.get("T-0001").region
    feed = FleetFeed(store, events, clock, Settings(war_room={"name": "here", "regions": [region + "-not"]}))
    first = feed.poll()
    assert first.changed["T-0001"].cell("next").text.startswith("no war room leads it: ")
    clock.advance(1.0)
    assert feed.poll().changed == {}
    amer = WarRoom("amer", frozenset({region}))
    LeaseStore(store, name=amer.lease).acquire("engine-amer", {"war_room": amer.to_json()}, 60.0)
    clock.advance(1.0)
    update = feed.poll()
    assert len(update.changed) == 40
    assert update.changed["T-0001"].cell("next").text.startswith("war room amer: ")


def test_observations_handed_as_rows_are_recorded_as_the_same_observations_by_name(
    store: Store, tenants: TenantStore
) -> None:
    """The metrics and sync polls hand the store one tuple a tenant with the names once (`observe_rows`): the
    store records what the same observations by name record, refuses what it would refuse, and changes nothing."""
    _import(tenants)
    names = ("sync_health", "sync_percent", "sync_lag_s", "observed_at")
    rows = [(f"T-{n:04d}", (SyncHealth.CONTINUOUS, 100.0, float(n), 1_800_000_000.0)) for n in range(1, 21)]
    tenants.observe_rows(names, rows)
    values = {f"T-{n:04d}": ("continuous", 100.0, float(n), 1_800_000_000.0) for n in range(21, 41)}
    tenants.observe_many({tenant_id: dict(zip(names, row, strict=True)) for tenant_id, row in values.items()})
    for n in (1, 20, 21, 40):
        got = tenants.get(f"T-{n:04d}")
        assert (got.sync_health, got.sync_percent, got.sync_lag_s, got.observed_at) == (
            SyncHealth.CONTINUOUS,
            100.0,
            float(n),
            1_800_000_000.0,
        )
    before = _revisions(store)
    with pytest.raises(ValueError, match="T-0002: 3 values observed for 4 names"):
        tenants.observe_rows(names, [rows[0], ("T-0002", (SyncHealth.STALLED, 1.0, 2.0))])
    with pytest.raises(ValueError, match="not observations: lifecycle"):
        tenants.observe_rows(("lifecycle",), [("T-0001", ("migrated",))])
    with pytest.raises(ValueError, match="'teleporting' is not a valid SyncHealth"):
        tenants.observe_rows(names, [("T-0001", ("teleporting", 1.0, 2.0, 3.0))])
    with pytest.raises(UnknownTenant, match="T-9999"):
        tenants.observe_rows(names, [("T-0001", ("stalled", 1.0, 2.0, 3.0)), ("T-9999", ("stalled", 1.0, 2.0, 3.0))])
    assert _revisions(store) == before and tenants.get("T-0001").sync_health is SyncHealth.CONTINUOUS


def test_each_part_of_an_observation_moves_only_its_own_revision(store: Store, tenants: TenantStore) -> None:
    """A sync poll's observation has a part in the row (the sync's health), figures in the readings (its lag) and
    a confirmation time: a new time alone moves no revision, a new health moves the row's, a new lag the readings'."""
    _import(tenants)
    names = ("sync_health", "sync_lag_s", "observed_at")
    tenants.observe_rows(names, [(f"T-{n:04d}", ("continuous", 4.0, 100.0)) for n in range(1, 5)])

    def revisions() -> dict[str, tuple[int, int]]:
        query = "SELECT tenant_id, revision, readings_revision FROM tenants JOIN tenant_readings USING (tenant_id)"
        return {row[0]: (row[1], row[2]) for row in store.db.execute(query).fetchall()}

    before = revisions()
    tenants.observe_rows(
        names,
        [
            ("T-0001", ("continuous", 4.0, 160.0)),  # confirmed again, a minute on
            ("T-0002", ("stalled", 4.0, 160.0)),  # stalled, the same lag
            ("T-0003", ("continuous", 9.0, 160.0)),  # further behind
            ("T-0004", ("continuous", 4.0, 100.0)),  # the same observation again
        ],
    )
    after = revisions()

    assert after["T-0001"] == before["T-0001"] and tenants.get("T-0001").observed_at == 160.0
    assert after["T-0002"][0] > before["T-0002"][0] and after["T-0002"][1] == before["T-0002"][1]
    assert tenants.get("T-0002").sync_health is SyncHealth.STALLED and tenants.get("T-0002").observed_at == 160.0
    assert after["T-0003"][0] == before["T-0003"][0] and after["T-0003"][1] > before["T-0003"][1]
    assert tenants.get("T-0003").sync_lag_s == 9.0 and tenants.get("T-0003").observed_at == 160.0
    assert after["T-0004"] == before["T-0004"]
    assert {tenant_id for tenant_id in after if after[tenant_id] != before[tenant_id]} == {"T-0002", "T-0003"}
