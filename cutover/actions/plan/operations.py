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
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cutover.actions.plan import dns_plan, ramp_stages
from cutover.actions.plan.batch_schedule import needs_rehydration, plan_times, waits_for_room
from cutover.actions.plan.capacity import advise, for_batch
from cutover.actions.plan.decommission_rules import DECOMMISSION_RULES, Refusal, refusals, standing
from cutover.actions.plan.dns_names import read_every_name
from cutover.actions.plan.gate import WINDOW_RULE, GateResult, evaluate_gate, remedy_sentence
from cutover.actions.plan.go_no_go import NightDecision, read_night
from cutover.actions.plan.plans import (
    PLAN_KINDS,
    ActionPlan,
    BadRequest,
    Exclusion,
    NeedsConfirmation,
    PlannedTarget,
    PlanRequest,
    ReadOnly,
    Refused,
    Rehearsal,
    ResumeRefused,
    TenantRefusal,
)
from cutover.actions.plan.queue_order import in_queue_order, why_picked
from cutover.actions.plan.read_model import ReadModel
from cutover.actions.plan.safety import (
    ENTERPRISE_APPROVAL,
    RULES,
    TENANT_HOLD,
    SafetyVerdict,
    evaluate_safety,
    only_capacity,
    read_fleet,
)
from cutover.actions.plan.wave_cadence import Caps, taken_tonight
from cutover.actions.plan.windows import given_window, night_of, window_opens, window_wait_words
from cutover.actions.wiring.session import Session
from cutover.config.settings import Settings
from cutover.config.units import format_day_clock
from cutover.config.windows import WindowSettings
from cutover.model.jobs import (
    DECOMMISSION_STEPS,
    LOWER_TTL_STEPS,
    SYNC_STEPS,
    VALIDATE_STEPS,
    Control,
    JobKind,
    JobState,
    TargetState,
    step_names,
)
from cutover.model.lifecycle import Lifecycle, SyncHealth
from cutover.model.routing import DnsRecord
from cutover.model.tenant import Tenant
from cutover.providers.ports.bundle import Providers
from cutover.state.events import Event
from cutover.state.facts import ALERT_ACKNOWLEDGED, APPROVAL, REHEARSAL, Facts
from cutover.state.holds import HoldStore, TenantHold
from cutover.state.job_records import Job, LockConflict, LockHolder, NewTarget
from cutover.state.jobs import JobStore
from cutover.state.leases import Lease, LeaseStore
from cutover.state.signoffs import Signoff, SignoffStore
from cutover.state.watch import checkpoints

TTL_TOO_LATE = (
    Lifecycle.CUTTING_OVER,
    Lifecycle.MONITORING,
    Lifecycle.MIGRATED,
    Lifecycle.DECOMMISSIONED,
    Lifecycle.ROLLING_BACK,
)
SYNC_MODES = ("start", "final", "verify")


# Where a tenant may be rolled back from: anywhere DNS may point at OCI.
ROLLBACK_FROM = frozenset({Lifecycle.CUTTING_OVER, Lifecycle.MONITORING, Lifecycle.MIGRATED, Lifecycle.FAILED})
IN_FLIGHT = (Lifecycle.CUTTING_OVER, Lifecycle.MONITORING)


