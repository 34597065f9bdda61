"""Real processes for the tests: freezing one at the worst moment, waiting on what another did."""

from __future__ import annotations

import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from waiting import eventually

# `python STALL_LAUNCHER POINT ARGS...`: `cutover ARGS...`, suspended once right before its first DNS change.
STALL_LAUNCHER = Path(__file__).with_name("stall_launcher.py")


def frozen(pid: int) -> bool:
    """The process is suspended (SIGSTOP: state T in /proc)."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    return stat.rsplit(")", 1)[1].split()[0] in ("T", "t")


def wait_for(condition: Callable[[], bool], *, what: str, timeout: float = 60.0) -> None:
    eventually(condition, what=what, timeout=timeout)


def query(path: str | Path, sql: str, *args: object) -> list[tuple]:
    """Read the store as another process would, without taking a write lock (a file, or a PostgreSQL URL)."""
    if str(path).startswith("postgresql://"):
        import psycopg

        from cutover.state.postgres.dialect import to_postgres

        with psycopg.connect(str(path), autocommit=True) as pg:
            return pg.execute(to_postgres(sql), args).fetchall()
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5) as db:
        return db.execute(sql, args).fetchall()


def lease_expired(path: str | Path) -> bool:
    rows = query(path, "SELECT expires_at FROM leases WHERE name = 'engine'")
    return bool(rows) and rows[0][0] < time.time()


class Running:
    """A `cutover ARGS...` process whose stdout is read line by line as it comes."""

    def __init__(self, env: dict, *args: str, cwd: str | Path | None = None):
        self.process = subprocess.Popen(
            [sys.executable, "-m", "cutover", *args],
            env=env,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.rstrip("\n"))

    def _next_line(self, fragment: str) -> str | None:
        """The next line printed with `fragment` in it, or None once every line so far has been read."""
        while True:
            try:
                line = self.lines.get_nowait()
            except queue.Empty:
                return None
            self.seen.append(line)
            if fragment in line:
                return line

    def wait_for_line(self, fragment: str, timeout: float = 60.0) -> str:
        """The first line not yet waited past that has `fragment` in it."""
        return eventually(
            lambda: self._next_line(fragment),
            timeout=timeout,
            what=lambda: f"a line with {fragment!r} (saw: {self.seen})",
        )

    def stop(self, sig: signal.Signals = signal.SIGTERM, timeout: float = 30.0) -> int:
        if self.process.poll() is None:
            self.process.send_signal(sig)
        return self.process.wait(timeout)

    def stderr(self) -> str:
        assert self.process.stderr is not None
        return self.process.stderr.read()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(10)
