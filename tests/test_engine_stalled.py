"""A stalled engine never changes DNS after its successor: the sequence of issue 16, with real processes.

Engine A (`cutover flip T-0001 --yes`, leading its own engine) is suspended right before its DNS change;
engine B takes over once A's lease has expired and finishes the flip; an operator rolls T-0001 back.
Then A wakes. Its change, planned on the record it read before the flip (AWS, which the record is again),
must not apply: A stops at its lease check or, stopped after that check, at the DNS fence. DNS stays on
AWS, A records nothing and exits non-zero saying why.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from engine_helpers import cutover, store_at, war_room
from process_helpers import STALL_LAUNCHER, frozen, lease_expired, query, wait_for

from cutover.state.chain import verify_chain
from cutover.state.location import open_store

# A real process frozen (SIGSTOP) at the worst moment: `make test-fast` leaves these out.
pytestmark = [pytest.mark.slow, pytest.mark.both_stores]


@pytest.mark.parametrize("point", ["before-lease-check", "at-dns-call"])
def test_an_engine_suspended_before_its_dns_change_never_undoes_a_rollback(tmp_path: Path, point: str) -> None:
    env = war_room(tmp_path, ready=2) | {"CUTOVER_ENGINE__LEASE_TTL": "2", "CUTOVER_ENGINE__HEARTBEAT": "0.5"}
    path = store_at(env)
    a = subprocess.Popen(
        [sys.executable, str(STALL_LAUNCHER), point, "flip", "T-0001", "--reason", "stall drill", "--yes"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for(lambda: a.poll() is not None or frozen(a.pid), what="engine A freezing before its DNS change")
        assert a.poll() is None, a.communicate()
        wait_for(lambda: lease_expired(path), what="A's lease expiring")

        b = cutover(env, "engine", "--until-idle")
        assert b.returncode == 0, b.stdout + b.stderr
        assert query(path, "SELECT lifecycle FROM tenants WHERE tenant_id = 'T-0001'") == [("migrated",)]
        rollback = cutover(env, "rollback", "T-0001", "--reason", "the customer asked", "--yes")
        assert rollback.returncode == 0, rollback.stdout + rollback.stderr
        events_before = query(path, "SELECT count(*) FROM events")[0][0]
        aws_target = query(path, "SELECT aws_target FROM tenants WHERE tenant_id = 'T-0001'")[0][0]

        os.kill(a.pid, signal.SIGCONT)
        out, err = a.communicate(timeout=60)
    finally:
        if a.poll() is None:
            os.kill(a.pid, signal.SIGCONT)
            a.kill()
            a.wait(10)

    assert a.returncode == 1, out + err
    assert "lost the war room's lease" in err and "changed nothing after that" in err, err
    (routing,) = query(path, "SELECT routing FROM sim_dns_records WHERE tenant_id = 'T-0001'")[0]
    assert aws_target in routing and "129.213." not in routing  # DNS still on AWS
    changes = query(path, "SELECT count(*) FROM sim_dns_changes WHERE tenant_id = 'T-0001'")[0][0]
    assert changes == 2  # B's flip and the rollback; nothing from A
    assert query(path, "SELECT lifecycle FROM tenants WHERE tenant_id = 'T-0001'") == [("rolled_back",)]
    assert query(path, "SELECT count(*) FROM events")[0][0] == events_before  # A recorded nothing
    with open_store(path) as store:
        assert verify_chain(store).ok
