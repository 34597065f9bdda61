"""The fleet as the console shows it: one display row per tenant, filters and sort orders.

Pure Python, no Textual: the rows are built in a worker thread from what the
store says, compared with the previous ones, and only the changed ones are
handed to the table. Every value that comes from an observation older than the
stale threshold is marked stale, so it is never shown as current.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from cutover.actions.plan.queue_order import queue_key
from cutover.config.settings import GateSettings, TriggerRule, TriggerSettings, WatchSettings
from cutover.config.text import visible
from cutover.config.units import format_duration
from cutover.model.lifecycle import IN_FLIGHT, Lifecycle, SyncHealth
from cutover.model.tenant import Tenant
from cutover.state.next_step import next_step
from cutover.state.watch import Checkpoint, under_watch

# The runbook dashboard's colours: pending blue, syncing yellow, ready green,
# cutting over purple, migrated done, failed red. ANSI names, so 16 colours do.
STATE_STYLE: dict[Lifecycle, str] = {
    Lifecycle.PENDING: "cyan",
    Lifecycle.SYNCING: "yellow",
    Lifecycle.VALIDATING: "yellow",
    Lifecycle.READY: "green",
    Lifecycle.CUTTING_OVER: "bold bright_magenta",
    Lifecycle.MONITORING: "bright_magenta",
    Lifecycle.MIGRATED: "bright_black",
    Lifecycle.DECOMMISSIONED: "bright_black",
    Lifecycle.ROLLING_BACK: "bold bright_red",
    Lifecycle.ROLLED_BACK: "bright_red",
    Lifecycle.FAILED: "bold bright_red",
}
STATE_LABEL: dict[Lifecycle, str] = {state: state.label for state in Lifecycle} | {
    Lifecycle.MIGRATED: "migrated ✓",
}
STATE_ORDER = {state: index for index, state in enumerate(Lifecycle)}
TIER_SHORT = {"standard": "std", "premium": "prem", "enterprise": "ent"}
TIER_ORDER = {"standard": 0, "premium": 1, "enterprise": 2}

STALE = "stale"
WARN = "warn"
BAD = "bad"
DIM = "dim"
# How the named cell styles look, as Rich style strings (ANSI colours only).
NAMED_STYLES = {STALE: "dim italic", WARN: "yellow", BAD: "bold bright_red", DIM: "dim"}


def cell_style_name(name: str) -> str:
    """A cell's style as a Rich style string."""
    return NAMED_STYLES.get(name, name)


@dataclass(frozen=True)
class Cell:
    text: str
    style: str = ""


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: int
    # Columns with the highest `drop` go first when the screen is narrow; 0 never goes.
    drop: int = 0
    align: str = "left"
    flex: bool = False


COLUMNS: tuple[Column, ...] = (
    Column("id", "TENANT", 8),
    Column("wave", "W", 1, drop=0, align="right"),
    Column("tier", "TIER", 4, drop=4),
    Column("state", "STATE", 14),
    Column("next", "NEXT STEP", 16, flex=True),
    Column("lag", "LAG", 6, align="right"),
    Column("traffic", "OCI dns/obs", 11, align="right"),
    Column("errors", "ERR  x base", 11, align="right", drop=2),
    Column("p95", "P95  x base", 11, align="right", drop=3),
    Column("backends", "BE", 3, align="right", drop=1),
    Column("lock", "LOCK", 8, drop=5),
)
COLUMN_INDEX = {column.key: index for index, column in enumerate(COLUMNS)}
ATTENTION = "attention"  # the order the console opens with: in flight, faults, tonight's batch, the rest
QUEUE = "queue"  # the order batches pick in: Pilot, wave, priority (actions/plan/queue_order.py)
SORTABLE = (ATTENTION, "id", "wave", "tier", "state", "next", "lag", "traffic", "errors", "p95", "backends", QUEUE)


