"""Each wave's counts as the fleet shows them (tenants by state, migrated, in flight), and an age in words."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cutover.config.units import format_duration
from cutover.console.fleet.columns import FleetRow
from cutover.model.lifecycle import IN_FLIGHT, Lifecycle


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
