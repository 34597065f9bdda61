"""A store is never silently replaced: a missing or empty one is refused by every command but those that
make one (demo, lab, import), and a process whose store file is deleted under it stops acting and says so."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from engine_helpers import cutover, war_room
from process_helpers import STALL_LAUNCHER, frozen, wait_for

from cutover.state.store import Store, StoreError, StoreGone


def bare_env(tmp_path: Path, store: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CUTOVER_")}
    return env | {"CUTOVER_STATE__PATH": str(store), "HOME": str(tmp_path)}


@pytest.mark.parametrize(
    "command",
    [
        ["jobs"],
        ["gate", "T-0001"],
        ["engine", "--until-idle"],
        ["status"],
        ["flip", "T-0001", "--reason", "x", "--yes"],
    ],
)
def test_a_missing_store_is_refused_and_not_created(tmp_path: Path, command: list[str]) -> None:
    store = tmp_path / "war-room.db"
    result = cutover(bare_env(tmp_path, store), *command)
    assert result.returncode == 1, result.stdout + result.stderr
    assert f"{store}: no session store here" in result.stderr
    assert "cutover demo" in result.stderr and "Traceback" not in result.stderr
    assert not store.exists()


@pytest.mark.parametrize("command", [["audit", "verify"], ["jobs"], ["status"]])
def test_an_empty_store_file_is_refused_and_left_as_it_is(tmp_path: Path, command: list[str]) -> None:
    store = tmp_path / "war-room.db"
    store.touch()
    result = cutover(bare_env(tmp_path, store), *command)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "the file is empty (0 bytes)" in result.stderr and "Restore it from a backup" in result.stderr
    assert store.stat().st_size == 0


def test_a_sqlite_file_that_is_not_a_cutover_store_is_refused(tmp_path: Path) -> None:
    import sqlite3

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE notes (text TEXT)")
    with pytest.raises(StoreError, match="not a cutover store"):
        Store(other, create=False)
    with sqlite3.connect(other) as db:
        assert [r[0] for r in db.execute("SELECT name FROM sqlite_master")] == ["notes"]


def test_a_store_replaced_under_an_open_handle_is_noticed(tmp_path: Path) -> None:
    path = tmp_path / "war-room.db"
    with Store(path) as store:
        store.check_identity()
        path.rename(tmp_path / "moved.db")
        Store(path).close()  # another store at the same path: a different file
        with pytest.raises(StoreGone, match="was replaced by another file"):
            store.check_identity()
        path.unlink()
        with pytest.raises(StoreGone, match="was deleted while this process was using it"):
            store.check_identity()


@pytest.mark.slow  # a real process frozen at the worst moment
def test_a_flip_whose_store_is_deleted_stops_before_its_dns_change_and_says_so(tmp_path: Path) -> None:
    env = war_room(tmp_path, ready=2)
    path = Path(env["CUTOVER_STATE__PATH"])
    flip = subprocess.Popen(
        [sys.executable, str(STALL_LAUNCHER), "before-lease-check", "flip", "T-0001", "--reason", "drill", "--yes"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: flip.poll() is not None or frozen(flip.pid), what="the flip freezing before its DNS change")
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        os.kill(flip.pid, signal.SIGCONT)
        out, err = flip.communicate(timeout=60)
    finally:
        if flip.poll() is None:
            os.kill(flip.pid, signal.SIGCONT)
            flip.kill()
            flip.wait(10)
    assert flip.returncode == 1, out + err
    assert f"{path} was deleted while this process was using it" in err, err
    assert "SUCCESS" not in out
    assert not path.exists()  # nothing made a new store in its place
