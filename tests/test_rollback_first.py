"""Rollback first: a rollback's DNS change is made before any poll of the whole fleet, from the CLI with no
engine leading (the command starts one) and under an engine that leads with a whole-fleet poll falling due.

The order is read from the store itself: SQLite triggers added to the test's store note, in one sequence,
every write of a fleet poll's result (the `sources` rows of metrics, DNS, sync and backend health, which
each of those polls updates) and the rollback's DNS change
(its `dns_change` step starting, and the change reaching the simulated Route 53)."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest
from engine_helpers import Harness, cutover, war_room

from cutover.actions.plan.plans import PlanRequest
from cutover.model.jobs import JobState
from cutover.model.lifecycle import Lifecycle
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.store import Store
from cutover.state.tenants import TenantStore

ORDER_PROBE = """
CREATE TABLE probe_order (seq INTEGER PRIMARY KEY AUTOINCREMENT, what TEXT NOT NULL);
CREATE TRIGGER probe_source_insert AFTER INSERT ON sources WHEN new.role IN ('metrics', 'dns', 'sync', 'health')
    BEGIN INSERT INTO probe_order (what) VALUES ('poll ' || new.role); END;
CREATE TRIGGER probe_source_update AFTER UPDATE ON sources WHEN new.role IN ('metrics', 'dns', 'sync', 'health')
    BEGIN INSERT INTO probe_order (what) VALUES ('poll ' || new.role); END;
CREATE TRIGGER probe_step_insert AFTER INSERT ON job_steps
    WHEN new.name = 'dns_change' AND new.started_at IS NOT NULL
    BEGIN INSERT INTO probe_order (what) VALUES ('dns_change started'); END;
CREATE TRIGGER probe_step_update AFTER UPDATE OF started_at ON job_steps
    WHEN new.name = 'dns_change' AND old.started_at IS NULL AND new.started_at IS NOT NULL
    BEGIN INSERT INTO probe_order (what) VALUES ('dns_change started'); END;
CREATE TRIGGER probe_step_end AFTER UPDATE OF ended_at ON job_steps
    WHEN new.name = 'dns_change' AND old.ended_at IS NULL AND new.ended_at IS NOT NULL
    BEGIN INSERT INTO probe_order (what) VALUES ('dns_change ended'); END;
CREATE TRIGGER probe_dns AFTER INSERT ON sim_dns_changes
    BEGIN INSERT INTO probe_order (what) VALUES ('dns change made ' || new.tenant_id); END;
"""


def _probe(path: Path | str) -> None:
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.executescript(ORDER_PROBE)


def _order(store: Store) -> list[str]:
    return [row[0] for row in store.db.execute("SELECT what FROM probe_order ORDER BY seq")]


def _first(order: list[str], prefix: str) -> int:
    return next(i for i, what in enumerate(order) if what.startswith(prefix))


@pytest.mark.slow  # a command leading an engine until its job ends (about 2 s)
def test_a_cli_rollback_with_no_engine_leading_changes_dns_before_any_whole_fleet_poll(tmp_path: Path) -> None:
    env = war_room(tmp_path, ready=12)
    path = env["CUTOVER_STATE__PATH"]
    flipped = cutover(env, "flip", "T-0001", "--reason", "night 3", "--yes")
    assert flipped.returncode == 0, flipped.stdout + flipped.stderr
    _probe(path)

    ran = cutover(env, "rollback", "T-0001", "--reason", "customer reports errors", "--yes")

    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "no engine leads: running one here" in ran.stdout
    with Store(path) as store:
        order = _order(store)
        lifecycle = TenantStore(store, EventLog(store, Actor("t", "t"))).get("T-0001").lifecycle
    assert lifecycle is Lifecycle.ROLLED_BACK
    assert order.count("dns change made T-0001") == 1, order
    assert "poll metrics" in order, order  # the engine did poll the fleet, after
    changed = _first(order, "dns change made")
    assert _first(order, "dns_change started") < changed < _first(order, "dns_change ended") < _first(order, "poll ")


@pytest.mark.asyncio
async def test_a_rollback_submitted_while_a_whole_fleet_poll_is_due_reaches_dns_before_the_poll(
    tmp_path: Path,
) -> None:
    h = Harness(tmp_path, ready=6)
    await h.start()
    try:
        flip = h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0001"])), reason="night 3")
        await h.until(h.job_done(flip.job_id), what="the flip ending")
        assert h.tenants.get("T-0001").lifecycle is Lifecycle.MIGRATED
        _probe(h.path)

        # The whole fleet falls due (every poller wakes), and in the same instant a rollback is submitted.
        h.clock.set(h.clock.now() + h.settings.engine.fleet_interval + h.settings.engine.health_interval)
        rollback = h.ops.submit(h.ops.plan(PlanRequest.rollback(["T-0001"])), reason="customer reports errors")
        await h.until(h.job_done(rollback.job_id), what="the rollback ending")

        assert h.jobs.get(rollback.job_id).state is JobState.SUCCEEDED
        order = _order(h.store)
        assert {"poll metrics", "poll dns", "poll sync", "poll health"} <= set(order), order
        assert order.count("dns change made T-0001") == 1, order
        assert _first(order, "dns change made T-0001") < _first(order, "poll "), order
    finally:
        await h.stop()
