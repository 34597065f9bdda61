"""The fleet summary as headless commands print it (`cutover demo --headless`, `cutover lab`): one renderer."""

from __future__ import annotations

from cutover.actions.reports.fleet_summary import FleetSummary, share_text
from cutover.model.lifecycle import Lifecycle

_ORDER = list(Lifecycle)
IN_FLIGHT_SHOWN = 8


def summary_lines(summary: FleetSummary, *, waves_and_flight: bool) -> list[str]:
    """Traffic, sync, backends and sources; with `waves_and_flight`, each wave's states and who is in flight."""
    lines = []
    if waves_and_flight:
        for wave in summary.waves:
            states = ", ".join(
                f"{state.label} {count}"
                for state, count in sorted(wave.states.items(), key=lambda s: _ORDER.index(s[0]))
            )
            lines.append(
                f"  wave {wave.wave:<3} {wave.tenants:>6,} tenants  {wave.migrated_percent:5.1f}% migrated  {states}"
            )
    if summary.requests is not None and summary.oci_requests is not None:
        on_oci = share_text(summary.oci_requests / summary.requests if summary.requests else None)
        errors = f"{summary.error_rate * 100:.2f}%" if summary.error_rate is not None else "-"
        per = f"/{summary.period_s:.0f}s" if summary.period_s else ""
        lines.append(f"  traffic   {summary.requests:,.0f} requests{per}, {on_oci} on OCI, errors {errors}")
    if summary.sync:
        lines.append(
            "  sync      " + ", ".join(f"{count:,} {health}" for health, count in sorted(summary.sync.items()))
        )
    lines.append(f"  backends  {summary.backends_degraded} tenant(s) with a backend down")
    if waves_and_flight:
        if summary.in_flight:
            shown = ", ".join(
                f"{f.tenant_id} {f.lifecycle.label} (OCI {share_text(f.oci_share)})"
                for f in summary.in_flight[:IN_FLIGHT_SHOWN]
            )
            extra = len(summary.in_flight) - IN_FLIGHT_SHOWN
            lines.append(f"  in flight {shown}{f' and {extra} more' if extra > 0 else ''}")
        else:
            lines.append("  in flight none")
    lines.append("  sources   " + ", ".join(f"{name} {state}" for name, state in sorted(summary.sources.items())))
    return lines
