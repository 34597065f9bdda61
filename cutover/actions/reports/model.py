"""What a report says, as typed records: gathered from the store (tenant.py, night.py), rendered by templates.

Times are epoch seconds; the templates format them in the report's zone (the
migration window's). Nothing here is a credential: reports are handed to
customers and auditors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cutover.actions.reports.seal import Seal

RECOVERY_TARGET_S = 180.0  # the runbook: DNS reverts to AWS within 2-3 minutes of the decision


@dataclass(frozen=True)
class Action:
    """One line of the audit trail: who, when, what and why."""

    seq: int
    at: float
    operator: str
    host: str
    kind: str
    what: str
    why: str
    job_id: str
    hash: str


@dataclass(frozen=True)
class StepRecord:
    name: str
    state: str
    started_at: float | None
    ended_at: float | None
    result: str
    request_ids: tuple[str, ...]


@dataclass(frozen=True)
class JobRecord:
    job_id: str
    kind: str
    state: str
    operator: str
    reason: str
    created_at: float
    ended_at: float | None
    outcome: str  # the tenant's outcome in the job ("succeeded: in sync 55 s, ...")
    steps: tuple[StepRecord, ...]


@dataclass(frozen=True)
class GateCheck:
    name: str
    result: str
    evidence: str
    overridden: str


@dataclass(frozen=True)
class GateEvidence:
    job_id: str
    at: float
    passed: bool
    result: str
    checks: tuple[GateCheck, ...]


@dataclass(frozen=True)
class Verification:
    """A comparison of both sides by checksum (before the DNS change, on request, before decommission)."""

    job_id: str
    kind: str  # the job's kind: flip, batch, sync, decommission
    at: float
    passed: bool
    result: str
    objects_checked: int | None
    differ: int | None
    missing: int | None


@dataclass(frozen=True)
class Validation:
    job_id: str
    at: float
    passed: bool
    result: str


@dataclass(frozen=True)
class SideFigures:
    side: str  # aws | oci
    samples: int
    requests: float
    error_rate: float | None
    p95_ms: float | None  # the worst (highest) sample p95 in the period


@dataclass(frozen=True)
class Period:
    """Both sides over one period (before the DNS change, after the traffic moved)."""

    label: str
    start: float
    end: float
    aws: SideFigures
    oci: SideFigures


@dataclass(frozen=True)
class Downtime:
    measured: bool  # there were samples of both sides covering the cutover
    seconds: float
    windows: tuple[tuple[float, float], ...]  # when neither side answered a request
    covered_from: float | None
    covered_to: float | None


@dataclass(frozen=True)
class DnsChange:
    job_id: str
    step: str
    change_id: str
    to: str
    submitted_at: float | None
    insync_at: float | None
    insync_after_s: float | None


@dataclass(frozen=True)
class Signed:
    """An approval, a break-glass override, a checkpoint or the decommission: who, when, why, and what."""

    at: float
    operator: str
    what: str
    why: str
    job_id: str = ""
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class TenantReport:
    tenant_id: str
    name: str
    tier: str
    wave: int
    dns_name: str
    aws_target: str
    oci_target: str
    lifecycle: str
    baseline_p95_ms: float | None
    baseline_error_rate: float | None
    generated_at: float
    generated_by: str
    zone: str
    actions: tuple[Action, ...]
    jobs: tuple[JobRecord, ...]
    gates: tuple[GateEvidence, ...]
    verifications: tuple[Verification, ...]
    validations: tuple[Validation, ...]
    periods: tuple[Period, ...]
    samples_from: float | None
    samples_kept_s: float
    downtime: Downtime
    dns_changes: tuple[DnsChange, ...]
    approvals: tuple[Signed, ...]
    overrides: tuple[Signed, ...]
    checkpoints: tuple[Signed, ...]
    decommission: Signed | None
    rollbacks: tuple[Signed, ...]
    seal: Seal


@dataclass(frozen=True)
class Moved:
    tenant_id: str
    at: float
    job_id: str


@dataclass(frozen=True)
class Recovery:
    tenant_id: str
    job_id: str
    decided_at: float
    operator: str
    why: str
    insync_after_s: float | None
    traffic_back_after_s: float | None

    @property
    def within_target(self) -> bool | None:
        if self.traffic_back_after_s is None:
            return None
        return self.traffic_back_after_s <= RECOVERY_TARGET_S


@dataclass(frozen=True)
class Hold:
    job_id: str
    at: float
    reason: str
    resumed_at: float | None
    resumed_by: str  # who asked for the resume (or the abort), "" while still held
    ended_how: str  # resumed | aborted | still held | ended


@dataclass(frozen=True)
class OnDuty:
    operator: str
    hosts: tuple[str, ...]
    first_at: float
    last_at: float
    actions: int
    led_engine: bool


@dataclass(frozen=True)
class NightReport:
    date: str
    start: float
    end: float
    zone: str
    generated_at: float
    generated_by: str
    jobs: tuple[JobRecord, ...]
    moved: tuple[Moved, ...]
    recoveries: tuple[Recovery, ...]
    holds: tuple[Hold, ...]
    overrides: tuple[Signed, ...]
    on_duty: tuple[OnDuty, ...]
    alerts: int
    critical: int
    recovery_target_s: float = RECOVERY_TARGET_S
