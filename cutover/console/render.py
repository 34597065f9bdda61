"""How the headless commands print: rich tables for people, stable JSON for scripts.

The JSON documents are versioned by their `schema` field and described in the
README; add fields freely, never rename or remove one within a version.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import click
from rich.console import Console
from rich.table import Table
from rich.text import Text

from cutover.actions.plan.gate import GateResult, GateVerdict, remedy_sentence
from cutover.config.loader import LoadedConfig, Origin
from cutover.config.text import visible
from cutover.config.units import format_duration, format_size
from cutover.console.dns_names import name_lines, names_json
from cutover.console.fleet import STATE_STYLE
from cutover.console.plain import literal, plain
from cutover.model.tenant import Tenant
from cutover.state.events import Event
from cutover.state.holds import TenantHold


def _console() -> Console:
    # Piped into grep or a file, nothing is cut to fit: the terminal's width only
    # applies when there is a terminal.
    width = None if sys.stdout.isatty() else 1000
    return Console(highlight=False, soft_wrap=False, width=width)


def _measured(value: float | None, places: int = 1) -> float | None:
    """A measurement as precise as it is meaningful (p95 to 0.1 ms), not a float's 17 digits."""
    return None if value is None else round(value, places)


def _in_terminal() -> bool:
    return sys.stdout.isatty()


def iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def iso_text(text: str | None) -> str | None:
    """A time the store keeps as ISO text (the audit trail's wall time), in the same form as iso()."""
    if not text:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return text
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return iso(parsed.timestamp())


def _share(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.0f} %"


def _age(ts: float | None, now: float) -> str:
    return "-" if ts is None else f"{format_duration(max(0.0, now - ts))} ago"


# --- status ------------------------------------------------------------------------


def ready_line(gate: GateResult) -> str:
    """The runbook's `status` verdict: "Ready for cutover: yes" or "no: backends 2/3 healthy"."""
    if gate.verdict is GateVerdict.ELIGIBLE:
        first = f" (the cutover {remedy_sentence(gate.remedies)})" if gate.remedies else ""
        return f"Ready for cutover: yes{first}"
    return f"Ready for cutover: no: {gate.summary()}"


def ready_json(gate: GateResult) -> dict[str, Any]:
    return {"ready": gate.verdict is GateVerdict.ELIGIBLE, "verdict": gate.verdict.value, "summary": gate.summary()}


def tenant_json(
    tenant: Tenant,
    step: str,
    gate: GateResult | None = None,
    watch: dict[str, Any] | None = None,
    way_back: dict[str, Any] | None = None,
) -> dict[str, Any]:
    ready = {"ready_for_cutover": ready_json(gate)} if gate is not None else {}
    return {
        **ready,
        "id": tenant.tenant_id,
        "name": tenant.name,
        "wave": tenant.wave,
        "tier": tenant.tier,
        "size_bytes": tenant.size_bytes,
        "complexity": tenant.complexity,
        "criticality": tenant.criticality,
        "priority": tenant.priority,
        "region": tenant.region,
        "dns": {
            "name": tenant.dns_name,
            "hosted_zone": tenant.hosted_zone,
            "aws_target": tenant.aws_target,
            "oci_target": tenant.oci_target,
            **({"names": names_json(tenant)} if tenant.several_names else {}),
        },
        "buckets": {"aws": tenant.aws_bucket, "oci": tenant.oci_bucket},
        "baseline": {"p95_ms": _measured(tenant.baseline_p95_ms), "error_rate": tenant.baseline_error_rate},
        "lifecycle": tenant.lifecycle.value,
        "lifecycle_since": iso(tenant.lifecycle_since),
        "sync": {
            "health": tenant.sync_health.value or None,
            "percent": tenant.sync_percent,
            "eta_s": tenant.sync_eta_s,
            "lag_s": tenant.sync_lag_s,
            "pending_objects": tenant.pending_objects,
            "pending_bytes": tenant.pending_bytes,
            "checksum_mismatches": tenant.checksum_mismatches,
            "last_pass_at": iso(tenant.last_pass_at),
            "verified_at": iso(tenant.verified_at),
        },
        "backends": {"healthy": tenant.backends_healthy, "total": tenant.backends_total, "at": iso(tenant.health_at)},
        "validation": {
            "passed": tenant.validation_passed,
            "total": tenant.validation_total,
            "at": iso(tenant.validated_at),
        },
        "traffic": {
            "dns_oci_share": tenant.dns_oci_share,
            "dns_routing": tenant.dns_routing or None,
            "dns_at": iso(tenant.dns_at),
            "observed_oci_share": tenant.observed_oci_share,
            "requests": tenant.requests,
            "error_rate": tenant.error_rate,
            "p95_ms": _measured(tenant.p95_ms),
            "metrics_at": iso(tenant.metrics_at),
        },
        "hydrated_at": iso(tenant.hydrated_at),
        "monitoring_until": iso(tenant.monitoring_until),
        "observed_at": iso(tenant.observed_at),
        "watch": _watch_json(watch),
        "rollback_readiness": _way_back_json(way_back),
        "next_step": step,
    }


