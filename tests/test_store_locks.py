"""Someone holds the store's write lock (a sqlite3 shell with an open transaction): the leader waits and
keeps leading instead of crashing; commands that only read are not held up at all."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from engine_helpers import cutover, war_room
from process_helpers import query, wait_for

from cutover.state.store import Store, StoreBusy, StoreError


class HeldLock(threading.Thread):
    """BEGIN IMMEDIATE in another connection, as a person in the sqlite3 shell would, for `seconds`
    or until `release()` (once what the test watched under the lock is over)."""

    def __init__(self, path: str | Path, seconds: float):
        super().__init__(daemon=True)
        self.path, self.seconds = path, seconds
        self.taken, self.released = threading.Event(), threading.Event()

    def run(self) -> None:
        db = sqlite3.connect(self.path, timeout=10, isolation_level=None)
        db.execute("BEGIN IMMEDIATE")
        self.taken.set()
        self.released.wait(self.seconds)
        db.execute("COMMIT")
        db.close()

    def release(self) -> None:
        self.released.set()
        self.join()


def hold_write_lock(path: str | Path, seconds: float) -> HeldLock:
    holder = HeldLock(path, seconds)
    holder.start()
    assert holder.taken.wait(10)
    return holder


def test_a_writer_waits_past_busy_timeout_for_a_held_lock_then_writes(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db", busy_timeout=0.2) as store:
        holder = hold_write_lock(store.path, 1.0)
        started = time.monotonic()
        with store.write() as db:
            db.execute("INSERT INTO chain_head (id, seq, hash) VALUES (1, 0, 'x')")
        assert time.monotonic() - started >= 0.8  # it waited for the lock, beyond its busy timeout
        holder.join()


def test_a_writer_gives_up_with_a_message_after_lock_wait(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db", busy_timeout=0.1, lock_wait=0.5) as store:
        holder = hold_write_lock(store.path, 2.0)
        with pytest.raises(StoreBusy, match="another process has held the store's write lock"), store.write():
            pass
        holder.release()


def test_a_read_only_store_reads_and_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    Store(path).close()
    with Store(path, read_only=True) as store:
        assert store.schema_version > 0
        with pytest.raises(StoreError, match="opened read-only"), store.write():
            pass


def test_read_only_commands_do_not_wait_for_a_held_write_lock(tmp_path: Path) -> None:
    env = war_room(tmp_path, ready=2) | {"CUTOVER_STATE__BUSY_TIMEOUT": "0.5"}
    holder = hold_write_lock(env["CUTOVER_STATE__PATH"], 8.0)
    try:
        for command in (["status"], ["status", "T-0001"], ["events"], ["jobs"], ["audit", "verify"]):
            started = time.monotonic()
            result = cutover(env, *command)
            assert result.returncode == 0, (command, result.stdout + result.stderr)
            assert time.monotonic() - started < 6, f"{command} waited for the writer"
    finally:
        holder.release()  # held all along (8 s at most): every command ran under it


@pytest.mark.slow  # an engine process
def test_the_leader_keeps_leading_through_a_lock_held_past_its_lease(tmp_path: Path) -> None:
    env = war_room(tmp_path, ready=2) | {
        "CUTOVER_STATE__BUSY_TIMEOUT": "0.5",
        "CUTOVER_ENGINE__LEASE_TTL": "1.5",
        "CUTOVER_ENGINE__HEARTBEAT": "0.25",
    }
    path = env["CUTOVER_STATE__PATH"]
    engine = subprocess.Popen(
        [sys.executable, "-m", "cutover", "engine"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lease = "SELECT holder, epoch, heartbeat_at FROM leases WHERE name = 'engine'"
        wait_for(lambda: bool(query(path, lease)), what="the engine leading")
        holder, epoch, _ = query(path, lease)[0]
        hold_write_lock(path, 2.5).join()  # longer than busy_timeout and than the lease itself
        released_at = time.time()
        wait_for(lambda: query(path, lease)[0][2] > released_at, what="a heartbeat after the lock", timeout=20)
        assert query(path, lease)[0][:2] == (holder, epoch)  # the same engine leads, at the same epoch
        assert engine.poll() is None
    finally:
        engine.send_signal(signal.SIGTERM)
        out, err = engine.communicate(timeout=30)
    assert engine.returncode == 0, out + err
    assert "Traceback" not in err and "database is locked" not in err, err
    alerts = query(path, "SELECT what FROM events WHERE kind = 'alert'")
    assert not [a for (a,) in alerts if "stopped leading on an error" in a], alerts
