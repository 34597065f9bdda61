"""Safety rules: checked against the state a change would produce, before any DNS change.

As Route 53 Application Recovery Controller's assertion rules do, a rule looks
at the fleet as it would be after the change (how many tenants cutting over, in
monitoring, rolled back tonight), not as it is. A refusal names the rule and the
numbers. Breaking a rule takes an explicit break-glass override with a reason,
which is recorded in the audit trail.

Rules guard moving traffic to OCI (flip, ramp, batch). Rollback is never refused
by a safety rule (nor by a tenant's hold): it must always be possible.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cutover.actions.plan.gate import WINDOW_RULE
from cutover.actions.plan.go_no_go import NightDecision, read_night
from cutover.actions.plan.windows import check_window, night_start, window_for
from cutover.config.settings import Settings
from cutover.config.units import format_duration
from cutover.config.windows import WindowSettings
from cutover.model.jobs import TO_OCI_KINDS
from cutover.model.lifecycle import Lifecycle
from cutover.model.tenant import Tenant
from cutover.state.facts import Facts
from cutover.state.holds import active_holds

MAX_CUTTING_OVER = "max-cutting-over"
MAX_MONITORING = "max-monitoring"
MAX_ROLLBACKS = "max-rollbacks-per-night"
ENTERPRISE_REHEARSAL = "enterprise-rehearsal"
ENTERPRISE_APPROVAL = "enterprise-approval"
GO_NO_GO = "go-no-go"  # the night's checklist ([night.go_no_go]): a no-go stops moving; a batch needs every go
TENANT_HOLD = "tenant-hold"  # `cutover hold` (or --not-before): the customer asked to reschedule
RULES = (
    MAX_CUTTING_OVER,
    MAX_MONITORING,
    MAX_ROLLBACKS,
    WINDOW_RULE,
    ENTERPRISE_REHEARSAL,
    ENTERPRISE_APPROVAL,
    TENANT_HOLD,
    GO_NO_GO,
)


@dataclass(frozen=True)
class Refusal:
    rule: str
    message: str
    numbers: Mapping[str, object]
    tenant_ids: tuple[str, ...] = ()
    overridden: str = ""  # the break-glass reason

    def to_json(self) -> dict[str, object]:
        return {
            "rule": self.rule,
            "message": self.message,
            "numbers": dict(self.numbers),
            "tenants": list(self.tenant_ids),
            "overridden": self.overridden,
        }


@dataclass(frozen=True)
class SafetyVerdict:
    refusals: tuple[Refusal, ...]

    @property
    def blocking(self) -> tuple[Refusal, ...]:
        return tuple(refusal for refusal in self.refusals if not refusal.overridden)

    @property
    def overridden(self) -> tuple[Refusal, ...]:
        return tuple(refusal for refusal in self.refusals if refusal.overridden)

    @property
    def ok(self) -> bool:
        return not self.blocking

    def describe(self) -> str:
        return "; ".join(f"{refusal.rule}: {refusal.message}" for refusal in self.blocking)


def only_capacity(verdict: SafetyVerdict) -> bool:
    """Refused only because too many tenants are in flight right now: waiting fixes it."""
    return bool(verdict.blocking) and all(r.rule in (MAX_CUTTING_OVER, MAX_MONITORING) for r in verdict.blocking)


@dataclass(frozen=True)
class FleetPicture:
    """What the rules need from the store, read once."""

    cutting_over: frozenset[str]
    monitoring: frozenset[str]
    rollbacks_tonight: tuple[tuple[str, float], ...]
    rehearsed: frozenset[str] = frozenset()
    approvals: Mapping[str, frozenset[str]] = field(default_factory=dict)
    holds: Mapping[str, str] = field(default_factory=dict)  # held tenant -> why, with who held it
    night: NightDecision | None = None  # tonight's go/no-go (None or not configured: no gate)


def read_fleet(facts: Facts, tenants: Sequence[Tenant], now: float, settings: Settings) -> FleetPicture:
    states = facts.tenants_in((Lifecycle.CUTTING_OVER, Lifecycle.MONITORING))
    night = night_start(now, settings.safety.window)
    enterprise = [tenant.tenant_id for tenant in tenants if tenant.tier == "enterprise"]
    since = now - settings.safety.rehearsal_max_age
    rehearsed = facts.rehearsed(enterprise, TO_OCI_KINDS, since) if enterprise else set()
    approvals = facts.approvals(enterprise, now - settings.safety.approval_max_age) if enterprise else {}
    ids = {tenant.tenant_id for tenant in tenants}
    zone = settings.safety.window.zone
    holds = {tid: hold.words(zone) for tid, hold in active_holds(facts.store, now).items() if tid in ids}
    return FleetPicture(
        cutting_over=frozenset(states[Lifecycle.CUTTING_OVER]),
        monitoring=frozenset(states[Lifecycle.MONITORING]),
        rollbacks_tonight=tuple((record.tenant_id, record.at) for record in facts.rollbacks_since(night)),
        rehearsed=frozenset(rehearsed),
        approvals={tenant_id: frozenset(who) for tenant_id, who in approvals.items()},
        holds=holds,
        night=read_night(facts.store, settings, now),
    )


def _names(tenant_ids: Sequence[str], limit: int = 5) -> str:
    shown = ", ".join(tenant_ids[:limit])
    return shown + (f" and {len(tenant_ids) - limit} more" if len(tenant_ids) > limit else "")


def evaluate_safety(
    tenants: Sequence[Tenant],
    fleet: FleetPicture,
    now: float,
    settings: Settings,
    *,
    operator: str,
    overrides: Mapping[str, str] | None = None,
    at_once: int | None = None,
    starts: Mapping[str, float] | None = None,
    batch: bool = False,
    window: WindowSettings | None = None,
) -> SafetyVerdict:
    """Check moving `tenants` to OCI.

    `at_once` is how many of them cut over together (a batch's group; default all
    of them); `starts` says when each would start (a batch's later groups), for
    the window rule. `overrides` maps a rule name to the break-glass reason an
    operator gave. `batch`: a night's batch about to start, which needs every
    go/no-go item signed go (a no-go refuses any move to OCI). `window`: the one
    a batch was given (--window); else each tenant's wave's, or the [safety] one.
    """
    overrides = overrides or {}
    starts = starts or {}
    safety = settings.safety
    ids = {tenant.tenant_id for tenant in tenants}
    adding = [tenant.tenant_id for tenant in tenants][: at_once if at_once is not None else None]
    refusals: list[Refusal] = []

    def refuse(rule: str, message: str, numbers: Mapping[str, object], tenant_ids: Sequence[str] = ()) -> None:
        refusals.append(Refusal(rule, message, numbers, tuple(tenant_ids), overrides.get(rule, "")))

    others_cutting = fleet.cutting_over - ids
    projected = len(others_cutting) + len(adding)
    if projected > safety.max_cutting_over:
        refuse(
            MAX_CUTTING_OVER,
            f"{projected} tenants would be cutting over at once ({len(others_cutting)} now + {len(adding)} in "
            f"this change); the limit is {safety.max_cutting_over}",
            {
                "now": len(others_cutting),
                "adding": len(adding),
                "projected": projected,
                "limit": safety.max_cutting_over,
            },
        )

    others_monitoring = fleet.monitoring - ids
    projected_monitoring = len(others_monitoring) + len(others_cutting) + len(adding)
    if projected_monitoring > safety.max_monitoring:
        refuse(
            MAX_MONITORING,
            f"{projected_monitoring} tenants would be in monitoring ({len(others_monitoring)} monitoring + "
            f"{len(others_cutting)} cutting over + {len(adding)} in this change); the limit is {safety.max_monitoring}",
            {
                "monitoring": len(others_monitoring),
                "cutting_over": len(others_cutting),
                "adding": len(adding),
                "projected": projected_monitoring,
                "limit": safety.max_monitoring,
            },
        )

    rollbacks = fleet.rollbacks_tonight
    if len(rollbacks) >= safety.max_rollbacks_per_night:
        listed = ", ".join(f"{tenant_id}" for tenant_id, _ in rollbacks[:5]) or "none"
        refuse(
            MAX_ROLLBACKS,
            f"{len(rollbacks)} rollback{'s' if len(rollbacks) != 1 else ''} tonight ({listed}); the limit is "
            f"{safety.max_rollbacks_per_night}: stop for the night",
            {"rollbacks": len(rollbacks), "limit": safety.max_rollbacks_per_night},
        )

    outside = []
    sample = ""
    spans: set[str] = set()
    for tenant in tenants:
        judged = window_for(tenant, settings, window)
        if judged.window is None:
            outside.append(tenant.tenant_id)
            sample = sample or f"{tenant.tenant_id}: {judged.missing_words()}"
            continue
        spans.add(f"{judged.window.start:%H:%M}-{judged.window.end:%H:%M}")
        check = check_window(tenant, starts.get(tenant.tenant_id, now), judged.window)
        if not check.inside:
            outside.append(tenant.tenant_id)
            sample = sample or (
                f"{tenant.tenant_id} at {check.local_time}, opens in {format_duration(check.opens_in_s)}"
            )
    if outside:
        shown = ", ".join(sorted(spans)) or f"{safety.window.start:%H:%M}-{safety.window.end:%H:%M}"
        refuse(
            WINDOW_RULE,
            f"{len(outside)} of {len(tenants)} tenants outside the migration window "
            f"{shown} tenant-local ({_names(outside)}; {sample})",
            {"outside": len(outside), "tenants": len(tenants)},
            outside,
        )

    enterprise = [tenant.tenant_id for tenant in tenants if tenant.tier == "enterprise"]
    if enterprise and safety.enterprise_needs_rehearsal:
        missing = [tenant_id for tenant_id in enterprise if tenant_id not in fleet.rehearsed]
        if missing:
            refuse(
                ENTERPRISE_REHEARSAL,
                f"{len(missing)} enterprise tenant{'s have' if len(missing) != 1 else ' has'} no recorded dry run "
                f"in the last {format_duration(safety.rehearsal_max_age)} ({_names(missing)}): "
                "rehearse with --dry-run first",
                {"missing": len(missing), "enterprise": len(enterprise)},
                missing,
            )
    if enterprise and safety.enterprise_needs_second_operator:
        missing = [
            tenant_id for tenant_id in enterprise if not (fleet.approvals.get(tenant_id, frozenset()) - {operator})
        ]
        if missing:
            refuse(
                ENTERPRISE_APPROVAL,
                f"{len(missing)} enterprise tenant{'s need' if len(missing) != 1 else ' needs'} a second operator's "
                f"approval ({_names(missing)}): someone other than {operator} runs `cutover approve`",
                {"missing": len(missing), "enterprise": len(enterprise)},
                missing,
            )
    night = fleet.night
    if night is not None and night.configured and (night.no_go or (batch and night.missing)):
        refuse(
            GO_NO_GO,
            (night.no_go_words() + ": nothing moves to OCI until it is signed go again")
            if night.no_go
            else night.missing_words() + ": `cutover go --item ITEM --reason R` by each role",
            {"night": night.night, "signed": night.signed, "items": len(night.items), "no_go": len(night.no_go)},
        )

    held = [tenant.tenant_id for tenant in tenants if tenant.tenant_id in fleet.holds]
    if held:
        first = held[0]
        refuse(
            TENANT_HOLD,
            f"{len(held)} tenant{'s are' if len(held) != 1 else ' is'} held out of the queue ({first} "
            f"{fleet.holds[first]}{'; ' + _names(held[1:]) + ' too' if len(held) > 1 else ''}): "
            "`cutover unhold` first, or break glass",
            {"held": len(held), "tenants": len(tenants)},
            held,
        )
    return SafetyVerdict(tuple(refusals))
