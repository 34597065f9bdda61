"""The fleet table's vocabulary: its columns, a cell and its named styles, the states' colours and labels,
and the display row (what the table shows of one tenant, and what it sorts and filters on)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from cutover.model.lifecycle import Lifecycle

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


class Cell(NamedTuple):
    """One cell's text and its style's name."""

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


@dataclass(frozen=True, slots=True)
class FleetRow:
    """What the table shows of one tenant, and what it sorts and filters on.

    Its cells are kept as two tuples of strings (texts, styles), not as Cell objects: a plain tuple of strings
    is one the garbage collector stops tracking, and a fleet of 50,000 rows would otherwise hold 550,000
    tracked cells for every full collection to walk (100 ms a collection)."""

    tenant_id: str
    wave: int
    tier: str
    lifecycle: Lifecycle
    texts: tuple[str, ...]
    styles: tuple[str, ...]
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
        return self.cell_at(COLUMN_INDEX[key])

    def cell_at(self, index: int) -> Cell:
        return Cell(self.texts[index], self.styles[index])

    @property
    def cells(self) -> tuple[Cell, ...]:
        return tuple(map(Cell, self.texts, self.styles))
