"""What a console or a headless command may ask of the engine: the operations facade.

Every operation reads the store and, for actions, writes a job to it; the engine
that leads (the lease holder, maybe in another process) picks the job up and
runs it. Nothing here calls a cloud except `dry_run`, which reads DNS records
(never changes them) when it is given providers.

The shape of an action, the same for the console and the headless commands:

    ops = Operations(session)                       # read_only=True refuses every action
    plan = ops.plan(PlanRequest.flip(["T-0042"]))    # or .ramp / .rollback / .batch
    plan.targets, plan.excluded, plan.groups         # the frozen target set; who is left out and why
    plan.problems                                    # every refusal: gate checks, safety rules (with numbers), locks
    plan.confirm_phrase                              # what the operator types to confirm ("batch 25")
    rehearsal = await ops.dry_run(plan, reason=...)  # exact DNS change sets, gates, safety; changes nothing;
                                                     # records a rehearsal event per tenant
    job = ops.submit(plan, reason=..., confirmation=typed)   # -> Job; raises Refused, NeedsConfirmation,
                                                             #    BadRequest, ReadOnly
    ops.pause(job.job_id, reason=...) / resume / skip / abort
    ops.approve(["T-0999"], reason=...)              # a second operator's approval (enterprise tier)
    ops.gate(["T-0042"])                             # -> [GateResult]: the decision gate over the store
    ops.sync(["T-0042"], mode="start", reason=...)   # -> Job: start continuous sync (pending -> syncing);
                                                     #    mode "final": final sync + verification; "verify"
    ops.validate(["T-0042"], reason=...)             # -> Job: the validation suite; all pass: validating -> ready

Break-glass: `PlanRequest(..., overrides={"max-cutting-over": "why"})` turns that
rule's refusal into an override; `submit` records each one in the audit trail
(kind `break-glass`, with the rule, its numbers, the operator and the reason).

Submitting plans again from the current store and refuses if the target set
changed since the plan was shown: what the operator confirmed is what runs.

The engine that leads (`actions/engine/engine.py`) runs submitted jobs; pass
`on_submit=engine.wake` when one runs in this process, so it looks at once.
"""

from __future__ import annotations

import asyncio

from cutover.actions.plan import dns_plan
from cutover.actions.plan.dns_names import read_every_name
from cutover.actions.plan.job_controls import JobControls
from cutover.actions.plan.operations_base import OperationsBase
from cutover.actions.plan.planning import Planning
from cutover.actions.plan.plans import ActionPlan, BadRequest, NeedsConfirmation, Refused, Rehearsal
from cutover.actions.plan.preparing import Preparing
from cutover.actions.plan.war_room import WarRoomRecords
from cutover.model.jobs import JobKind, step_names
from cutover.model.routing import DnsRecord
from cutover.state.facts import REHEARSAL
from cutover.state.job_records import Job, LockConflict, NewTarget
from cutover.state.leases import Lease, who


