"""The decision gate: every check with its result, evidence and age; unknown or stale is never a pass."""

from __future__ import annotations

from pathlib import Path

import pytest
from engine_helpers import import_runbook, make_ready

from cutover.actions.plan.gate import REMEDY_FINAL_SYNC, REMEDY_HYDRATE, CheckResult, evaluate_gate, remedy_sentence
from cutover.config.settings import Settings
from cutover.model.clock import ManualClock
from cutover.model.lifecycle import Lifecycle
from cutover.state.tenants import TenantStore

SETTINGS = Settings()


@pytest.fixture
def fleet(tenants: TenantStore, runbook_matrix: Path) -> TenantStore:
    import_runbook(tenants, runbook_matrix)
    return tenants


def test_a_ready_tenant_passes_every_check_with_evidence(fleet: TenantStore, clock: ManualClock) -> None:
    now = clock.now()
    tenant = make_ready(fleet, "T-0001", now)
    gate = evaluate_gate(tenant, now, SETTINGS)
    assert gate.passed and gate.blocking == ()
    assert [check.name for check in gate.checks] == [
        "lifecycle",
        "sync",
        "validation",
        "backends",
        "metrics",
        "hydration",
        "dns",
        "window",
    ]
    assert gate.check("dns").evidence == "TTL 60 s for 2h (was 3600 s)"
    assert gate.check("sync").evidence == "lag 0, verified 1m ago, 0 checksum mismatches"
    assert gate.check("sync").age_s == 60
    assert gate.check("validation").evidence == "5/5 passed 1h ago"
    assert gate.check("backends").evidence == "3/3 healthy"
    assert gate.check("window").evidence == "03:00 America/New_York, inside 02:00-06:00"


def test_the_gate_names_every_blocking_check(fleet: TenantStore, clock: ManualClock) -> None:
    now = clock.now()
    tenant = make_ready(
        fleet, "T-0001", now, validation_passed=4, backends_healthy=2, hydrated_at=now - 45 * 60, verified_at=None
    )
    gate = evaluate_gate(tenant, now, SETTINGS)
    assert not gate.passed
    assert [(c.name, c.result) for c in gate.blocking] == [
        ("sync", CheckResult.UNKNOWN),
        ("validation", CheckResult.FAIL),
        ("backends", CheckResult.FAIL),
        ("hydration", CheckResult.FAIL),
    ]
    assert gate.describe() == (
        "T-0001: gate blocked by sync: unknown, lag 0 never proven by a verification pass; "
        "validation: fail, 4/5 passed 1h ago; backends: fail, 2/3 healthy; "
        "hydration: fail, hydrated 45m ago, older than 30m"
    )
    # The cutover's own steps fix sync proof and hydration, not validation or backends.
    assert not gate.eligible
    assert gate.check("sync").remedy == REMEDY_FINAL_SYNC and gate.check("hydration").remedy == REMEDY_HYDRATE
    # Said in the order the cutover runs them, in a sentence that reads.
    assert (
        remedy_sentence(gate.remedies)
        == "runs a re-hydration of the OCI cluster and a final sync and verification first"
    )
    # Each age said once.
    assert gate.check("validation").evidence_with_age() == "4/5 passed 1h ago"
    assert gate.check("backends").evidence_with_age().startswith("2/3 healthy (")


def test_stale_evidence_is_unknown_never_pass(fleet: TenantStore, clock: ManualClock) -> None:
    now = clock.now()
    tenant = make_ready(
        fleet, "T-0001", now, verified_at=now - 40 * 60, health_at=now - 300, validated_at=now - 30 * 3600
    )
    gate = evaluate_gate(tenant, now, SETTINGS)
    results = {check.name: (check.result, check.evidence) for check in gate.blocking}
    assert results["sync"] == (CheckResult.UNKNOWN, "stale: verified 40m ago, must be within 15m")
    assert results["backends"] == (CheckResult.UNKNOWN, "stale: 3/3 healthy 5m ago, must be within 2m")
    assert results["validation"] == (CheckResult.UNKNOWN, "stale: 5/5 30h ago, must be within 24h")


