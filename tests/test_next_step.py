from __future__ import annotations

import dataclasses

import pytest

from cutover.config.matrix import parse_matrix
from cutover.model.lifecycle import Lifecycle, SyncHealth
from cutover.model.tenant import Tenant
from cutover.state.next_step import next_step
from cutover.state.tenants import TenantStore

NOW = 1_800_000_000.0


@pytest.fixture
def tenant(tenants: TenantStore) -> Tenant:
    parsed = parse_matrix("Tenant ID,Size,SLA,DNS name\nT-0042,1GB,Std,t42.example.com\n")
    tenants.apply_import(tenants.plan_import(parsed.tenants, "m.csv"), parsed.tenants, "x")
    return tenants.get("T-0042")


def at(tenant: Tenant, **changes: object) -> str:
    return next_step(dataclasses.replace(tenant, **changes), NOW)


def test_next_steps_read_like_the_runbook(tenant: Tenant) -> None:
    assert at(tenant) == "start sync"
    assert (
        at(
            tenant,
            lifecycle=Lifecycle.SYNCING,
            sync_health=SyncHealth.INITIAL_SYNC,
            sync_percent=45.0,
            sync_eta_s=720.0,
        )
        == "wait: initial sync 45%, ETA 12m"
    )
    assert at(tenant, lifecycle=Lifecycle.SYNCING, sync_health=SyncHealth.CONTINUOUS) == "validate"
    assert at(tenant, lifecycle=Lifecycle.VALIDATING, validation_passed=4, validation_total=5) == "fix: validation 4/5"
    ready = dict(lifecycle=Lifecycle.READY, sync_health=SyncHealth.CONTINUOUS, backends_total=3)
    assert at(tenant, **ready, backends_healthy=1, sync_lag_s=0.0) == "fix: 2 backends down"
    assert at(tenant, **ready, backends_healthy=3, sync_lag_s=240.0) == "final sync"
    assert at(tenant, **ready, backends_healthy=3, sync_lag_s=0.0) == "cut over"
    assert at(tenant, lifecycle=Lifecycle.READY, sync_health=SyncHealth.ERROR, checksum_mismatches=3) == (
        "fix: 3 checksum mismatches"
    )
    assert at(tenant, lifecycle=Lifecycle.MONITORING, monitoring_until=NOW + 240) == "watch: monitoring 4m left"
    assert at(tenant, lifecycle=Lifecycle.MONITORING, monitoring_until=NOW - 1) == "confirm: monitoring done"
    assert at(tenant, lifecycle=Lifecycle.FAILED) == "fix: needs attention"


def test_a_failed_checkpoint_is_a_fix_and_an_earlier_migrations_checkpoint_does_not_count(tenant: Tenant) -> None:
    from cutover.state.watch import Checkpoint

    migrated = dataclasses.replace(
        tenant, lifecycle=Lifecycle.MIGRATED, sync_health=SyncHealth.CONTINUOUS, lifecycle_since=NOW - 5 * 3600
    )
    failed = Checkpoint("T-0042", "T+4h", NOW - 3600, False, ("error rate 0.30 % (needs under 0.10 %)",), {})
    assert next_step(migrated, NOW, checkpoint=failed) == (
        "fix: checkpoint T+4h failed: error rate 0.30 % (needs under 0.10 %)"
    )
    earlier = dataclasses.replace(failed, at=NOW - 6 * 3600)  # before this promotion: another migration's
    assert next_step(migrated, NOW, checkpoint=earlier) == "decommission in 19h"


def test_next_steps_never_advise_what_would_hurt(tenant: Tenant) -> None:
    # Validating with no suite running: the step is to validate (a running validate job shows itself).
    assert at(tenant, lifecycle=Lifecycle.VALIDATING) == "validate"
    # Rolled back: the path the commands accept.
    assert at(tenant, lifecycle=Lifecycle.ROLLED_BACK) == "sync, then validate"
    # Migrated and healthy: decommission in time. Migrated with data that no longer matches: never.
    migrated = dict(lifecycle=Lifecycle.MIGRATED, sync_health=SyncHealth.CONTINUOUS)
    assert at(tenant, **migrated, lifecycle_since=NOW - 4 * 3600 - 20 * 60) == "decommission in 19h 40m"
    assert at(tenant, **migrated, lifecycle_since=NOW - 23 * 3600) == "rollback window closes in 1h"
    assert at(tenant, **migrated, lifecycle_since=NOW - 25 * 3600) == "decommission AWS"
    assert at(tenant, lifecycle=Lifecycle.MIGRATED, sync_health=SyncHealth.ERROR, checksum_mismatches=4) == (
        "STOP: checksum mismatch after cutover (4 objects): do not decommission"
    )
    assert at(tenant, lifecycle=Lifecycle.MIGRATED, sync_health=SyncHealth.STALLED) == (
        "STOP: sync stalled after cutover: do not decommission"
    )
