"""The console in a real pseudo-terminal: first paint, SIGHUP, no SDK on the start-up path."""

from __future__ import annotations

import contextlib
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from console_fleet import START, build_fleet

from cutover.state.clock import ManualClock
from cutover.state.leases import LeaseStore
from cutover.state.store import Store

CUTOVER = [sys.executable, "-m", "cutover"]


def test_the_console_path_imports_no_cloud_sdk() -> None:
    code = (
        "import sys\n"
        "import cutover.console.app, cutover.console.commands.console, cutover.console.cli\n"
        "loaded = [m for m in ('oci', 'aioboto3', 'botocore', 'asyncssh', 'httpx') if m in sys.modules]\n"
        "print(','.join(loaded))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""


def _read_until(fd: int, needle: bytes, timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen += os.read(fd, 65536)
            except OSError:
                break
    return seen


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs a POSIX pty")
def test_sighup_ends_the_console_and_hands_the_lease_over(tmp_path: Path) -> None:
    store_path = tmp_path / "cutover.db"
    build_fleet(store_path, ManualClock(START))
    config = tmp_path / "cutover.toml"
    config.write_text(f'[state]\npath = "{store_path}"\n[operator]\nname = "alice"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUTOVER_")}
    env |= {"TERM": "xterm-256color", "COLUMNS": "120", "LINES": "35"}
    pid, fd = pty.fork()
    if pid == 0:  # the child: the console, on the pty
        os.execvpe(CUTOVER[0], [*CUTOVER, "--config", str(config), "console"], env)
    try:
        started = time.monotonic()
        painted = _read_until(fd, b"TENANT", timeout=30)
        assert b"TENANT" in painted, painted[-2000:]
        first_paint = time.monotonic() - started
        # Let the engine take the lease (it starts after the first paint).
        with Store(store_path) as store:
            for _ in range(100):
                if store.db.execute("SELECT count(*) FROM events WHERE kind = 'engine.lead'").fetchone()[0]:
                    break
                time.sleep(0.1)
        os.kill(pid, signal.SIGHUP)
        deadline = time.monotonic() + 10
        status = None
        while time.monotonic() < deadline:
            done, status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            _read_until(fd, b"\x00", 0.1)  # keep draining the pty so the child never blocks writing
        assert status is not None and os.WIFEXITED(status), "the console kept running after SIGHUP"
        assert os.WEXITSTATUS(status) == 129
        with Store(store_path) as store:
            kinds = [row[0] for row in store.db.execute("SELECT kind FROM events WHERE kind LIKE 'engine.%'")]
        assert kinds[-2:] == ["engine.lead", "engine.release"]
        assert first_paint < 30
    finally:
        try:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        except (ProcessLookupError, ChildProcessError):
            pass
        os.close(fd)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs a POSIX pty")
@pytest.mark.parametrize("command", [["console"], ["demo"]])
def test_a_lost_terminal_ends_the_console_and_releases_the_lease(tmp_path: Path, command: list[str]) -> None:
    """The SSH session dies: the pty's other end closes, nobody sends a signal by hand."""
    store_path = tmp_path / "cutover.db"
    if command == ["demo"]:
        env0 = {k: v for k, v in os.environ.items() if not k.startswith("CUTOVER_")}
        env0["CUTOVER_STATE__PATH"] = str(store_path)
        subprocess.run(
            [*CUTOVER, "demo", "--headless", "--tenants", "50", "--ticks", "1"],
            env=env0,
            check=True,
            capture_output=True,
        )
    else:
        build_fleet(store_path, ManualClock(START))
    config = tmp_path / "cutover.toml"
    config.write_text(f'[state]\npath = "{store_path}"\n[operator]\nname = "alice"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUTOVER_")}
    env |= {"TERM": "xterm-256color", "COLUMNS": "120", "LINES": "35"}
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe(CUTOVER[0], [*CUTOVER, "--config", str(config), *command], env)
    try:
        painted = _read_until(fd, b"TENANT", timeout=30)
        assert b"TENANT" in painted, painted[-2000:]
        with Store(store_path) as store:
            leases = LeaseStore(store)
            for _ in range(100):
                lease = leases.leader()
                if lease is not None:
                    break
                _read_until(fd, b"\x00", 0.1)
            assert lease is not None, "the console's engine never took the lease"
        os.close(fd)  # the terminal is gone
        fd = -1
        deadline = time.monotonic() + 15
        done = 0
        while time.monotonic() < deadline and not done:
            done, _ = os.waitpid(pid, os.WNOHANG)
            time.sleep(0.1)
        assert done, "the console kept running after its terminal went away"
        with Store(store_path) as store:
            assert LeaseStore(store).leader() is None, "the lease is still held by a console that has gone"
            kinds = [row[0] for row in store.db.execute("SELECT kind FROM events WHERE kind LIKE 'engine.%'")]
        assert kinds[-1] == "engine.release"
    finally:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        if fd >= 0:
            os.close(fd)
