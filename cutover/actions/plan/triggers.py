"""Automatic triggers: rules from the configuration, judged on each metrics snapshot.

Each rule is a windowed predicate ("error rate > 1 % sustained 5 min") with four
outcomes, as Argo Rollouts' analysis has:

- pass: the condition does not hold (or holds, but not yet for long enough: the
  verdict then says since when it has been breaching);
- fail: the condition has held on every snapshot for at least `sustained`;
- inconclusive: too little traffic to judge (fewer than `min_requests` in the
  period), or no baseline to compare with. Never a silent pass: it holds the
  tenant (no promotion, no next ramp stage, no next batch group) and alerts;
- error: the metrics source failed or its data is stale. Never acted on: it
  holds, and alerts after a few consecutive errors.

A breaching streak is broken by any snapshot that is not failing (passing,
inconclusive, error) and by a gap in the data longer than `max_gap` or the period
each figure counts (a minute of requests covers the minute before it), so a rule
only fires on evidence that covers its whole window. Streaks are kept in the
store: an engine taking over carries them on rather than starting from zero.

This module is pure: it sees observations and says what they mean. The engine
(`actions/engine/trigger_loop.py`) acts on the verdicts.
"""

from __future__ import annotations

import operator
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from cutover.config.settings import TriggerRule, TriggerSettings
from cutover.config.units import format_duration


