"""A small fleet in a real store file, every tenant placed in its state by legal transitions.

Until the simulated fleet writes live observations, the console's tests build
their fleet here: a generated matrix imported through the real import path,
transitions through the real lifecycle table, observations through observe_many,
sources and alerts through the real stores. A fixed seed and a ManualClock make
every screen the same on every run.
"""

from __future__ import annotations

import random
from pathlib import Path

from cutover.actions.plan.importing import import_matrix
from cutover.actions.wiring.session import Session
from cutover.config.loader import LoadedConfig
from cutover.config.settings import Settings
from cutover.model.clock import ManualClock
from cutover.model.lifecycle import Lifecycle
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.location import open_store
from cutover.state.samples import Sample, SampleStore
from cutover.state.sources import SourceStore
from cutover.state.store import Store
from cutover.state.tenants import TenantStore

START = 1_800_000_000.0  # 2027-01-15 08:00:00 UTC

PATHS = {
    Lifecycle.PENDING: [],
    Lifecycle.SYNCING: [Lifecycle.SYNCING],
    Lifecycle.VALIDATING: [Lifecycle.SYNCING, Lifecycle.VALIDATING],
    Lifecycle.READY: [Lifecycle.SYNCING, Lifecycle.VALIDATING, Lifecycle.READY],
    Lifecycle.CUTTING_OVER: [Lifecycle.SYNCING, Lifecycle.VALIDATING, Lifecycle.READY, Lifecycle.CUTTING_OVER],
    Lifecycle.MONITORING: [
        Lifecycle.SYNCING,
        Lifecycle.VALIDATING,
        Lifecycle.READY,
        Lifecycle.CUTTING_OVER,
        Lifecycle.MONITORING,
    ],
    Lifecycle.MIGRATED: [
        Lifecycle.SYNCING,
        Lifecycle.VALIDATING,
        Lifecycle.READY,
        Lifecycle.CUTTING_OVER,
        Lifecycle.MONITORING,
        Lifecycle.MIGRATED,
    ],
    Lifecycle.FAILED: [Lifecycle.SYNCING, Lifecycle.FAILED],
}
# How many of each state a fleet of 40 has (the rest are ready).
MIX = [
    (Lifecycle.PENDING, 6),
    (Lifecycle.SYNCING, 8),
    (Lifecycle.VALIDATING, 3),
    (Lifecycle.CUTTING_OVER, 2),
    (Lifecycle.MONITORING, 3),
    (Lifecycle.MIGRATED, 5),
    (Lifecycle.FAILED, 1),
]


def matrix_csv(count: int, seed: int) -> str:
    rng = random.Random(seed)
    lines = [
        "Tenant ID,Size,Complexity,Criticality,SLA,Wave,Priority,DNS name,Hosted zone,AWS target,OCI target,"
        "Region,AWS bucket,OCI bucket,Baseline p95 (ms),Baseline error rate"
    ]
    for n in range(1, count + 1):
        size = rng.choice(["2GB", "8GB", "40GB", "250GB", "2TB"])
        sla = rng.choice(["Std", "Std", "Prem", "Ent"])
        lines.append(
            f"T-{n:04d},{size},Standard,Medium,{sla},,Wave,t{n}.tenants.example,Z1EXAMPLE,52.1.0.{n},"
            f"129.213.0.{n},us-east-1,tenant-{n},tenant-{n}-oci,{rng.randint(600, 1500)},0.1%"
        )
    return "\n".join(lines) + "\n"


