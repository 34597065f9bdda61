"""The audit trail's hash chain: tampering is found and named; concurrent writers lose nothing."""

from __future__ import annotations

import json
import multiprocessing
import sqlite3
import time
from pathlib import Path
from typing import Any

import psycopg
import pytest
from click.testing import CliRunner

from cutover.console.cli import cli
from cutover.model.clock import SystemClock
from cutover.state.chain import event_hash, verify_chain
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.location import open_store
from cutover.state.postgres.store import PgStore
from cutover.state.store import Store

pytestmark = pytest.mark.both_stores


def fill(events: EventLog, count: int = 10) -> None:
    for number in range(1, count + 1):
        events.append("note", f"event number {number}", tenant_id=f"T-{number:04d}", why="test")


# What the store refuses when an UPDATE or DELETE reaches the audit trail, on each backend.
REFUSED = (sqlite3.IntegrityError, psycopg.errors.RestrictViolation)


def tamper(store: Store, *statements: str) -> None:
    """Edit the store as an attacker would: with plain sqlite, triggers dropped; on PostgreSQL, with psycopg and
    the session's triggers switched off (session_replication_role), so a DROP TRIGGER is not needed there."""
    if isinstance(store, PgStore):
        with psycopg.connect(store.url, autocommit=True) as pg:
            pg.execute("SET session_replication_role = replica")
            for statement in statements:
                if not statement.startswith("DROP TRIGGER"):
                    pg.execute(statement.replace("%", "%%"))
        return
    conn = sqlite3.connect(store.path)
    conn.execute("DROP TRIGGER events_no_update")
    conn.execute("DROP TRIGGER events_no_delete")
    for statement in statements:
        conn.execute(statement)
    conn.commit()
    conn.close()


def test_an_untouched_trail_verifies(store: Store, events: EventLog) -> None:
    fill(events)
    report = verify_chain(store)
    assert report.ok and report.checked == 10 and report.head_seq == 10


def test_the_trail_refuses_updates_and_deletes(store: Store, events: EventLog) -> None:
    fill(events, 2)
    with pytest.raises(REFUSED, match="append-only"):
        store.db.execute("UPDATE events SET why = 'x' WHERE seq = 1")
    with pytest.raises(REFUSED, match="append-only"):
        store.db.execute("DELETE FROM events WHERE seq = 1")


def test_an_edited_row_is_named(store: Store, events: EventLog) -> None:
    fill(events)
    tamper(store, "UPDATE events SET why = 'nothing to see' WHERE seq = 4")
    report = verify_chain(store)
    assert not report.ok and report.problem_seq == 4
    assert report.problem == "event 4 was edited: its contents no longer match its hash"


def test_an_edited_row_with_a_recomputed_hash_is_still_named(store: Store, events: EventLog) -> None:
    fill(events)
    row = dict(next(store.db.query("SELECT * FROM events WHERE seq = 6")))
    row["operator"] = "mallory"
    tamper(store, f"UPDATE events SET operator = 'mallory', hash = '{event_hash(row)}' WHERE seq = 6")
    report = verify_chain(store)
    assert not report.ok and report.problem_seq == 6 and "event 6 was changed" in report.problem


def test_a_deleted_row_is_named(store: Store, events: EventLog) -> None:
    fill(events)
    tamper(store, "DELETE FROM events WHERE seq = 7")
    report = verify_chain(store)
    assert not report.ok and report.problem_seq == 7
    assert report.problem == "event 7 was deleted: event 8 does not follow event 6"


def test_a_deleted_tail_is_named(store: Store, events: EventLog) -> None:
    fill(events)
    tamper(store, "DELETE FROM events WHERE seq >= 9")
    report = verify_chain(store)
    assert not report.ok and report.problem_seq == 9 and "events 9-10 were deleted from the end" in report.problem


