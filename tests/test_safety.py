"""Safety rules against the state a change would produce: each refuses with its numbers, each yields to break-glass."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import import_runbook, make_ready, write_fleet

from cutover.actions.plan import safety
from cutover.actions.plan.safety import evaluate_safety, read_fleet
from cutover.config.settings import Settings
from cutover.model.clock import ManualClock
from cutover.model.lifecycle import Lifecycle
from cutover.state.events import EventLog
from cutover.state.facts import Facts
from cutover.state.identity import Actor
from cutover.state.store import Store
from cutover.state.tenants import TenantStore

SETTINGS = Settings()


@pytest.fixture
def fleet(tenants: TenantStore, tmp_path: Path, clock: ManualClock) -> TenantStore:
    import_runbook(tenants, write_fleet(tmp_path / "fleet.csv", 40, enterprise=(40,)))
    for number in range(1, 41):
        make_ready(tenants, f"T-{number:04d}", clock.now())
    return tenants


def check(fleet: TenantStore, store: Store, clock: ManualClock, ids: list[str], **kwargs: object):
    tenants = [fleet.get(tenant_id) for tenant_id in ids]
    picture = read_fleet(Facts(store), tenants, clock.now(), SETTINGS)
    return evaluate_safety(tenants, picture, clock.now(), SETTINGS, operator="alice", **kwargs)  # type: ignore[arg-type]


def ids(*numbers: int) -> list[str]:
    return [f"T-{number:04d}" for number in numbers]


def move(fleet: TenantStore, numbers: range | list[int], *states: Lifecycle) -> None:
    for number in numbers:
        for state in states:
            fleet.transition(f"T-{number:04d}", state, why="test")


def test_a_change_within_every_limit_passes(fleet: TenantStore, store: Store, clock: ManualClock) -> None:
    verdict = check(fleet, store, clock, ids(1, 2, 3, 4, 5))
    assert verdict.ok and verdict.refusals == ()


def test_max_cutting_over_counts_the_change_and_what_is_in_flight(
    fleet: TenantStore, store: Store, clock: ManualClock
) -> None:
    move(fleet, [1, 2], Lifecycle.CUTTING_OVER)
    verdict = check(fleet, store, clock, ids(3, 4, 5, 6))
    (refusal,) = verdict.blocking
    assert refusal.rule == safety.MAX_CUTTING_OVER
    assert refusal.message == "6 tenants would be cutting over at once (2 now + 4 in this change); the limit is 5"
    assert refusal.numbers == {"now": 2, "adding": 4, "projected": 6, "limit": 5}
    broken = check(fleet, store, clock, ids(3, 4, 5, 6), overrides={safety.MAX_CUTTING_OVER: "vendor window"})
    assert broken.ok and broken.overridden[0].overridden == "vendor window"


def test_max_monitoring_projects_cutting_over_tenants_into_monitoring(
    fleet: TenantStore, store: Store, clock: ManualClock
) -> None:
    move(fleet, range(1, 23), Lifecycle.CUTTING_OVER, Lifecycle.MONITORING)
    move(fleet, [23, 24], Lifecycle.CUTTING_OVER)
    verdict = check(fleet, store, clock, ids(25, 26))
    (refusal,) = verdict.blocking
    assert refusal.rule == safety.MAX_MONITORING
    assert refusal.message == (
        "26 tenants would be in monitoring (22 monitoring + 2 cutting over + 2 in this change); the limit is 25"
    )
    assert check(fleet, store, clock, ids(25, 26), overrides={safety.MAX_MONITORING: "all small tenants"}).ok


def test_two_rollbacks_tonight_stop_the_night(fleet: TenantStore, store: Store, clock: ManualClock) -> None:
    move(fleet, [1, 2], Lifecycle.CUTTING_OVER, Lifecycle.MONITORING, Lifecycle.ROLLING_BACK)
    verdict = check(fleet, store, clock, ids(3))
    (refusal,) = verdict.blocking
    assert refusal.rule == safety.MAX_ROLLBACKS
    assert refusal.message == "2 rollbacks tonight (T-0001, T-0002); the limit is 2: stop for the night"
    assert check(fleet, store, clock, ids(3), overrides={safety.MAX_ROLLBACKS: "both were DNS typos"}).ok


def test_yesterdays_rollbacks_do_not_count_tonight(fleet: TenantStore, store: Store, clock: ManualClock) -> None:
    move(fleet, [1, 2], Lifecycle.CUTTING_OVER, Lifecycle.MONITORING, Lifecycle.ROLLING_BACK)
    clock.advance(24 * 3600)
    assert check(fleet, store, clock, ids(3)).ok


def test_outside_the_migration_window(fleet: TenantStore, store: Store, clock: ManualClock) -> None:
    clock.advance(5 * 3600)  # 08:00 in New York
    for number in (1, 2):
        make_ready(fleet, f"T-{number:04d}", clock.now())
    (refusal,) = check(fleet, store, clock, ids(1, 2)).blocking
    assert refusal.rule == "migration-window"
    assert refusal.message == (
        "2 of 2 tenants outside the migration window 02:00-06:00 tenant-local "
        "(T-0001, T-0002; T-0001 at 08:00 America/New_York, opens in 18h)"
    )
    assert check(fleet, store, clock, ids(1, 2), overrides={"migration-window": "customer asked"}).ok


def test_enterprise_needs_a_rehearsal_and_a_second_operator(
    fleet: TenantStore, store: Store, clock: ManualClock, events: EventLog
) -> None:
    verdict = check(fleet, store, clock, ids(40))
    assert [r.rule for r in verdict.blocking] == [safety.ENTERPRISE_REHEARSAL, safety.ENTERPRISE_APPROVAL]
    assert verdict.blocking[0].message == (
        "1 enterprise tenant has no recorded dry run in the last 7d (T-0040): rehearse with --dry-run first"
    )
    assert verdict.blocking[1].message == (
        "1 enterprise tenant needs a second operator's approval (T-0040): someone other than alice runs "
        "`cutover approve`"
    )
    events.append("rehearsal", "dry run of flip", tenant_id="T-0040", detail={"kind": "flip"})
    # Approving your own cutover does not count.
    events.append("approval", "approved", tenant_id="T-0040")
    assert [r.rule for r in check(fleet, store, clock, ids(40)).blocking] == [safety.ENTERPRISE_APPROVAL]
    EventLog(store, Actor("bob", "jump-2"), clock).append("approval", "approved", tenant_id="T-0040")
    assert check(fleet, store, clock, ids(40)).ok