class Operations(Planning, JobControls, Preparing, WarRoomRecords, OperationsBase):
    """The facade. Cheap to build; safe to use from the console's UI thread (short store reads and writes)."""

    def leader(self) -> Lease | None:
        """The engine that leads (runs pollers, triggers and jobs), if any is alive."""
        return self.leases.leader()

    def overlapping_leaders(self) -> list[str]:
        """Other war rooms' engines that lead a part of the fleet overlapping this war room's, in words: while
        one leads, this war room's engine cannot (config/war_room.py)."""
        room = self.settings.war_room.room()
        found = []
        for lease in self.leases.engines_leading():
            other = lease.war_room
            if lease.name != room.lease and other.overlaps(room):
                found.append(f"{other.describe()} leads ({who(lease.holder_info)}), overlapping this one")
        return found

    def submit(
        self,
        plan: ActionPlan,
        *,
        reason: str,
        confirmation: str | None = None,
        idempotency_key: str | None = None,
    ) -> Job:
        """Write the job to the store for the engine that leads. Changes nothing in DNS by itself."""
        self._writable(f"{plan.kind} {plan.confirm_phrase}")
        if not reason.strip():
            raise BadRequest("give a reason: it goes in the audit trail with the action")
        if idempotency_key is not None:
            earlier = self.jobs.by_key(idempotency_key)
            if earlier is not None:
                return earlier  # the same confirmation, sent again: the job it created
        fresh = self.plan(plan.request)
        if fresh.tenant_ids != plan.tenant_ids or fresh.groups != plan.groups:
            raise Refused(
                "the plan changed since it was shown (the fleet moved meanwhile): "
                f"it was {', '.join(plan.tenant_ids) or 'empty'}, now {', '.join(fresh.tenant_ids) or 'empty'}; "
                "look at the new plan and confirm again",
                fresh,
            )
        if not fresh.ok:
            raise Refused("; ".join(fresh.problems), fresh)
        if fresh.needs_confirmation and (confirmation or "").strip() != fresh.confirm_phrase:
            raise NeedsConfirmation(fresh.confirm_phrase)
        names = step_names(fresh.kind, fresh.params.get("stages", ()), self.settings.rollback.reverse_sync)
        targets = [NewTarget(t.tenant_id, names, t.group_no) for t in fresh.targets]
        job_steps = [f"group {g + 1}" for g in range(len(fresh.groups))] if fresh.kind == JobKind.BATCH else []
        try:
            job, created = self.jobs.submit(
                fresh.kind,
                targets,
                reason=reason,
                params=fresh.params,
                job_steps=job_steps,
                idempotency_key=idempotency_key,
                operator=self.operator,
                audit={
                    "confirmation": confirmation or "",
                    "overrides": dict(fresh.request.overrides),
                    "excluded": len(fresh.excluded),
                },
            )
        except LockConflict as conflict:
            raise Refused(str(conflict), fresh) from None
        if created and fresh.safety.overridden:
            self.session.events.append_many(
                [
                    dict(
                        kind="break-glass",
                        what=f"{refusal.rule} overridden for {job.job_id}",
                        job_id=job.job_id,
                        why=refusal.overridden,
                        detail={"rule": refusal.rule, "message": refusal.message, "numbers": dict(refusal.numbers)},
                    )
                    for refusal in fresh.safety.overridden
                ]
            )
        for target in fresh.targets:
            if target.gate is not None and target.gate.check("window").overridden and created:
                self.session.events.append(
                    "break-glass",
                    f"migration window overridden for {target.tenant_id}",
                    tenant_id=target.tenant_id,
                    job_id=job.job_id,
                    why=target.gate.check("window").overridden,
                    detail={"rule": "migration-window", "evidence": target.gate.check("window").evidence},
                )
        if self.on_submit is not None:
            self.on_submit(job)
        return job

    async def dry_run(self, plan: ActionPlan, *, reason: str) -> Rehearsal:
        """Compute the exact DNS change sets, gates and safety; change nothing; record a rehearsal event.

        The store is read and written in a thread: the console awaits this on its UI loop."""
        tenants = await asyncio.to_thread(lambda: [self.session.tenants.get(tid) for tid in plan.tenant_ids])
        records: dict[str, DnsRecord] = {}
        several: dict[str, dict[str, DnsRecord]] = {}
        if self.providers is not None and tenants:
            records, several = await read_every_name(self.providers.dns, tenants)
        ttl = self.settings.dns.ttl
        lines = []
        for tenant in tenants:
            if plan.kind == JobKind.ROLLBACK:
                to = dns_plan.to_aws(tenant, ttl)
            elif plan.kind == JobKind.RAMP:
                to = dns_plan.ramp_stage(tenant, plan.params["stages"][0], ttl)
            else:
                to = dns_plan.to_oci(tenant, ttl)
            if tenant.several_names:
                # Every name of the tenant, each in its zone: what its change sets will hold.
                lines += dns_plan.name_lines(tenant, to, several.get(tenant.tenant_id, {}))
            else:
                lines.append(dns_plan.change_line(tenant, to, records.get(tenant.tenant_id)))
        change_sets = dns_plan.group_by_zone(lines, per_tenant=plan.kind != JobKind.ROLLBACK)
        await asyncio.to_thread(
            self.session.events.append_many,
            [
                dict(
                    kind=REHEARSAL,
                    what=f"dry run of {plan.kind}: {line.before} -> {line.after}",
                    tenant_id=line.tenant_id,
                    why=reason,
                    detail={
                        "kind": plan.kind,
                        "ok": plan.ok,
                        "problems": list(plan.problems),
                        "dns": line.to_json(),
                        "dns_read_live": bool(records),
                    },
                )
                for line in lines
            ]
            or [
                dict(
                    kind=REHEARSAL,
                    what=f"dry run of {plan.kind}: nothing to do",
                    why=reason,
                    detail={"kind": plan.kind, "problems": list(plan.problems)},
                )
            ],
        )
        return Rehearsal(plan, change_sets, bool(records))