def test_an_inserted_row_is_named(store: Store, events: EventLog) -> None:
    fill(events)
    # Make room after event 5 and slip in a forged row, chained properly to event 5.
    fifth = dict(next(store.db.query("SELECT * FROM events WHERE seq = 5")))
    forged = {**fifth, "what": "forged approval", "prev_hash": fifth["hash"]}
    forged["hash"] = event_hash(forged)
    columns = ", ".join(forged)
    values = ", ".join(repr(v) if v is not None else "NULL" for v in {**forged, "seq": 6}.values())
    tamper(
        store,
        "UPDATE events SET seq = seq + 1000 WHERE seq > 5",
        "UPDATE events SET seq = seq - 999 WHERE seq > 1000",
        f"INSERT INTO events ({columns}) VALUES ({values})",
    )
    report = verify_chain(store)
    assert not report.ok and report.problem_seq == 6
    assert report.problem == "event 6 was inserted: event 7 is chained to the event before it"


def test_a_row_appended_behind_the_heads_back_is_named(store: Store, events: EventLog) -> None:
    fill(events, 3)
    last = dict(next(store.db.query("SELECT * FROM events WHERE seq = 3")))
    forged = {**last, "seq": 4, "what": "forged", "prev_hash": last["hash"]}
    forged["hash"] = event_hash(forged)
    values = ", ".join(repr(v) if v is not None else "NULL" for v in forged.values())
    tamper(store, f"INSERT INTO events ({', '.join(forged)}) VALUES ({values})")
    report = verify_chain(store)
    assert not report.ok and report.problem_seq == 4 and "inserted at the end" in report.problem


def test_audit_verify_cli_exits_1_on_a_broken_chain(store: Store, events: EventLog, tmp_path: Path) -> None:
    fill(events, 3)
    runner = CliRunner()
    env = store_env(store)
    ok = runner.invoke(cli, ["audit", "verify"], env=env)
    assert ok.exit_code == 0 and "audit trail intact: 3 events" in ok.output
    tamper(store, "UPDATE events SET what = 'x' WHERE seq = 2")
    broken = runner.invoke(cli, ["audit", "verify"], env=env)
    assert broken.exit_code == 1
    assert "AUDIT TRAIL BROKEN at event 2: event 2 was edited" in broken.output


def _writer(location: str, name: str, count: int, start: Any) -> None:
    store = open_store(location)
    log = EventLog(store, Actor(operator=name, host="jump-1"), SystemClock())
    start.wait(timeout=60)  # both processes begin appending together
    for number in range(count):
        log.append("note", f"{name} {number}")
        time.sleep(0.001)  # spread the appends, so a busy machine cannot run one writer before the other
    store.close()


@pytest.mark.slow  # over a second
def test_two_writer_processes_lose_nothing_and_keep_the_chain(store: Store, store_location: str) -> None:
    """Two processes (on PostgreSQL: as two hosts would, each with its own connections) append at once."""
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(3)
    writers = [context.Process(target=_writer, args=(store_location, name, 300, start)) for name in ("alice", "bob")]
    for process in writers:
        process.start()
    start.wait(timeout=60)
    for process in writers:
        process.join(timeout=120)
        assert process.exitcode == 0
    report = verify_chain(store)
    assert report.ok, report.problem
    assert report.checked == 600
    per_writer = dict(store.db.execute("SELECT operator, count(*) FROM events GROUP BY operator").fetchall())
    assert per_writer == {"alice": 300, "bob": 300}
    interleaved = [row[0] for row in store.db.execute("SELECT operator FROM events ORDER BY seq")]
    assert interleaved != sorted(interleaved), "the writers really ran at the same time"


# --- rows moved: the first row out of place is named ------------------------------------------------

COLUMNS = ("ts", "wall_ts", "operator", "host", "ssh_client", "tenant_id", "job_id", "kind", "what", "why")
COLUMNS += ("state_before", "state_after", "detail", "prev_hash", "hash")


def contents(store: Store, seq: int) -> dict[str, Any]:
    row = dict(next(store.db.query("SELECT * FROM events WHERE seq = ?", [seq])))
    return {name: row[name] for name in COLUMNS}


