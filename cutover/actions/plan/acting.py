"""Acting on tenants, the one flow the console and the CLI share: plan what was asked, set aside each tenant
the plan cannot act on (with its refusal as data), plan the rest again; the caller confirms and submits.

The console always acts on the rest, showing what was set aside and why. The CLI refuses the whole action
when a tenant is set aside, unless the operator said `--skip-refused`; then it acts on the rest too.
A batch picks its own tenants and leaves out those it cannot take (`ActionPlan.excluded`): nothing is set
aside from it here.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from cutover.actions.plan.operations import Operations
from cutover.actions.plan.plans import ActionPlan, PlanRequest, RefusalRule, TenantRefusal
from cutover.actions.plan.safety import Refusal
from cutover.model.jobs import JobKind


@dataclass(frozen=True)
class TenantsToAct:
    """What an action would do once the tenants it cannot take are set aside."""

    asked: ActionPlan  # the plan over every tenant asked for (its `problems` say everything that refuses it)
    plan: ActionPlan | None  # the plan over the rest; None when every tenant asked for is set aside
    set_aside: tuple[TenantRefusal, ...]  # in the order the tenants were asked for
    problems: tuple[str, ...]  # what refuses `plan` itself: safety rules, refusals of tenants not asked for
    overridable: tuple[Refusal, ...]  # the safety rules among them: break-glass (a reason) can override these

    @property
    def can_submit(self) -> bool:
        return self.plan is not None and not self.problems and bool(self.plan.targets)

    @property
    def only_safety_refuses(self) -> bool:
        """Everything else is fine: overriding the refusing safety rules would let the action go on."""
        return (
            self.plan is not None
            and bool(self.overridable)
            and bool(self.plan.targets)
            and len(self.problems) == len(self.overridable)
        )


def _refusals_of(plan: ActionPlan) -> list[TenantRefusal]:
    gated = [TenantRefusal(gate.tenant_id, RefusalRule.GATE, gate=gate) for gate in plan.gate_refusals]
    return [*gated, *plan.other_refusals]


def act_on_tenants(ops: Operations, request: PlanRequest) -> TenantsToAct:
    """Plan the request; set aside the tenants asked for that the plan refuses; plan the rest again."""
    plan = asked_plan = ops.plan(request)
    if request.kind == JobKind.BATCH:
        return TenantsToAct(plan, plan, (), plan.problems, plan.safety.blocking)
    asked = request.tenant_ids or plan.tenant_ids
    set_aside: dict[str, TenantRefusal] = {}
    for _ in range(2):  # a second pass: setting a tenant aside changes nothing for the others, but be sure
        found = {refusal.tenant_id: refusal for refusal in _refusals_of(plan) if refusal.tenant_id in asked}
        if not found:
            break
        set_aside.update(found)
        keep = tuple(tenant_id for tenant_id in asked if tenant_id not in set_aside)
        if not keep:
            rest = tuple(r.describe() for r in _refusals_of(plan) if r.tenant_id not in asked)
            return TenantsToAct(asked_plan, None, _in_order(set_aside, asked), rest, ())
        plan = ops.plan(replace(request, tenant_ids=keep, all_in_flight=False))
    rest = tuple(r.describe() for r in _refusals_of(plan) if r.tenant_id not in asked)
    problems = rest + tuple(f"{refusal.rule}: {refusal.message}" for refusal in plan.safety.blocking)
    return TenantsToAct(asked_plan, plan, _in_order(set_aside, asked), problems, plan.safety.blocking)


def _in_order(set_aside: dict[str, TenantRefusal], asked: tuple[str, ...]) -> tuple[TenantRefusal, ...]:
    return tuple(set_aside[tenant_id] for tenant_id in asked if tenant_id in set_aside)