@dataclass(frozen=True)
class FleetRow:
    """What the table shows of one tenant, and what it sorts and filters on."""

    tenant_id: str
    wave: int
    tier: str
    lifecycle: Lifecycle
    cells: tuple[Cell, ...]
    sort_values: tuple[Any, ...]
    search_text: str
    fault: str = ""
    in_flight: bool = False
    tonight: str = ""  # its place in tonight's batch: "g3 ~02:45 EST batch-2", empty when none holds it
    queue: tuple[Any, ...] = ()  # its place in the queue (queue_order.queue_key)

    @property
    def attention(self) -> int:
        """The first screen's order: in flight, then faults, then tonight's batch, then the rest."""
        if self.in_flight:
            return 0
        if self.fault:
            return 1
        return 2 if self.tonight else 3

    def cell(self, key: str) -> Cell:
        return self.cells[COLUMN_INDEX[key]]


@dataclass(frozen=True)
class RowContext:
    """What a row needs besides the tenant: the time, the gate settings, who holds locks."""

    now: float
    gates: GateSettings = field(default_factory=GateSettings)
    locks: dict[str, str] = field(default_factory=dict)
    activity: dict[str, str] = field(default_factory=dict)  # what a running job does with the tenant now
    triggers: TriggerSettings = field(default_factory=TriggerSettings)
    breaching_since: dict[tuple[str, str], float] = field(default_factory=dict)  # (tenant, rule) -> since
    tonight: dict[str, str] = field(default_factory=dict)  # tenant -> its place in tonight's batch
    watch: WatchSettings = field(default_factory=WatchSettings)
    checkpoints: dict[str, Checkpoint] = field(default_factory=dict)  # the watch's recorded checkpoints
    holds: dict[str, str] = field(default_factory=dict)  # tenant -> its hold as a step ("held: ... (bob)")


@dataclass(frozen=True)
class TonightSlot:
    """A tenant a batch job not ended holds or targets: which batch, which group, when it is expected."""

    job_id: str
    group: int | None
    expected: str  # "02:45" in the batch's zone, or ""
    state: str  # the batch's state: running, queued, paused, held

    def text(self) -> str:
        """Group and time first, so a narrow column keeps them: "g2 ~03:15 EST batch-1 (paused)"."""
        group = f"g{self.group} " if self.group is not None else ""
        when = f"~{self.expected} " if self.expected else ""
        state = "" if self.state == "running" else f" ({self.state})"
        return f"{group}{when}{self.job_id}{state}"


def _is_stale(at: float | None, ctx: RowContext) -> bool:
    return at is None or ctx.now - at > ctx.gates.stale_after


def _lag_cell(tenant: Tenant, ctx: RowContext) -> Cell:
    health = tenant.sync_health
    if health is SyncHealth.NOT_STARTED:
        return Cell("-", DIM)
    if health is SyncHealth.ERROR:
        return Cell("error", BAD)
    if health is SyncHealth.STALLED:
        return Cell("stall", BAD)
    if health is SyncHealth.INITIAL_SYNC:
        percent = tenant.sync_percent
        return Cell(f"{percent:.0f}%" if percent is not None else "init", "")
    if tenant.sync_lag_s is None:
        return Cell("?", STALE)
    stale = _is_stale(tenant.observed_at, ctx)
    text = "0s" if tenant.sync_lag_s <= 0 else _short_duration(tenant.sync_lag_s)
    if stale:
        return Cell(text + "?", STALE)
    return Cell(text, "" if tenant.sync_lag_s <= ctx.gates.max_sync_lag else WARN)


