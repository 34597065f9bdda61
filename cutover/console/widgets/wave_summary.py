"""Fleet summary per wave: counts per lifecycle state, % migrated, in flight, rollbacks tonight."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from cutover.console.fleet import STATE_STYLE, WaveSummary
from cutover.state.lifecycle import Lifecycle

# One column per group of states, six characters wide, so a wave is one line at 74 columns.
GROUPS: tuple[tuple[str, tuple[Lifecycle, ...]], ...] = (
    ("pend", (Lifecycle.PENDING,)),
    ("sync", (Lifecycle.SYNCING,)),
    ("val", (Lifecycle.VALIDATING,)),
    ("ready", (Lifecycle.READY,)),
    ("cut", (Lifecycle.CUTTING_OVER,)),
    ("mon", (Lifecycle.MONITORING,)),
    ("done", (Lifecycle.MIGRATED, Lifecycle.DECOMMISSIONED)),
    ("rb", (Lifecycle.ROLLING_BACK, Lifecycle.ROLLED_BACK)),
    ("fail", (Lifecycle.FAILED,)),
)


def summary_text(waves: list[WaveSummary], rollbacks: int, rollback_limit: int) -> Text:
    text = Text(no_wrap=True, overflow="ellipsis")
    total = sum(w.total for w in waves)
    migrated = sum(w.migrated for w in waves)
    in_flight = sum(w.in_flight for w in waves)
    percent = 100.0 * migrated / total if total else 0.0
    text.append(f"{total:,} tenants", style="bold")
    text.append(f"  {percent:.1f}% migrated  {in_flight} in flight  ")
    text.append(
        f"rollbacks {rollbacks}/{rollback_limit}",
        style="bold red" if rollbacks >= rollback_limit else ("yellow" if rollbacks else ""),
    )
    text.append("\n" + " " * 18)
    for name, states in GROUPS:
        text.append(f"{name:>6}", style=STATE_STYLE[states[0]])
    for wave in waves:
        text.append("\n")
        text.append(f"wave {wave.wave:<2}", style="bold")
        text.append(f"{wave.total:>5,} {wave.percent_migrated:4.0f}%")
        for _, states in GROUPS:
            count = sum(wave.by_state.get(state, 0) for state in states)
            text.append(f"{count:>6,}" if count else "     ·", style="" if count else "dim")
    return text


class WaveSummaryPanel(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._last: tuple | None = None

    def show(self, waves: list[WaveSummary], rollbacks: int, rollback_limit: int) -> None:
        key = (tuple(waves), rollbacks, rollback_limit)
        if key != self._last:
            self._last = key
            self.update(summary_text(waves, rollbacks, rollback_limit))
