"""The decision gate (pre-flight): may this tenant be cut over now?

A pure evaluation over what the store has observed of the tenant; it calls no
provider. Each check says pass, fail or unknown, with its evidence and the age
of that evidence. Unknown or stale is never a pass, and the gate names every
check that blocks.

Some checks the cutover itself can satisfy: a stale sync proof is renewed by the
final sync and verification, an old hydration by a re-hydrate step. Those carry
a `remedy`; a batch plan counts a tenant eligible when everything that blocks it
has one, and the cutover evaluates the gate again, strictly, right before DNS.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from cutover.actions.plan.dns_readiness import dns_readiness
from cutover.actions.plan.freshness import metrics_stale_after
from cutover.actions.plan.windows import check_window, window_for
from cutover.config.settings import Settings
from cutover.config.units import format_duration
from cutover.config.windows import WindowSettings
from cutover.model.lifecycle import Lifecycle, SyncHealth
from cutover.model.tenant import Tenant


class CheckResult(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    UNKNOWN = "unknown"


class GateVerdict(StrEnum):
    """The gate's one answer, with one meaning everywhere (console, `gate`, `status`, JSON).

    eligible: the cutover may start; every check passes or is one the cutover's own steps redo first.
    blocked: a check fails that only a person can fix. unknown: a check cannot be judged (no evidence,
    or stale evidence) and the cutover would not fix it: never a pass."""

    ELIGIBLE = "eligible"
    BLOCKED = "blocked"
    UNKNOWN = "unknown"


# What the cutover runs to fix a check, as a noun phrase: "the cutover runs a final sync and verification first".
REMEDY_FINAL_SYNC = "a final sync and verification"
REMEDY_HYDRATE = "a re-hydration of the OCI cluster"
REMEDY_ORDER = (REMEDY_HYDRATE, REMEDY_FINAL_SYNC)  # the order the cutover runs them in
WINDOW_RULE = "migration-window"


@dataclass(frozen=True)
class Check:
    name: str  # lifecycle, sync, validation, backends, metrics, hydration, dns, window
    result: CheckResult
    evidence: str
    age_s: float | None  # how old the evidence is; None when there is none
    remedy: str = ""  # a step the cutover runs that can turn this into a pass
    overridden: str = ""  # the break-glass reason, when an operator overrode it
    dated: bool = False  # the evidence already says how old it is ("verified 3 min ago", "ready for 2h")
    ready_at: float | None = None  # when a check that only time blocks passes (the DNS TTL's wait)

    @property
    def blocking(self) -> bool:
        return self.result is not CheckResult.PASS and not self.overridden

    def evidence_with_age(self) -> str:
        """The evidence, with its age when the evidence does not already say it: "3/3 healthy (12 s old)"."""
        if self.dated or self.age_s is None or self.age_s < 1 or self.name in ("lifecycle", "window"):
            return self.evidence
        return f"{self.evidence} ({format_duration(self.age_s)} old)"

    def describe(self) -> str:
        text = f"{self.name}: {self.result.value}, {self.evidence}"
        if self.overridden:
            text += f" (overridden: {self.overridden})"
        return text

    def to_json(self) -> dict[str, object]:
        return {
            "name": self.name,
            "result": self.result.value,
            "evidence": self.evidence,
            "age_s": self.age_s,
            "remedy": self.remedy,
            "overridden": self.overridden,
            "blocking": self.blocking,
            "ready_at": self.ready_at,
        }


@dataclass(frozen=True)
class GateResult:
    tenant_id: str
    checks: tuple[Check, ...]
    evaluated_at: float

    @property
    def passed(self) -> bool:
        return not self.blocking

    @property
    def blocking(self) -> tuple[Check, ...]:
        return tuple(check for check in self.checks if check.blocking)

    @property
    def eligible(self) -> bool:
        """Every blocking check is one the cutover's own steps will fix."""
        return all(check.remedy for check in self.blocking)

    @property
    def verdict(self) -> GateVerdict:
        stuck = [check for check in self.blocking if not check.remedy]
        if not stuck:
            return GateVerdict.ELIGIBLE
        if any(check.result is CheckResult.FAIL for check in stuck):
            return GateVerdict.BLOCKED
        return GateVerdict.UNKNOWN

    def why(self) -> str:
        """The summary without its verdict word: "4 checks pass, ...", "backends: 2/3 healthy"."""
        return self.summary().split(": ", 1)[1]

    def summary(self) -> str:
        """ "eligible: 4 checks pass, 2 done by the cutover itself (it runs ... first)",
        "blocked: backends: 2/3 healthy", "unknown: validation: the validation suite has not run"."""
        if self.verdict is GateVerdict.ELIGIBLE:
            passing = sum(1 for check in self.checks if not check.blocking)
            redone = sum(1 for check in self.blocking if check.remedy)
            text = f"eligible: {passing} check{'s' * (passing != 1)} pass"
            if redone:
                text += f", {redone} done by the cutover itself (it {remedy_sentence(self.remedies)})"
            return text
        stuck = [check for check in self.blocking if not check.remedy]
        return f"{self.verdict.value}: " + "; ".join(f"{check.name}: {check.evidence}" for check in stuck)

    def without(self, *names: str) -> GateResult:
        """The same result with some checks left out (a plan leaves the window to the safety rule)."""
        return GateResult(self.tenant_id, tuple(c for c in self.checks if c.name not in names), self.evaluated_at)

    @property
    def remedies(self) -> tuple[str, ...]:
        """What the cutover will run to fix the blocking checks, in the order it runs them."""
        found = {check.remedy for check in self.blocking if check.remedy}
        return tuple(remedy for remedy in REMEDY_ORDER if remedy in found)

    def check(self, name: str) -> Check:
        return next(check for check in self.checks if check.name == name)

    def describe(self) -> str:
        if self.passed:
            return f"{self.tenant_id}: gate passed"
        blocked = "; ".join(check.describe() for check in self.blocking)
        return f"{self.tenant_id}: gate blocked by {blocked}"

    def to_json(self) -> dict[str, object]:
        return {
            "tenant": self.tenant_id,
            "verdict": self.verdict.value,
            "summary": self.summary(),
            "passed": self.passed,
            "eligible": self.eligible,
            "blocking": [check.name for check in self.blocking],
            "checks": [check.to_json() for check in self.checks],
        }


