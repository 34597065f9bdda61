"""`cutover approve` of a tenant whose cutover the same operator submitted is self-approval: refused, naming
the rule (enterprise-approval), nothing recorded; a second operator's approval is recorded."""

from __future__ import annotations

import os
from pathlib import Path

from engine_helpers import cutover, write_fleet

from cutover.actions.plan.importing import import_matrix
from cutover.model.clock import ManualClock
from cutover.state.events import EventLog
from cutover.state.facts import APPROVAL
from cutover.state.identity import Actor
from cutover.state.job_records import NewTarget
from cutover.state.jobs import JobStore
from cutover.state.store import Store
from cutover.state.tenants import TenantStore

CLOCK = 1_796_180_400.0


def test_approving_ones_own_cutover_is_refused_with_the_rule_and_a_second_operator_approves(tmp_path: Path) -> None:
    path = tmp_path / "cutover.db"
    with Store(path) as store:
        events = EventLog(store, Actor("alice", "jump-1"), ManualClock(CLOCK))
        import_matrix(TenantStore(store, events), write_fleet(tmp_path / "fleet.csv", 2, enterprise=(1,)))
        JobStore(store, events).submit("flip", [NewTarget("T-0001", ("dns_change",))], reason="pilot", operator="alice")
    env = {key: value for key, value in os.environ.items() if not key.startswith("CUTOVER_")}
    env["CUTOVER_STATE__PATH"] = str(path)

    refused = cutover({**env, "CUTOVER_OPERATOR__NAME": "alice"}, "approve", "T-0001", "--reason", "CAB-1")
    assert refused.returncode != 0
    assert "enterprise-approval" in refused.stderr and "flip-1, a flip alice submitted" in refused.stderr
    approved = cutover({**env, "CUTOVER_OPERATOR__NAME": "bob"}, "approve", "T-0001", "--reason", "CAB-1")
    assert approved.returncode == 0, approved.stderr
    assert "approved by bob: T-0001" in approved.stdout
    with Store(path) as store:
        recorded = EventLog(store, Actor("t", "t"), ManualClock(CLOCK)).find(kinds=(APPROVAL,))
    assert [(e.tenant_id, e.operator) for e in recorded] == [("T-0001", "bob")]
