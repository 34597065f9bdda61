"""Putting tenants into a known state in the real store, as the engine's pollers would."""

from __future__ import annotations

from pathlib import Path

from cutover.actions.importing import import_matrix
from cutover.state.lifecycle import Lifecycle
from cutover.state.tenants import Tenant, TenantStore

# 1_800_000_000 (the test clock's start) is 03:00 in New York: inside the 02:00-06:00 window
# for us-east-1 tenants, outside it for us-west-2 (00:00) and eu-west-1 (08:00).
READY_PATH = (Lifecycle.SYNCING, Lifecycle.VALIDATING, Lifecycle.READY)


def make_ready(tenants: TenantStore, tenant_id: str, now: float, **observed: object) -> Tenant:
    """A tenant ready to cut over: synced with lag 0 proven a minute ago, 5/5, 3/3, hydrated."""
    current = tenants.get(tenant_id).lifecycle
    path = READY_PATH[READY_PATH.index(current) + 1 :] if current in READY_PATH else READY_PATH
    for state in path:
        tenants.transition(tenant_id, state, why="test setup")
    tenants.observe(
        tenant_id,
        **{
            "sync_health": "continuous",
            "sync_lag_s": 0.0,
            "pending_objects": 0,
            "pending_bytes": 0,
            "checksum_mismatches": 0,
            "last_pass_at": now - 60,
            "verified_at": now - 60,
            "observed_at": now - 5,
            "validation_passed": 5,
            "validation_total": 5,
            "validated_at": now - 3600,
            "backends_healthy": 3,
            "backends_total": 3,
            "health_at": now - 5,
            "hydrated_at": now - 600,
            **observed,
        },
    )
    return tenants.get(tenant_id)


def import_runbook(tenants: TenantStore, matrix: Path) -> None:
    import_matrix(tenants, matrix)


HEADER = (
    "Tenant ID,Size,SLA,Wave,DNS name,Hosted zone,AWS target,OCI target,Region,Baseline p95 (ms),Baseline error rate"
)


def write_fleet(path: Path, count: int, *, enterprise: tuple[int, ...] = (), region: str = "us-east-1") -> Path:
    """A matrix of `count` tenants T-0001.. in two hosted zones, all in one region."""
    rows = [HEADER]
    for number in range(1, count + 1):
        tier = "Ent" if number in enterprise else "Std"
        zone = "Z1ZONEA" if number % 2 else "Z2ZONEB"
        rows.append(
            f"T-{number:04d},5GB,{tier},1,tenant{number}.example.com,{zone},52.1.{number // 250}.{number % 250},"
            f"129.213.{number // 250}.{number % 250},{region},1000,0.1%"
        )
    path.write_text("\n".join(rows) + "\n")
    return path
