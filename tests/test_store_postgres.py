"""The store on PostgreSQL: what differs from SQLite and how it is bridged (state/postgres/dialect.py), and the
faults a war room meets only there (a server that does not answer, a lock held on another host, a URL with a
password, a store from another version). The store's behaviour itself is tested on both stores by the modules
marked `both_stores` (the audit trail, jobs, the change feed, the engine's crash and takeover tests)."""

from __future__ import annotations

import threading
import time
import uuid

import psycopg
import pytest
from click.testing import CliRunner

from cutover.config.settings import StateSettings
from cutover.console.cli import cli
from cutover.state.location import open_store
from cutover.state.postgres.dialect import TableShape, UnsupportedStatement, to_postgres
from cutover.state.postgres.schema import postgres_schema
from cutover.state.postgres.store import PgStore, redacted
from cutover.state.schema import SCHEMA_VERSION
from cutover.state.store import StoreBusy, StoreError

HOLDS = TableShape("tenant_holds", ("tenant_id",), ("tenant_id", "reason", "not_before", "held_by", "held_at"))
HOLD = "INSERT INTO tenant_holds (tenant_id, reason, held_by, held_at) VALUES ('T-1', ?, 'alice', 0)"
SOURCES = TableShape("sources", ("name",), ("name", "role", "consecutive_errors", "last_error"))


# --- the dialect: no server needed -----------------------------------------------------------------------


def test_placeholders_become_psycopgs_and_quoted_text_is_left_alone() -> None:
    assert to_postgres("SELECT * FROM t WHERE a = ? AND b = :name AND c = 'what? :x 5%'") == (
        "SELECT * FROM t WHERE a = %s AND b = %(name)s AND c = 'what? :x 5%%'"
    )
    assert to_postgres("SELECT a % 2 FROM t") == "SELECT a %% 2 FROM t"


def test_insert_or_replace_replaces_the_other_columns_on_the_key() -> None:
    sql = "INSERT OR REPLACE INTO tenant_holds (tenant_id, reason, held_by) VALUES (?, ?, ?)"
    assert to_postgres(sql, (HOLDS,)) == (
        "INSERT INTO tenant_holds (tenant_id, reason, held_by) VALUES (%s, %s, %s) "
        "ON CONFLICT (tenant_id) DO UPDATE SET reason = excluded.reason, held_by = excluded.held_by"
    )
    assert to_postgres("INSERT OR IGNORE INTO t (a) VALUES (?)").endswith("VALUES (%s) ON CONFLICT DO NOTHING")
    with pytest.raises(UnsupportedStatement, match="primary key is not known"):
        to_postgres("INSERT OR REPLACE INTO unknown_table (a) VALUES (?)")


def test_scalar_max_and_min_become_greatest_and_least_and_the_aggregates_stay() -> None:
    sql = "UPDATE leases SET expires_at = MIN(expires_at, ?), n = max(coalesce(a, b), coalesce(b, a))"
    assert to_postgres(sql) == (
        "UPDATE leases SET expires_at = LEAST(expires_at,  %s), n = GREATEST(coalesce(a, b),  coalesce(b, a))"
    )
    assert to_postgres("SELECT max(seq) FROM events") == "SELECT max(seq) FROM events"


def test_sqlites_integer_cast_truncates_on_postgresql_too() -> None:
    """PostgreSQL's CAST(2.7 AS BIGINT) is 3; SQLite's is 2: a sample's 15-minute bucket depends on it."""
    assert to_postgres("SELECT CAST(measured_at / :step AS INTEGER) FROM s") == (
        "SELECT CAST(trunc(measured_at / %(step)s) AS BIGINT) FROM s"
    )