def _short_duration(seconds: float) -> str:
    """Six characters at most: '45s', '4m', '2h10m', '3d'."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m"
    if seconds < 48 * 3600:
        hours, minutes = divmod(seconds // 60, 60)
        return f"{hours}h{minutes:02d}m" if minutes else f"{hours}h"
    return f"{seconds // 86400}d"


def _percent(share: float | None) -> str:
    return "  ?" if share is None else f"{round(share * 100):3d}"


def _traffic_cell(tenant: Tenant, ctx: RowContext) -> Cell:
    """The share DNS sends to OCI next to the share OCI was seen serving: '100/ 97%'."""
    if tenant.dns_oci_share is None and tenant.observed_oci_share is None:
        return Cell("-", DIM)
    dns_stale = tenant.dns_oci_share is not None and _is_stale(tenant.dns_at, ctx)
    obs_stale = tenant.observed_oci_share is not None and _is_stale(tenant.metrics_at, ctx)
    if tenant.dns_split:
        # Its DNS names disagree (one moved, one did not): never one number, which would be one name's lie.
        split = f"split/{_percent(tenant.observed_oci_share)}%"
        return Cell(split + ("?" if _is_stale(tenant.dns_at, ctx) or obs_stale else " "), WARN)
    text = f"{_percent(tenant.dns_oci_share)}/{_percent(tenant.observed_oci_share)}%"
    if dns_stale or obs_stale:
        return Cell(text + "?", STALE)
    style = ""
    if tenant.dns_oci_share is not None and tenant.observed_oci_share is not None:
        style = "" if abs(tenant.dns_oci_share - tenant.observed_oci_share) < 0.02 else WARN
    return Cell(text + " ", style)


def _ratio_style(ratio: float | None, warn: float, bad: float) -> str:
    if ratio is None:
        return ""
    return BAD if ratio > bad else WARN if ratio > warn else ""


def _errors_cell(tenant: Tenant, ctx: RowContext) -> tuple[Cell, float | None]:
    if tenant.error_rate is None:
        return Cell("-", DIM), None
    base = tenant.baseline_error_rate
    ratio = tenant.error_rate / base if base else None
    value = f"{tenant.error_rate * 100:.2f}%"
    text = f"{value} {_ratio_text(ratio)}"
    if _is_stale(tenant.metrics_at, ctx):
        return Cell(text + "?", STALE), ratio
    # Past a configured trigger's line is bad where the triggers judge; against baseline, 2x is worth a look.
    breached = tenant.judged and _error_rule_breached(tenant.error_rate, ctx.triggers) is not None
    style = BAD if breached else _ratio_style(ratio, 2.0, 5.0)
    if style == BAD and not tenant.judged:
        style = WARN  # worth a look, but no trigger judges it here: never shown as a fault

    return Cell(text + " ", style), ratio


def _p95_cell(tenant: Tenant, ctx: RowContext) -> tuple[Cell, float | None]:
    if tenant.p95_ms is None:
        return Cell("-", DIM), None
    base = tenant.baseline_p95_ms
    ratio = tenant.p95_ms / base if base else None
    value = f"{tenant.p95_ms / 1000:.2f}s" if tenant.p95_ms >= 1000 else f"{tenant.p95_ms:.0f}ms"
    text = f"{value} {_ratio_text(ratio)}"
    if _is_stale(tenant.metrics_at, ctx):
        return Cell(text + "?", STALE), ratio
    return Cell(text + " ", _ratio_style(ratio, 1.2, 2.0)), ratio


def _ratio_text(ratio: float | None) -> str:
    if ratio is None:
        return "   -"
    return f"{min(ratio, 99.9):3.1f}x" if ratio < 10 else f"{min(ratio, 999):3.0f}x"


def _backends_cell(tenant: Tenant, ctx: RowContext) -> Cell:
    healthy, total = tenant.backends_healthy, tenant.backends_total
    if healthy is None or not total:
        return Cell("-", DIM)  # nothing deployed on OCI yet
    text = f"{healthy}/{total}"
    if _is_stale(tenant.health_at, ctx):
        return Cell(text + "?", STALE)
    if healthy == 0:
        return Cell(text, BAD)
    return Cell(text, WARN if healthy < max(total, ctx.gates.min_backends) else "")


def _next_style(step: str) -> str:
    if step.startswith("held: "):
        return WARN
    if step.startswith("not before "):
        return DIM
    if ": " in step and not step.startswith(("fix", "wait", "watch", "confirm")):
        return "bold bright_magenta"  # a job is working on it
    if step.startswith("fix"):
        return BAD
    if step.startswith(("watch", "confirm")):
        return WARN
    if step.startswith("wait"):
        return DIM
    return ""


_OPS: dict[str, Callable[[float, float], bool]] = {
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    "==": lambda a, b: a == b,
}


def _error_rule_breached(error_rate: float, triggers: TriggerSettings) -> TriggerRule | None:
    """The configured error-rate rule this rate breaches with the lowest threshold (shadow rules too:
    they are there to be watched), or None."""
    breached = [
        rule for rule in triggers.rules if rule.metric == "error_rate" and _OPS[rule.op](error_rate, rule.threshold)
    ]
    return min(breached, key=lambda rule: rule.threshold, default=None)


def _rate(share: float) -> str:
    return f"{share * 100:.1f} %".replace(".0 %", " %")


def _fault(tenant: Tenant, ctx: RowContext, step: str) -> str:
    """Why this tenant needs attention, in a few words ("error rate 3.4 % > 1 % for 2m", "backends 1/3",
    "stale 4m"); empty when it does not. Error rates count only where the trigger rules judge them."""
    if tenant.lifecycle in (Lifecycle.FAILED, Lifecycle.ROLLING_BACK, Lifecycle.ROLLED_BACK):
        return tenant.lifecycle.label
    if tenant.sync_health in (SyncHealth.ERROR, SyncHealth.STALLED):
        checksum = ": checksum" if (tenant.checksum_mismatches or 0) > 0 else ""
        return f"sync {tenant.sync_health.label}{checksum}"
    if step.startswith("fix"):
        return step.removeprefix("fix: ")
    if (
        tenant.backends_healthy is not None
        and tenant.backends_total
        and tenant.backends_healthy < tenant.backends_total
    ):
        return f"backends {tenant.backends_healthy}/{tenant.backends_total}"
    judged = tenant.judged or under_watch(tenant, ctx.now, ctx.watch)
    watched = judged or tenant.lifecycle in IN_FLIGHT
    if watched and _is_stale(tenant.metrics_at, ctx):
        age = "" if tenant.metrics_at is None else " " + _short_duration(ctx.now - tenant.metrics_at)
        return f"stale{age}" if age else "stale: no metrics"
    if judged and tenant.error_rate is not None:
        rule = _error_rule_breached(tenant.error_rate, ctx.triggers)
        if rule is not None:
            since = ctx.breaching_since.get((tenant.tenant_id, rule.name))
            lasting = f" for {_short_duration(ctx.now - since)}" if since is not None else ""
            return f"error rate {_rate(tenant.error_rate)} {rule.op} {_rate(rule.threshold)}{lasting}"
    return ""


def build_row(tenant: Tenant, ctx: RowContext) -> FleetRow:
    tid = tenant.tenant_id
    step = ctx.activity.get(tid) or next_step(
        tenant, ctx.now, ctx.gates, ctx.watch, ctx.checkpoints.get(tid), ctx.holds.get(tid, "")
    )
    errors, error_ratio = _errors_cell(tenant, ctx)
    p95, p95_ratio = _p95_cell(tenant, ctx)
    lock = ctx.locks.get(tenant.tenant_id, "")
    cells = (
        Cell(tenant.tenant_id, "bold"),
        Cell(str(tenant.wave)),
        Cell(TIER_SHORT.get(tenant.tier, tenant.tier[:4])),
        Cell(STATE_LABEL[tenant.lifecycle], STATE_STYLE[tenant.lifecycle]),
        Cell(visible(step), _next_style(step)),
        _lag_cell(tenant, ctx),
        _traffic_cell(tenant, ctx),
        errors,
        p95,
        _backends_cell(tenant, ctx),
        Cell(visible(lock), WARN if lock else ""),
    )
    missing = float("inf")
    sort_values = (
        tenant.tenant_id,
        tenant.wave,
        TIER_ORDER.get(tenant.tier, 9),
        STATE_ORDER[tenant.lifecycle],
        step,
        tenant.sync_lag_s if tenant.sync_lag_s is not None else missing,
        tenant.observed_oci_share if tenant.observed_oci_share is not None else -1.0,
        error_ratio if error_ratio is not None else (tenant.error_rate or -1.0),
        p95_ratio if p95_ratio is not None else -1.0,
        tenant.backends_healthy if tenant.backends_healthy is not None else missing,
        lock,
    )
    names = " ".join(extra.name for extra in tenant.dns_names) if tenant.several_names else tenant.dns_name
    search = " ".join((tenant.tenant_id, tenant.name, tenant.lifecycle.label, step, names, lock)).lower()
    return FleetRow(
        tenant_id=tenant.tenant_id,
        wave=tenant.wave,
        tier=tenant.tier,
        lifecycle=tenant.lifecycle,
        cells=cells,
        sort_values=sort_values,
        search_text=search,
        fault=_fault(tenant, ctx, step),
        in_flight=tenant.lifecycle in IN_FLIGHT,
        tonight=ctx.tonight.get(tenant.tenant_id, ""),
        queue=queue_key(tenant),
    )


def row_valid_until(tenant: Tenant, ctx: RowContext) -> float:
    """When the row must be built again although nothing about the tenant changed: a figure
    turning stale, a countdown that ticks."""
    until = float("inf")
    if tenant.lifecycle is Lifecycle.MONITORING and tenant.monitoring_until is not None:
        until = ctx.now + 1.0
    if tenant.judged or tenant.lifecycle in IN_FLIGHT or under_watch(tenant, ctx.now, ctx.watch):
        until = min(until, ctx.now + 30.0)  # "stale 4m", "for 2m", "decommission in 19h 40m": minutes tick
    for at in (tenant.observed_at, tenant.metrics_at, tenant.dns_at, tenant.health_at):
        if at is not None and at + ctx.gates.stale_after >= ctx.now:
            until = min(until, at + ctx.gates.stale_after)
    return until


# --- filters -----------------------------------------------------------------------


class FilterError(ValueError):
    """A filter the operator typed that cannot be understood; the message says how to write it."""


FILTER_KEYS = ("state", "wave", "tier", "id", "night")


@dataclass(frozen=True)
class FleetFilter:
    """`/` filter: free words (all must match) and state:, wave:, tier:, id: (comma means or); a word with
    commas is a list of tenant IDs (`T-0008,T-0555`); night: (tonight's batches, or night:batch-2 for one)."""

    words: tuple[str, ...] = ()
    states: frozenset[Lifecycle] = frozenset()
    waves: frozenset[int] = frozenset()
    tiers: frozenset[str] = frozenset()
    ids: frozenset[str] = frozenset()  # lower case
    faults_only: bool = False
    text: str = ""
    tonight: bool = False  # night: only the tenants tonight's batches hold or target
    batches: tuple[str, ...] = ()  # night:batch-2 -> only that batch's

    @property
    def active(self) -> bool:
        return bool(
            self.words or self.states or self.waves or self.tiers or self.ids or self.faults_only or self.tonight
        )

    def matches(self, row: FleetRow) -> bool:
        if self.faults_only and not row.fault:
            return False
        if self.tonight and not row.tonight:
            return False
        if self.batches and not any(batch in row.tonight.split() for batch in self.batches):
            return False
        if self.states and row.lifecycle not in self.states:
            return False
        if self.waves and row.wave not in self.waves:
            return False
        if self.tiers and row.tier not in self.tiers:
            return False
        if self.ids and row.tenant_id.lower() not in self.ids:
            return False
        return all(word in row.search_text for word in self.words)

    def describe(self) -> str:
        parts = [self.text] if self.text else []
        if self.faults_only:
            parts.append("faults only")
        return ", ".join(parts)


def _match_state(value: str) -> set[Lifecycle]:
    wanted = value.replace(" ", "_").replace("-", "_")
    exact = {state for state in Lifecycle if state.value == wanted}
    if exact:
        return exact
    found = {state for state in Lifecycle if state.value.startswith(wanted)}
    if not found:
        known = ", ".join(state.value for state in Lifecycle)
        raise FilterError(f"state:{value} matches no state; states are {known}")
    return found


def _match_tier(value: str) -> set[str]:
    found = {tier for tier in TIER_ORDER if tier.startswith(value)}
    if not found:
        raise FilterError(f"tier:{value} matches no tier; tiers are standard (std), premium (prem), enterprise (ent)")
    return found


def _match_wave(value: str) -> set[int]:
    if not value.isdigit():
        raise FilterError(f"wave:{value} is not a wave number; write wave:1 or wave:1,2")
    return {int(value)}


_MATCHERS: dict[str, Callable[[str], set[Any]]] = {
    "state": _match_state,
    "wave": _match_wave,
    "tier": _match_tier,
    "id": lambda value: {value},
}
SORT_NAMES = {
    ATTENTION: "attention (in flight, faults, tonight, the rest)",
    QUEUE: "queue order (Pilot, wave, priority: the order batches pick in)",
    "id": "tenant",
    "wave": "wave",
    "tier": "tier",
    "state": "state",
    "next": "next step",
    "lag": "sync lag",
    "traffic": "OCI traffic",
    "errors": "error rate against baseline",
    "p95": "p95 against baseline",
    "backends": "healthy backends",
    "lock": "lock",
}


def parse_filter(text: str, *, faults_only: bool = False) -> FleetFilter:
    """`ready wave:1,2 tier:ent` -> a filter; raises FilterError naming the bad part."""
    words: list[str] = []
    found: dict[str, set[Any]] = {key: set() for key in FILTER_KEYS}
    tonight = False
    for token in text.lower().split():
        key, colon, value = token.partition(":")
        if not colon:
            if "," in token:  # T-0008,T-0555: any of these tenants
                found["id"] |= set(filter(None, token.split(",")))
            else:
                words.append(token)
            continue
        if key == "night":
            tonight = True
            found["night"] |= set(filter(None, value.split(",")))
            continue
        if key not in _MATCHERS:
            raise FilterError(f"{key}: is not a filter; use {', '.join(k + ':' for k in FILTER_KEYS)} or plain words")
        if not value:
            raise FilterError(f"{key}: needs a value, like {key}:{'1' if key == 'wave' else 'ready'}")
        for part in filter(None, re.split(r",", value)):
            found[key] |= _MATCHERS[key](part)
    return FleetFilter(
        words=tuple(words),
        states=frozenset(found["state"]),
        waves=frozenset(found["wave"]),
        tiers=frozenset(found["tier"]),
        ids=frozenset(found["id"]),
        faults_only=faults_only,
        text=text.strip(),
        tonight=tonight,
        batches=tuple(sorted(found["night"])),
    )


def sort_key(column: str) -> Callable[[FleetRow], tuple[Any, str]]:
    if column == ATTENTION:
        return lambda row: (row.attention, row.tenant_id)
    if column == QUEUE:
        return lambda row: (row.queue, row.tenant_id)
    index = COLUMN_INDEX[column]
    if column == "id":
        return lambda row: (row.tenant_id, "")
    return lambda row: (row.sort_values[index], row.tenant_id)


# --- summary -----------------------------------------------------------------------


@dataclass(frozen=True)
class WaveSummary:
    wave: int
    total: int
    by_state: dict[Lifecycle, int]
    migrated: int
    in_flight: int

    @property
    def percent_migrated(self) -> float:
        return 100.0 * self.migrated / self.total if self.total else 0.0


def summarize(rows: Iterable[FleetRow]) -> list[WaveSummary]:
    waves: dict[int, dict[Lifecycle, int]] = {}
    for row in rows:
        counts = waves.setdefault(row.wave, {})
        counts[row.lifecycle] = counts.get(row.lifecycle, 0) + 1
    summaries = []
    for wave in sorted(waves):
        counts = waves[wave]
        migrated = counts.get(Lifecycle.MIGRATED, 0) + counts.get(Lifecycle.DECOMMISSIONED, 0)
        summaries.append(
            WaveSummary(
                wave=wave,
                total=sum(counts.values()),
                by_state=dict(counts),
                migrated=migrated,
                in_flight=sum(counts.get(state, 0) for state in IN_FLIGHT),
            )
        )
    return summaries


def age_text(at: float | None, now: float) -> str:
    return "never" if at is None else f"{format_duration(max(0.0, now - at))} ago"


# --- what an action would act on ----------------------------------------------------------


@dataclass(frozen=True)
class TargetSet:
    """What an action would act on, frozen when the dialog opens: later data does not change it."""

    action: str  # "cut over", "roll back", ...
    eligible: tuple[str, ...]
    excluded: tuple[tuple[str, str], ...] = ()  # (tenant, why)
    detail: str = ""

    def summary(self) -> str:
        """ "3 eligible, 1 excluded: T-0009 pending, must be ready"; past a few, counted by reason:
        "24 eligible, 401 excluded: 380 pending, 18 syncing, 3 held (listed below)"."""
        text = f"{len(self.eligible)} eligible"
        if not self.excluded:
            return text
        if len(self.excluded) <= NAMED_EXCLUSIONS:
            reasons = ", ".join(f"{tid} {why}" for tid, why in self.excluded)
            return f"{text}, {len(self.excluded)} excluded: {reasons}"
        counts = ", ".join(f"{len(members)} {reason}" for reason, members in self.excluded_by_reason())
        return f"{text}, {len(self.excluded):,} excluded: {counts} (listed below)"

    def excluded_by_reason(self) -> list[tuple[str, list[tuple[str, str]]]]:
        """The excluded tenants grouped by the short form of their reason, the largest group first."""
        groups: dict[str, list[tuple[str, str]]] = {}
        for tenant_id, why in self.excluded:
            groups.setdefault(exclusion_kind(why), []).append((tenant_id, why))
        return sorted(groups.items(), key=lambda item: -len(item[1]))

    def excluded_listing(self) -> str:
        """Every excluded tenant, by reason: the ids where the reason says it all, else each with its own."""
        lines = []
        for kind, members in self.excluded_by_reason():
            lines.append(f"{len(members)} {kind}:")
            if all(exclusion_kind(why) == why or why.endswith(NOT_READY) for _, why in members):
                lines.append("  ".join(tenant_id for tenant_id, _ in members))
            else:
                lines.extend(f"{tenant_id}: {why}" for tenant_id, why in members)
        return "\n".join(lines)


NAMED_EXCLUSIONS = 3  # up to this many excluded tenants are named in the summary line
NOT_READY = (", not ready", ", must be ready")


def exclusion_kind(reason: str) -> str:
    """A reason's short form, to count by: "pending, not ready" -> "pending", "held by job-3 (...)" -> "held"."""
    for suffix in NOT_READY:
        if reason.endswith(suffix):
            return reason.removesuffix(suffix)
    if reason.startswith("held by"):
        return "held"
    if reason.startswith("gate:"):
        return "blocked at the gate"
    if reason.startswith("beyond tonight's count"):
        return "beyond tonight's count"
    return reason.split(",")[0].split(" (")[0].split(":")[0].strip()
