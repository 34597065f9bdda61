"""`cutover status` shows a migrated tenant's watch: the countdown to decommission, the time left and its checkpoint."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from engine_helpers import war_room

from cutover.console.cli import cli
from cutover.model.clock import ManualClock
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.simworld import SimWorldStore
from cutover.state.store import Store
from cutover.state.tenants import TenantStore
from cutover.state.watch import CHECKPOINT


def promoted_hours_ago(env: dict, tenant_id: str, hours: float, *, checkpoint: bool | None = None) -> None:
    """The tenant cut over and was promoted `hours` ago (on the war room's clock), as the engine records it."""
    with Store(env["CUTOVER_STATE__PATH"]) as store:
        now = SimWorldStore(store).clock_row()[0]
        clock = ManualClock(now - hours * 3600)
        events = EventLog(store, Actor("engine", "jump-1"), clock)
        tenants = TenantStore(store, events)
        for state in ("cutting_over", "monitoring", "migrated"):
            tenants.transition(tenant_id, state, why="flip-1")
        oci = tenants.get(tenant_id).oci_target  # the flip put its record on OCI
        tenants.observe(tenant_id, dns_oci_share=1.0, dns_routing=f"{oci} (TTL 60)", dns_at=clock.now())
        if checkpoint is not None:
            clock.set(clock.now() + 4 * 3600)
            reasons = [] if checkpoint else ["error rate 0.40 % (needs under 0.10 %)"]
            events.append(
                CHECKPOINT,
                f"{tenant_id}: checkpoint T+4h",
                tenant_id=tenant_id,
                detail={"label": "T+4h", "passed": checkpoint, "reasons": reasons, "evidence": {"p95_ms": 700.0}},
            )


def run(env: dict, *args: str):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_status_counts_down_to_decommission_and_shows_the_watch_and_its_checkpoint(tmp_path: Path) -> None:
    env = war_room(tmp_path, ready=3)
    promoted_hours_ago(env, "T-0001", 4 + 20 / 60, checkpoint=True)
    promoted_hours_ago(env, "T-0002", 2, checkpoint=None)
    promoted_hours_ago(env, "T-0003", 23.5, checkpoint=False)

    shown = run(env, "status", "T-0001")
    assert shown.exit_code == 0, shown.output
    assert "next step  decommission in 19h 40m" in shown.output
    assert "watch      watch 19h 40m left · checkpoint T+4h passed" in shown.output

    early = run(env, "status", "T-0002").output
    assert "watch 22h left (intensive) · checkpoint T+4h in 2h" in early

    late = run(env, "status", "T-0003").output
    assert "next step  fix: checkpoint T+4h failed: error rate 0.40 % (needs under 0.10 %)" in late

    table = run(env, "status", "--state", "migrated").output
    assert "decommission in 19h 40m; watch 19h 40m left · checkpoint T+4h passed" in " ".join(table.split())

    document = json.loads(run(env, "status", "--json").output)
    by_id = {tenant["id"]: tenant for tenant in document["tenants"]}
    watch = by_id["T-0001"]["watch"]
    assert watch["left_s"] == 19 * 3600 + 40 * 60 and watch["intensive"] is False
    assert watch["checkpoint"]["passed"] is True and watch["checkpoint"]["evidence"] == {"p95_ms": 700.0}
    assert watch["text"] == "watch 19h 40m left · checkpoint T+4h passed"
    assert by_id["T-0002"]["watch"]["intensive"] is True and by_id["T-0002"]["watch"]["checkpoint"] is None
    assert by_id["T-0003"]["watch"]["checkpoint"]["passed"] is False
    assert by_id["T-0001"]["next_step"] == "decommission in 19h 40m"


def test_the_last_hour_of_the_watch_says_the_rollback_window_closes(tmp_path: Path) -> None:
    env = war_room(tmp_path, ready=2)
    promoted_hours_ago(env, "T-0001", 23 + 15 / 60, checkpoint=True)
    promoted_hours_ago(env, "T-0002", 26, checkpoint=True)
    assert "next step  rollback window closes in 45m" in run(env, "status", "T-0001").output
    ended = run(env, "status", "T-0002").output
    assert "next step  decommission AWS" in ended and "watch ended 2h ago · checkpoint T+4h passed" in ended