def test_json_functions_and_nocase_have_their_postgresql_forms() -> None:
    assert to_postgres("SELECT 1 WHERE json_extract(holder_info, '$.released_at') IS NULL") == (
        "SELECT 1 WHERE ((holder_info)::jsonb ->> 'released_at') IS NULL"
    )
    assert to_postgres("UPDATE leases SET holder_info = json_set(holder_info, '$.standby', ?, '$.at', ?)") == (
        "UPDATE leases SET holder_info = (coalesce((holder_info)::jsonb, '{}'::jsonb) || "
        "jsonb_build_object('standby', %s, 'at', %s))::text"
    )
    assert "jsonb_array_elements_text((%(keep)s)::jsonb)" in to_postgres("SELECT value FROM json_each(:keep)")
    assert to_postgres("SELECT 1 FROM tenants WHERE tenant_id = ? COLLATE NOCASE") == (
        "SELECT 1 FROM tenants WHERE lower(tenant_id) = lower(%s)"
    )
    with pytest.raises(UnsupportedStatement):
        to_postgres("SELECT json_extract(x, '$.a.b') FROM t")


def test_an_upserts_bare_columns_name_the_kept_row() -> None:
    sql = (
        "INSERT INTO sources (name, role) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET role = excluded.role, "
        "consecutive_errors = consecutive_errors + 1, last_error = coalesce(excluded.last_error, last_error)"
    )
    assert to_postgres(sql, (SOURCES,)).endswith(
        "DO UPDATE SET role = excluded.role, consecutive_errors = sources.consecutive_errors + 1, "
        "last_error = coalesce(excluded.last_error, sources.last_error)"
    )


def test_every_table_of_the_sqlite_schema_has_its_postgresql_form() -> None:
    schema = postgres_schema()
    names = {table.name for table in schema.tables}
    assert {"tenants", "events", "chain_head", "audit_seal", "jobs", "leases", "tenant_locks"} <= names
    creates = [statement for statement in schema.statements if statement.startswith("CREATE TABLE")]
    assert len(creates) == len(names)
    assert not any("WITHOUT ROWID" in statement or " REAL" in statement for statement in creates)
    triggers = [statement for statement in schema.statements if statement.startswith("CREATE TRIGGER")]
    assert any("events_no_update BEFORE UPDATE ON events" in statement for statement in triggers)


# --- the setting ---------------------------------------------------------------------------------------


def test_a_store_url_with_a_password_is_refused_with_where_the_password_goes() -> None:
    with pytest.raises(ValueError, match="PGPASSWORD"):
        StateSettings(url="postgresql://cutover:s3cret@db.example.com/warroom")
    with pytest.raises(ValueError, match="password"):
        StateSettings(url="postgresql://cutover@db.example.com/warroom?password=s3cret")
    with pytest.raises(ValueError, match="starts with postgresql://"):
        StateSettings(url="mysql://db/warroom")
    assert StateSettings(url="postgresql://cutover@db.example.com/warroom").location == (
        "postgresql://cutover@db.example.com/warroom"
    )
    assert str(StateSettings().location) == "cutover.db"


def test_the_cli_names_the_bad_url_and_changes_nothing(tmp_path) -> None:
    result = CliRunner().invoke(
        cli, ["status"], env={"CUTOVER_STATE__URL": "postgresql://cutover:s3cret@db.example.com/warroom"}
    )
    assert result.exit_code != 0
    assert "state.url" in result.output and "PGPASSWORD" in result.output
    assert "s3cret" not in result.output, "the password is never echoed"
    assert "Traceback" not in result.output


def test_a_password_is_never_shown_in_where_the_store_is() -> None:
    shown = redacted("postgresql://cutover:s3cret@db.example.com:5432/warroom?options=-csearch_path%3Droom2")
    assert "s3cret" not in shown
    assert shown == "postgresql://cutover@db.example.com/warroom (schema room2)"


# --- a real server -------------------------------------------------------------------------------------


@pytest.fixture
def server(postgres_servers) -> str:
    from postgres_server import available_binaries

    return str(postgres_servers.url(available_binaries()[0].name))


def _schema_url(server: str) -> str:
    from postgres_server import schema_url

    return schema_url(server, f"test_{uuid.uuid4().hex[:12]}")


@pytest.mark.slow  # a real server
def test_a_server_that_does_not_answer_is_named_without_a_traceback() -> None:
    started = time.monotonic()
    with pytest.raises(StoreError, match="cannot connect to PostgreSQL") as refused:
        open_store("postgresql://cutover@127.0.0.1:1/warroom", busy_timeout=1.0)
    assert "127.0.0.1" in str(refused.value) and "PGPASSWORD" in str(refused.value)
    assert time.monotonic() - started < 10