class Operations:
    """The facade. Cheap to build; safe to use from the console's UI thread (short store reads and writes)."""

    def __init__(
        self,
        session: Session,
        *,
        read_only: bool = False,
        providers: Providers | None = None,
        on_submit: Callable[[Job], None] | None = None,
    ):
        self.session = session
        self.read_only = read_only
        self.providers = providers
        self.on_submit = on_submit
        self.jobs = JobStore(session.store, session.events)
        self.facts = Facts(session.store)
        self.leases = LeaseStore(session.store)
        self.read = ReadModel(session.store, self.jobs)  # everything a screen shows: see read_model.py

    @property
    def settings(self) -> Settings:
        return self.session.settings

    @property
    def operator(self) -> str:
        return self.session.actor.operator

    def _writable(self, what: str) -> None:
        if self.read_only:
            raise ReadOnly(f"this console is read-only: it cannot {what}")

    # --- reading -------------------------------------------------------------------------

    def leader(self) -> Lease | None:
        """The engine that leads (runs pollers, triggers and jobs), if any is alive."""
        return self.leases.leader()

    def gate_of(self, tenants: Sequence[Tenant]) -> list[GateResult]:
        """The gate of tenants already read (status reads the fleet once)."""
        now = self.session.clock.now()
        return [evaluate_gate(tenant, now, self.settings) for tenant in tenants]

    def gate(self, tenant_ids: Sequence[str], overrides: Mapping[str, str] | None = None) -> list[GateResult]:
        now = self.session.clock.now()
        return [
            evaluate_gate(self.session.tenants.get(tenant_id), now, self.settings, overrides=dict(overrides or {}))
            for tenant_id in tenant_ids
        ]

    # --- planning --------------------------------------------------------------------------

    def plan(self, request: PlanRequest) -> ActionPlan:
        self._check_overrides(request.overrides)
        self._given_window(request)
        if request.kind in (JobKind.FLIP, JobKind.RAMP):
            return self._plan_cutover(request)
        if request.kind == JobKind.ROLLBACK:
            return self._plan_rollback(request)
        if request.kind == JobKind.BATCH:
            return self._plan_batch(request)
        raise BadRequest(f"no action named {request.kind!r}; the actions are: {', '.join(PLAN_KINDS)}")

    def _given_window(self, request: PlanRequest) -> WindowSettings | None:
        try:
            return given_window(request.window, self.settings)
        except ValueError as exc:
            raise BadRequest(f"--window {request.window!r}: {exc}; nothing was submitted") from None

    def _tenants(self, tenant_ids: Sequence[str]) -> list[Tenant]:
        if not tenant_ids:
            raise BadRequest("name at least one tenant")
        if len(set(tenant_ids)) != len(tenant_ids):
            raise BadRequest("a tenant is named twice; name each tenant once")
        return [self.session.tenants.get(tenant_id) for tenant_id in tenant_ids]

    def _locks(self, tenant_ids: Sequence[str]) -> dict[str, LockHolder]:
        return {holder.tenant_id: holder for holder in self.jobs.lock_holders(list(tenant_ids))}

    def _cutover_params(self, request: PlanRequest) -> dict[str, Any]:
        batch, ramp = self.settings.batch, self.settings.ramp
        params: dict[str, Any] = {
            "monitor": request.monitor if request.monitor is not None else batch.monitor,
            "traffic_timeout": batch.traffic_timeout,
            "traffic_done_share": batch.traffic_done_share,
            "overrides": dict(request.overrides),
            "window": request.window or "",
        }
        if request.kind == JobKind.RAMP:
            params |= {
                "stages": list(request.stages or ramp.stages),
                "hold": request.hold if request.hold is not None else ramp.hold,
                "max_error_rate": ramp.max_error_rate,
                "max_p95_ratio": ramp.max_p95_ratio,
            }
        return params

    def _plan_cutover(self, request: PlanRequest) -> ActionPlan:
        now = self.session.clock.now()
        tenants = self._tenants(request.tenant_ids)
        if request.kind == JobKind.RAMP and request.stages is not None:
            stages = list(request.stages)
            if not stages or stages != sorted(set(stages)) or stages[0] <= 0 or stages[-1] != 100:
                raise BadRequest("ramp stages must rise strictly, each between 1 and 100, and end at 100")
        locks = self._locks(request.tenant_ids)
        others = [TenantRefusal(t.tenant_id, locks[t.tenant_id].why()) for t in tenants if t.tenant_id in locks]
        others += [TenantRefusal(t.tenant_id, why) for t in tenants if (why := _dns_moved(t))]
        gates = [evaluate_gate(t, now, self.settings, overrides=dict(request.overrides)) for t in tenants]
        ttl = self.settings.dns.ttl
        first_stage = (request.stages or self.settings.ramp.stages)[0]
        targets = tuple(
            PlannedTarget(
                t.tenant_id,
                0,
                gate,
                dns_plan.change_line(
                    t,
                    dns_plan.to_oci(t, ttl)
                    if request.kind == JobKind.FLIP
                    else dns_plan.ramp_stage(t, first_stage, ttl),
                    None,
                ),
                t.lifecycle.value,
                _remedy_note(gate),
            )
            for t, gate in zip(tenants, gates, strict=True)
        )
        fleet = read_fleet(self.facts, tenants, now, self.settings)
        verdict = evaluate_safety(
            tenants,
            fleet,
            now,
            self.settings,
            operator=self.operator,
            overrides=request.overrides,
            window=self._given_window(request),
        )
        holders = list(self._locks(sorted(fleet.cutting_over | fleet.monitoring)).values())
        verdict = SafetyVerdict(tuple(advise(r, self.settings, holders, batch=False) for r in verdict.refusals))
        return ActionPlan(
            request,
            targets,
            (),
            self._cutover_params(request),
            verdict,
            # The window is the safety rule's (with its numbers and break-glass); the gate names the rest.
            tuple(gate.without("window") for gate in gates if not gate.without("window").eligible),
            tuple(others),
            now,
            self.operator,
        )

    def _plan_rollback(self, request: PlanRequest) -> ActionPlan:
        now = self.session.clock.now()
        if request.all_in_flight:
            if request.tenant_ids:
                raise BadRequest("name tenants or --all-in-flight, not both")
            in_flight = self.facts.tenants_in(IN_FLIGHT)
            ids = sorted({*in_flight[Lifecycle.CUTTING_OVER], *in_flight[Lifecycle.MONITORING]})
            if not ids:
                raise BadRequest("no tenant is in flight (cutting over or monitoring): nothing to roll back")
            tenants = [self.session.tenants.get(tenant_id) for tenant_id in ids]
        else:
            tenants = self._tenants(request.tenant_ids)
        locks = self._locks([t.tenant_id for t in tenants])
        refusals: list[TenantRefusal] = []
        targets: list[PlannedTarget] = []
        ttl = self.settings.dns.ttl
        for tenant in tenants:
            holder = locks.get(tenant.tenant_id)
            if tenant.lifecycle is Lifecycle.ROLLING_BACK or (holder and holder.kind == JobKind.ROLLBACK):
                why = "is already rolling back" + (f" ({holder.job_id})" if holder else "")
                refusals.append(TenantRefusal(tenant.tenant_id, why))
                continue
            if tenant.lifecycle not in ROLLBACK_FROM:
                why = f"is {tenant.lifecycle.label}: nothing to roll back (its traffic is on AWS)"
                refusals.append(TenantRefusal(tenant.tenant_id, why))
                continue
            note = f"takes it over from {holder.job_id} ({holder.kind})" if holder else ""
            change = dns_plan.change_line(tenant, dns_plan.to_aws(tenant, ttl), None)
            targets.append(PlannedTarget(tenant.tenant_id, 0, None, change, tenant.lifecycle.value, note))
        return ActionPlan(
            request,
            tuple(targets),
            (),
            {"decided_at": now},
            SafetyVerdict(()),
            (),
            tuple(refusals),
            now,
            self.operator,
        )

    def _plan_batch(self, request: PlanRequest) -> ActionPlan:
        now = self.session.clock.now()
        batch = self.settings.batch
        count = request.count if request.count is not None else batch.count
        group_size = request.group_size if request.group_size is not None else batch.group_size
        interval = request.interval if request.interval is not None else batch.interval
        if count < 1 or group_size < 1:
            raise BadRequest("--count and --group must be at least 1")
        if request.wave is not None and request.tenant_ids:
            raise BadRequest("choose the batch by --wave or by naming tenants, not both")
        if request.wave is not None:
            candidates = in_queue_order(self.session.tenants.find(wave=request.wave))
            if not candidates:
                raise BadRequest(f"wave {request.wave} has no tenants")
        elif request.tenant_ids:
            candidates = self._tenants(request.tenant_ids)
        elif request.count is not None:
            # Just a count: the next ready tenants in the queue's order (Pilot, wave, priority).
            candidates = in_queue_order(self.session.tenants.find(lifecycle=Lifecycle.READY))
            if not candidates:
                raise BadRequest("no tenant is ready: nothing to batch")
        else:
            raise BadRequest("choose the batch: --wave N, name the tenants, or give --count N (the next ready ones)")
        locks = self._locks([t.tenant_id for t in candidates])
        holds = HoldStore(self.session.store, self.session.events).active(now)
        caps = Caps(self.settings)
        if caps.any:
            taken = taken_tonight(self.facts, self.jobs, now, self.settings)
            caps = Caps(self.settings, Counter(self.session.tenants.get(tid).wave for tid in taken))
        chosen: list[tuple[Tenant, GateResult]] = []
        excluded: list[Exclusion] = []
        for tenant in candidates:
            if tenant.lifecycle in (Lifecycle.MIGRATED, Lifecycle.DECOMMISSIONED) and request.wave is not None:
                continue  # done already: not worth a line in the preview
            hold = holds.get(tenant.tenant_id)
            # Held tenants are left out, saying why, unless break-glass takes them in (the rule then says so).
            taken_in = TENANT_HOLD in request.overrides
            reason = hold.words(self.settings.safety.window.zone) if hold and not taken_in else ""
            reason = reason or self._batch_exclusion(tenant, locks.get(tenant.tenant_id), now, request)
            if reason:
                excluded.append(Exclusion(tenant.tenant_id, reason))
                continue
            gate = evaluate_gate(tenant, now, self.settings, overrides=dict(request.overrides))
            if not gate.without("window").eligible:
                blocked = ", ".join(check.describe() for check in gate.without("window").blocking if not check.remedy)
                excluded.append(Exclusion(tenant.tenant_id, f"gate: {blocked}"))
                continue
            if len(chosen) >= count:
                excluded.append(Exclusion(tenant.tenant_id, f"beyond tonight's count of {count}"))
                continue
            capped = caps.refuse(tenant)
            if capped:
                excluded.append(Exclusion(tenant.tenant_id, capped))
                continue
            chosen.append((tenant, gate))
        ttl = self.settings.dns.ttl
        targets = tuple(
            PlannedTarget(
                tenant.tenant_id,
                index // group_size,
                gate,
                dns_plan.change_line(tenant, dns_plan.to_oci(tenant, ttl), None),
                tenant.lifecycle.value,
                _remedy_note(gate),
                why_picked(tenant, index + 1),
            )
            for index, (tenant, gate) in enumerate(chosen)
        )
        tenants = [tenant for tenant, _ in chosen]
        grouped = [tenants[start : start + group_size] for start in range(0, len(tenants), group_size)]
        monitor = request.monitor if request.monitor is not None else batch.monitor
        given = self._given_window(request)
        # Ready before its window opens (tonight): it waits for the window, counting down, instead of a refusal.
        opens = window_opens(tenants, now, self.settings, given)
        start = opens if opens is not None and WINDOW_RULE not in request.overrides else now
        times = plan_times(grouped, start, self.settings, interval=interval, monitor=monitor)
        # The window rule judges each tenant at its group's expected DNS change, not at start + N x interval.
        starts = {t.tenant_id: times[t.group_no].switch for t in targets}
        fleet = read_fleet(self.facts, tenants, now, self.settings)
        verdict = evaluate_safety(
            tenants,
            fleet,
            now,
            self.settings,
            operator=self.operator,
            overrides=request.overrides,
            at_once=group_size,
            starts=starts,
            batch=True,
            window=given,
        )
        holders = list(self._locks(sorted(fleet.cutting_over | fleet.monitoring)).values())
        verdict, waits = for_batch(verdict, self.settings, group_size, holders)
        params = self._cutover_params(request) | {
            "group_size": group_size,
            "interval": interval,
            "count": count,
            "wave": request.wave,
            "groups": [[t.tenant_id for t in targets if t.group_no == g] for g in range(_groups(targets))],
            "rehydrate": [
                needs_rehydration(group, times[index].start, self.settings) for index, group in enumerate(grouped)
            ],
            "expected": [t.to_json() for t in times],
            "waits_for_room": waits_for_room(group_size, self.settings),
            "waits": ([window_wait_words(start, now, self.settings)] if start > now else []) + waits,
            "not_before": start if start > now else None,
            "timezone": self.settings.safety.window.timezone,  # the zone its times are shown in
        }
        return ActionPlan(request, targets, tuple(excluded), params, verdict, (), (), now, self.operator)

    def hold(self, tenant_ids: Sequence[str], *, reason: str, not_before: float | None = None) -> None:
        """Keep tenants out of the queue (batches leave them out, saying why), for good or until `not_before`."""
        self._writable("hold a tenant")
        if not reason.strip():
            raise BadRequest("give a reason: it goes in the audit trail with the hold")
        tenants = self._tenants(tenant_ids)
        now = self.session.clock.now()
        if not_before is not None and not_before <= now:
            raise BadRequest("--not-before is in the past: give a later time (or no --not-before for a hold)")
        what = "held out of the queue" + (
            f" until {format_day_clock(not_before, self.settings.safety.window.zone)}" if not_before else ""
        )
        HoldStore(self.session.store, self.session.events).hold(
            [t.tenant_id for t in tenants], reason=reason, not_before=not_before, by=self.operator, now=now, what=what
        )

    def unhold(self, tenant_ids: Sequence[str], *, reason: str) -> list[str]:
        """Release tenants' holds; refused (nothing changed) when one of them is not held."""
        self._writable("release a hold")
        if not reason.strip():
            raise BadRequest("give a reason: it goes in the audit trail with the release")
        tenants = self._tenants(tenant_ids)
        holds = HoldStore(self.session.store, self.session.events)
        held = holds.all()
        missing = [t.tenant_id for t in tenants if t.tenant_id not in held]
        if missing:
            raise Refused(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not held: nothing released")
        return holds.release([t.tenant_id for t in tenants], reason=reason)

    def holds(self) -> dict[str, TenantHold]:
        return HoldStore(self.session.store, self.session.events).all()

    # --- the night's go/no-go -------------------------------------------------------------

    def night(self) -> NightDecision:
        """Tonight's go/no-go checklist and its sign-offs."""
        return read_night(self.session.store, self.settings, self.session.clock.now())

    def sign_night(self, item: str, *, decision: str, reason: str) -> NightDecision:
        """Sign a checklist item `go` or `no-go` for tonight, as this operator (and host). A no-go stops the
        night's batches before their next DNS change; signing the item go again lifts it (then resume)."""
        self._writable(f"sign {decision}")
        items = self.settings.night.go_no_go.items
        if not items:
            raise BadRequest(
                "no go/no-go checklist is configured: list the items and the role that signs each under "
                '[night.go_no_go] items (like backups = "dba"); with none there is no night-level gate'
            )
        if item not in items:
            raise BadRequest(f"--item {item!r}: no such checklist item; the items are: {', '.join(items)}")
        if not reason.strip():
            raise BadRequest(f"give a reason: it goes in the audit trail with the {decision}")
        role = items[item]
        allowed = self.settings.night.go_no_go.roles.get(role)
        if allowed is not None and self.operator not in allowed:
            raise Refused(
                f"{item} is signed by the {role} role ({', '.join(allowed)}); {self.operator} is not one of them: "
                "nothing signed"
            )
        now = self.session.clock.now()
        night = night_of(now, self.settings.safety.window)
        actor = self.session.actor
        SignoffStore(self.session.store, self.session.events).sign(
            Signoff(night, item, decision, role, actor.operator, actor.host, reason.strip(), now)
        )
        return self.night()

    def _batch_exclusion(self, tenant: Tenant, holder: LockHolder | None, now: float, request: PlanRequest) -> str:
        if holder is not None:
            return f"held by {holder.job_id} ({holder.kind} by {holder.operator})"
        if tenant.lifecycle is not Lifecycle.READY:
            return f"{tenant.lifecycle.label}, not ready"
        return _dns_moved(tenant)

    # --- doing -------------------------------------------------------------------------------

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

    def acknowledge_alerts(self, alerts: Sequence[Event], *, reason: str = "") -> Event:
        """An operator has seen the pinned alerts: they leave the pinned area in every console (audited)."""
        self._writable("acknowledge alerts")
        if not alerts:
            raise BadRequest("no pinned alert to acknowledge")
        seqs = sorted(event.seq for event in alerts)
        count = len(seqs)
        return self.session.events.append(
            ALERT_ACKNOWLEDGED,
            f"{count} pinned alert{'s' * (count != 1)} acknowledged: "
            + "; ".join(e.what for e in alerts[:3])
            + (f" and {count - 3} more" if count > 3 else ""),
            why=reason,
            detail={"up_to_seq": seqs[-1], "seqs": seqs},
        )

    def pause(self, job_id: str, *, reason: str) -> Job:
        return self._control(job_id, Control.PAUSE, reason)

    def resume(self, job_id: str, *, reason: str, overrides: Mapping[str, str] | None = None) -> Job:
        """Resume a paused or held job. A batch the engine would hold again at once (a safety rule still
        refuses its next group) is refused here, with the rule and its numbers; `overrides` (break-glass,
        each rule with a reason) let it through and are audited."""
        overrides = dict(overrides or {})
        self._check_overrides(overrides)
        job = self.jobs.get(job_id)
        verdict = self.resume_verdict(job, overrides)
        if verdict is not None and not verdict.ok and not only_capacity(verdict):
            raise ResumeRefused(job_id, verdict)
        if overrides and verdict is not None:
            self.jobs.update_params(job_id, overrides={**(job.params.get("overrides") or {}), **overrides})
            self.session.events.append_many(
                [
                    dict(
                        kind="break-glass",
                        what=f"{refusal.rule} overridden to resume {job_id}",
                        job_id=job_id,
                        why=refusal.overridden,
                        detail={"rule": refusal.rule, "message": refusal.message, "numbers": dict(refusal.numbers)},
                    )
                    for refusal in verdict.overridden
                ]
            )
        return self._control(job_id, Control.RESUME, reason)

    def resume_verdict(self, job: Job, overrides: Mapping[str, str] | None = None) -> SafetyVerdict | None:
        """What the safety rules say of a held batch's next group now (None: nothing left to admit)."""
        if job.kind != JobKind.BATCH or job.state is not JobState.HELD:
            return None
        pending = {target.tenant_id for target in self.jobs.targets(job.job_id) if target.state is TargetState.PENDING}
        for group in job.params.get("groups", []):
            ready = [
                tenant
                for tenant in (self.session.tenants.get(tenant_id) for tenant_id in group if tenant_id in pending)
                if tenant.lifecycle is Lifecycle.READY
            ]
            if ready:
                now = self.session.clock.now()
                fleet = read_fleet(self.facts, ready, now, self.settings)
                merged = {**(job.params.get("overrides") or {}), **(overrides or {})}
                return evaluate_safety(
                    ready,
                    fleet,
                    now,
                    self.settings,
                    operator=job.operator,
                    overrides=merged,
                    batch=True,
                    window=given_window(job.params.get("window"), self.settings),
                )
        return None

    def _check_overrides(self, overrides: Mapping[str, str]) -> None:
        unknown = set(overrides) - set(RULES)
        if unknown:
            raise BadRequest(f"no safety rule named {', '.join(sorted(unknown))}; the rules are: {', '.join(RULES)}")
        if any(not reason.strip() for reason in overrides.values()):
            raise BadRequest("a break-glass override needs a reason")

    def skip(self, job_id: str, *, reason: str) -> Job:
        """A ramp: go to the next stage now."""
        return self._control(job_id, Control.SKIP, reason)

    def step_back(self, job_id: str, *, reason: str) -> Job:
        """A ramp: go back to the stage below (one DNS change) and wait there for a resume.

        Refused, with each tenant's reason, when no tenant of the ramp has a stage below it
        (at the first stage the way back is a rollback; at 100 % too)."""
        refusal = self.step_back_refusal(job_id)
        if refusal:
            raise Refused(refusal)
        return self._control(job_id, Control.STEP_BACK, reason)

    def step_back_moves(self, job_id: str) -> list[str]:
        """What a step back would do now, a line a tenant: "T-0068: 25 % -> 10 % on OCI"."""
        job = self.jobs.get(job_id)
        stages = [int(p) for p in job.params.get("stages", ())]
        moves = []
        for target in self.jobs.targets(job_id):
            steps = self.jobs.steps(job_id, target.tenant_id)
            if target.state is TargetState.RUNNING and not ramp_stages.step_back_refusal(
                target.tenant_id, steps, stages
            ):
                share = ramp_stages.share_now(steps)
                moves.append(f"{target.tenant_id}: {share} % -> {ramp_stages.stage_below(stages, share)} % on OCI")
        return moves

    def step_back_refusal(self, job_id: str) -> str:
        """Why this job cannot step back now ("" when a tenant of it can)."""
        job = self.jobs.get(job_id)
        if job.kind != JobKind.RAMP:
            return f"{job_id} is a {job.kind}: only a ramp has stages to step back"
        if job.is_terminal:
            return ""  # the job store's own refusal says it has ended
        stages = [int(p) for p in job.params.get("stages", ())]
        running = [t.tenant_id for t in self.jobs.targets(job_id) if t.state is TargetState.RUNNING]
        refusals = [ramp_stages.step_back_refusal(tid, self.jobs.steps(job_id, tid), stages) for tid in running]
        if all(refusals):
            return f"{job_id} cannot step back: {'; '.join(refusals) or 'no tenant of it is ramping now'}"
        return ""

    def abort(self, job_id: str, *, reason: str) -> Job:
        """A batch: start no new group (tenants past their DNS change finish monitoring). A ramp: roll back."""
        return self._control(job_id, Control.ABORT, reason)

    def _control(self, job_id: str, control: Control, reason: str) -> Job:
        self._writable(f"{control.value} {job_id}")
        if not reason.strip():
            raise BadRequest("give a reason: it goes in the audit trail")
        job = self.jobs.request(job_id, control, operator=self.operator, why=reason)
        if self.on_submit is not None:
            self.on_submit(job)
        return job

    # --- getting tenants ready: sync and validation -------------------------------------

    def sync(self, tenant_ids: Sequence[str], *, mode: str = "start", reason: str) -> Job:
        """Sync tenants, as a job the engine runs. `mode`: "start" begins the initial copy and
        continuous sync (pending, failed or rolled back -> syncing; the engine moves the tenant on to
        validating once the copy is done); "final" runs a final sync and a verification proving lag 0;
        "verify" the verification alone (both for a tenant whose continuous sync runs).

        Raises BadRequest, ReadOnly, or Refused naming every tenant that cannot (nothing is changed)."""
        if mode not in SYNC_MODES:
            raise BadRequest(f"no sync mode {mode!r}: the modes are {', '.join(SYNC_MODES)}")
        self._writable(f"sync ({mode})")
        problems = [f"{tid} {why}" for tid, why in self.sync_refusals(tenant_ids, mode).items()]
        return self._submit_prepare(JobKind.SYNC, tenant_ids, SYNC_STEPS[mode], {"mode": mode}, reason, problems)

    def sync_refusals(self, tenant_ids: Sequence[str], mode: str = "start") -> dict[str, str]:
        """Why each tenant that cannot be synced in `mode` cannot ("is syncing: its sync already started")."""
        refusals: dict[str, str] = {}
        for tenant in self._tenants(tenant_ids):
            if mode == "start":
                if tenant.lifecycle not in (Lifecycle.PENDING, Lifecycle.FAILED, Lifecycle.ROLLED_BACK):
                    refusals[tenant.tenant_id] = f"is {tenant.lifecycle.label}: its sync already started"
            elif tenant.lifecycle not in (Lifecycle.VALIDATING, Lifecycle.READY):
                refusals[tenant.tenant_id] = f"is {tenant.lifecycle.label}, must be validating or ready"
            elif tenant.sync_health is not SyncHealth.CONTINUOUS:
                health = tenant.sync_health.label if tenant.sync_health is not None else "not observed"
                refusals[tenant.tenant_id] = f"continuous sync is not running (sync {health})"
        return refusals

    def validate(self, tenant_ids: Sequence[str], *, reason: str) -> Job:
        """Run the validation suite on tenants' OCI endpoints, as a job the engine runs. Every check
        passing moves a validating tenant to ready; the result is the gate's evidence either way.

        Raises BadRequest, ReadOnly, or Refused naming every tenant that cannot (nothing is changed)."""
        self._writable("validate")
        problems = [f"{tid} {why}" for tid, why in self.validate_refusals(tenant_ids).items()]
        return self._submit_prepare(JobKind.VALIDATE, tenant_ids, VALIDATE_STEPS, {}, reason, problems)

    def validate_refusals(self, tenant_ids: Sequence[str]) -> dict[str, str]:
        """Why each tenant that cannot be validated cannot ("is pending, must be validating or ready")."""
        return {
            tenant.tenant_id: f"is {tenant.lifecycle.label}, must be validating or ready"
            for tenant in self._tenants(tenant_ids)
            if tenant.lifecycle not in (Lifecycle.VALIDATING, Lifecycle.READY)
        }

    def lower_ttl(self, tenant_ids: Sequence[str], *, reason: str) -> Job:
        """Lower tenants' DNS TTL to `dns.ttl` ahead of their cutover, as a job the engine runs: one
        compare-and-swap change set per hosted zone, the AWS target kept; the job records when each
        becomes safe for the gate's `dns` check.

        Raises BadRequest, ReadOnly, or Refused naming every tenant that cannot (nothing is changed)."""
        self._writable("lower the DNS TTL")
        problems = [f"{tid} {why}" for tid, why in self.lower_ttl_refusals(tenant_ids).items()]
        return self._submit_prepare(JobKind.LOWER_TTL, tenant_ids, LOWER_TTL_STEPS, {}, reason, problems)

    def lower_ttl_refusals(self, tenant_ids: Sequence[str]) -> dict[str, str]:
        """Why each tenant whose TTL cannot be lowered now cannot ("is monitoring: ...")."""
        refusals: dict[str, str] = {}
        for tenant in self._tenants(tenant_ids):
            if tenant.lifecycle in TTL_TOO_LATE:
                refusals[tenant.tenant_id] = (
                    f"is {tenant.lifecycle.label}: the TTL is lowered before a cutover, not during or after it"
                )
            elif tenant.dns_oci_share:
                refusals[tenant.tenant_id] = (
                    f"DNS already sends {tenant.dns_oci_share * 100:.0f} % to OCI ({tenant.dns_routing}): "
                    "lower-ttl only lowers the TTL of a record on AWS"
                )
        return refusals

    def _submit_prepare(
        self,
        kind: JobKind,
        tenant_ids: Sequence[str],
        steps: Sequence[str],
        params: dict[str, Any],
        reason: str,
        problems: list[str],
    ) -> Job:
        if not reason.strip():
            raise BadRequest("give a reason: it goes in the audit trail with the action")
        if problems:
            raise Refused("; ".join(problems))
        try:
            job, _ = self.jobs.submit(
                kind,
                [NewTarget(tenant_id, tuple(steps)) for tenant_id in tenant_ids],
                reason=reason,
                params=params,
                operator=self.operator,
            )
        except LockConflict as conflict:
            raise Refused(str(conflict)) from None
        if self.on_submit is not None:
            self.on_submit(job)
        return job

    # --- decommission: the point of no return ------------------------------------------------

    def decommission_refusals(
        self, tenant_ids: Sequence[str], overrides: Mapping[str, str] | None = None
    ) -> list[Refusal]:
        """Every reason each tenant cannot be decommissioned now that `overrides` do not lift."""
        now = self.session.clock.now()
        tenants = self._tenants(tenant_ids)
        recorded = checkpoints(self.session.store, [t.tenant_id for t in tenants])
        holders = self._locks([t.tenant_id for t in tenants])
        found: list[Refusal] = []
        for tenant in tenants:
            approvers = self.facts.approvals([tenant.tenant_id], tenant.lifecycle_since).get(tenant.tenant_id, set())
            holder = holders.get(tenant.tenant_id)
            found += refusals(
                tenant,
                now,
                self.settings,
                operator=self.operator,
                checkpoint=recorded.get(tenant.tenant_id),
                approvers=approvers,
                holder=f"{holder.job_id} ({holder.kind})" if holder else "",
            )
        return standing(found, overrides or {})

    def check_decommission_overrides(self, overrides: Mapping[str, str]) -> None:
        unknown = set(overrides) - set(DECOMMISSION_RULES)
        if unknown:
            raise BadRequest(
                f"no decommission rule named {', '.join(sorted(unknown))}; break-glass may override: "
                f"{', '.join(DECOMMISSION_RULES)}"
            )
        if any(not why.strip() for why in overrides.values()):
            raise BadRequest("a break-glass override needs a reason")

    def decommission_phrase(self, tenant_ids: Sequence[str]) -> str:
        """What the operator types to confirm: `decommission T-0042`, or `decommission 3`."""
        return f"decommission {tenant_ids[0] if len(tenant_ids) == 1 else len(tenant_ids)}"

    def decommission(
        self,
        tenant_ids: Sequence[str],
        *,
        reason: str,
        confirmation: str,
        overrides: Mapping[str, str] | None = None,
    ) -> Job:
        """Decommission migrated tenants (the point of no return), as a job the engine runs: it compares the
        sides afresh, then records the final comparison and lists what remains to retire on AWS.

        Raises BadRequest, ReadOnly, NeedsConfirmation, or Refused naming every tenant that cannot."""
        self._writable("decommission")
        overrides = dict(overrides or {})
        self.check_decommission_overrides(overrides)
        if not tenant_ids:
            raise BadRequest("name the tenants to decommission")
        if not reason.strip():
            raise BadRequest("give a reason: it goes in the audit trail with the action")
        problems = self.decommission_refusals(tenant_ids, overrides)
        if problems:
            raise Refused("; ".join(r.text() for r in problems))
        phrase = self.decommission_phrase(tenant_ids)
        if confirmation.strip() != phrase:
            raise NeedsConfirmation(phrase)
        job = self._submit_prepare(
            JobKind.DECOMMISSION, tenant_ids, DECOMMISSION_STEPS, {"overrides": overrides}, reason, []
        )
        if overrides:
            self.session.events.append_many(
                [
                    dict(
                        kind="break-glass",
                        what=f"{rule} overridden for {job.job_id}",
                        job_id=job.job_id,
                        why=why,
                        detail={"rule": rule},
                    )
                    for rule, why in overrides.items()
                ]
            )
        return job

    def approve(self, tenant_ids: Sequence[str], *, reason: str) -> None:
        """Record this operator's approval of the tenants' cutover (the second operator, for enterprise)."""
        self._writable("approve a cutover")
        if not reason.strip():
            raise BadRequest("give a reason: it goes in the audit trail")
        tenants = self._tenants(tenant_ids)
        own = self.approval_refusals(tenant_ids)
        if own:
            raise Refused("; ".join(f"{tid} {why}" for tid, why in own.items()))
        self.session.events.append_many(
            [
                dict(kind=APPROVAL, what=f"cutover approved by {self.operator}", tenant_id=t.tenant_id, why=reason)
                for t in tenants
            ]
        )

    def approval_refusals(self, tenant_ids: Sequence[str]) -> dict[str, str]:
        """Self-approval: a tenant whose cutover this operator has submitted (a job holding it) cannot be
        approved by the same operator; the enterprise-approval rule wants a second operator."""
        return {
            holder.tenant_id: (
                f"is in {holder.job_id}, a {holder.kind} {self.operator} submitted: {ENTERPRISE_APPROVAL} "
                f"wants a second operator, not the one who runs the cutover (ask someone else to approve)"
            )
            for holder in self.jobs.lock_holders(list(tenant_ids))
            if holder.operator == self.operator and holder.kind in (JobKind.FLIP, JobKind.RAMP, JobKind.BATCH)
        }


def _groups(targets: Sequence[PlannedTarget]) -> int:
    return max((t.group_no for t in targets), default=-1) + 1


def _remedy_note(gate: GateResult) -> str:
    return remedy_sentence(gate.remedies)


def _dns_moved(tenant: Tenant) -> str:
    """A ready tenant whose record (as last read) no longer sends everything to AWS: someone changed it."""
    share = tenant.dns_oci_share
    if tenant.lifecycle is not Lifecycle.READY or share is None or share == 0:
        return ""
    return (
        f"DNS already sends {share * 100:.0f} % to OCI ({tenant.dns_routing}) "
        "although it is ready: changed by hand? look before acting"
    )