def put(seq: int, row: dict[str, Any]) -> str:
    """An UPDATE giving row `seq` these contents (hashes included: each row stays self-consistent)."""
    assignments = ", ".join(f"{name} = {_sql(value)}" for name, value in row.items())
    return f"UPDATE events SET {assignments} WHERE seq = {seq}"


def _sql(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def test_two_adjacent_rows_swapped_name_the_first_of_them(store: Store, events: EventLog) -> None:
    fill(events)
    fourth, fifth = contents(store, 4), contents(store, 5)
    tamper(store, put(4, fifth), put(5, fourth))
    report = verify_chain(store)
    assert not report.ok and report.problem_seq == 4
    assert "event 4 is out of place" in report.problem
    assert "the event chained after event 3 is stored as event 5" in report.problem


def test_a_row_moved_to_the_end_names_where_it_belongs(store: Store, events: EventLog) -> None:
    fill(events)
    third = contents(store, 3)
    later = [contents(store, seq) for seq in range(4, 11)]
    # Rows 4-10 move up one place and row 3 goes last: every seq is still there, 1-10.
    moves = [put(seq, row) for seq, row in zip(range(3, 10), later, strict=True)]
    tamper(store, *moves, put(10, third))
    report = verify_chain(store)
    assert not report.ok and report.problem_seq == 3
    assert "event 3 is out of place" in report.problem and "stored as event 10" in report.problem


def test_a_row_given_a_later_number_names_its_place(store: Store, events: EventLog) -> None:
    fill(events)
    tamper(store, "UPDATE events SET seq = 11 WHERE seq = 3")
    report = verify_chain(store)
    assert not report.ok and report.problem_seq == 3
    assert report.problem.startswith("event 3 is out of place") and "stored as event 11" in report.problem


def test_a_reversed_range_names_its_first_row(store: Store, events: EventLog) -> None:
    fill(events)
    span = [contents(store, seq) for seq in range(4, 8)]
    tamper(store, *(put(seq, row) for seq, row in zip(range(4, 8), reversed(span), strict=True)))
    report = verify_chain(store)
    assert not report.ok and report.problem_seq == 4
    assert "event 4 is out of place" in report.problem and "stored as event 7" in report.problem


def test_the_first_row_moved_names_event_1(store: Store, events: EventLog) -> None:
    fill(events, 3)
    first, second = contents(store, 1), contents(store, 2)
    tamper(store, put(1, second), put(2, first))
    report = verify_chain(store)
    assert not report.ok and report.problem_seq == 1
    assert "the event chained after the start of the trail is stored as event 2" in report.problem


# --- an emptied or dropped trail, a damaged file ---------------------------------------------------


def empty_trail(store: Store, *, seal_too: bool = False) -> None:
    """Delete every event and the chain head (and the seal, if asked), as an attacker would."""
    tamper(
        store,
        "DROP TRIGGER chain_head_no_delete",
        "DROP TRIGGER audit_seal_no_delete",
        "DELETE FROM events",
        "DELETE FROM chain_head",
        *(["DELETE FROM audit_seal"] if seal_too else []),
    )


def store_env(store: Store) -> dict[str, str]:
    """The environment that points the CLI at this store."""
    if isinstance(store, PgStore):
        return {"CUTOVER_STATE__URL": store.url}
    return {"CUTOVER_STATE__PATH": str(store.path)}


def verify_cli(store: Store, *args: str) -> Any:
    return CliRunner().invoke(cli, ["audit", "verify", *args], env=store_env(store))


def test_an_emptied_trail_is_refused_by_its_seal(store: Store, events: EventLog) -> None:
    fill(events)
    empty_trail(store)
    result = verify_cli(store)
    assert result.exit_code == 1
    assert "AUDIT TRAIL BROKEN at event 1: the audit trail was emptied: the seal records 10 events" in result.output
    assert "intact" not in result.output


def test_an_emptied_trail_and_seal_are_refused_when_tenants_remain(tmp_path: Path, runbook_matrix: Path) -> None:
    path = tmp_path / "war-room.db"
    imported = CliRunner().invoke(cli, ["import", str(runbook_matrix)], env={"CUTOVER_STATE__PATH": str(path)})
    assert imported.exit_code == 0, imported.output
    with Store(path) as store:
        assert verify_cli(store).exit_code == 0
        empty_trail(store, seal_too=True)
        result = verify_cli(store)
        assert result.exit_code == 1
        assert "AUDIT TRAIL BROKEN at event 1: the audit trail is empty but the store holds 4 tenants" in result.output
        assert store.db.execute("SELECT count(*) FROM tenants").fetchone()[0] == 4, "verify changes nothing"


def test_a_tail_deleted_with_the_head_rewritten_is_caught_by_the_seal(store: Store, events: EventLog) -> None:
    fill(events)
    eighth = contents(store, 8)
    tamper(
        store,
        "DROP TRIGGER chain_head_no_rewind",
        "DELETE FROM events WHERE seq > 8",
        f"UPDATE chain_head SET seq = 8, hash = '{eighth['hash']}'",
    )
    report = verify_chain(store)
    assert not report.ok and report.problem_seq == 9
    assert report.problem.startswith("events 9-10 were deleted from the end: the seal records 10 events, 8 remain")


def test_the_head_and_seal_refuse_deletes_and_rewinds(store: Store, events: EventLog) -> None:
    fill(events, 2)
    for statement in (
        "DELETE FROM chain_head",
        "DELETE FROM audit_seal",
        "UPDATE chain_head SET seq = 1",
        "UPDATE audit_seal SET events = 0",
    ):
        with pytest.raises(REFUSED, match="append-only"):
            store.db.execute(statement)
    assert verify_chain(store).ok


def test_a_new_store_verifies_with_no_events(store: Store) -> None:
    result = verify_cli(store)
    assert result.exit_code == 0 and "audit trail intact: 0 events" in result.output


@pytest.mark.parametrize("table", ["events", "chain_head"])
def test_a_dropped_audit_table_is_named_without_a_traceback(store: Store, events: EventLog, table: str) -> None:
    fill(events, 3)
    tamper(store, f"DROP TABLE {table}")
    result = verify_cli(store)
    assert result.exit_code == 1
    assert f"AUDIT TRAIL BROKEN: the audit trail's {table} table is missing" in result.output
    assert isinstance(result.exception, SystemExit), "a message and exit 1, no traceback"
    as_json = verify_cli(store, "--json")
    assert as_json.exit_code == 1
    document = json.loads(as_json.stdout)
    assert document["ok"] is False and f"{table} table is missing" in document["problem"]


def test_a_damaged_file_reports_sqlites_integrity_check(store: Store, events: EventLog, store_backend: str) -> None:
    if store_backend != "sqlite":
        pytest.skip("a PostgreSQL server checks its own pages; there is no file for a client to check")
    fill(events)
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    root = store.db.execute("SELECT rootpage FROM sqlite_master WHERE name = 'events_tenant'").fetchone()[0]
    page_size = store.db.execute("PRAGMA page_size").fetchone()[0]
    store.close()
    data = bytearray(store.path.read_bytes())
    page = slice((root - 1) * page_size, root * page_size)
    at = (root - 1) * page_size + data[page].find(b"T-0003")
    data[at : at + 6] = b"T-0009"  # one index entry now names the wrong tenant
    store.path.write_bytes(bytes(data))
    result = verify_cli(store)
    assert result.exit_code == 1
    assert "STORE DAMAGED: SQLite's integrity check found 2 problems in the store file" in result.output
    assert "row 3 missing from index events_tenant" in result.output
    document = json.loads(verify_cli(store, "--json").stdout)
    assert document["ok"] is False and "row 3 missing from index events_tenant" in document["integrity"]