def build_fleet(path: Path, clock: ManualClock, *, count: int = 40, seed: int = 7, url: str | None = None) -> None:
    """Write the fleet into the store file at `path` (or the PostgreSQL store at `url`; its matrix beside `path`)."""
    rng = random.Random(seed)
    csv = path.parent / "fleet.csv"
    csv.write_text(matrix_csv(count, seed))
    actor = Actor(operator="alice", host="jump-1", ssh_client="10.0.0.5")
    with open_store(url or str(path)) as store:
        events = EventLog(store, actor, clock)
        tenants = TenantStore(store, events)
        import_matrix(tenants, csv)
        ids = [t.tenant_id for t in tenants.find()]
        states: list[Lifecycle] = []
        for state, n in MIX:
            states += [state] * n
        states += [Lifecycle.READY] * (len(ids) - len(states))
        rng.shuffle(states)
        now = clock.now()
        observations = {}
        for tid, state in zip(ids, states, strict=True):
            for step in PATHS.get(state, []):
                tenants.transition(tid, step, why="fixture")
            on_oci = state in (Lifecycle.MONITORING, Lifecycle.MIGRATED)
            obs = {
                "observed_at": now - 5,
                "backends_total": 3,
                "backends_healthy": 3 if rng.random() > 0.1 else 2,
                "health_at": now - 5,
                "dns_oci_share": 1.0 if on_oci else 0.0,
                "dns_at": now - 5,
                "dns_ttl": 60,  # lowered from an hour two hours ago: DNS ready
                "dns_ttl_since": now - 7200,
                "dns_ttl_before": 3600,
                "dns_ttl_safe_at": now - 3600,
                "observed_oci_share": (0.97 if state is Lifecycle.MONITORING else 1.0) if on_oci else 0.0,
                "requests": float(rng.randint(200, 5000)),
                "error_rate": round(rng.uniform(0.0005, 0.002), 4),
                "p95_ms": float(rng.randint(700, 1600)),
                "metrics_at": now - 5,
            }
            if state is Lifecycle.PENDING:
                obs.update(sync_health="")
            elif state is Lifecycle.SYNCING:
                obs.update(sync_health="initial_sync", sync_percent=float(rng.randint(5, 95)), sync_eta_s=3600.0)
            else:
                lag = 0.0 if state is not Lifecycle.READY or rng.random() > 0.2 else 240.0
                obs.update(
                    sync_health="continuous",
                    sync_lag_s=lag,
                    checksum_mismatches=0,
                    verified_at=now - 60,
                    validation_passed=5,
                    validation_total=5,
                    validated_at=now - 1800,
                    hydrated_at=now - 600,
                )
            if state is Lifecycle.MONITORING:
                obs["monitoring_until"] = now + 420
            observations[tid] = obs
        tenants.observe_many(observations)
        sources = SourceStore(store)
        for name, role, interval in (
            ("route53", "dns", 30.0),
            ("cloudwatch", "metrics", 60.0),
            ("rclone", "sync", 60.0),
        ):
            sources.ok(name, role, interval, now - 10)
        sources.error("oci-lb", "health", 30.0, now - 5, "timeout")
        sources.ok("oci-lb", "health", 30.0, now - 200)  # older than two intervals: stale
        events.append(
            "alert",
            "error rate 1.4% above 1% for 2m",
            tenant_id=ids[3],
            why="rule error-rate-sustained",
            detail={"severity": "warning"},
        )
        samples = SampleStore(store)
        first = ids[0]
        samples.add(
            Sample(first, side, now - 3600 + 60 * i, 100.0 + i, 0.1 * (i % 5), 900.0 + 10 * (i % 7), "fixture")
            for i in range(60)
            for side in ("aws", "oci")
        )


def open_session(path: Path, clock: ManualClock, settings: Settings | None = None, url: str | None = None) -> Session:
    settings = settings or Settings(state={"url": url} if url else {"path": path})
    config = LoadedConfig(settings=settings, path=None)
    store = open_store(url or str(path), create=False)
    actor = Actor(operator="alice", host="jump-1", ssh_client="10.0.0.5")
    events = EventLog(store, actor, clock)
    return Session(config, store, actor, clock, events, TenantStore(store, events))


def build_night(
    path: Path, clock: ManualClock, *, ready: int = 24, syncing: int = 18, validating: int = 3, pending: int = 380
) -> None:
    """Tonight's wave as the batch key sees it: `ready` tenants to cut over among a wave of hundreds that are
    not (pending, syncing, validating), all in wave 1, through the real import and lifecycle paths."""
    from engine_helpers import import_runbook, make_ready, write_fleet

    count = ready + syncing + validating + pending
    actor = Actor(operator="alice", host="jump-1", ssh_client="10.0.0.5")
    with Store(path) as store:
        tenants = TenantStore(store, EventLog(store, actor, clock))
        import_runbook(tenants, write_fleet(path.parent / "night.csv", count))
        now = clock.now()
        for number in range(1, ready + 1):
            make_ready(tenants, f"T-{number:04d}", now)
        for number in range(ready + 1, ready + syncing + validating + 1):
            tenants.transition(f"T-{number:04d}", Lifecycle.SYNCING, why="fixture")
            if number > ready + syncing:
                tenants.transition(f"T-{number:04d}", Lifecycle.VALIDATING, why="fixture")
