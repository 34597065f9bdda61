"""The lifecycle transition table: every allowed and every forbidden move."""

from __future__ import annotations

import itertools

import pytest

from cutover.config.matrix import parse_matrix
from cutover.model.lifecycle import TRANSITIONS, IllegalTransition, Lifecycle, check_transition
from cutover.state.tenants import ConcurrentChange, TenantStore

ALLOWED = [(a, b) for a, nexts in TRANSITIONS.items() for b in sorted(nexts)]  # sorted: one order in every process
FORBIDDEN = [(a, b) for a, b in itertools.product(Lifecycle, Lifecycle) if b not in TRANSITIONS[a]]


def test_the_table_covers_every_state_and_the_happy_path() -> None:
    assert set(TRANSITIONS) == set(Lifecycle)
    path = ["pending", "syncing", "validating", "ready", "cutting_over", "monitoring", "migrated", "decommissioned"]
    for here, there in itertools.pairwise(path):
        check_transition("T-1", here, there)
    for here, there in [("monitoring", "rolling_back"), ("rolling_back", "rolled_back"), ("rolled_back", "ready")]:
        check_transition("T-1", here, there)
    assert len(ALLOWED) + len(FORBIDDEN) == len(Lifecycle) ** 2


@pytest.mark.parametrize(("current", "requested"), ALLOWED, ids=[f"{a}->{b}" for a, b in ALLOWED])
def test_allowed_transition_is_recorded_as_an_event(
    tenants: TenantStore, current: Lifecycle, requested: Lifecycle
) -> None:
    _tenant_in(tenants, current)
    moved = tenants.transition("T-0001", requested, why="test")
    assert moved.lifecycle is requested
    last = tenants.events.find(tenant_id="T-0001")[-1]
    assert (last.kind, last.state_before, last.state_after, last.why) == ("transition", current, requested, "test")
    assert last.operator == "alice" and last.ssh_client == "10.0.0.5"


@pytest.mark.parametrize(("current", "requested"), FORBIDDEN, ids=[f"{a}->{b}" for a, b in FORBIDDEN])
def test_forbidden_transition_names_tenant_states_and_allowed_next(
    tenants: TenantStore, current: Lifecycle, requested: Lifecycle
) -> None:
    _tenant_in(tenants, current)
    before = len(tenants.events.find())
    with pytest.raises(IllegalTransition) as caught:
        tenants.transition("T-0001", requested, why="test")
    message = str(caught.value)
    assert message.startswith(f"T-0001: cannot go from {current.value} to {requested.value}")
    for allowed in TRANSITIONS[current]:
        assert allowed.value in message.split("may go to:")[1]
    if not TRANSITIONS[current]:
        assert "none: it is final" in message
    assert tenants.get("T-0001").lifecycle is current
    assert len(tenants.events.find()) == before


def test_expect_guard_refuses_a_tenant_changed_by_someone_else(tenants: TenantStore) -> None:
    _tenant_in(tenants, Lifecycle.READY)
    with pytest.raises(ConcurrentChange, match="expected syncing but it is ready"):
        tenants.transition("T-0001", Lifecycle.VALIDATING, why="x", expect=Lifecycle.SYNCING)


# A shortest legal route from pending to every state, so each test starts from a real history.
ROUTE = {
    Lifecycle.PENDING: [],
    Lifecycle.SYNCING: ["syncing"],
    Lifecycle.VALIDATING: ["syncing", "validating"],
    Lifecycle.READY: ["syncing", "validating", "ready"],
    Lifecycle.CUTTING_OVER: ["syncing", "validating", "ready", "cutting_over"],
    Lifecycle.MONITORING: ["syncing", "validating", "ready", "cutting_over", "monitoring"],
    Lifecycle.MIGRATED: ["syncing", "validating", "ready", "cutting_over", "monitoring", "migrated"],
    Lifecycle.DECOMMISSIONED: [
        "syncing",
        "validating",
        "ready",
        "cutting_over",
        "monitoring",
        "migrated",
        "decommissioned",
    ],
    Lifecycle.ROLLING_BACK: ["syncing", "validating", "ready", "cutting_over", "rolling_back"],
    Lifecycle.ROLLED_BACK: ["syncing", "validating", "ready", "cutting_over", "rolling_back", "rolled_back"],
    Lifecycle.FAILED: ["failed"],
}


def _tenant_in(tenants: TenantStore, state: Lifecycle) -> None:
    parsed = parse_matrix("Tenant ID,Size,SLA,DNS name\nT-0001,2GB,Std,t1.example.com\n")
    tenants.apply_import(tenants.plan_import(parsed.tenants, "m.csv"), parsed.tenants, "x")
    for step in ROUTE[state]:
        tenants.transition("T-0001", step, why="setup")
    assert tenants.get("T-0001").lifecycle is state
