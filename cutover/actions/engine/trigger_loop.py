"""The trigger loop: judges every metrics snapshot of the tenants in flight and acts.

Judged: tenants in monitoring, tenants cutting over whose DNS already sends
traffic to OCI (a ramp stage, or a flip past its DNS change), and migrated tenants
under watch (state/watch.py; after its intensive part a watched tenant is polled
every `watch.interval`, and a breaching streak bridges the polls between). Triggers stay
armed whatever their job is doing (paused, held, waiting at a gate): they look
at tenants, not jobs.

- a failing rollback rule submits a rollback job (once: its idempotency key is
  the rule and the start of the breach, and a tenant being rolled back is not
  judged any more), with a critical alert;
- a failing alert rule, an inconclusive rule, a stale or failing source: an
  alert, once per streak; the verdict holds promotions (see flows/cutover.py);
- a shadow rule that would have fired: an event of kind `trigger.shadow`.

Each verdict is kept in memory for the flows and written to `trigger_status` for
every console.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from cutover.actions.engine.engine_core import EngineCore
from cutover.actions.plan.freshness import metrics_stale_after
from cutover.actions.plan.triggers import Observation, Outcome, TenantVerdict, TriggerEvaluator, Verdict
from cutover.config.settings import WatchSettings
from cutover.model.job_params import RollbackParams
from cutover.model.jobs import JobKind, rollback_steps
from cutover.model.lifecycle import Lifecycle
from cutover.model.tenant import Tenant
from cutover.providers.ports.metrics import MetricsSnapshot
from cutover.state.facts import TriggerStatus
from cutover.state.job_records import LockConflict, NewTarget
from cutover.state.watch import intensive, under_watch

log = logging.getLogger(__name__)


def judged(tenant: Tenant, now: float, watch: WatchSettings) -> bool:
    return tenant.judged or under_watch(tenant, now, watch)


class TriggerLoop:
    def __init__(self, core: EngineCore):
        self.core = core
        settings = core.settings
        self.evaluator = TriggerEvaluator(
            settings.triggers,
            stale_after=settings.gates.stale_after,
            metrics_stale_after=metrics_stale_after(settings),
            max_gap=3 * settings.engine.metrics_interval,
        )
        self._said: set[tuple[str, str, str, float]] = set()  # (tenant, rule, outcome, streak) already alerted
        self._judged: set[str] = set()
        self._resume_streaks()

    def _resume_streaks(self) -> None:
        """A new leader carries on the streaks the last one recorded: a takeover never delays a rollback."""
        rules = {rule.name for rule in self.evaluator.rules}
        room = self.core.war_room
        for status in self.core.trigger_status.all():
            if not room.whole_fleet and not room.holds(self.core.tenant(status.tenant_id)):
                continue  # another war room's tenant: its engine judges it, and keeps (or clears) its streak
            if status.rule in rules and status.breaching_since is not None and status.measured_at is not None:
                self.evaluator.resume(status.tenant_id, status.rule, status.breaching_since, status.measured_at)
                self._judged.add(status.tenant_id)  # cleared with the others if it is no longer judged

    def on_snapshot(
        self,
        snapshot: MetricsSnapshot,
        in_flight: Sequence[Tenant],
        *,
        skipped: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        """Judge the tenants of a snapshot; `skipped`: watched tenants this poll left out (their streaks go on)."""
        now = self.core.now()
        watch = self.core.settings.watch
        observations = []
        for tenant in in_flight:
            if not judged(tenant, now, watch):
                continue
            light = tenant.lifecycle is Lifecycle.MIGRATED and not intensive(tenant, now, watch)
            metrics = snapshot.tenant(tenant.tenant_id)
            observations.append(
                Observation(
                    tenant.tenant_id,
                    metrics.measured_at if metrics else None,
                    metrics.requests if metrics else None,
                    metrics.error_rate if metrics else None,
                    metrics.p95_ms if metrics else None,
                    tenant.baseline_p95_ms,
                    tenant.backends_healthy,
                    tenant.backends_total,
                    tenant.health_at,
                    period_s=snapshot.period_s,
                    cadence_s=watch.interval if light else 0.0,
                )
            )
        self._judge(observations, now, in_flight, skipped=skipped)

    def on_metrics_failure(self, in_flight: Sequence[Tenant], message: str, consecutive: int) -> None:
        """The metrics source failed: every judged tenant's verdict is an error (hold, never act)."""
        now = self.core.now()
        observations = [
            Observation(
                t.tenant_id,
                None,
                None,
                None,
                None,
                t.baseline_p95_ms,
                t.backends_healthy,
                t.backends_total,
                t.health_at,
                source_error=message,
            )
            for t in in_flight
            if judged(t, now, self.core.settings.watch)
        ]
        self._judge(
            observations,
            now,
            in_flight,
            quiet_errors=consecutive < self.core.settings.triggers.source_errors_before_alert,
        )

    def _judge(
        self,
        observations: Sequence[Observation],
        now: float,
        in_flight: Sequence[Tenant],
        *,
        quiet_errors: bool = False,
        skipped: set[str] | frozenset[str] = frozenset(),
    ) -> None:
        statuses: list[TriggerStatus] = []
        seen = set()
        for observation in observations:
            verdict = self.evaluator.evaluate(observation, now)
            self.core.verdicts[observation.tenant_id] = verdict
            seen.add(observation.tenant_id)
            statuses += [
                TriggerStatus(
                    v.tenant_id,
                    v.rule.name,
                    v.outcome.value,
                    v.value,
                    v.breaching_since,
                    now,
                    v.message,
                    self.evaluator.last_breach(v.tenant_id, v.rule.name),
                )
                for v in verdict.verdicts
            ]
            self._act(verdict, quiet_errors)
        gone = self._judged - seen - skipped
        for tenant_id in gone:
            self.evaluator.forget(tenant_id)
            self.core.verdicts.pop(tenant_id, None)
        self._judged = seen | (self._judged & skipped)
        with self.core.fenced():
            self.core.trigger_status.clear(gone)
            self.core.trigger_status.record(statuses)

    def _once(self, verdict: Verdict, streak: float | None) -> bool:
        key = (verdict.tenant_id, verdict.rule.name, verdict.outcome.value, streak or 0.0)
        if key in self._said:
            return False
        self._said.add(key)
        return True

    def _act(self, tenant_verdict: TenantVerdict, quiet_errors: bool) -> None:
        core = self.core
        tenant_id = tenant_verdict.tenant_id
        rollback = tenant_verdict.rollback
        if rollback is not None:
            self._roll_back(rollback)
        for verdict in tenant_verdict.verdicts:
            if verdict.rule.shadow:
                if verdict.outcome is Outcome.FAIL and self._once(verdict, verdict.breaching_since):
                    core.events.append(
                        "trigger.shadow",
                        f"{tenant_id}: shadow rule {verdict.rule.name} would {verdict.rule.action}: {verdict.message}",
                        tenant_id=tenant_id,
                        detail={"rule": verdict.rule.name, "action": verdict.rule.action, "value": verdict.value},
                    )
                continue
            if verdict.outcome is Outcome.FAIL and verdict.rule.action == "alert":
                if self._once(verdict, verdict.breaching_since):
                    core.alert(
                        f"{tenant_id}: {verdict.rule.name}: {verdict.message}",
                        source="trigger",
                        tenant_id=tenant_id,
                        rule=verdict.rule.name,
                        outcome="fail",
                    )
            elif verdict.outcome is Outcome.INCONCLUSIVE:
                if self._once(verdict, None):
                    core.alert(
                        f"{tenant_id}: {verdict.rule.name} inconclusive: {verdict.message}; holding (no promotion)",
                        source="trigger",
                        tenant_id=tenant_id,
                        rule=verdict.rule.name,
                        outcome="inconclusive",
                    )
            elif (
                verdict.outcome is Outcome.ERROR
                and not quiet_errors
                and "metrics source failing" not in verdict.message
            ):
                if self._once(verdict, None):
                    core.alert(
                        f"{tenant_id}: {verdict.rule.name}: {verdict.message}; holding",
                        source="trigger",
                        tenant_id=tenant_id,
                        rule=verdict.rule.name,
                        outcome="error",
                    )
            elif verdict.outcome is Outcome.PASS and not verdict.breaching:
                for outcome in ("inconclusive", "error"):
                    self._said.discard((tenant_id, verdict.rule.name, outcome, 0.0))

    def _roll_back(self, verdict: Verdict) -> None:
        core = self.core
        tenant_id = verdict.tenant_id
        key = f"trigger:{tenant_id}:{verdict.rule.name}:{verdict.breaching_since}"
        if core.jobs.by_key(key) is not None:
            return
        reason = f"trigger {verdict.rule.name}: {verdict.message}"
        try:
            job, created = core.jobs.submit(
                JobKind.ROLLBACK,
                [NewTarget(tenant_id, rollback_steps(core.settings.rollback.reverse_sync))],
                reason=reason,
                params=RollbackParams(
                    core.now(), trigger={"rule": verdict.rule.name, "value": verdict.value, "message": verdict.message}
                ).to_json(),
                idempotency_key=key,
                operator=f"trigger:{verdict.rule.name}",
            )
        except LockConflict as held:
            log.info("%s: rollback already under way: %s", tenant_id, held)
            return
        if created:
            core.alert(
                f"{tenant_id}: {reason}: rolling back automatically ({job.job_id})",
                severity="critical",
                source="trigger",
                tenant_id=tenant_id,
                job_id=job.job_id,
                rule=verdict.rule.name,
                outcome="fail",
            )
            core.wakeup.set()
