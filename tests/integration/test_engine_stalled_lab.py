"""The stalled-engine sequence of issue 16 on the real providers: Route 53 in moto, rclone, OCI, SSH.

Engine A (`cutover flip T-0001 --yes`) checks its lease and freezes right before it sends its change
set; engine B (`cutover engine`) takes over and flips T-0001; an operator rolls it back; A wakes and
sends the change it planned on the record it read (AWS, which the record is again). Route 53 refuses
it: the fencing TXT record it expected is gone. The records stay on AWS, A records nothing and exits 1.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from process_helpers import STALL_LAUNCHER, Running, frozen, lease_expired, query, wait_for

from cutover.actions.plan.importing import import_matrix
from cutover.actions.wiring.composition import build_providers
from cutover.actions.wiring.lab_setup import prepare_ready
from cutover.config.loader import load_config
from cutover.lab.world import Lab
from cutover.model.clock import SystemClock
from cutover.model.routing import fence_name
from cutover.state.chain import verify_chain
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.store import Store
from cutover.state.tenants import TenantStore

from .test_route53 import records_in_moto

# Real servers on 127.0.0.1 (or processes): `make test-fast` leaves these out.
pytestmark = pytest.mark.slow


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with Lab.start(tmp_path / "lab", tenants=2, objects=1, feed_every=5, hydrate_seconds=0.2) as started:
        yield started


def ready_lab(lab: Lab) -> dict[str, str]:
    """T-0001 ready through the real providers; the environment a shell on the jump host would have."""
    settings = load_config(lab.config_path).settings
    env = {key: value for key, value in os.environ.items() if not key.startswith("CUTOVER_")}
    env.update(lab.environment())
    with Store(settings.state.path) as store:
        actor = Actor("setup", "jump-1")
        clock = SystemClock()
        tenants = TenantStore(store, EventLog(store, actor, clock))
        import_matrix(tenants, lab.matrix_path)

        async def prepare() -> list[str]:
            built = build_providers(settings, store, clock, actor=actor)
            try:
                return await prepare_ready(built.providers, tenants, [tenants.get("T-0001")], clock)
            finally:
                await built.providers.aclose()

        old = dict(os.environ)
        os.environ.update(lab.environment())
        try:
            assert asyncio.run(prepare()) == ["T-0001"]
        finally:
            os.environ.clear()
            os.environ.update(old)
    env.update(
        {
            "CUTOVER_CONFIG": str(lab.config_path),
            "CUTOVER_ENGINE__LEASE_TTL": "2",
            "CUTOVER_ENGINE__HEARTBEAT": "0.5",
        }
    )
    return env


def test_a_stalled_engine_cannot_undo_a_rollback_on_route53(lab: Lab) -> None:
    env = ready_lab(lab)
    path = str(lab.directory / "cutover.db")
    tenant = lab.tenants[0]
    a = subprocess.Popen(
        [sys.executable, str(STALL_LAUNCHER), "at-dns-call", "flip", "T-0001", "--reason", "stall drill", "--yes"],
        env=env | {"CUTOVER_OPERATOR__NAME": "alice"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    b = rollback = None
    try:
        wait_for(lambda: a.poll() is not None or frozen(a.pid), what="engine A freezing at its DNS call", timeout=120)
        assert a.poll() is None, a.communicate()
        wait_for(lambda: lease_expired(path), what="A's lease expiring")
        b = subprocess.Popen(
            [sys.executable, "-m", "cutover", "engine"],
            env=env | {"CUTOVER_OPERATOR__NAME": "bob"},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        flip_step_done = "SELECT state FROM job_steps WHERE job_id = 'flip-1' AND tenant_id = 'T-0001' AND name = ?"
        wait_for(lambda: query(path, flip_step_done, "dns_change") == [("done",)], what="B flipping T-0001")
        (record,) = records_in_moto(lab.moto.url, lab.zone_id, tenant.dns_name)
        assert record["ResourceRecords"] == [{"Value": tenant.oci_target}]

        # The operator's command follows the rollback until the lab's metrics show traffic back on AWS (the
        # next minute's figures, up to a minute): what this test needs is its DNS change, so it runs aside.
        rollback = Running(
            env | {"CUTOVER_OPERATOR__NAME": "carol"}, "rollback", "T-0001", "--reason", "the customer asked", "--yes"
        )
        assert "rollback-2 submitted" in rollback.wait_for_line("rollback-2 submitted")
        rolled_back = "SELECT state FROM job_steps WHERE job_id = 'rollback-2' AND tenant_id = 'T-0001' AND name = ?"
        wait_for(lambda: query(path, rolled_back, "dns_change") == [("done",)], what="the rollback's DNS change")
        (record,) = records_in_moto(lab.moto.url, lab.zone_id, tenant.dns_name)
        assert record["ResourceRecords"] == [{"Value": tenant.aws_target}]  # the value A expects again

        os.kill(a.pid, signal.SIGCONT)
        out, err = a.communicate(timeout=60)
    finally:
        if rollback is not None:
            rollback.stop(signal.SIGINT)  # a watcher stopped: the rollback goes on under B until B stops
            rollback.kill()
        for process in (a, b):
            if process is not None and process.poll() is None:
                os.kill(process.pid, signal.SIGCONT)
                process.terminate()
                process.wait(20)

    assert a.returncode == 1, out + err
    assert "lost the war room's lease" in err, err
    (record,) = records_in_moto(lab.moto.url, lab.zone_id, tenant.dns_name)
    assert record["ResourceRecords"] == [{"Value": tenant.aws_target}]
    (fence,) = records_in_moto(lab.moto.url, lab.zone_id, fence_name(tenant.dns_name))
    assert "job=rollback-2" in fence["ResourceRecords"][0]["Value"]
    assert query(path, "SELECT lifecycle FROM tenants WHERE tenant_id = 'T-0001'") != [("migrated",)]
    first_by_carol = query(path, "SELECT min(seq) FROM events WHERE operator = 'carol'")[0][0]
    # Once it woke, A wrote one thing: the alert that it lost the lease (issue 17: a lost lease is an alert
    # with its cause). Nothing fenced: no step, no tenant, no DNS (checked above).
    after = query(path, "SELECT kind, what FROM events WHERE operator = 'alice' AND seq > ?", first_by_carol)
    assert [kind for kind, _ in after] == ["alert"], after
    assert "lost the war room's lease" in after[0][1] and "bob@" in after[0][1], after
    with Store(path) as store:
        assert verify_chain(store).ok
