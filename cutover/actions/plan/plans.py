"""What an action plan is: the operator's request, the tenants it would act on (and those it sets aside,
and why), the safety verdict and the gate's refusals; and the facade's refusals as exceptions with their exit
codes. Operations (operations.py) makes and submits plans; the console and the CLI show them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from cutover.actions.plan import dns_plan
from cutover.actions.plan.capacity import summarise_exclusions
from cutover.actions.plan.gate import GateResult
from cutover.actions.plan.safety import SafetyVerdict
from cutover.model.jobs import JobKind
from cutover.model.lifecycle import DomainError

# The kinds an action plan (PlanRequest) can be; the others are submitted by their own methods.
PLAN_KINDS = (JobKind.FLIP, JobKind.RAMP, JobKind.ROLLBACK, JobKind.BATCH)


class BadRequest(DomainError):
    """The request itself is wrong (no reason, unknown rule, nothing selected): exit code 2."""


class Refused(DomainError):
    """A gate, a safety rule or a lock refused the action; nothing was changed: exit code 3."""

    def __init__(self, message: str, plan: ActionPlan | None = None):
        super().__init__(message)
        self.plan = plan


class ReadOnly(Refused):
    pass


class ResumeRefused(Refused):
    """A resume the engine would undo at once: the safety rules still refuse the batch's next group."""

    def __init__(self, job_id: str, verdict: SafetyVerdict):
        rules = "; ".join(f"{refusal.rule}: {refusal.message}" for refusal in verdict.blocking)
        super().__init__(
            f"{job_id} would be held again at once: {rules}. Resume with break-glass (--break-glass RULE=REASON) "
            "if you mean to go on past it"
        )
        self.job_id = job_id
        self.verdict = verdict


class NeedsConfirmation(DomainError):
    def __init__(self, phrase: str):
        super().__init__(f"this action is not confirmed: type {phrase!r} to confirm")
        self.phrase = phrase


@dataclass(frozen=True)
class PlanRequest:
    """What the operator asked for, kept so the plan can be made again at submit time."""

    kind: str
    tenant_ids: tuple[str, ...] = ()
    wave: int | None = None
    all_in_flight: bool = False
    count: int | None = None
    group_size: int | None = None
    interval: float | None = None
    monitor: float | None = None
    stages: tuple[int, ...] | None = None
    hold: float | None = None
    overrides: Mapping[str, str] = field(default_factory=dict)
    window: str | None = None  # "01:00-03:00": the window coordinated with the customer (tenant-local)

    @classmethod
    def flip(cls, tenant_ids: Sequence[str], **kwargs: Any) -> PlanRequest:
        return cls(JobKind.FLIP, tuple(tenant_ids), **kwargs)

    @classmethod
    def ramp(cls, tenant_ids: Sequence[str], **kwargs: Any) -> PlanRequest:
        return cls(JobKind.RAMP, tuple(tenant_ids), **kwargs)

    @classmethod
    def rollback(cls, tenant_ids: Sequence[str] = (), *, all_in_flight: bool = False) -> PlanRequest:
        return cls(JobKind.ROLLBACK, tuple(tenant_ids), all_in_flight=all_in_flight)

    @classmethod
    def batch(cls, tenant_ids: Sequence[str] = (), *, wave: int | None = None, **kwargs: Any) -> PlanRequest:
        return cls(JobKind.BATCH, tuple(tenant_ids), wave=wave, **kwargs)

    def with_overrides(self, overrides: Mapping[str, str]) -> PlanRequest:
        return replace(self, overrides=dict(overrides))


@dataclass(frozen=True)
class PlannedTarget:
    tenant_id: str
    group_no: int
    gate: GateResult | None  # None for a rollback: rollback is never gated
    change: dns_plan.ChangeLine
    lifecycle: str
    note: str = ""  # "takes over from batch-3"; "runs final sync and verification first"
    picked: str = ""  # a batch's reason for picking it: "queue #1: Pilot, wave 1"

    def to_json(self) -> dict[str, object]:
        return {
            "tenant": self.tenant_id,
            "group": self.group_no,
            "lifecycle": self.lifecycle,
            "gate": self.gate.to_json() if self.gate else None,
            "dns": self.change.to_json(),
            "note": self.note,
            "picked": self.picked,
        }


@dataclass(frozen=True)
class Exclusion:
    tenant_id: str
    reason: str

    def to_json(self) -> dict[str, str]:
        return {"tenant": self.tenant_id, "reason": self.reason}


class RefusalRule(StrEnum):
    """Why an action cannot take a tenant it was asked to act on."""

    LOCKED = "locked"  # another job holds the tenant
    ROLLING_BACK = "rolling-back"  # a rollback already holds it (or it is rolling back)
    NOTHING_ON_OCI = "nothing-on-oci"  # a rollback of a tenant whose traffic is on AWS
    DNS_MOVED = "dns-moved"  # a ready tenant's record no longer sends everything to AWS: changed by hand?
    GATE = "gate"  # the decision gate refuses it (its checks are in `gate`)
    OTHER_WAR_ROOM = "other-war-room"  # outside this war room's part of the fleet: another one drives it


