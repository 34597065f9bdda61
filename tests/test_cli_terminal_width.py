"""`cutover events`, `jobs` and `status` in a real terminal 80 and 120 columns wide: the key columns (time,
who, tenant, job, state) stay whole and the long text (what, why, next step) wraps; piped, every line is whole."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from engine_helpers import cutover, write_fleet

from cutover.actions.plan.importing import import_matrix
from cutover.model.clock import ManualClock
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.job_records import NewTarget
from cutover.state.jobs import JobStore
from cutover.state.store import Store
from cutover.state.tenants import TenantStore

DAY1 = 1_796_180_400.0  # 2026-12-02 03:00:00 UTC
DAY2 = DAY1 + 86_400 + 3_723  # 2026-12-03 04:02:03 UTC
WHY = "customer reported 502s on the checkout path after the DNS change; rolling back per INC-4711 and the runbook"
WHAT = "error rate 3.4 % above 1 % for 5m on the OCI side of the weighted record, rule error-rate-sustained"
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def store(tmp_path: Path) -> dict[str, str]:
    path = tmp_path / "cutover.db"
    with Store(path) as opened:
        tenants = TenantStore(opened, EventLog(opened, Actor("setup", "jump-1"), ManualClock(DAY1)))
        import_matrix(tenants, write_fleet(tmp_path / "fleet.csv", 3))
        bob = Actor("bob", "jump-2", ssh_client="10.20.30.40")
        events = EventLog(opened, bob, ManualClock(DAY1))
        job, _ = JobStore(opened, events).submit("flip", [NewTarget("T-0002", ("dns_change",))], reason=WHY)
        EventLog(opened, bob, ManualClock(DAY2)).append("trigger", WHAT, tenant_id="T-0002", job_id=job.job_id, why=WHY)
    env = {key: value for key, value in os.environ.items() if not key.startswith("CUTOVER_")}
    env.update({"CUTOVER_STATE__PATH": str(path), "CUTOVER_OPERATOR__NAME": "alice", "NO_COLOR": "1"})
    return env


def in_terminal(env: dict[str, str], columns: int, *args: str) -> list[str]:
    """`cutover ARGS` with its output on a pseudo-terminal `columns` wide: the lines as the terminal shows them."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    process = subprocess.Popen(
        [sys.executable, "-m", "cutover", *args],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env={**env, "COLUMNS": str(columns)},
    )
    os.close(slave)
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
    assert process.wait(timeout=60) == 0
    text = ANSI.sub("", b"".join(chunks).decode()).replace("\r\n", "\n")
    lines = text.rstrip("\n").split("\n")
    assert all(len(line.rstrip()) <= columns for line in lines), lines
    return lines


def words(lines: list[str]) -> str:
    return " ".join(" ".join(lines).split())


@pytest.mark.slow  # a real pseudo-terminal
@pytest.mark.parametrize("columns", [80, 120])
def test_events_keep_time_who_tenant_and_job_whole_and_wrap_what_and_why(tmp_path: Path, columns: int) -> None:
    env = store(tmp_path)
    lines = in_terminal(env, columns, "events")
    header = lines[0].split()
    assert header[:5] == ["#", "TIME", "(UTC)", "WHO", "TENANT"] and "JOB" in header
    # The date once per day, on a line of its own; every event's time is HH:MM:SS.
    assert [line.strip() for line in lines if re.fullmatch(r"\s*\d{4}-\d\d-\d\d\s*", line)] == [
        "2026-12-02",
        "2026-12-03",
    ]
    trigger = next(line for line in lines if "04:02:03" in line)
    assert re.search(r"\b04:02:03\s+bob \(10\.20\.30\.40\)\s+T-0002\s+flip-1\s", trigger), trigger
    submitted = next(line for line in lines if "03:00:00" in line and "bob" in line)
    assert "bob (10.20.30.40)" in submitted and "flip-1" in submitted
    assert "…" not in "\n".join(lines)
    # What and why wrap in their column: every word is there, in order.
    what_at = lines[0].index("WHAT")
    if columns == 120:
        why_at = lines[0].index("WHY", what_at + 4)
        assert WHAT in words([line[what_at:why_at] for line in lines])
        assert WHY in words([line[why_at:] for line in lines])
    else:  # one column: the why under the what
        assert lines[0][what_at:].strip() == "WHAT (WHY)"
        assert f"{WHAT} why: {WHY}" in words([line[what_at:] for line in lines])


def test_piped_events_and_jobs_keep_one_whole_line_each_with_the_date(tmp_path: Path) -> None:
    env = store(tmp_path)
    result = cutover({**env, "COLUMNS": "80"}, "events")
    assert result.returncode == 0, result.stderr
    trigger = next(line for line in result.stdout.splitlines() if WHAT in line)
    assert "2026-12-03 04:02:03" in trigger and WHY in trigger and "T-0002" in trigger and "flip-1" in trigger
    jobs = cutover({**env, "COLUMNS": "80"}, "jobs")
    assert any("flip-1: queued" in line and WHY in line for line in jobs.stdout.splitlines()), jobs.stdout


@pytest.mark.slow  # a real pseudo-terminal
@pytest.mark.parametrize("columns", [80, 120])
def test_jobs_and_status_keep_their_key_columns_whole_in_a_terminal(tmp_path: Path, columns: int) -> None:
    env = store(tmp_path)
    lines = in_terminal(env, columns, "jobs")
    row = next(line for line in lines if line.startswith("flip-1"))
    assert re.match(r"flip-1\s+queued\s+1\s+bob\s", row), row
    why_at = lines[1].index("WHY")
    assert WHY in words([line[why_at:] for line in lines[2:]]) and "…" not in "\n".join(lines)
    lines = in_terminal(env, columns, "status")
    assert lines[0].split()[:5] == ["TENANT", "WAVE", "TIER", "SIZE", "STATE"]
    assert [line.split()[0] for line in lines[1:4]] == ["T-0001", "T-0002", "T-0003"]
    assert "…" not in "\n".join(lines)


def test_status_json_rounds_the_p95_measurements_to_a_tenth_of_a_millisecond(tmp_path: Path) -> None:
    import json

    env = store(tmp_path)
    with Store(Path(env["CUTOVER_STATE__PATH"])) as opened:
        tenants = TenantStore(opened, EventLog(opened, Actor("poller", "jump-1"), ManualClock(DAY1)))
        tenants.observe("T-0001", p95_ms=1234.56789, metrics_at=DAY1)
    result = cutover(env, "status", "--json")
    assert result.returncode == 0, result.stderr
    (tenant,) = [t for t in json.loads(result.stdout)["tenants"] if t["id"] == "T-0001"]
    assert tenant["traffic"]["p95_ms"] == 1234.6