class Outcome(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"


_OPS = {">": operator.gt, ">=": operator.ge, "<": operator.lt, "<=": operator.le, "==": operator.eq}


@dataclass(frozen=True)
class Observation:
    """One tenant as one snapshot showed it, with its backend health and baseline."""

    tenant_id: str
    measured_at: float | None  # when the metrics were measured; None when there are none
    requests: float | None
    error_rate: float | None
    p95_ms: float | None
    baseline_p95_ms: float | None
    backends_healthy: int | None
    backends_total: int | None
    backends_at: float | None
    source_error: str = ""  # the metrics source failing: what it said
    period_s: float = 0.0  # each figure counts the last period_s seconds (a minute of requests)
    cadence_s: float = 0.0  # polled only this often (the light part of the watch): no gap in the data


@dataclass(frozen=True)
class Verdict:
    rule: TriggerRule
    tenant_id: str
    outcome: Outcome
    value: float | None
    breaching_since: float | None
    evaluated_at: float
    message: str

    @property
    def acts(self) -> bool:
        """A failing rule that is not in shadow mode: the engine does what it says."""
        return self.outcome is Outcome.FAIL and not self.rule.shadow

    @property
    def breaching(self) -> bool:
        return self.breaching_since is not None


@dataclass(frozen=True)
class TenantVerdict:
    tenant_id: str
    verdicts: tuple[Verdict, ...]
    evaluated_at: float
    measured_at: float | None

    @property
    def live(self) -> tuple[Verdict, ...]:
        return tuple(verdict for verdict in self.verdicts if not verdict.rule.shadow)

    @property
    def rollback(self) -> Verdict | None:
        return next((v for v in self.live if v.outcome is Outcome.FAIL and v.rule.action == "rollback"), None)

    @property
    def alerts(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.live if v.outcome is Outcome.FAIL and v.rule.action == "alert")

    @property
    def holds(self) -> tuple[Verdict, ...]:
        """What stops a promotion: inconclusive or erroring rules, and rollback rules still breaching."""
        return tuple(
            v
            for v in self.live
            if v.outcome in (Outcome.INCONCLUSIVE, Outcome.ERROR)
            or (v.rule.action == "rollback" and v.breaching and v.outcome is not Outcome.FAIL)
        )

    @property
    def clean(self) -> bool:
        """Every live rule passes and no rollback rule is breaching: safe to promote."""
        return self.rollback is None and not self.holds

    def describe_holds(self) -> str:
        return "; ".join(f"{v.rule.name}: {v.outcome.value}, {v.message}" for v in self.holds)


def _format(metric: str, value: float) -> str:
    if metric == "error_rate":
        return f"{value * 100:.2f} %"
    if metric == "p95_ratio":
        return f"{value:.2f}x baseline"
    return f"{value:g}"


class TriggerEvaluator:
    """Keeps each rule's breaching streak per tenant between snapshots."""

    def __init__(
        self, settings: TriggerSettings, *, stale_after: float, max_gap: float, metrics_stale_after: float | None = None
    ):
        """`stale_after` bounds backend health; `metrics_stale_after` metrics, which their source publishes late."""
        self.settings = settings
        self.stale_after = stale_after
        self.metrics_stale_after = stale_after if metrics_stale_after is None else metrics_stale_after
        self.max_gap = max_gap
        self._streaks: dict[tuple[str, str], tuple[float, float]] = {}  # (tenant, rule) -> (since, last sample)

    @property
    def rules(self) -> Sequence[TriggerRule]:
        return self.settings.rules

    def forget(self, tenant_id: str) -> None:
        for key in [key for key in self._streaks if key[0] == tenant_id]:
            del self._streaks[key]

    def last_breach(self, tenant_id: str, rule: str) -> float | None:
        """When the rule's breaching streak on this tenant was last observed (None: no streak)."""
        streak = self._streaks.get((tenant_id, rule))
        return streak[1] if streak else None

    def resume(self, tenant_id: str, rule: str, since: float, last: float) -> None:
        """Carry on a streak another engine judged (a takeover): breaching since `since`, last seen at `last`."""
        self._streaks[(tenant_id, rule)] = (since, last)

    def evaluate(self, observation: Observation, now: float) -> TenantVerdict:
        verdicts = tuple(self._rule(rule, observation, now) for rule in self.rules)
        return TenantVerdict(observation.tenant_id, verdicts, now, observation.measured_at)

    def _rule(self, rule: TriggerRule, obs: Observation, now: float) -> Verdict:
        key = (obs.tenant_id, rule.name)

        def verdict(outcome: Outcome, message: str, value: float | None = None, since: float | None = None) -> Verdict:
            if since is None:
                self._streaks.pop(key, None)
            return Verdict(rule, obs.tenant_id, outcome, value, since, now, message)

        value, problem = self._value(rule, obs, now)
        if problem is not None:
            return verdict(*problem)
        assert value is not None
        at = obs.backends_at if rule.metric == "backends_healthy" else obs.measured_at
        assert at is not None
        shown = f"{_format(rule.metric, value)} (threshold {rule.op} {_format(rule.metric, rule.threshold)})"
        if not _OPS[rule.op](value, rule.threshold):
            return verdict(Outcome.PASS, shown, value)
        since, last = self._streaks.get(key, (at, at))
        if at - last > max(self.max_gap + obs.cadence_s, obs.period_s):
            since = at  # a gap in the data (each figure covers its period): the window is not covered, start again
        self._streaks[key] = (since, at)
        held = at - since
        if held >= rule.sustained:
            lasting = f" for {format_duration(held)}" if rule.sustained else ""
            return Verdict(rule, obs.tenant_id, Outcome.FAIL, value, since, now, f"{shown}{lasting}")
        return Verdict(
            rule,
            obs.tenant_id,
            Outcome.PASS,
            value,
            since,
            now,
            f"{shown}, breaching for {format_duration(held)} of {format_duration(rule.sustained)}",
        )

    def _value(
        self, rule: TriggerRule, obs: Observation, now: float
    ) -> tuple[float | None, tuple[Outcome, str] | None]:
        if rule.metric == "backends_healthy":
            if obs.backends_healthy is None or obs.backends_at is None:
                return None, (Outcome.ERROR, "backend health not observed")
            age = now - obs.backends_at
            if age > self.stale_after:
                return None, (Outcome.ERROR, f"backend health is {format_duration(age)} old: stale, not acted on")
            return float(obs.backends_healthy), None
        if obs.source_error:
            return None, (Outcome.ERROR, f"metrics source failing: {obs.source_error}")
        if obs.measured_at is None or obs.requests is None:
            return None, (Outcome.ERROR, "no metrics for this tenant")
        age = now - obs.measured_at
        if age > self.metrics_stale_after:
            return None, (Outcome.ERROR, f"metrics are {format_duration(age)} old: stale, not acted on")
        if rule.metric == "requests":
            return obs.requests, None
        if obs.requests < self.settings.min_requests:
            return None, (
                Outcome.INCONCLUSIVE,
                f"{obs.requests:.0f} requests in the period, {self.settings.min_requests} needed to judge",
            )
        if rule.metric == "error_rate":
            if obs.error_rate is None:
                return None, (Outcome.INCONCLUSIVE, "no error rate")
            return obs.error_rate, None
        # p95_ratio
        if not obs.baseline_p95_ms:
            return None, (Outcome.INCONCLUSIVE, "no baseline p95 to compare with")
        if obs.p95_ms is None:
            return None, (Outcome.INCONCLUSIVE, "no p95 in the period")
        return obs.p95_ms / obs.baseline_p95_ms, None
