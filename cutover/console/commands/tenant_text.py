"""`cutover status` printed: the fleet's table, one tenant's every figure, and their JSON (`cutover.status/1`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.table import Table
from rich.text import Text

from cutover.actions.plan.gate import GateResult, GateVerdict, remedy_sentence
from cutover.config.units import format_duration, format_size
from cutover.console.commands.output import iso, make_console, measured
from cutover.console.fleet.columns import STATE_STYLE
from cutover.console.fleet.dns_names import name_lines, names_json
from cutover.console.plain import literal, plain
from cutover.model.tenant import Tenant
from cutover.state.holds import TenantHold


def _share(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.0f} %"


def _age(ts: float | None, now: float) -> str:
    return "-" if ts is None else f"{format_duration(max(0.0, now - ts))} ago"


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
        "baseline": {"p95_ms": measured(tenant.baseline_p95_ms), "error_rate": tenant.baseline_error_rate},
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
            "p95_ms": measured(tenant.p95_ms),
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
    console = make_console()
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
    console = make_console()
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