@pytest.mark.slow  # a real server
def test_a_missing_store_is_not_made_by_a_read_only_command(server: str) -> None:
    url = _schema_url(server)
    with pytest.raises(StoreError, match="no cutover store here"):
        open_store(url, read_only=True)
    with open_store(url) as made:
        assert made.schema_version == SCHEMA_VERSION
    with open_store(url, read_only=True) as looked_at:
        assert looked_at.schema_version == SCHEMA_VERSION


@pytest.mark.slow  # a real server
def test_a_store_from_a_newer_cutover_is_refused(server: str) -> None:
    url = _schema_url(server)
    with open_store(url) as store, store.write() as db:
        db.execute("UPDATE cutover_schema SET version = ?", [SCHEMA_VERSION + 1])
    with pytest.raises(StoreError, match="upgrade cutover"):
        open_store(url)


@pytest.mark.slow  # a real server
def test_two_stores_in_one_database_stay_apart(server: str) -> None:
    from cutover.model.clock import ManualClock
    from cutover.state.events import EventLog
    from cutover.state.identity import Actor

    first, second = _schema_url(server), _schema_url(server)
    with open_store(first) as one, open_store(second) as other:
        EventLog(one, Actor("alice", "jump-1"), ManualClock()).append("note", "room one")
        assert EventLog(other, Actor("bob", "jump-2"), ManualClock()).find() == []
        assert [event.what for event in EventLog(one, Actor("x", "y"), ManualClock()).find()] == ["room one"]


@pytest.mark.slow  # a real server, and a lock held for a second
def test_a_writer_on_another_host_holding_the_lock_too_long_gives_store_busy(server: str) -> None:
    """Another host's transaction holds the war room's write lock (as a psql session left open would): a writer
    here waits up to lock_wait, then stops with what to do; once the other ends, writing works again."""
    url = _schema_url(server)
    with open_store(url) as store:
        store.lock_wait = 0.5
        holder = PgStore(url)
        holder_db = holder.db
        holding = holder.write()
        holding.__enter__()
        try:
            started = time.monotonic()
            with pytest.raises(StoreBusy, match="held the store's write lock"), store.write():
                pass
            assert 0.4 < time.monotonic() - started < 5
        finally:
            holding.__exit__(None, None, None)
            holder.close()
        assert not holder_db.in_transaction
        with store.write() as db:
            db.execute("INSERT INTO cursors (name, seq) VALUES (?, ?)", ["after", 1])
        assert store.db.execute("SELECT seq FROM cursors WHERE name = 'after'").fetchone()[0] == 1