@dataclass(frozen=True)
class TenantRefusal:
    """One named tenant an action cannot act on, as data: the rule and the numbers behind it (the gate's checks
    for a gate refusal). Words are made only where they are shown: `reason()` as a list of set-aside tenants
    reads (`held by flip-3 (flip by alice, running)`), `describe()` as a sentence (`T-0042 is held by ...`)."""

    tenant_id: str
    rule: RefusalRule
    numbers: Mapping[str, Any] = field(default_factory=dict)
    gate: GateResult | None = None

    def reason(self) -> str:
        numbers = self.numbers
        if self.rule is RefusalRule.LOCKED:
            return f"held by {numbers['job_id']} ({numbers['kind']} by {numbers['operator']}, {numbers['state']})"
        if self.rule is RefusalRule.ROLLING_BACK:
            return "already rolling back" + (f" ({numbers['job_id']})" if numbers.get("job_id") else "")
        if self.rule is RefusalRule.NOTHING_ON_OCI:
            return f"{numbers['lifecycle']}: nothing to roll back (its traffic is on AWS)"
        if self.rule is RefusalRule.DNS_MOVED:
            return (
                f"DNS already sends {numbers['oci_share'] * 100:.0f} % to OCI ({numbers['routing']}) "
                "although it is ready: changed by hand? look before acting"
            )
        if self.rule is RefusalRule.OTHER_WAR_ROOM:
            return f"outside {numbers['war_room']}: the war room whose part it is drives it"
        return _gate_reason(self.gate) if self.gate is not None else "refused by the gate"

    def describe(self) -> str:
        if self.rule is RefusalRule.GATE and self.gate is not None:
            return self.gate.describe()
        verb = "" if self.rule is RefusalRule.DNS_MOVED else "is "
        return f"{self.tenant_id} {verb}{self.reason()}"

    def to_json(self) -> dict[str, object]:
        return {
            "tenant": self.tenant_id,
            "rule": self.rule.value,
            "numbers": dict(self.numbers),
            "reason": self.reason(),
        }


def _gate_reason(gate: GateResult) -> str:
    """A gate refusal as a list of set-aside tenants reads: the lifecycle alone when that blocks (`pending, must be
    ready`: the rest follows from it), else `gate: ` and each blocking check the cutover cannot fix itself."""
    blocked = [check for check in gate.blocking if not check.remedy]
    lifecycle = next((check for check in blocked if check.name == "lifecycle"), None)
    if lifecycle is not None:
        return lifecycle.evidence
    return "gate: " + ", ".join(
        check.evidence if check.evidence.startswith(check.name) else f"{check.name} {check.evidence}"
        for check in blocked
    )


@dataclass(frozen=True)
class ActionPlan:
    request: PlanRequest
    targets: tuple[PlannedTarget, ...]
    excluded: tuple[Exclusion, ...]
    params: Mapping[str, Any]
    safety: SafetyVerdict
    gate_refusals: tuple[GateResult, ...]
    other_refusals: tuple[TenantRefusal, ...]  # locks, wrong states, DNS already changed by hand
    planned_at: float
    operator: str

    @property
    def kind(self) -> JobKind:
        return JobKind(self.request.kind)  # a plan exists only for a kind in PLAN_KINDS

    @property
    def tenant_ids(self) -> tuple[str, ...]:
        return tuple(target.tenant_id for target in self.targets)

    @property
    def groups(self) -> tuple[tuple[str, ...], ...]:
        groups: dict[int, list[str]] = {}
        for target in self.targets:
            groups.setdefault(target.group_no, []).append(target.tenant_id)
        return tuple(tuple(ids) for _, ids in sorted(groups.items()))

    @property
    def problems(self) -> tuple[str, ...]:
        """Every reason this plan cannot run, in words with numbers; empty when it may."""
        found = [refusal.describe() for refusal in self.other_refusals]
        found += [gate.describe() for gate in self.gate_refusals]
        found += [f"{refusal.rule}: {refusal.message}" for refusal in self.safety.blocking]
        if not self.targets and not found:
            found.append("no tenant to act on" + (f" ({len(self.excluded)} excluded)" if self.excluded else ""))
        return tuple(found)

    @property
    def ok(self) -> bool:
        return not self.problems

    def exclusion_summary(self) -> list[str]:
        """The excluded tenants for a person: counted by reason, a few names each."""
        return summarise_exclusions([(e.tenant_id, e.reason) for e in self.excluded])

    @property
    def confirm_phrase(self) -> str:
        if len(self.targets) == 1:
            return self.targets[0].tenant_id
        return f"{self.kind} {len(self.targets)}"

    @property
    def needs_confirmation(self) -> bool:
        return len(self.targets) > 1

    @property
    def change_sets(self) -> tuple[dns_plan.ChangeSet, ...]:
        if self.kind == JobKind.BATCH:
            # The first group's changes; each later group's are computed when it starts.
            return dns_plan.group_by_zone([t.change for t in self.targets if t.group_no == 0], per_tenant=True)
        return dns_plan.group_by_zone([t.change for t in self.targets], per_tenant=self.kind != JobKind.ROLLBACK)

    def to_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "ok": self.ok,
            "problems": list(self.problems),
            "confirm_phrase": self.confirm_phrase,
            "targets": [target.to_json() for target in self.targets],
            "groups": [list(group) for group in self.groups],
            "excluded": [exclusion.to_json() for exclusion in self.excluded],
            "params": dict(self.params),
            "safety": [refusal.to_json() for refusal in self.safety.refusals],
            "change_sets": [change.to_json() for change in self.change_sets],
        }


@dataclass(frozen=True)
class Rehearsal:
    plan: ActionPlan
    change_sets: tuple[dns_plan.ChangeSet, ...]
    dns_read_live: bool  # False: the "from" side is the store's last DNS read

    def to_json(self) -> dict[str, object]:
        return {
            **self.plan.to_json(),
            "dry_run": True,
            "dns_read_live": self.dns_read_live,
            "change_sets": [c.to_json() for c in self.change_sets],
        }
