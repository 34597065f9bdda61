"""Fleet summary per wave: counts per lifecycle state, % migrated, in flight, rollbacks tonight."""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Static

from cutover.console.fleet.columns import STATE_STYLE
from cutover.console.fleet.waves import WaveSummary
from cutover.model.lifecycle import Lifecycle

# One column per group of states: (full label, short label, states). Six characters a column when the
# panel is 74 wide; narrower, the short labels and columns just wide enough for the counts.
GROUPS: tuple[tuple[str, str, tuple[Lifecycle, ...]], ...] = (
    ("pend", "pnd", (Lifecycle.PENDING,)),
    ("sync", "syn", (Lifecycle.SYNCING,)),
    ("val", "val", (Lifecycle.VALIDATING,)),
    ("ready", "rdy", (Lifecycle.READY,)),
    ("cut", "cut", (Lifecycle.CUTTING_OVER,)),
    ("mon", "mon", (Lifecycle.MONITORING,)),
    ("done", "done", (Lifecycle.MIGRATED, Lifecycle.DECOMMISSIONED)),
    ("rb", "rb", (Lifecycle.ROLLING_BACK, Lifecycle.ROLLED_BACK)),
    ("fail", "fail", (Lifecycle.FAILED,)),
)
FULL_WIDTH = 18 + 6 * len(GROUPS)  # "wave 1   2,500  12%" and nine columns of six


def _count(wave: WaveSummary, states: tuple[Lifecycle, ...]) -> int:
    return sum(wave.by_state.get(state, 0) for state in states)


def summary_text(waves: list[WaveSummary], rollbacks: int, rollback_limit: int, width: int = FULL_WIDTH) -> Text:
    """Totals with tonight's rollbacks, then one line per wave. Every wave and every column stays at any
    width: under FULL_WIDTH the labels shorten and each column is only as wide as its largest count."""
    text = Text(no_wrap=True, overflow="ellipsis")
    total = sum(w.total for w in waves)
    migrated = sum(w.migrated for w in waves)
    in_flight = sum(w.in_flight for w in waves)
    percent = 100.0 * migrated / total if total else 0.0
    rollback_style = "bold bright_red" if rollbacks >= rollback_limit else ("yellow" if rollbacks else "")
    compact = width < FULL_WIDTH
    text.append(f"{total:,} tenants", style="bold")
    if compact:  # the rollback counter before anything a narrow panel could cut
        text.append("  ")
        text.append(f"rollbacks {rollbacks}/{rollback_limit}", style=rollback_style)
        text.append(f"  {percent:.0f}% done  {in_flight} in flight")
    else:
        text.append(f"  {percent:.1f}% migrated  {in_flight} in flight  ")
        text.append(f"rollbacks {rollbacks}/{rollback_limit}", style=rollback_style)
    if compact:
        widths = [1 + max(len(short), *(len(str(_count(w, states))) for w in waves)) for _, short, states in GROUPS]
        labels = [short for _, short, _ in GROUPS]
        lead = 11  # "w1   12% " : the wave and its share migrated
    else:
        widths = [6] * len(GROUPS)
        labels = [full for full, _, _ in GROUPS]
        lead = 18
    text.append("\n" + " " * lead)
    for label, column, (_, _, states) in zip(labels, widths, GROUPS, strict=True):
        text.append(f"{label:>{column}}", style=STATE_STYLE[states[0]])
    for wave in waves:
        text.append("\n")
        if compact:
            text.append(f"w{wave.wave:<3}", style="bold")
            text.append(f"{wave.percent_migrated:4.0f}%  ")
        else:
            text.append(f"wave {wave.wave:<2}", style="bold")
            text.append(f"{wave.total:>5,} {wave.percent_migrated:4.0f}%")
        for column, (_, _, states) in zip(widths, GROUPS, strict=True):
            count = _count(wave, states)
            text.append(f"{count:>{column}}" if count else f"{'·':>{column}}", style="" if count else "dim")
    return text


class WaveSummaryPanel(Static):
    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._last: tuple | None = None
        self._shown: tuple | None = None

    def show(self, waves: list[WaveSummary], rollbacks: int, rollback_limit: int) -> None:
        self._shown = (waves, rollbacks, rollback_limit)
        self._paint()

    def on_resize(self) -> None:
        self._paint()

    @property
    def lines_needed(self) -> int:
        """Totals, column labels, one line a wave."""
        return 2 + (len(self._shown[0]) if self._shown else 0)

    def _paint(self) -> None:
        if self._shown is None:
            return
        waves, rollbacks, rollback_limit = self._shown
        width = self.content_region.width or FULL_WIDTH
        key = (tuple(waves), rollbacks, rollback_limit, width < FULL_WIDTH)
        if key != self._last:
            self._last = key
            self.update(summary_text(waves, rollbacks, rollback_limit, width))
