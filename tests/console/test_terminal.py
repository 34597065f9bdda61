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
from waiting import eventually

from cutover.model.clock import ManualClock
from cutover.state.leases import LeaseStore
from cutover.state.store import Store

# Real processes on a pseudo-terminal: `make test-fast` leaves these out.
pytestmark = pytest.mark.slow

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
    """What the terminal shows up to `needle`, or all it showed in `timeout` seconds (or until it closed)."""
    seen = bytearray()

    def arrived() -> bool:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                seen.extend(os.read(fd, 65536))
            except OSError:
                return True  # the terminal closed: nothing more comes
        return needle in seen

    with contextlib.suppress(AssertionError):  # the caller asserts on what came
        eventually(arrived, timeout=timeout, interval=0)
    return bytes(seen)


def _drain(fd: int) -> bool:
    """Keep reading the pty for a moment, so the child never blocks writing to it. False: nothing to wait on."""
    _read_until(fd, b"\x00", 0.1)
    return False


def _exit_status(pid: int, fd: int | None, *, timeout: float) -> int | None:
    """The child's wait status once it has exited (draining its pty meanwhile), None if it ran on."""

    def exited() -> tuple[int] | bool:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return (status,)
        if fd is not None:
            _drain(fd)
        return False

    with contextlib.suppress(AssertionError):  # the caller says what it means that the child ran on
        return eventually(exited, timeout=timeout, interval=0 if fd is not None else 0.1)[0]
    return None


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
            eventually(
                lambda: store.db.execute("SELECT count(*) FROM events WHERE kind = 'engine.lead'").fetchone()[0],
                timeout=10,
                interval=0.1,
                what="the console's engine leading",
            )
        os.kill(pid, signal.SIGHUP)
        status = _exit_status(pid, fd, timeout=10)
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
            lease = eventually(
                lambda: leases.leader() or _drain(fd),
                timeout=10,
                interval=0,
                what="the console's engine taking the lease",
            )
            assert lease is not None, "the console's engine never took the lease"
        os.close(fd)  # the terminal is gone
        fd = -1
        done = _exit_status(pid, None, timeout=15) is not None
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
