"""Each wave's counts as the fleet shows them (tenants by state, migrated, in flight), and an age in words."""

from __future__ import annotations

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


class WaveCounts:
    """Tenants by wave and state, kept as rows come and go (a changed row moves one count), so the waves'
    summary costs the number of waves, not the fleet's size."""

    def __init__(self) -> None:
        self._counts: dict[int, dict[Lifecycle, int]] = {}

    def move(self, before: FleetRow | None, after: FleetRow | None) -> None:
        """A row replaced (`before` by `after`), added (no `before`) or removed (no `after`)."""
        if before and after and before.wave == after.wave and before.lifecycle is after.lifecycle:
            return
        if before is not None:
            counts = self._counts[before.wave]
            counts[before.lifecycle] -= 1
            if not counts[before.lifecycle]:
                del counts[before.lifecycle]
                if not counts:
                    del self._counts[before.wave]
        if after is not None:
            counts = self._counts.setdefault(after.wave, {})
            counts[after.lifecycle] = counts.get(after.lifecycle, 0) + 1

    def summary(self) -> list[WaveSummary]:
        summaries = []
        for wave in sorted(self._counts):
            counts = self._counts[wave]
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
