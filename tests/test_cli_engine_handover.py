"""A headless action that had to run the engine itself: it stops when asked, never takes the lease back,
and after its own job hands the war room's other jobs to an engine standing by, then exits with its job's code.

Real processes on a simulated fleet in real time (not virtual time), so jobs take long enough to watch."""

from __future__ import annotations

import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from engine_helpers import war_room
from process_helpers import Running
from waiting import eventually

from cutover.providers.sim.clock import WorldClock
from cutover.state.leases import Lease, LeaseStore
from cutover.state.store import Store

# Real processes and signals: `make test-fast` leaves these out.
pytestmark = pytest.mark.slow


def until(check: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    eventually(check, what=what, timeout=timeout, interval=0.2)


def leader_lease(path: str) -> Lease | None:
    with Store(path) as store:
        return LeaseStore(store).leader()


def leader_pid(path: str) -> int | None:
    with Store(path) as store:
        lease = LeaseStore(store).leader()
    return lease.holder_info.get("pid") if lease else None


def lead_events(path: str, pid: int) -> int:
    with Store(path) as store:
        rows = store.db.execute("SELECT what FROM events WHERE kind = 'engine.lead'").fetchall()
    leaders = [what.split()[1] for (what,) in rows]  # "engine HOST:PID:ID leads [after ...]"
    return sum(1 for holder in leaders if holder.split(":")[1] == str(pid))


@pytest.fixture
def real_time(tmp_path: Path) -> dict:
    env = war_room(tmp_path, ready=4)
    env["CUTOVER_SIMULATOR__VIRTUAL_TIME"] = "false"
    return env


def test_sigterm_stops_a_command_leading_the_engine_and_it_never_takes_the_lease_back(real_time: dict) -> None:
    path = real_time["CUTOVER_STATE__PATH"]
    flip = Running(real_time, "flip", "T-0001", "--reason", "night 3", "--yes")
    try:
        flip.wait_for_line("no engine leads: running one here")
        until(lambda: leader_pid(path) == flip.process.pid, "the command to lead")
        code = flip.stop(signal.SIGTERM)
        assert code == 1
        assert "interrupted: flip-1 is not cancelled; it goes on when an engine leads" in flip.stderr()
        assert leader_pid(path) is None  # handed over, not left to expire
        assert lead_events(path, flip.process.pid) == 1  # it did not lead again after handing over
    finally:
        flip.kill()


def test_after_its_job_a_command_leads_the_others_until_an_engine_stands_by_then_hands_over(
    real_time: dict,
) -> None:
    path = real_time["CUTOVER_STATE__PATH"]
    with Store(path) as store:
        WorldClock(store).set_speed(200)  # a flip in about 7 s; a ramp holds for minutes
    env = real_time
    flip = Running(env, "flip", "T-0001", "--reason", "night 3", "--yes")
    processes = [flip]
    try:
        until(lambda: leader_pid(path) == flip.process.pid, "the flip command to lead")
        ramp = Running(env, "ramp", "T-0002", "--hold", "1h", "--reason", "slow one", "--yes")
        processes.append(ramp)
        ramp.wait_for_line("ramp-2 submitted")
        assert ramp.stop(signal.SIGINT) == 1  # a watcher stopped: the ramp goes on under the flip's engine
        # Running or held (a ramp stage short of traffic), the ramp's triggers need an engine.
        line = flip.wait_for_line("still leading the engine for ramp-2", timeout=120)
        said_at = time.time()
        assert "flip-1 has ended" in line and "cutover engine" in line

        def renewed_two_seconds_on() -> bool:
            """It still leads 2 s after saying so: a heartbeat of its own at least 2 s after that line."""
            lease = leader_lease(path)
            assert lease is not None and lease.holder_info.get("pid") == flip.process.pid, lease
            return lease.heartbeat_at >= said_at + 2

        until(renewed_two_seconds_on, "the flip command renewing its lease 2 s after its job ended", timeout=30)
        assert flip.process.poll() is None and leader_pid(path) == flip.process.pid

        standby = Running(env, "engine")
        processes.append(standby)
        flip.wait_for_line("handing the engine over to alice@", timeout=30)
        assert flip.process.wait(30) == 0  # its own job's code: flip-1 succeeded
        until(lambda: leader_pid(path) == standby.process.pid, "the standing-by engine to lead")
        assert lead_events(path, flip.process.pid) == 1
        assert standby.stop(signal.SIGTERM) == 0
        assert leader_pid(path) is None
    finally:
        for process in processes:
            process.kill()
