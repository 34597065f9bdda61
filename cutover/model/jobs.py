"""Job kinds and job states: ONE registry saying, for each kind, what the operator calls it and the steps it
records, and the states a job, its targets and its steps pass through (the store keeps their values).

A job's kind is stored as its string value (`flip`, `ttl`, ...); code compares and dispatches on
`JobKind`, never on a bare string, so a misspelt kind is an error at check time, not a KeyError at 3 AM.
Adding a kind: a member here, its `KindSpec` in KINDS (with its parameters class in `model/job_params.py`),
its flow in `actions/engine/flows/`, registered with `@runs(JobKind.X)` (a test checks every kind has one).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from cutover.model.job_params import (
    BatchParams,
    CutoverParams,
    DecommissionParams,
    KindParams,
    NoParams,
    RampParams,
    RollbackParams,
    SyncParams,
)


class JobKind(StrEnum):
    FLIP = "flip"
    RAMP = "ramp"
    ROLLBACK = "rollback"
    BATCH = "batch"
    SYNC = "sync"
    VALIDATE = "validate"
    DECOMMISSION = "decommission"
    LOWER_TTL = "ttl"  # job ids read "ttl-3"


class StepName(StrEnum):
    """The steps a job records for a tenant (a ramp's stage steps, "dns 25 %", are made from its stages).
    Stored as their values; a flow asks for its step by these names, never by a bare string."""

    HYDRATE = "hydrate"
    FINAL_SYNC = "final_sync"
    VERIFY = "verify"
    GATE = "gate"
    DNS_CHANGE = "dns_change"
    DNS_INSYNC = "dns_insync"
    TRAFFIC = "traffic"
    MONITORING = "monitoring"
    START_SYNC = "start_sync"
    VALIDATE = "validate"
    RETIRE = "retire"
    LOWER_TTL = "lower_ttl"
    REVERSE_SYNC = "reverse_sync"
    RPO = "rpo"
    TRAFFIC_BACK = "traffic_back"


# The steps each kind records per tenant, in order. The final sync and its verification come last before
# the gate and the DNS change: the final sync holds writes for a few minutes, and the DNS change must land
# inside that. A ramp records its preflight, then a DNS change and a hold per stage (actions/plan/ramp_stages.py).
CUTOVER_STEPS: tuple[str, ...] = (
    StepName.HYDRATE,
    StepName.FINAL_SYNC,
    StepName.VERIFY,
    StepName.GATE,
    StepName.DNS_CHANGE,
    StepName.DNS_INSYNC,
    StepName.TRAFFIC,
    StepName.MONITORING,
)
RAMP_PREFLIGHT: tuple[str, ...] = (StepName.HYDRATE, StepName.FINAL_SYNC, StepName.VERIFY, StepName.GATE)
SYNC_STEPS: dict[str, tuple[str, ...]] = {
    "start": (StepName.START_SYNC,),
    "final": (StepName.FINAL_SYNC, StepName.VERIFY),
    "verify": (StepName.VERIFY,),
}
VALIDATE_STEPS: tuple[str, ...] = (StepName.VALIDATE,)
DECOMMISSION_STEPS: tuple[str, ...] = (StepName.VERIFY, StepName.RETIRE)
LOWER_TTL_STEPS: tuple[str, ...] = (StepName.LOWER_TTL, StepName.DNS_INSYNC)
REVERSE_STEP, RPO_STEP = StepName.REVERSE_SYNC, StepName.RPO  # a rollback's data (actions/engine/flows/reverse.py)


def rollback_steps(reverse_sync: str) -> tuple[str, ...]:
    """A rollback's steps in the order they run under `rollback.reverse_sync` (before-dns, after-dns, off),
    one definition for every way a rollback is submitted (by hand, by a trigger, by a ramp's breach)."""
    if reverse_sync == "before-dns":
        return (REVERSE_STEP, StepName.DNS_CHANGE, StepName.DNS_INSYNC, StepName.TRAFFIC_BACK, RPO_STEP)
    return (StepName.DNS_CHANGE, StepName.DNS_INSYNC, StepName.TRAFFIC_BACK, REVERSE_STEP, RPO_STEP)


@dataclass(frozen=True)
class KindSpec:
    kind: JobKind
    verb: str  # what the operator is asked to confirm: "cut over"
    noun: str  # what a submitted job is called: "a cutover of 3 tenants"
    to_oci: bool = False  # moves tenants towards OCI: capped per wave and night, held by tenant holds
    preempts: bool = False  # takes its tenants from any other job holding them (a rollback)
    params: type[KindParams] = NoParams  # what it is asked, with defaults from the settings (model/job_params.py)


KINDS: dict[JobKind, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(JobKind.FLIP, "cut over", "cutover", to_oci=True, params=CutoverParams),
        KindSpec(JobKind.RAMP, "ramp", "ramp", to_oci=True, params=RampParams),
        KindSpec(JobKind.ROLLBACK, "roll back", "rollback", preempts=True, params=RollbackParams),
        KindSpec(JobKind.BATCH, "start the batch", "batch", to_oci=True, params=BatchParams),
        KindSpec(JobKind.SYNC, "sync", "sync", params=SyncParams),
        KindSpec(JobKind.VALIDATE, "validate", "validation"),
        KindSpec(JobKind.DECOMMISSION, "decommission", "decommission", params=DecommissionParams),
        KindSpec(JobKind.LOWER_TTL, "lower the TTL", "TTL change"),
    )
}

TO_OCI_KINDS = frozenset(kind for kind, spec in KINDS.items() if spec.to_oci)
PREEMPTING_KINDS = frozenset(kind for kind, spec in KINDS.items() if spec.preempts)


def verb_of(kind: str) -> str:
    """What the operator is asked to confirm for a kind ("cut over"); an unknown kind as it is stored."""
    spec = kind_spec(kind)
    return spec.verb if spec else kind


def noun_of(kind: str) -> str:
    """What a job of a kind is called ("cutover"); an unknown kind as it is stored."""
    spec = kind_spec(kind)
    return spec.noun if spec else kind


def kind_spec(kind: str) -> KindSpec | None:
    """The spec of a stored kind; None for one this version does not know (a newer version's job)."""
    try:
        return KINDS[JobKind(kind)]
    except ValueError:
        return None


def step_names(kind: str, stages: Sequence[int] = (), reverse_sync: str = "before-dns") -> tuple[str, ...]:
    """The steps a job of `kind` records for each tenant: a ramp's per stage, a rollback's in its order."""
    if kind in (JobKind.FLIP, JobKind.BATCH):
        return CUTOVER_STEPS
    if kind == JobKind.RAMP:
        stage_steps = [
            name for percent in stages for name in (f"dns {percent} %", f"hold {percent} %") if name != "hold 100 %"
        ]
        return (*RAMP_PREFLIGHT, *stage_steps, "monitoring")
    return rollback_steps(reverse_sync)


# --- the states a job, a target and a step pass through ----------------------------------


class JobState(StrEnum):
    QUEUED = "queued"  # in the store, waiting for the engine that leads
    RUNNING = "running"
    PAUSED = "paused"  # by an operator: no new step that changes DNS starts; triggers stay armed
    HELD = "held"  # stopped the line: waits for a human (held_reason says why)
    SUCCEEDED = "succeeded"
    FAILED = "failed"  # something went wrong or a tenant was rolled back (see the targets)
    ABORTED = "aborted"
    REFUSED = "refused"  # a gate or a safety rule refused it before anything changed


TERMINAL = frozenset({JobState.SUCCEEDED, JobState.FAILED, JobState.ABORTED, JobState.REFUSED})
ACTIVE = frozenset(JobState) - TERMINAL


class TargetState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"  # its change was undone (by a trigger, an operator or an aborted ramp)
    REFUSED = "refused"  # the gate or a safety rule refused it; nothing changed
    ABORTED = "aborted"  # stopped before its DNS change; nothing changed
    PREEMPTED = "preempted"  # a rollback job took the tenant over


TARGET_DONE = frozenset(TargetState) - {TargetState.PENDING, TargetState.RUNNING}


class StepState(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"
    SUPERSEDED = "superseded"  # another job (a rollback) took the tenant over before this step ended


class Control(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    SKIP = "skip"  # a ramp: go to the next stage now
    STEP_BACK = "step_back"  # a ramp: go back to the stage below and wait there for a resume
    ABORT = "abort"
