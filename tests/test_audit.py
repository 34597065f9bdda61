"""The audit trail's hash chain: tampering is found and named; concurrent writers lose nothing."""

from __future__ import annotations

import multiprocessing
import sqlite3
import time
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from cutover.console.cli import cli
from cutover.state.clock import SystemClock
from cutover.state.events import EventLog, event_hash, verify_chain
from cutover.state.identity import Actor
from cutover.state.store import Store


def fill(events: EventLog, count: int = 10) -> None:
    for number in range(1, count + 1):
        events.append("note", f"event number {number}", tenant_id=f"T-{number:04d}", why="test")


def tamper(path: Path, *statements: str) -> None:
    """Edit the file as an attacker would: with plain sqlite, triggers dropped."""
    conn = sqlite3.connect(path)
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
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("UPDATE events SET why = 'x' WHERE seq = 1")
    with pytest.raises(sqlite3.IntegrityError, match="append-only"):
        store.db.execute("DELETE FROM events WHERE seq = 1")


def test_an_edited_row_is_named(store: Store, events: EventLog) -> None:
    fill(events)
    tamper(store.path, "UPDATE events SET why = 'nothing to see' WHERE seq = 4")
    report = verify_chain(store)
    assert not report.ok and report.problem_seq == 4
    assert report.problem == "event 4 was edited: its contents no longer match its hash"


def test_an_edited_row_with_a_recomputed_hash_is_still_named(store: Store, events: EventLog) -> None:
    fill(events)
    row = dict(next(store.db.query("SELECT * FROM events WHERE seq = 6")))
    row["operator"] = "mallory"
    tamper(store.path, f"UPDATE events SET operator = 'mallory', hash = '{event_hash(row)}' WHERE seq = 6")
    report = verify_chain(store)
    assert not report.ok and report.problem_seq == 6 and "event 6 was changed" in report.problem


def test_a_deleted_row_is_named(store: Store, events: EventLog) -> None:
    fill(events)
    tamper(store.path, "DELETE FROM events WHERE seq = 7")
    report = verify_chain(store)
    assert not report.ok and report.problem_seq == 7
    assert report.problem == "event 7 was deleted: event 8 does not follow event 6"


def test_a_deleted_tail_is_named(store: Store, events: EventLog) -> None:
    fill(events)
    tamper(store.path, "DELETE FROM events WHERE seq >= 9")
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
        store.path,
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
    tamper(store.path, f"INSERT INTO events ({', '.join(forged)}) VALUES ({values})")
    report = verify_chain(store)
    assert not report.ok and report.problem_seq == 4 and "inserted at the end" in report.problem


def test_audit_verify_cli_exits_1_on_a_broken_chain(store: Store, events: EventLog, tmp_path: Path) -> None:
    fill(events, 3)
    runner = CliRunner()
    env = {"CUTOVER_STATE__PATH": str(store.path)}
    ok = runner.invoke(cli, ["audit", "verify"], env=env)
    assert ok.exit_code == 0 and "audit trail intact: 3 events" in ok.output
    tamper(store.path, "UPDATE events SET what = 'x' WHERE seq = 2")
    broken = runner.invoke(cli, ["audit", "verify"], env=env)
    assert broken.exit_code == 1
    assert "AUDIT TRAIL BROKEN at event 2: event 2 was edited" in broken.output


def _writer(path: str, name: str, count: int, start: Any) -> None:
    store = Store(path)
    log = EventLog(store, Actor(operator=name, host="jump-1"), SystemClock())
    start.wait(timeout=60)  # both processes begin appending together
    for number in range(count):
        log.append("note", f"{name} {number}")
        time.sleep(0.001)  # spread the appends, so a busy machine cannot run one writer before the other
    store.close()


def test_two_writer_processes_lose_nothing_and_keep_the_chain(tmp_path: Path) -> None:
    path = tmp_path / "shared.db"
    Store(path).close()
    context = multiprocessing.get_context("spawn")
    start = context.Barrier(3)
    writers = [context.Process(target=_writer, args=(str(path), name, 300, start)) for name in ("alice", "bob")]
    for process in writers:
        process.start()
    start.wait(timeout=60)
    for process in writers:
        process.join(timeout=120)
        assert process.exitcode == 0
    with Store(path) as store:
        report = verify_chain(store)
        assert report.ok, report.problem
        assert report.checked == 600
        per_writer = dict(store.db.execute("SELECT operator, count(*) FROM events GROUP BY operator").fetchall())
        assert per_writer == {"alice": 300, "bob": 300}
        interleaved = [row[0] for row in store.db.execute("SELECT operator FROM events ORDER BY seq")]
        assert interleaved != sorted(interleaved), "the writers really ran at the same time"
