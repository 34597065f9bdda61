"""Trigger rules as windowed predicates over successive snapshots: pass, fail, inconclusive, error."""

from __future__ import annotations

from cutover.actions.plan.triggers import Observation, Outcome, TriggerEvaluator
from cutover.config.settings import TriggerRule, TriggerSettings

T0 = 1_800_000_000.0


def evaluator(**kwargs: object) -> TriggerEvaluator:
    return TriggerEvaluator(TriggerSettings(**kwargs), stale_after=120, max_gap=30)  # type: ignore[arg-type]


def obs(at: float, *, requests: float = 1000, error_rate: float = 0.001, p95: float = 900, **kw: object) -> Observation:
    values: dict[str, object] = {
        "tenant_id": "T-0042",
        "measured_at": at,
        "requests": requests,
        "error_rate": error_rate,
        "p95_ms": p95,
        "baseline_p95_ms": 1000.0,
        "backends_healthy": 3,
        "backends_total": 3,
        "backends_at": at,
    }
    values.update(kw)
    return Observation(**values)  # type: ignore[arg-type]


def outcomes(verdict) -> dict[str, Outcome]:
    return {v.rule.name: v.outcome for v in verdict.verdicts}


def test_healthy_traffic_passes_every_rule_and_is_clean() -> None:
    verdict = evaluator().evaluate(obs(T0), T0)
    assert set(outcomes(verdict).values()) == {Outcome.PASS} and verdict.clean


def test_five_percent_errors_roll_back_at_once() -> None:
    verdict = evaluator().evaluate(obs(T0, error_rate=0.051), T0)
    assert verdict.rollback is not None and verdict.rollback.rule.name == "error-rate-immediate"
    assert verdict.rollback.message == "5.10 % (threshold > 5.00 %)"


def test_one_percent_must_be_sustained_five_minutes() -> None:
    judge = evaluator()
    first = judge.evaluate(obs(T0, error_rate=0.02), T0)
    assert first.rollback is None and not first.clean
    sustained = next(v for v in first.verdicts if v.rule.name == "error-rate-sustained")
    assert sustained.outcome is Outcome.PASS and sustained.breaching_since == T0
    assert sustained.message == "2.00 % (threshold > 1.00 %), breaching for 0s of 5m"
    for step in range(1, 60):
        assert judge.evaluate(obs(T0 + 5 * step, error_rate=0.02), T0 + 5 * step).rollback is None
    fired = judge.evaluate(obs(T0 + 300, error_rate=0.02), T0 + 300).rollback
    assert fired is not None and fired.rule.name == "error-rate-sustained"
    assert fired.message == "2.00 % (threshold > 1.00 %) for 5m"


def test_a_passing_snapshot_or_a_gap_starts_the_window_again() -> None:
    judge = evaluator()
    judge.evaluate(obs(T0, error_rate=0.02), T0)
    judge.evaluate(obs(T0 + 200, error_rate=0.002), T0 + 200)  # recovered
    assert judge.evaluate(obs(T0 + 300, error_rate=0.02), T0 + 300).rollback is None
    judge = evaluator()
    for step in range(0, 30):
        judge.evaluate(obs(T0 + 5 * step, error_rate=0.02), T0 + 5 * step)
    # No data for a minute (> max_gap): the window is not covered any more.
    assert judge.evaluate(obs(T0 + 210, error_rate=0.02), T0 + 210).rollback is None
    for at in range(215, 510, 5):
        assert judge.evaluate(obs(T0 + at, error_rate=0.02), T0 + at).rollback is None
    assert judge.evaluate(obs(T0 + 510, error_rate=0.02), T0 + 510).rollback is not None


def test_too_little_traffic_is_inconclusive_and_holds_never_passes() -> None:
    verdict = evaluator().evaluate(obs(T0, requests=12, error_rate=0.5), T0)
    got = outcomes(verdict)
    assert got["error-rate-immediate"] is Outcome.INCONCLUSIVE and got["latency-regression"] is Outcome.INCONCLUSIVE
    assert verdict.rollback is None and not verdict.clean
    assert "12 requests in the period, 50 needed to judge" in verdict.describe_holds()


def test_a_failing_or_stale_source_is_an_error_never_acted_on() -> None:
    judge = evaluator()
    failing = judge.evaluate(obs(T0, error_rate=0.5, source_error="GetMetricData: throttled"), T0)
    assert outcomes(failing)["error-rate-immediate"] is Outcome.ERROR and failing.rollback is None
    assert not failing.clean
    stale = judge.evaluate(obs(T0 - 300, error_rate=0.5), T0)
    assert outcomes(stale)["error-rate-immediate"] is Outcome.ERROR and stale.rollback is None
    assert "metrics are 5m old: stale, not acted on" in stale.describe_holds()


def test_all_backends_down_rolls_back_and_latency_only_alerts() -> None:
    judge = evaluator()
    down = judge.evaluate(obs(T0, backends_healthy=0), T0)
    assert down.rollback is not None and down.rollback.rule.name == "all-backends-down"
    for step in range(0, 121):
        slow = judge.evaluate(obs(T0 + 5 * step, p95=2500), T0 + 5 * step)
    assert slow.rollback is None and [v.rule.name for v in slow.alerts] == ["latency-regression"]


def test_a_shadow_rule_is_evaluated_but_never_acts_or_holds() -> None:
    rules = (TriggerRule(name="strict", metric="error_rate", op=">", threshold=0.001, action="rollback", shadow=True),)
    verdict = evaluator(rules=rules).evaluate(obs(T0, error_rate=0.01), T0)
    (shadow,) = verdict.verdicts
    assert shadow.outcome is Outcome.FAIL and not shadow.acts
    assert verdict.rollback is None and verdict.clean


def test_cloudwatch_figures_minutes_late_are_judged_not_called_stale() -> None:
    from cutover.actions.plan.freshness import metrics_stale_after
    from cutover.config.providers import CloudMetrics, CloudWatchSettings
    from cutover.config.settings import ProvidersSettings, Settings

    cloudwatch = Settings(providers=ProvidersSettings(metrics=CloudMetrics(kind="cloud", aws=CloudWatchSettings())))
    judge = TriggerEvaluator(
        TriggerSettings(), stale_after=120, max_gap=30, metrics_stale_after=metrics_stale_after(cloudwatch)
    )
    late = judge.evaluate(obs(T0 - 4 * 60, backends_at=T0), T0)  # a healthy CloudWatch: 4 minutes behind
    assert set(outcomes(late).values()) == {Outcome.PASS}
    silent = judge.evaluate(obs(T0 - 7 * 60, backends_at=T0), T0)
    assert outcomes(silent)["error-rate-immediate"] is Outcome.ERROR


def test_a_gap_shorter_than_the_period_each_figure_counts_keeps_the_streak() -> None:
    judge = evaluator()  # max_gap 30 s
    minute = {"period_s": 60.0}
    judge.evaluate(obs(T0, error_rate=0.02, **minute), T0)
    # 50 s without a figure (an engine taking over): the next minute of requests covers it.
    after = judge.evaluate(obs(T0 + 50, error_rate=0.02, **minute), T0 + 50)
    assert next(v for v in after.verdicts if v.rule.name == "error-rate-sustained").breaching_since == T0
    # 90 s without one: a minute's figure does not cover that; the streak starts again.
    later = judge.evaluate(obs(T0 + 140, error_rate=0.02, **minute), T0 + 140)
    assert next(v for v in later.verdicts if v.rule.name == "error-rate-sustained").breaching_since == T0 + 140
