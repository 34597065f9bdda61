"""A war room's part of the fleet: the tenants its engine drives, by the matrix's Region and Wave columns.

Several war rooms can share one store (on PostgreSQL: follow-the-sun, one jump host per region). Each has a
name and its part of the fleet; its engine holds a lease of its own (`engine:<name>`) and acts only on the
tenants of its part, and two war rooms whose parts overlap never lead at once (state/leases.py refuses the
second, under the store's write lock). A store with one war room keeps the unnamed whole-fleet lease,
`engine`, which overlaps every part.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cutover.config.tenant_spec import MatrixFields

WHOLE_FLEET_LEASE = "engine"  # the lease of the one war room of a store that has no named war rooms


@dataclass(frozen=True)
class WarRoom:
    name: str = ""  # "": the store's one war room, the whole fleet
    regions: frozenset[str] = frozenset()  # empty: every region
    waves: frozenset[int] = frozenset()  # empty: every wave

    @property
    def whole_fleet(self) -> bool:
        return not self.regions and not self.waves

    @property
    def lease(self) -> str:
        """The name of the engine lease this war room's engines share."""
        return f"{WHOLE_FLEET_LEASE}:{self.name}" if self.name else WHOLE_FLEET_LEASE

    def holds(self, tenant: MatrixFields) -> bool:
        """The tenant is in this war room's part of the fleet."""
        region = tenant.region.strip().lower()  # as the migration window reads it (actions/plan/windows.py)
        return (not self.regions or region in self.regions) and (not self.waves or tenant.wave in self.waves)

    def overlaps(self, other: WarRoom) -> bool:
        """Some tenant could be in both parts (judged on the parts, not on tonight's matrix)."""
        regions = not self.regions or not other.regions or bool(self.regions & other.regions)
        waves = not self.waves or not other.waves or bool(self.waves & other.waves)
        return regions and waves

    def part(self) -> str:
        """`regions eu-frankfurt-1; waves 1, 2`, or `the whole fleet`."""
        parts = []
        if self.regions:
            parts.append("regions " + ", ".join(sorted(self.regions)))
        if self.waves:
            parts.append("waves " + ", ".join(str(wave) for wave in sorted(self.waves)))
        return "; ".join(parts) or "the whole fleet"

    @property
    def title(self) -> str:
        """`war room emea`, or `the whole-fleet war room` (a store's one, unnamed)."""
        return f"war room {self.name}" if self.name else "the whole-fleet war room"

    def describe(self) -> str:
        """`war room emea (regions eu-frankfurt-1)`, or `the whole-fleet war room (the whole fleet)`."""
        return f"{self.title} ({self.part()})"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "regions": sorted(self.regions), "waves": sorted(self.waves)}

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> WarRoom:
        """As a lease's holder recorded it; an engine from before war rooms drove the whole fleet."""
        data = data or {}
        return cls(
            str(data.get("name", "")),
            frozenset(str(region) for region in data.get("regions", ())),
            frozenset(int(wave) for wave in data.get("waves", ())),
        )
