"""The session store: WAL, schema versions, retention."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from cutover.state.samples import Sample, SampleStore
from cutover.state.schema import SCHEMA_VERSION
from cutover.state.store import Store, StoreError

pytestmark = pytest.mark.both_stores


def test_a_new_store_is_wal_with_a_busy_timeout_at_the_current_schema(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db", busy_timeout=3) as store:
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert store.db.execute("PRAGMA busy_timeout").fetchone()[0] == 3000
        assert store.schema_version == SCHEMA_VERSION
        assert {"tenants", "events", "metric_samples", "jobs", "job_steps", "leases"} <= set(store.db.table_names())


def test_reopening_does_not_migrate_again(tmp_path: Path) -> None:
    Store(tmp_path / "s.db").close()
    with Store(tmp_path / "s.db") as store:
        assert store.schema_version == SCHEMA_VERSION


def test_a_store_from_a_newer_cutover_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    Store(path).close()
    conn = sqlite3.connect(path)
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(StoreError, match="upgrade cutover"):
        Store(path)


def test_not_a_database_is_refused_clearly(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("these are not the tables you are looking for " * 100)
    with pytest.raises(StoreError, match="not a usable SQLite store"):
        Store(path)


def test_opening_a_missing_store_for_reading_says_what_to_do(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"cutover import FILE\.csv"):
        Store(tmp_path / "none.db", create=False)
    assert not (tmp_path / "none.db").exists()


def test_a_failed_write_leaves_nothing_behind(store: Store) -> None:
    with pytest.raises(RuntimeError), store.write() as db:
        db["leases"].insert({"name": "engine", "holder": "a", "acquired_at": 1, "heartbeat_at": 1, "expires_at": 2})
        raise RuntimeError("crash mid-write")
    assert store.db["leases"].count == 0


def test_samples_are_pruned_past_retention(store: Store) -> None:
    samples = SampleStore(store)
    samples.add(Sample("T-1", side, t, 100, 1, 850, "sim") for t in (0.0, 3600.0, 7000.0) for side in ("aws", "oci"))
    assert samples.prune(now=7200.0, retention=3600.0) == 2
    assert [s.measured_at for s in samples.history("T-1", since=0)] == [3600.0, 3600.0, 7000.0, 7000.0]


def test_threads_read_and_write_at_once_without_disturbing_each_other(store: Store) -> None:
    """A console's workers read while its engine thread writes, on one Store object."""
    import threading

    with store.write() as db:
        db.execute("CREATE TABLE notes (n INTEGER PRIMARY KEY, text TEXT NOT NULL)")
    errors: list[BaseException] = []
    stop = threading.Event()

    def writer() -> None:
        try:
            for n in range(300):
                with store.write() as db:
                    db["notes"].insert({"n": n, "text": "x" * 200})
        except BaseException as exc:
            errors.append(exc)
        finally:
            stop.set()

    def reader() -> None:
        try:
            while not stop.is_set():
                rows = list(store.db.query("SELECT n, text FROM notes ORDER BY n"))
                assert [row["n"] for row in rows] == list(range(len(rows)))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer)] + [threading.Thread(target=reader) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert store.db["notes"].count == 300
