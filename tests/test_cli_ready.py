"""`cutover status TENANT` ends with the runbook's verdict, `Ready for cutover: yes` or `no: why`, from the same
gate the console and `cutover gate` use; `status --json` carries it for every tenant."""

from __future__ import annotations

import json
from pathlib import Path

from engine_helpers import cutover, war_room

from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.store import Store
from cutover.state.tenants import TenantStore


def test_status_of_a_tenant_ends_with_whether_it_is_ready_for_cutover(tmp_path: Path) -> None:
    env = war_room(tmp_path, ready=3)
    with Store(env["CUTOVER_STATE__PATH"]) as store:
        TenantStore(store, EventLog(store, Actor("setup", "jump-1"))).observe("T-0002", backends_healthy=2)

    ready = cutover(env, "status", "T-0001")
    assert ready.returncode == 0, ready.stderr
    assert ready.stdout.rstrip().splitlines()[-1] == "Ready for cutover: yes"

    blocked = cutover(env, "status", "T-0002")
    assert blocked.stdout.rstrip().splitlines()[-1] == "Ready for cutover: no: blocked: backends: 2/3 healthy"

    document = json.loads(cutover(env, "status", "--json").stdout)
    verdicts = {t["id"]: t["ready_for_cutover"] for t in document["tenants"]}
    assert verdicts["T-0001"] == {"ready": True, "verdict": "eligible", "summary": verdicts["T-0001"]["summary"]}
    assert verdicts["T-0001"]["summary"].startswith("eligible: ")
    assert verdicts["T-0002"]["ready"] is False and verdicts["T-0002"]["verdict"] == "blocked"