def _way_back_json(way_back: dict[str, Any] | None) -> dict[str, Any] | None:
    if way_back is None:
        return None
    shown = {key: value for key, value in way_back.items() if key != "lines"}
    for key in ("measured_at", "rollback_possible_until"):
        shown[key] = iso(shown.get(key))
    if shown.get("stranded"):
        shown["stranded"] = {**shown["stranded"], "since": iso(shown["stranded"]["since"])}
    if shown.get("aws_side", {}).get("measured"):
        shown["aws_side"] = {**shown["aws_side"], "measured_at": iso(shown["aws_side"]["measured_at"])}
    return shown


def _watch_json(watch: dict[str, Any] | None) -> dict[str, Any] | None:
    if watch is None:
        return None
    checkpoint = watch["checkpoint"]
    return {
        **watch,
        "started_at": iso(watch["started_at"]),
        "until": iso(watch["until"]),
        "checkpoint": None if checkpoint is None else {**checkpoint, "at": iso(checkpoint["at"])},
    }


def status_json(
    tenants: list[Tenant],
    steps: dict[str, str],
    now: float,
    gates: dict[str, GateResult] | None = None,
    watches: Mapping[str, dict[str, Any] | None] | None = None,
    holds: Mapping[str, TenantHold] | None = None,
    way_back: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """`holds`: the holds in force; each tenant carries `hold` (reason, not_before, held_by, held_at) or null."""
    gates = gates or {}
    watches = watches or {}
    holds = holds or {}
    way_back = way_back or {}
    return {
        "schema": "cutover.status/1",
        "generated_at": iso(now),
        "count": len(tenants),
        "tenants": [
            tenant_json(
                t, steps[t.tenant_id], gates.get(t.tenant_id), watches.get(t.tenant_id), way_back.get(t.tenant_id)
            )
            | {"hold": _hold_json(holds.get(t.tenant_id))}
            for t in tenants
        ],
    }


def _hold_json(hold: TenantHold | None) -> dict[str, Any] | None:
    if hold is None:
        return None
    return {
        **hold.to_json(),
        "not_before": iso(hold.not_before),
        "held_at": iso(hold.held_at),
    }


def _sync_cell(tenant: Tenant) -> str:
    if not tenant.sync_health.value:
        return "-"
    if tenant.sync_health.value == "initial_sync" and tenant.sync_percent is not None:
        return f"initial {tenant.sync_percent:.0f}%"
    if tenant.sync_lag_s is not None:
        return f"{tenant.sync_health.label}, lag {format_duration(tenant.sync_lag_s)}"
    return tenant.sync_health.label


def print_status(
    tenants: list[Tenant], steps: dict[str, str], now: float, watches: dict[str, str] | None = None
) -> None:
    """`watches`: the watch of each migrated tenant (`watch 3h 12m left · checkpoint T+4h passed`)."""
    watches = watches or {}
    console = _console()
    if not tenants:
        console.print("no tenants match")
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    # The key columns stay whole at any width; sync and the next step wrap in what is left.
    for column in ("TENANT", "WAVE", "TIER", "SIZE", "STATE"):
        table.add_column(column, no_wrap=True)
    table.add_column("SYNC", overflow="fold")
    table.add_column("NEXT STEP", overflow="fold", ratio=2)
    for tenant in tenants:
        style = STATE_STYLE[tenant.lifecycle]
        table.add_row(
            plain(tenant.tenant_id),
            str(tenant.wave),
            plain(tenant.tier),
            format_size(tenant.size_bytes),
            plain(tenant.lifecycle.label, style),
            _sync_cell(tenant),
            plain("; ".join(filter(None, (steps[tenant.tenant_id], watches.get(tenant.tenant_id))))),
        )
    console.print(table)
    counts: dict[str, int] = {}
    for tenant in tenants:
        counts[tenant.lifecycle.label] = counts.get(tenant.lifecycle.label, 0) + 1
    console.print(f"{len(tenants)} tenants: " + ", ".join(f"{n} {state}" for state, n in sorted(counts.items())))


def print_tenant(
    tenant: Tenant,
    step: str,
    now: float,
    gate: GateResult | None = None,
    watch: str = "",
    held: str = "",
    way_back: Sequence[str] = (),
) -> None:
    console = _console()
    style = STATE_STYLE[tenant.lifecycle]
    name = f" ({literal(tenant.name)})" if tenant.name else ""
    console.print(
        f"[bold]{literal(tenant.tenant_id)}[/]{name}  wave {tenant.wave}, {literal(tenant.tier)}, "
        f"{format_size(tenant.size_bytes)}"
    )
    console.print(
        f"  state      [{style}]{tenant.lifecycle.label}[/] for {format_duration(now - tenant.lifecycle_since)}"
    )
    console.print(f"  next step  {literal(step)}")
    if held:
        console.print(f"  hold       {literal(held)}")
    if watch:
        console.print(f"  watch      {literal(watch)}")
    for index, line in enumerate(way_back):
        console.print(f"  {'way back' if index == 0 else '':<10} {literal(line)}")
    console.print(f"  dns        {literal(tenant.dns_name)} (zone {literal(tenant.hosted_zone or '-')})")
    if tenant.several_names:
        for line in name_lines(tenant, now):
            console.print(f"             {literal(line)}")
    console.print(f"  targets    AWS {literal(tenant.aws_target or '-')}  OCI {literal(tenant.oci_target or '-')}")
    console.print(f"  sync       {_sync_cell(tenant)}; verified {_age(tenant.verified_at, now)}")
    if tenant.dns_oci_share is not None or tenant.observed_oci_share is not None:
        console.print(
            f"  traffic    OCI {_share(tenant.dns_oci_share)} by DNS ({_age(tenant.dns_at, now)}), "
            f"{_share(tenant.observed_oci_share)} observed ({_age(tenant.metrics_at, now)})"
        )
    if tenant.backends_total is not None:
        console.print(f"  backends   {tenant.backends_healthy}/{tenant.backends_total}, {_age(tenant.health_at, now)}")
    if tenant.validation_total is not None:
        console.print(
            f"  validation {tenant.validation_passed}/{tenant.validation_total}, {_age(tenant.validated_at, now)}"
        )
    if gate is not None:
        console.print(Text(ready_line(gate), style="bold"))


# --- events ------------------------------------------------------------------------


def events_json(events: list[Event]) -> dict[str, Any]:
    return {
        "schema": "cutover.events/1",
        "count": len(events),
        "events": [
            {
                "seq": e.seq,
                "at": iso(e.ts),
                "wall_at": iso_text(e.wall_ts),
                "operator": e.operator,
                "host": e.host,
                "ssh_client": e.ssh_client or None,
                "tenant_id": e.tenant_id,
                "job_id": e.job_id,
                "kind": e.kind,
                "what": e.what,
                "why": e.why,
                "state_before": e.state_before or None,
                "state_after": e.state_after or None,
                "detail": e.detail,
                "hash": e.hash,
            }
            for e in events
        ],
    }


def print_events(events: list[Event]) -> None:
    """In a terminal: the time as HH:MM:SS under a date line once per day, who, tenant and job whole, what and
    why wrapped in the width left (one column under 110 columns). Piped: every line whole, with its date."""
    console = _console()
    if not events:
        console.print("no events")
        return
    terminal = _in_terminal()
    together = terminal and console.width < WIDE
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("#", no_wrap=True, justify="right")
    table.add_column("TIME (UTC)" if terminal else "WHEN (UTC)", no_wrap=True)
    for column in ("WHO", "TENANT", "JOB"):
        table.add_column(column, no_wrap=True)
    table.add_column("WHAT (WHY)" if together else "WHAT", overflow="fold", ratio=3)
    if not together:
        table.add_column("WHY", overflow="fold", ratio=2)
    day = ""
    for e in events:
        who = e.operator + (f" ({e.ssh_client})" if e.ssh_client else "")
        when = (iso(e.ts) or "").replace("T", " ")
        if terminal:
            date, _, when = when.removesuffix("Z").partition(" ")
            if date != day:
                day = date
                table.add_row("", Text(date, style="bold"), *[""] * (4 if together else 5))
        key: list[str | Text] = [str(e.seq), when, plain(who), plain(e.tenant_id or ""), plain(e.job_id or "")]
        if together:
            what = plain(e.what)
            if e.why:
                what.append("\n").append_text(plain(f"why: {e.why}"))
            table.add_row(*key, what)
        else:
            table.add_row(*key, plain(e.what), plain(e.why))
    console.print(table)


def print_jobs(jobs: list[Any]) -> None:
    """The jobs list in a terminal: job, state, tenants and who whole; what came of it and why wrapped."""
    console = _console()
    table = Table(box=None, pad_edge=False, header_style="bold")
    for column in ("JOB", "STATE", "TENANTS", "WHO"):
        table.add_column(column, no_wrap=True)
    table.add_column("RESULT", overflow="fold", ratio=1)
    table.add_column("WHY", overflow="fold", ratio=1)
    for job in jobs:
        result = job.held_reason if job.held_reason and job.state.value in ("held", "paused") else job.result
        table.add_row(
            plain(job.job_id),
            plain(job.state.value),
            str(len(job.targets)),
            plain(job.operator),
            plain(result or ""),
            plain(job.reason),
        )
    console.print(table)


WIDE = 110  # below this many columns, what and why share one column


# --- config ------------------------------------------------------------------------


def print_config(loaded: LoadedConfig, rows: list[tuple[str, Any, Origin]]) -> None:
    console = _console()
    found = f" (from {loaded.found_by})" if loaded.path else f" ({loaded.found_by})" if loaded.found_by else ""
    console.print(plain(f"configuration OK: {loaded.path or 'no file, built-in defaults'}{found}"), soft_wrap=True)
    shown = [
        (visible(key), visible(repr(value) if isinstance(value, str) else str(value)), origin)
        for key, value, origin in rows
    ]
    if not sys.stdout.isatty():
        # Piped: plain lines, never padded to the longest value (the trigger rules run to hundreds of characters).
        key_width = max(len(key) for key, _, _ in shown)
        value_width = min(max(len(value) for _, value, _ in shown), _PIPED_VALUE_WIDTH)
        click.echo(f"{'KEY':<{key_width}}  {'VALUE':<{value_width}}  FROM")
        for key, value, origin in shown:
            click.echo(f"{key:<{key_width}}  {value:<{value_width}}  {origin}")
        return
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("KEY", no_wrap=True)
    table.add_column("VALUE")
    table.add_column("FROM", no_wrap=True)
    for key, value, origin in shown:
        table.add_row(plain(key), plain(value), origin)
    console.print(table)


_PIPED_VALUE_WIDTH = 40


# --- import ------------------------------------------------------------------------


def print_import(result: Any, dry_run: bool) -> None:
    console = _console()
    plan = result.plan
    verb = "would add" if dry_run else "added"

    # Every line is plain text: file names, columns and values are what someone typed.
    def say(line: str) -> None:
        console.print(plain(line))

    say(
        f"{plan.source}: {verb} {len(plan.added)}, {'would change' if dry_run else 'changed'} {len(plan.changed)}, "
        f"unchanged {plan.unchanged}"
    )
    for spec in plan.added[:20]:
        derived = " (from size)" if spec.wave_derived else ""
        say(f"  + {spec.tenant_id}  wave {spec.wave}{derived}, {spec.tier}, {format_size(spec.size_bytes)}")
    if len(plan.added) > 20:
        say(f"  + ... and {len(plan.added) - 20} more")
    for tenant_id, diff in plan.changed:
        for field, (old, new) in diff.items():
            say(f"  ~ {tenant_id}  {field}: {old!r} -> {new!r}")
    if plan.absent:
        shown = ", ".join(plan.absent[:10]) + (" ..." if len(plan.absent) > 10 else "")
        say(f"  {len(plan.absent)} tenant(s) in the store are not in this file and were left alone: {shown}")
    if result.ignored_columns:
        say(f"  columns not used: {', '.join(result.ignored_columns)}")
    if dry_run:
        say("dry run: nothing was changed")
