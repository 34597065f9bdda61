"""The selected tenant's key figures, always on screen (also at 80x24)."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from cutover.console.fleet.columns import STATE_LABEL, STATE_STYLE, FleetRow, cell_style_name
from cutover.console.fleet.waves import age_text
from cutover.model.tenant import Tenant


def key_figures_text(tenant: Tenant | None, row: FleetRow | None, now: float, marked: int) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    if tenant is None or row is None:
        text.append("no tenant selected", style="dim")
        return text
    text.append(f"{tenant.tenant_id}", style="bold")
    if tenant.name:
        text.append(f" {tenant.name}")
    text.append(f"  wave {tenant.wave} {tenant.tier}  ")
    text.append(STATE_LABEL[tenant.lifecycle], style=STATE_STYLE[tenant.lifecycle])
    text.append(f" for {age_text(tenant.lifecycle_since, now).removesuffix(' ago')}  next: ")
    next_cell = row.cell("next")
    text.append(next_cell.text, style=cell_style_name(next_cell.style))
    text.append("\n")
    for label, key in (("lag", "lag"), ("OCI dns/obs", "traffic"), ("err", "errors"), ("p95", "p95")):
        cell = row.cell(key)
        text.append(f"{label} ", style="dim")
        text.append(cell.text.strip(), style=cell_style_name(cell.style))
        text.append("  ")
    backends = row.cell("backends")
    text.append("backends ", style="dim")
    text.append(backends.text, style=cell_style_name(backends.style))
    if tenant.validation_total is not None:
        text.append("  validation ", style="dim")
        text.append(f"{tenant.validation_passed}/{tenant.validation_total}")
    text.append("  metrics ", style="dim")
    text.append(age_text(tenant.metrics_at, now))
    if row.fault:
        text.append("  ⚠ " + row.fault, style="bold bright_red")
    return text


class KeyFigures(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._last: tuple | None = None

    def show(self, tenant: Tenant | None, row: FleetRow | None, now: float, marked: int) -> None:
        key = (tenant, row, now, marked)
        if key != self._last:
            self._last = key
            self.update(key_figures_text(tenant, row, now, marked))
