"""From a key press to a plan the operator can confirm: the frozen target set and who is left out, and why.

The engine's operations facade plans every action (gate, safety rules, locks);
this module turns its plan into what the confirmation dialog shows. For a
cutover, ramp or rollback of several tenants, the tenants the plan refuses are
set aside with their reason and the rest are planned again, so the operator
confirms exactly the set that will run: "23 eligible, 2 excluded: T-0088 sync
lag 4 min, T-0156 gate: backends 2/3". Refusals that concern the whole action
(a safety rule such as too many tenants in flight) are not set aside: the
action is refused, with the rule and its numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from cutover.config.units import format_duration
from cutover.console.controller.targets import TargetSet
from cutover.model.jobs import JobKind, noun_of, verb_of
from cutover.state.readiness import ON_OCI, ReadinessStore, strands_line

if TYPE_CHECKING:
    from cutover.actions.plan.operations import Operations
    from cutover.actions.plan.plans import ActionPlan, PlanRequest
    from cutover.actions.plan.safety import Refusal

# actions/plan (acting, the plans, the safety rules: some 20 modules) is imported by the functions that plan,
# at the first action: the console's first paint does not wait for it (its engine imports it by then).


def submitted_text(job_id: str, kind: str, tenants: int, runs: str) -> str:
    """The toast after a submission: "batch-2 submitted: a batch of 24 tenants; the engine (root) runs it"."""
    noun = noun_of(kind)
    article = "an" if noun[0] in "aeiou" else "a"
    return f"{job_id} submitted: {article} {noun} of {tenants} tenant{'s' * (tenants != 1)}; {runs}"


@dataclass(frozen=True)
class Prepared:
    """A plan ready for the dialog, or the reasons there is nothing to confirm."""

    plan: ActionPlan | None
    targets: TargetSet
    problems: tuple[str, ...] = ()
    # The safety rules that refuse the action: break-glass (a reason) can override them, nothing else.
    overridable: tuple[Refusal, ...] = ()

    @property
    def can_confirm(self) -> bool:
        return self.plan is not None and not self.problems and bool(self.targets.eligible)

    @property
    def only_safety_refuses(self) -> bool:
        """Everything else is fine: overriding the refusing safety rules would let the action go on."""
        return (
            self.plan is not None
            and bool(self.overridable)
            and bool(self.targets.eligible)
            and len(self.problems) == len(self.overridable)
        )


def way_back_lines(ops: Operations, tenant_ids: Sequence[str]) -> list[str]:
    """What a rollback of these tenants does to their data, from the engine's last measure (read from the
    store, off the UI loop): `T-0042: a rollback now strands 42 objects, 3.1MB written on OCI since 02:14
    EST; a reverse sync runs first`, then the AWS side when it is measured: `T-0042: AWS 3/3 targets healthy
    (40s ago)`. It informs: nothing here refuses a rollback."""
    settings = ops.settings
    with ops.session.store.read():
        tenants = [ops.session.tenants.get(tid) for tid in tenant_ids]
        measured = ReadinessStore(ops.session.store).get([t.tenant_id for t in tenants if t.lifecycle in ON_OCI])
    mode, zone = settings.rollback.reverse_sync, settings.safety.window.zone
    now = ops.session.clock.now()
    lines = []
    for t in tenants:
        if t.lifecycle not in ON_OCI:
            continue
        readiness = measured.get(t.tenant_id)
        lines.append(f"{t.tenant_id}: {strands_line(readiness, mode, zone)}")
        if readiness is not None and readiness.aws_measured:  # what the rollback lands on, when measured
            lines.append(f"{t.tenant_id}: {readiness.aws_text(now)}")
    return lines


def rollback_lines(plan: ActionPlan, rollbacks_tonight: int, limit: int, way_back: Sequence[str] = ()) -> list[str]:
    """What a rollback will do to the data (when the tenant is on OCI), to DNS (per zone, one change set
    each) and to tonight's rollback counter."""
    lines = list(way_back)
    for change_set in plan.change_sets:
        records = sum(line.name.count(", ") + 1 for line in change_set.lines)  # a tenant's names, each a record
        lines.append(
            f"DNS zone {change_set.zone}: one change set ({records} record{'s' * (records != 1)}, applied together)"
        )
        lines += [f"  {line.tenant_id} {line.name}: {line.before} -> {line.after}" for line in change_set.lines]
    after = rollbacks_tonight + len(plan.targets)
    if after >= limit:
        lines.append(
            f"this takes rollbacks to {after}, the limit is {limit}: tonight's batch will stop "
            "(no further cutover tonight without break-glass)"
        )
    else:
        lines.append(f"rollbacks tonight: {after} of {limit} after this")
    return lines


