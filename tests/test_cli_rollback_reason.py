"""`cutover rollback` without --reason: in a terminal it asks, pre-filled as the console does, rather than
refusing in an emergency; with no terminal (a script, a pipe) it refuses, saying to pass --reason."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest
from engine_helpers import cutover, war_room

from cutover.model.clock import ManualClock
from cutover.model.jobs import JobState
from cutover.model.lifecycle import Lifecycle
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.jobs import JobStore
from cutover.state.store import Store
from cutover.state.tenants import TenantStore


def in_flight(tmp_path: Path) -> dict[str, str]:
    env = war_room(tmp_path, ready=3)
    with Store(Path(env["CUTOVER_STATE__PATH"])) as store:
        tenants = TenantStore(store, EventLog(store, Actor("setup", "jump-1"), ManualClock(time.time())))
        tenants.transition("T-0001", Lifecycle.CUTTING_OVER, why="cutover")
        tenants.transition("T-0001", Lifecycle.MONITORING, why="dns in sync")
    return env


def typed_in_a_terminal(env: dict[str, str], typed: str, *args: str) -> tuple[int, str]:
    """`cutover ARGS` on a pseudo-terminal, with `typed` already typed at it (the terminal buffers the lines)."""
    master, slave = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "cutover", *args], stdin=slave, stdout=slave, stderr=slave, env=env
    )
    os.close(slave)
    os.write(master, typed.encode())
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return process.wait(timeout=120), b"".join(chunks).decode().replace("\r\n", "\n")


def rollback_job(env: dict[str, str]):
    with Store(Path(env["CUTOVER_STATE__PATH"])) as store:
        jobs = JobStore(store, EventLog(store, Actor("test", "t"), ManualClock(time.time())))
        return jobs.find(kind="rollback")


@pytest.mark.slow  # a real pseudo-terminal
@pytest.mark.parametrize(
    ("typed", "reason"),
    [("\n", "rollback from the CLI"), ("502s on checkout, INC-4711\n", "502s on checkout, INC-4711")],
)
def test_in_a_terminal_rollback_asks_for_a_reason_prefilled_and_goes_on(tmp_path: Path, typed, reason) -> None:
    env = in_flight(tmp_path)
    code, shown = typed_in_a_terminal(env, f"{typed}T-0001\n", "rollback", "T-0001")
    assert code == 0, shown
    assert "reason (goes in the audit trail; Enter keeps it) [rollback from the CLI]:" in shown
    assert "type 'T-0001' to go ahead" in shown
    (job,) = rollback_job(env)
    assert job.reason == reason and job.state is JobState.SUCCEEDED


def test_with_no_terminal_rollback_without_a_reason_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    env = in_flight(tmp_path)
    result = cutover(env, "rollback", "T-0001", stdin="\nT-0001\n")
    assert result.returncode != 0
    assert "give --reason: it goes in the audit trail with the action" in result.stderr
    assert not rollback_job(env)
    # --yes in a terminal is a script's way: it never waits on a question either.
    code, shown = typed_in_a_terminal(env, "\n", "rollback", "T-0001", "--yes")
    assert code != 0 and "give --reason" in shown and not rollback_job(env)