def test_nothing_observed_is_unknown(fleet: TenantStore, clock: ManualClock) -> None:
    tenant = fleet.get("T-0001")
    gate = evaluate_gate(tenant, clock.now(), SETTINGS)
    assert gate.check("lifecycle").evidence.startswith("pending, must be ready")
    assert gate.check("validation").result is CheckResult.UNKNOWN
    assert gate.check("backends").result is CheckResult.UNKNOWN
    assert gate.check("hydration").result is CheckResult.UNKNOWN


def test_checksum_mismatches_and_lag_fail(fleet: TenantStore, clock: ManualClock) -> None:
    now = clock.now()
    tenant = make_ready(fleet, "T-0001", now, checksum_mismatches=3, sync_health="error")
    assert evaluate_gate(tenant, now, SETTINGS).check("sync").evidence == "3 checksum mismatches"
    tenant = make_ready(fleet, "T-0001", now, checksum_mismatches=0, sync_health="continuous", sync_lag_s=42.0)
    sync = evaluate_gate(tenant, now, SETTINGS).check("sync")
    assert sync.result is CheckResult.FAIL and sync.evidence.startswith("lag 42s")


def test_outside_the_window_blocks_unless_broken_glass(fleet: TenantStore, clock: ManualClock) -> None:
    now = clock.now()
    tenant = make_ready(fleet, "T-0002", now)  # us-west-2: midnight
    gate = evaluate_gate(tenant, now, SETTINGS)
    assert [c.name for c in gate.blocking] == ["window"]
    assert gate.check("window").evidence == ("00:00 America/Los_Angeles, outside 02:00-06:00; opens in 2h")
    overridden = evaluate_gate(tenant, now, SETTINGS, overrides={"migration-window": "customer asked for now"})
    assert overridden.passed and overridden.check("window").overridden == "customer asked for now"


def test_the_cutover_evaluates_its_own_tenants_as_cutting_over(fleet: TenantStore, clock: ManualClock) -> None:
    now = clock.now()
    make_ready(fleet, "T-0001", now)
    tenant = fleet.transition("T-0001", Lifecycle.CUTTING_OVER, why="test")
    assert not evaluate_gate(tenant, now, SETTINGS).passed
    assert evaluate_gate(tenant, now, SETTINGS, states=(Lifecycle.CUTTING_OVER,)).passed


def test_metrics_are_judged_against_their_own_sources_reporting_delay(fleet: TenantStore, clock: ManualClock) -> None:
    from cutover.config.providers import CloudMetrics, CloudWatchSettings
    from cutover.config.settings import ProvidersSettings

    now = clock.now()
    cloudwatch = Settings(providers=ProvidersSettings(metrics=CloudMetrics(kind="cloud", aws=CloudWatchSettings())))
    four_minutes = make_ready(fleet, "T-0001", now, metrics_at=now - 4 * 60)
    # CloudWatch publishes a minute's datapoint 1-3 minutes late: 4 minutes old is current there...
    assert evaluate_gate(four_minutes, now, cloudwatch).check("metrics").result is CheckResult.PASS
    # ...but not from the simulated fleet, which measures every 10 s.
    simulated = evaluate_gate(four_minutes, now, SETTINGS).check("metrics")
    assert (simulated.result, simulated.evidence) == (
        CheckResult.UNKNOWN,
        "stale: last measured 4m ago, must be within 2m 10s",
    )
    silent = make_ready(fleet, "T-0001", now, metrics_at=now - 7 * 60)
    stale = evaluate_gate(silent, now, cloudwatch).check("metrics")
    assert stale.blocking and stale.evidence == "stale: last measured 7m ago, must be within 6m"
    never = make_ready(fleet, "T-0001", now, metrics_at=None)
    assert evaluate_gate(never, now, SETTINGS).check("metrics").result is CheckResult.UNKNOWN