def remedy_sentence(remedies: Collection[str]) -> str:
    """ "runs a re-hydration of the OCI cluster and a final sync and verification first" (after "the cutover")."""
    ordered = [remedy for remedy in REMEDY_ORDER if remedy in remedies]
    return f"runs {' and '.join(ordered)} first" if ordered else ""


def _ago(now: float, ts: float) -> str:
    return f"{format_duration(max(0.0, now - ts))} ago"


def evaluate_gate(
    tenant: Tenant,
    now: float,
    settings: Settings,
    *,
    states: Collection[Lifecycle] = (Lifecycle.READY,),
    overrides: dict[str, str] | None = None,
    window: WindowSettings | None = None,
) -> GateResult:
    """Evaluate every check; `overrides` maps a break-glass rule name to its reason; `window` is the one a
    batch was given (--window), else the tenant's wave's or the [safety] window judges it."""
    overrides = overrides or {}
    checks = (
        _lifecycle(tenant, now, states),
        _sync(tenant, now, settings),
        _validation(tenant, now, settings),
        _backends(tenant, now, settings),
        _metrics(tenant, now, settings),
        _hydration(tenant, now, settings),
        *((_dns(tenant, now, settings),) if not _dns_moved_on(tenant) else ()),
        _window(tenant, now, settings, overrides.get(WINDOW_RULE, ""), window),
    )
    return GateResult(tenant.tenant_id, checks, now)


def _lifecycle(tenant: Tenant, now: float, states: Collection[Lifecycle]) -> Check:
    age = now - tenant.lifecycle_since
    if tenant.lifecycle in states:
        return Check(
            "lifecycle", CheckResult.PASS, f"{tenant.lifecycle.label} for {format_duration(age)}", age, dated=True
        )
    wanted = " or ".join(state.label for state in states)
    return Check("lifecycle", CheckResult.FAIL, f"{tenant.lifecycle.label}, must be {wanted}", age)


def _sync(tenant: Tenant, now: float, settings: Settings) -> Check:
    gates = settings.gates
    health = tenant.sync_health
    mismatches = tenant.checksum_mismatches or 0
    observed_age = None if tenant.observed_at is None else now - tenant.observed_at
    if health is SyncHealth.ERROR or mismatches:
        return Check(
            "sync", CheckResult.FAIL, f"{mismatches} checksum mismatch{'es' if mismatches != 1 else ''}", observed_age
        )
    if health is SyncHealth.STALLED:
        return Check("sync", CheckResult.FAIL, "sync stalled", observed_age)
    if health is SyncHealth.INITIAL_SYNC:
        percent = f" {tenant.sync_percent:.0f} %" if tenant.sync_percent is not None else ""
        return Check("sync", CheckResult.FAIL, f"initial sync{percent} still running", observed_age)
    if health is SyncHealth.NOT_STARTED:
        return Check("sync", CheckResult.FAIL, "sync not started", observed_age)
    if tenant.verified_at is None:
        return Check("sync", CheckResult.UNKNOWN, "lag 0 never proven by a verification pass", None, REMEDY_FINAL_SYNC)
    age = now - tenant.verified_at
    if age > gates.verification_max_age:
        return Check(
            "sync",
            CheckResult.UNKNOWN,
            f"stale: verified {_ago(now, tenant.verified_at)}, must be within "
            f"{format_duration(gates.verification_max_age)}",
            age,
            REMEDY_FINAL_SYNC,
            dated=True,
        )
    # The proof is the verification; a sync observation newer than it may show writes since.
    newer = tenant.observed_at is not None and tenant.observed_at > tenant.verified_at
    lag = tenant.sync_lag_s if newer else 0.0
    if lag is not None and lag > gates.max_sync_lag:
        return Check(
            "sync",
            CheckResult.FAIL,
            f"lag {format_duration(lag)}, {tenant.pending_objects or 0} objects pending",
            age,
            REMEDY_FINAL_SYNC,
        )
    return Check(
        "sync",
        CheckResult.PASS,
        f"lag 0, verified {_ago(now, tenant.verified_at)}, 0 checksum mismatches",
        age,
        dated=True,
    )