@pytest.mark.slow  # a real server
def test_writers_queue_one_at_a_time_across_connections(server: str) -> None:
    """A read-modify-write in each of many threads, each with its own connection: none lost, as with
    SQLite's BEGIN IMMEDIATE (the advisory lock is taken before the transaction reads anything)."""
    url = _schema_url(server)
    with open_store(url) as store:
        with store.write() as db:
            db.execute("INSERT INTO cursors (name, seq) VALUES ('counter', 0)")

        def bump() -> None:
            for _ in range(20):
                with store.write() as db:
                    (value,) = db.execute("SELECT seq FROM cursors WHERE name = 'counter'").fetchone()
                    db.execute("UPDATE cursors SET seq = ? WHERE name = 'counter'", [value + 1])
            store.close_thread()

        threads = [threading.Thread(target=bump) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert store.db.execute("SELECT seq FROM cursors WHERE name = 'counter'").fetchone()[0] == 80


@pytest.mark.slow  # a real server
def test_the_audit_trail_refuses_edits_on_the_server_itself(server: str) -> None:
    """The append-only triggers are PostgreSQL's own: a psql session without cutover cannot edit an event."""
    from cutover.model.clock import ManualClock
    from cutover.state.events import EventLog
    from cutover.state.identity import Actor

    url = _schema_url(server)
    with open_store(url) as store:
        EventLog(store, Actor("alice", "jump-1"), ManualClock()).append("note", "kept")
        with psycopg.connect(url, autocommit=True) as psql:
            with pytest.raises(psycopg.errors.RestrictViolation, match="append-only"):
                psql.execute("UPDATE events SET what = 'edited'")
            with pytest.raises(psycopg.errors.RestrictViolation, match="append-only"):
                psql.execute("DELETE FROM events")


@pytest.mark.slow  # a real server
def test_doctor_checks_the_postgresql_store_not_a_file(server: str) -> None:
    url = _schema_url(server)
    open_store(url).close()
    found = CliRunner().invoke(cli, ["doctor"], env={"CUTOVER_STATE__URL": url})
    assert f"ok    store: {redacted(url)}: PostgreSQL, schema {SCHEMA_VERSION}" in found.output, found.output
    missing = CliRunner().invoke(cli, ["doctor"], env={"CUTOVER_STATE__URL": _schema_url(server)})
    assert missing.exit_code != 0
    assert "store:" in missing.output and "no cutover store here" in missing.output
    assert "cutover store migrate --to URL" in missing.output


def test_demo_fresh_on_a_postgresql_store_is_refused_not_ignored() -> None:
    """--fresh deletes a store file: on PostgreSQL there is none, and quietly going on with the old world would
    be a lie about what the demo shows."""
    refused = CliRunner().invoke(
        cli, ["demo", "--headless", "--fresh"], env={"CUTOVER_STATE__URL": "postgresql://cutover@127.0.0.1:1/x"}
    )
    assert refused.exit_code == 2
    assert "--fresh removes a store file" in refused.output and "csearch_path" in refused.output


@pytest.mark.slow  # a real server
def test_threads_that_end_without_closing_leave_the_pool_usable(server: str) -> None:
    """An engine restarted in a console makes new executor threads each time; the old ones end holding their
    connections. More of them than the pool holds: the store still answers at once."""
    from cutover.state.postgres.store import POOL_SIZE

    with open_store(_schema_url(server)) as store:
        store.lock_wait = 2.0

        def use_and_end() -> None:
            with store.write() as db:
                db.execute("INSERT INTO cursors (name, seq) VALUES (?, ?) ON CONFLICT (name) DO NOTHING", ["n", 1])

        for _ in range(POOL_SIZE + 4):
            thread = threading.Thread(target=use_and_end)
            thread.start()
            thread.join(timeout=10)
        started = time.monotonic()
        with store.write() as db:
            db.execute("UPDATE cursors SET seq = seq + 1 WHERE name = 'n'")
        assert time.monotonic() - started < 1.0
        assert store.db.execute("SELECT seq FROM cursors WHERE name = 'n'").fetchone()[0] == 2


@pytest.mark.slow  # a real server
def test_a_listener_is_woken_by_a_commit_on_another_connection_and_told_which_tables(server: str) -> None:
    """What wakes a console on another host: a commit to its store, not a rolled-back write, not another store."""
    from cutover.model.clock import ManualClock
    from cutover.state.events import EventLog
    from cutover.state.identity import Actor

    url, elsewhere = _schema_url(server), _schema_url(server)
    with open_store(url) as console_side, open_store(url) as engine_side, open_store(elsewhere) as other_room:
        listener = console_side.change_listener()
        assert listener is not None
        try:
            assert listener.wait(0.1) is None  # listening from now: what came before must be read whole
            assert listener.wait(0.2) == frozenset()  # nothing changed
            with pytest.raises(RuntimeError), engine_side.write() as db:
                db.execute(HOLD, ["x"])
                raise RuntimeError("rolled back")
            EventLog(other_room, Actor("bob", "jump-2"), ManualClock()).append("note", "another war room")
            assert listener.wait(0.3) == frozenset()
            started = time.monotonic()
            EventLog(engine_side, Actor("alice", "jump-1"), ManualClock()).append("note", "a change")
            woken = listener.wait(5.0)
            assert woken is not None and "events" in woken
            assert time.monotonic() - started < 1.0
        finally:
            listener.close()


@pytest.mark.slow  # a real server
def test_a_store_made_before_changes_were_notified_gets_the_triggers_when_opened_to_write(server: str) -> None:
    url = _schema_url(server)
    with open_store(url) as store, store.write() as db:
        db.raw.execute("DROP FUNCTION cutover_changed() CASCADE")
    with open_store(url, read_only=True) as looked_at:  # a read-only command changes nothing
        triggers = looked_at.db.execute(
            "SELECT count(*) FROM pg_trigger JOIN pg_class ON pg_class.oid = tgrelid "
            "WHERE tgname = 'cutover_changed' AND relnamespace = current_schema()::regnamespace"
        )
        assert triggers.fetchone()[0] == 0
    with open_store(url) as reopened:
        listener = reopened.change_listener()
        assert listener is not None
        try:
            assert listener.wait(0.1) is None
            with reopened.write() as db:
                db.execute(HOLD, ["maintenance"])
            assert listener.wait(5.0) == frozenset({"tenant_holds"})
        finally:
            listener.close()


def test_a_sqlite_store_has_no_listener_and_the_console_reads_it_once_a_second(tmp_path) -> None:
    with open_store(str(tmp_path / "cutover.db")) as store:
        assert store.change_listener() is None


def test_a_migration_statement_with_no_postgresql_form_is_refused_not_run_half_translated() -> None:
    from cutover.state.postgres.dialect import migration_to_postgres

    with pytest.raises(UnsupportedStatement, match="rowid"):
        migration_to_postgres("UPDATE jobs SET n = rowid", (), frozenset())
    assert migration_to_postgres("PRAGMA user_version = 20", (), frozenset()) is None
    assert migration_to_postgres("ALTER TABLE jobs ADD COLUMN note TEXT NOT NULL DEFAULT ''", (), frozenset()) == (
        "ALTER TABLE jobs ADD COLUMN note TEXT COLLATE \"C\" NOT NULL DEFAULT ''"
    )


def _catalog(url: str) -> tuple[set[tuple], set[tuple], set[tuple]]:
    """A store's columns, indexes and triggers as PostgreSQL describes them, its schema's name left out."""
    with psycopg.connect(url, autocommit=True) as conn:
        columns = conn.execute(
            "SELECT table_name, column_name, data_type, is_nullable, column_default, collation_name, is_identity "
            "FROM information_schema.columns WHERE table_schema = current_schema()"
        ).fetchall()
        indexes = conn.execute(
            "SELECT tablename, indexname, replace(indexdef, current_schema() || '.', '') FROM pg_indexes "
            "WHERE schemaname = current_schema()"
        ).fetchall()
        triggers = conn.execute(
            "SELECT relname, tgname, tgtype, tgenabled FROM pg_trigger JOIN pg_class ON pg_class.oid = tgrelid "
            "WHERE relnamespace = current_schema()::regnamespace AND NOT tgisinternal"
        ).fetchall()
    return set(columns), set(indexes), set(triggers)


@pytest.mark.slow  # a real server
@pytest.mark.parametrize(
    ("made_at", "drop_column"),
    [(14, True), (17, True), (18, True), (19, True), (19, False)],
    ids=["14", "17", "18", "19", "19, recorded where SQLite has no DROP COLUMN"],
)
def test_a_store_an_older_cutover_made_is_upgraded_when_opened_to_write(
    server: str,
    tmp_path,
    made_at: int,
    drop_column: bool,
    monkeypatch: pytest.MonkeyPatch,
    request: pytest.FixtureRequest,
) -> None:
    """As on SQLite: the migrations since then bring it forward with its rows; it is then what a new store is."""
    from engine_helpers import import_runbook, write_fleet

    from cutover.model.clock import ManualClock
    from cutover.state import schema
    from cutover.state.events import EventLog
    from cutover.state.identity import Actor
    from cutover.state.postgres.schema import create_schema_statements, upgrade_statements
    from cutover.state.tenants import TENANT_ROWS, TenantStore

    with open_store(str(tmp_path / "today.db")) as today:  # the tenants as a store of today keeps them
        made = TenantStore(today, EventLog(today, Actor("a", "b"), ManualClock()))
        import_runbook(made, write_fleet(tmp_path / "m.csv", 5))
        made.observe("T-0002", requests=120.0, error_rate=0.002, metrics_at=1_800_000_000.0, dns_routing="aws")
        made.observe("T-0003", sync_health="continuous", sync_lag_s=4.0, backends_healthy=2, backends_total=3)
        rows = [dict(row) for row in today.db.query(f"SELECT * FROM {TENANT_ROWS} ORDER BY tenant_id")]
    # The upgrade's statements as a cutover whose SQLite has (or lacks) DROP COLUMN records them.
    monkeypatch.setattr(schema, "DROP_COLUMN", drop_column)
    upgrade_statements.cache_clear()
    request.addfinalizer(upgrade_statements.cache_clear)
    old_url, new_url = _schema_url(server), _schema_url(server)
    with psycopg.connect(old_url, autocommit=True) as conn, conn.transaction():
        conn.execute(f'CREATE SCHEMA "{old_url.rsplit("%3D", 1)[1]}"')
        for statement in create_schema_statements(made_at):
            conn.execute(statement)
        then = {
            column
            for (column,) in conn.execute(
                "SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() "
                "AND table_name = 'tenants'"
            )
        }
        kept = [column for column in rows[0] if column in then]
        assert len(kept) < len(rows[0])  # the columns added since are not there yet
        for row in rows:
            conn.execute(
                f"INSERT INTO tenants ({', '.join(kept)}) VALUES ({', '.join(['%s'] * len(kept))})",
                [row[column] for column in kept],
            )

    with pytest.raises(StoreError, match=f"older cutover \\(schema {made_at} of {SCHEMA_VERSION}\\).*write access"):
        open_store(old_url, read_only=True)
    with open_store(old_url) as upgraded:
        assert upgraded.schema_version == SCHEMA_VERSION
        tenants = TenantStore(upgraded, EventLog(upgraded, Actor("a", "b"), ManualClock()))
        assert [tenant.tenant_id for tenant in tenants.find()] == [row["tenant_id"] for row in rows]
        # What the older store had observed is kept, its readings moved to their own table (schema 20).
        assert (tenants.get("T-0002").requests, tenants.get("T-0002").metrics_at) == (120.0, 1_800_000_000.0)
        assert tenants.get("T-0002").dns_routing == "aws"
        got = tenants.get("T-0003")
        assert (got.sync_health.value, got.sync_lag_s, got.backends_healthy) == ("continuous", 4.0, 2)
        revisions = [
            row[0]
            for row in upgraded.db.execute(
                f"SELECT max(revision, readings_revision) FROM {TENANT_ROWS} ORDER BY tenant_id"
            )
        ]
        if made_at < 18:  # the change feed's revisions begin distinct, as on SQLite
            assert revisions == [1, 2, 3, 4, 5]
        tenants.observe("T-0001", error_rate=0.02)  # and the feed moves on from there
        assert tenants.revision() == max(revisions) + 1
    with open_store(new_url):
        pass
    assert _catalog(old_url) == _catalog(new_url)


@pytest.mark.slow  # a real server
def test_a_listener_whose_connection_was_cut_listens_again_and_says_to_read_everything(server: str) -> None:
    """A notification sent while the listening connection was down is gone: on listening again the listener says
    so (None: read everything), then wakes on changes as before."""
    from cutover.state.postgres.notify import PgChangeListener

    url = _schema_url(server)
    with open_store(url) as store:
        listener = PgChangeListener(url, url.rsplit("%3D", 1)[1], reconnect_every=0.2)
        try:
            assert listener.wait(0.1) is None
            with psycopg.connect(server, autocommit=True) as admin:  # the server drops the listening connection
                admin.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE query LIKE 'LISTEN%' AND pid <> pg_backend_pid()"
                )
            with store.write() as db:
                db.execute(HOLD, ["while nobody listened"])
            assert listener.wait(0.5) == frozenset()  # lost: nothing to say yet
            time.sleep(0.3)
            assert listener.wait(0.5) is None  # listening again: read everything, the hold included
            with store.write() as db:
                db.execute("DELETE FROM tenant_holds")
            assert listener.wait(5.0) == frozenset({"tenant_holds"})
        finally:
            listener.close()
