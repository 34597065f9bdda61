"""Real processes for the tests: freezing one at the worst moment, waiting on what another did."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

# `python STALL_LAUNCHER POINT ARGS...`: `cutover ARGS...`, suspended once right before its first DNS change.
STALL_LAUNCHER = Path(__file__).with_name("stall_launcher.py")


def frozen(pid: int) -> bool:
    """The process is suspended (SIGSTOP: state T in /proc)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] in ("T", "t")


def wait_for(condition: Callable[[], bool], *, what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"{what} did not happen within {timeout:.0f} s"
        time.sleep(0.02)


def query(path: str | Path, sql: str, *args: object) -> list[tuple]:
    """Read the store as another process would, without taking a write lock."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
        return db.execute(sql, args).fetchall()


def lease_expired(path: str | Path) -> bool:
    rows = query(path, "SELECT expires_at FROM leases WHERE name = 'engine'")
    return bool(rows) and rows[0][0] < time.time()