def _validation(tenant: Tenant, now: float, settings: Settings) -> Check:
    gates = settings.gates
    passed, total, at = tenant.validation_passed, tenant.validation_total, tenant.validated_at
    if passed is None or total is None or at is None:
        return Check("validation", CheckResult.UNKNOWN, "the validation suite has not run", None)
    age = now - at
    if age > gates.validation_max_age:
        return Check(
            "validation",
            CheckResult.UNKNOWN,
            f"stale: {passed}/{total} {_ago(now, at)}, must be within {format_duration(gates.validation_max_age)}",
            age,
            dated=True,
        )
    needed = max(gates.validation_checks, total)
    if passed < needed:
        return Check("validation", CheckResult.FAIL, f"{passed}/{needed} passed {_ago(now, at)}", age, dated=True)
    return Check("validation", CheckResult.PASS, f"{passed}/{total} passed {_ago(now, at)}", age, dated=True)


def _backends(tenant: Tenant, now: float, settings: Settings) -> Check:
    gates = settings.gates
    healthy, total, at = tenant.backends_healthy, tenant.backends_total, tenant.health_at
    if healthy is None or total is None or at is None:
        return Check("backends", CheckResult.UNKNOWN, "backend health not observed", None)
    age = now - at
    if age > gates.stale_after:
        return Check(
            "backends",
            CheckResult.UNKNOWN,
            f"stale: {healthy}/{total} healthy {_ago(now, at)}, must be within {format_duration(gates.stale_after)}",
            age,
            dated=True,
        )
    if healthy < total or healthy < gates.min_backends:
        return Check("backends", CheckResult.FAIL, f"{healthy}/{max(total, gates.min_backends)} healthy", age)
    return Check("backends", CheckResult.PASS, f"{healthy}/{total} healthy", age)


def _metrics(tenant: Tenant, now: float, settings: Settings) -> Check:
    """The tenant's metrics are current: a cutover nobody can watch is never started.

    Judged against the source's own delay (CloudWatch publishes minutes late), so a healthy
    source always passes and one that stopped reporting blocks once it is past that bound.
    """
    at = tenant.metrics_at
    if at is None:
        return Check("metrics", CheckResult.UNKNOWN, "no metrics observed: the cutover could not be watched", None)
    age = now - at
    bound = metrics_stale_after(settings)
    if age > bound:
        return Check(
            "metrics",
            CheckResult.UNKNOWN,
            f"stale: last measured {_ago(now, at)}, must be within {format_duration(bound)}",
            age,
            dated=True,
        )
    return Check("metrics", CheckResult.PASS, "current", age)


def _hydration(tenant: Tenant, now: float, settings: Settings) -> Check:
    limit = settings.gates.hydration_max_age
    at = tenant.hydrated_at
    if at is None:
        return Check("hydration", CheckResult.UNKNOWN, "never hydrated", None, REMEDY_HYDRATE)
    age = now - at
    if age > limit:
        return Check(
            "hydration",
            CheckResult.FAIL,
            f"hydrated {_ago(now, at)}, older than {format_duration(limit)}",
            age,
            REMEDY_HYDRATE,
            dated=True,
        )
    return Check("hydration", CheckResult.PASS, f"hydrated {_ago(now, at)}", age, dated=True)


def _dns_moved_on(tenant: Tenant) -> bool:
    """The cutover has changed this tenant's DNS (or is past it): readiness for the change no longer applies."""
    after = (Lifecycle.MONITORING, Lifecycle.MIGRATED, Lifecycle.DECOMMISSIONED, Lifecycle.ROLLING_BACK)
    return tenant.lifecycle in after or (
        tenant.lifecycle is Lifecycle.CUTTING_OVER and (bool(tenant.dns_oci_share) or tenant.dns_split)
    )


def _dns(tenant: Tenant, now: float, settings: Settings) -> Check:
    ready = dns_readiness(tenant, now, settings)
    result = CheckResult.UNKNOWN if ready.passed is None else CheckResult.PASS if ready.passed else CheckResult.FAIL
    return Check("dns", result, ready.evidence, ready.age_s, dated=True, ready_at=ready.ready_at)


def _window(tenant: Tenant, now: float, settings: Settings, override: str, given: WindowSettings | None) -> Check:
    judged = window_for(tenant, settings, given)
    if judged.window is None:
        return Check("window", CheckResult.FAIL, judged.missing_words(), 0.0, overridden=override)
    window = check_window(tenant, now, judged.window)
    if window.inside:
        return Check("window", CheckResult.PASS, window.describe(), 0.0)
    evidence = f"{window.describe()}; opens in {format_duration(window.opens_in_s)}"
    return Check("window", CheckResult.FAIL, evidence, 0.0, overridden=override)