def _detail(plan: ActionPlan, rollbacks_tonight: int = 0, limit: int = 0, way_back: Sequence[str] = ()) -> str:
    by_note: dict[str, list[str]] = {}
    for target in plan.targets:
        if target.note:
            by_note.setdefault(target.note, []).append(target.tenant_id)
    doer = "the rollback" if plan.kind == JobKind.ROLLBACK else "the cutover"
    lines = [f"{', '.join(ids)}: {doer} {note}" for note, ids in by_note.items()]
    if plan.kind != JobKind.ROLLBACK:  # a rollback's lines list every name per zone (rollback_lines)
        for target in plan.targets:
            names = target.change.name.split(", ")
            if len(names) > 1:
                lines.append(
                    f"{target.tenant_id}: its {len(names)} DNS names move together, one change set per zone "
                    f"({', '.join(names)})"
                )
    if plan.kind == JobKind.ROLLBACK:
        lines += rollback_lines(plan, rollbacks_tonight, limit, way_back)
    if plan.kind == JobKind.BATCH:
        from cutover.actions.plan.batch_schedule import schedule_lines, stored_times, zone_of

        monitor = float(plan.params.get("monitor", 0))
        lines += schedule_lines(stored_times(plan.params), plan.groups, plan.planned_at, zone_of(plan.params))
        lines += list(plan.params.get("waits", ()))
        lines.append(
            f"each group is monitored {format_duration(monitor)} and the next changes DNS only after it "
            "(times are expected); any rollback stops the line"
        )
    for refusal in plan.safety.refusals:
        if refusal.overridden:
            lines.append(f"overridden: {refusal.rule} ({refusal.overridden})")
    return "\n".join(lines)


def prepare(ops: Operations, request: PlanRequest) -> Prepared:
    """The shared act-on-tenants flow (actions/plan/acting.py), ready for the dialog: the tenants set aside
    listed with their reasons, the rest planned."""
    from cutover.actions.plan.acting import act_on_tenants
    from cutover.actions.plan.safety import read_fleet

    word = verb_of(request.kind)
    acting = act_on_tenants(ops, request)
    plan = acting.plan
    if request.kind == JobKind.BATCH and plan is not None:
        targets = TargetSet(word, plan.tenant_ids, tuple((e.tenant_id, e.reason) for e in plan.excluded), _detail(plan))
        # A batch refused by safety rules alone (the window, the night's go/no-go...) may break glass too.
        return Prepared(plan, targets, acting.problems, acting.overridable)
    set_aside = tuple((refusal.tenant_id, refusal.reason()) for refusal in acting.set_aside)
    if plan is None:
        return Prepared(None, TargetSet(word, (), set_aside), acting.problems)
    rollbacks = 0
    way_back: list[str] = []
    if plan.kind == JobKind.ROLLBACK:
        with ops.session.store.read():
            rollbacks = len(read_fleet(ops.facts, [], plan.planned_at, ops.settings).rollbacks_tonight)
        way_back = way_back_lines(ops, plan.tenant_ids)
    limit = ops.settings.safety.max_rollbacks_per_night
    targets = TargetSet(word, plan.tenant_ids, set_aside, _detail(plan, rollbacks, limit, way_back))
    return Prepared(plan, targets, acting.problems, acting.overridable)


# Stopping harm stays one key away: these come prefilled (the operator may overwrite them).
ROLLBACK_REASON = "rollback from the console"
PAUSE_REASON = "pause from the console"


def prefilled_reason(kind: str) -> str:
    """What the confirmation's reason field holds when it opens: empty (the operator must say why), or
    for a rollback a stock reason, so the rollback is never slowed down by typing."""
    return ROLLBACK_REASON if kind == JobKind.ROLLBACK else ""
