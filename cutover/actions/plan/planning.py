"""Making an action plan: which tenants a flip, a ramp, a rollback or a batch acts on, which it sets aside and
why, the gate and the safety verdict."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from cutover.actions.plan import dns_plan
from cutover.actions.plan.batch_schedule import needs_rehydration, plan_times, waits_for_room
from cutover.actions.plan.capacity import advise, for_batch
from cutover.actions.plan.gate import WINDOW_RULE, GateResult, evaluate_gate, remedy_sentence
from cutover.actions.plan.operations_base import OperationsBase
from cutover.actions.plan.plans import (
    PLAN_KINDS,
    ActionPlan,
    BadRequest,
    Exclusion,
    PlannedTarget,
    PlanRequest,
    RefusalRule,
    TenantRefusal,
)
from cutover.actions.plan.queue_order import in_queue_order, why_picked
from cutover.actions.plan.safety import TENANT_HOLD, SafetyVerdict, evaluate_safety, read_fleet
from cutover.actions.plan.wave_cadence import Caps, taken_tonight
from cutover.actions.plan.windows import window_opens, window_wait_words
from cutover.model.job_params import RollbackParams
from cutover.model.jobs import KINDS, JobKind
from cutover.model.lifecycle import ROLLBACK_FROM, Lifecycle
from cutover.model.tenant import Tenant
from cutover.state.holds import HoldStore
from cutover.state.job_records import LockHolder

# A rollback of every tenant in flight takes those cutting over and monitoring.
IN_FLIGHT = (Lifecycle.CUTTING_OVER, Lifecycle.MONITORING)


class Planning(OperationsBase):
    """Making an action plan."""

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

    def _war_rooms_own(self, tenants: list[Tenant]) -> list[Tenant]:
        """Those of `tenants` in this war room's part of the fleet: another war room's are not its to plan."""
        room = self.settings.war_room.room()
        return tenants if room.whole_fleet else [tenant for tenant in tenants if room.holds(tenant)]

    def _in_war_room(self) -> str:
        """` in war room emea (regions ...)`, said of what a war room with a part of the fleet found there."""
        room = self.settings.war_room.room()
        return "" if room.whole_fleet else f" in {room.describe()}"

    def _other_war_rooms(self, tenant: Tenant) -> TenantRefusal | None:
        """A tenant named for an action that another war room's engine drives."""
        room = self.settings.war_room.room()
        if room.holds(tenant):
            return None
        return TenantRefusal(tenant.tenant_id, RefusalRule.OTHER_WAR_ROOM, {"war_room": room.describe()})

    def _asked(self, request: PlanRequest, **planned: Any) -> dict[str, Any]:
        """The job's parameters: what the operator gave, what the plan decided, the settings for the rest
        (the kind's parameters class in `model/job_params.py` holds the defaults)."""
        given = {
            "monitor": request.monitor,
            "stages": request.stages,
            "hold": request.hold,
            "overrides": dict(request.overrides),
            "window": request.window or "",
        }
        given = {key: value for key, value in given.items() if value is not None}
        params_class = KINDS[JobKind(request.kind)].params
        return params_class.read(given | planned, self.settings).to_json()

    def _plan_cutover(self, request: PlanRequest) -> ActionPlan:
        now = self.session.clock.now()
        tenants = self._tenants(request.tenant_ids)
        if request.kind == JobKind.RAMP and request.stages is not None:
            stages = list(request.stages)
            if not stages or stages != sorted(set(stages)) or stages[0] <= 0 or stages[-1] != 100:
                raise BadRequest("ramp stages must rise strictly, each between 1 and 100, and end at 100")
        locks = self._locks(request.tenant_ids)
        others = [_locked(locks[t.tenant_id]) for t in tenants if t.tenant_id in locks]
        others += [refusal for t in tenants if (refusal := _dns_moved(t))]
        others += [refusal for t in tenants if (refusal := self._other_war_rooms(t))]
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
            self._asked(request),
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
            tenants = self._war_rooms_own([self.session.tenants.get(tenant_id) for tenant_id in ids])
            if not tenants:
                raise BadRequest(
                    f"no tenant of {self.settings.war_room.room().describe()} is in flight: nothing to roll back"
                )
        else:
            tenants = self._tenants(request.tenant_ids)
        locks = self._locks([t.tenant_id for t in tenants])
        refusals: list[TenantRefusal] = []
        targets: list[PlannedTarget] = []
        ttl = self.settings.dns.ttl
        for tenant in tenants:
            holder = locks.get(tenant.tenant_id)
            elsewhere = self._other_war_rooms(tenant)
            if elsewhere is not None:
                refusals.append(elsewhere)
                continue
            if tenant.lifecycle is Lifecycle.ROLLING_BACK or (holder and holder.kind == JobKind.ROLLBACK):
                numbers = {"job_id": holder.job_id} if holder else {}
                refusals.append(TenantRefusal(tenant.tenant_id, RefusalRule.ROLLING_BACK, numbers))
                continue
            if tenant.lifecycle not in ROLLBACK_FROM:
                numbers = {"lifecycle": tenant.lifecycle.label}
                refusals.append(TenantRefusal(tenant.tenant_id, RefusalRule.NOTHING_ON_OCI, numbers))
                continue
            note = f"takes it over from {holder.job_id} ({holder.kind})" if holder else ""
            change = dns_plan.change_line(tenant, dns_plan.to_aws(tenant, ttl), None)
            targets.append(PlannedTarget(tenant.tenant_id, 0, None, change, tenant.lifecycle.value, note))
        return ActionPlan(
            request,
            tuple(targets),
            (),
            RollbackParams(now).to_json(),
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
            candidates = in_queue_order(self._war_rooms_own(self.session.tenants.find(wave=request.wave)))
            if not candidates:
                raise BadRequest(f"wave {request.wave} has no tenants{self._in_war_room()}")
        elif request.tenant_ids:
            candidates = self._tenants(request.tenant_ids)
        elif request.count is not None:
            # Just a count: the next ready tenants in the queue's order (Pilot, wave, priority).
            candidates = in_queue_order(self._war_rooms_own(self.session.tenants.find(lifecycle=Lifecycle.READY)))
            if not candidates:
                raise BadRequest(f"no tenant{self._in_war_room()} is ready: nothing to batch")
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
            elsewhere = self._other_war_rooms(tenant)  # a tenant named: it says where it belongs
            reason = reason or (elsewhere.reason() if elsewhere is not None else "")
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
        params = self._asked(
            request,
            group_size=group_size,
            interval=interval,
            count=count,
            wave=request.wave,
            groups=[[t.tenant_id for t in targets if t.group_no == g] for g in range(_groups(targets))],
            rehydrate=[
                needs_rehydration(group, times[index].start, self.settings) for index, group in enumerate(grouped)
            ],
            expected=[t.to_json() for t in times],
            waits_for_room=waits_for_room(group_size, self.settings),
            waits=([window_wait_words(start, now, self.settings)] if start > now else []) + waits,
            not_before=start if start > now else None,
            timezone=self.settings.safety.window.timezone,  # the zone its times are shown in
        )
        return ActionPlan(request, targets, tuple(excluded), params, verdict, (), (), now, self.operator)

    def _batch_exclusion(self, tenant: Tenant, holder: LockHolder | None, now: float, request: PlanRequest) -> str:
        if holder is not None:
            return f"held by {holder.job_id} ({holder.kind} by {holder.operator})"
        if tenant.lifecycle is not Lifecycle.READY:
            return f"{tenant.lifecycle.label}, not ready"
        moved = _dns_moved(tenant)
        return moved.reason() if moved else ""


def _groups(targets: Sequence[PlannedTarget]) -> int:
    return max((t.group_no for t in targets), default=-1) + 1


def _remedy_note(gate: GateResult) -> str:
    return remedy_sentence(gate.remedies)


def _dns_moved(tenant: Tenant) -> TenantRefusal | None:
    """A ready tenant whose record (as last read) no longer sends everything to AWS: someone changed it."""
    share = tenant.dns_oci_share
    if tenant.lifecycle is not Lifecycle.READY or share is None or share == 0:
        return None
    return TenantRefusal(tenant.tenant_id, RefusalRule.DNS_MOVED, {"oci_share": share, "routing": tenant.dns_routing})


def _locked(holder: LockHolder) -> TenantRefusal:
    numbers = {"job_id": holder.job_id, "kind": holder.kind, "operator": holder.operator, "state": holder.state}
    return TenantRefusal(holder.tenant_id, RefusalRule.LOCKED, numbers)
