"""Crashes with a two-name tenant: the engine killed (SIGKILL) around its DNS change and started again ends
with exactly one change set for both names (one change id, one row a name), never a second change, and
every name on OCI."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from engine_helpers import HEADER, shell, store_at, war_room, write_fleet
from process_helpers import query

from cutover.actions.plan.importing import import_matrix
from cutover.model.jobs import JobState
from cutover.model.lifecycle import Lifecycle
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.jobs import JobStore
from cutover.state.location import open_store
from cutover.state.tenants import TenantStore

pytestmark = pytest.mark.both_stores


API = "api.tenant1.example.com"


def _step_started(path: str, step: str) -> bool:
    rows = query(path, "SELECT started_at FROM job_steps WHERE tenant_id = 'T-0001' AND name = ?", step)
    row = rows[0] if rows else None
    return bool(row and row[0] is not None)


@pytest.mark.slow  # a real process killed (SIGKILL)
@pytest.mark.parametrize("step", ["dns_change", "dns_insync", "traffic"])
def test_killed_around_the_dns_change_and_started_again_one_change_set_for_both_names(
    tmp_path: Path, step: str
) -> None:
    env = war_room(tmp_path, ready=2) | {"CUTOVER_ENGINE__LEASE_TTL": "1", "CUTOVER_ENGINE__HEARTBEAT": "0.25"}
    path = store_at(env)
    fleet = write_fleet(tmp_path / "fleet.csv", 2).read_text().splitlines()
    matrix = tmp_path / "with-api.csv"
    matrix.write_text("\n".join([HEADER + ",Extra DNS names", fleet[1] + "," + API, fleet[2] + ","]) + "\n")
    with open_store(path) as store:
        assert import_matrix(TenantStore(store, EventLog(store, Actor("setup", "jump-1"))), matrix).applied
    flip = subprocess.Popen(
        [sys.executable, "-m", "cutover", "flip", "T-0001", "--reason", "crash drill", "--yes"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while not _step_started(path, step):
            assert flip.poll() is None, f"the flip ended before {step} started"
            assert time.monotonic() < deadline, f"{step} never started"
            time.sleep(0.001)
        os.kill(flip.pid, signal.SIGKILL)
    finally:
        flip.wait(10)

    resumed = shell(env, "engine", "--until-idle", timeout=120)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    with open_store(path) as store:
        jobs = JobStore(store, EventLog(store, Actor("check", "jump-1")))
        (job,) = jobs.find()
        assert job.state is JobState.SUCCEEDED, (job.result, jobs.target(job.job_id, "T-0001").summary)
        tenant = TenantStore(store, EventLog(store, Actor("check", "jump-1"))).get("T-0001")
        assert tenant.lifecycle is Lifecycle.MIGRATED
        rows = store.db.execute(
            "SELECT change_id, name, to_routing FROM sim_dns_changes WHERE tenant_id = 'T-0001'"
        ).fetchall()
        assert sorted(name for _, name, _ in rows) == ["", API], rows  # one change a name: never twice
        assert len({change_id for change_id, _, _ in rows}) == 1  # in one change set
        assert all(tenant.oci_target in routing for _, _, routing in rows)
