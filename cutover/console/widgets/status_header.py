"""The header line: where we are, who we are, the time, and how fresh each data source is."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo

from rich.text import Text
from textual.widgets import Static

from cutover.config.text import visible
from cutover.config.units import format_clock
from cutover.state.sources import SourceHealth


def clock_text(now: float, zone: tzinfo | None = None) -> str:
    """The header's clock, in the migration window's zone, labelled: "03:15:02 EST"."""
    return format_clock(now, zone, seconds=True)


def speed_text(speed: float) -> str:
    """The simulated world's speed as the header says it: "x10", "paused"."""
    return "paused" if speed == 0 else f"x{speed:g}"


def _age(seconds: float) -> str:
    seconds = max(0, round(seconds))
    if seconds < 120:
        return f"{seconds}s"
    if seconds < 7200:
        return f"{seconds // 60}m"
    return f"{seconds // 3600}h"


@dataclass(frozen=True)
class HeaderState:
    environment: str = "simulation"
    production: bool = False
    operator: str = ""
    role: str = "viewer"
    now: float | None = None
    sources: tuple[SourceHealth, ...] = ()
    store_age: float | None = None  # wall seconds since the console last read the store
    store_interval: float = 1.0
    marked: int = 0
    alerts: int = 0
    extra: tuple[str, ...] = field(default_factory=tuple)
    zone: tzinfo | None = None  # the migration window's zone: the clock is shown in it
    speed: float | None = None  # the simulated world's speed (None: real clouds); shown unless 1


class StatusHeader(Static):
    """One line, always on top. A source older than two intervals says STALE, in red, never its value."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__("", id=id, markup=False)
        self._state = HeaderState()

    def show(self, state: HeaderState) -> None:
        if state != self._state:
            self._state = state
            self._show()

    def on_resize(self) -> None:
        self._show()

    def _show(self) -> None:
        compact = self.size.width < 110
        text = self._render_text(self._state, compact=compact)
        # A narrow terminal takes a second line rather than cut what needs the eye (no engine, held jobs,
        # marks): the table gives up a row for it. A wide one cuts only the tail of fresh sources' ages.
        self.set_class(compact and 0 < self.size.width < text.cell_len, "-two-lines")
        self.update(text)

    def _render_text(self, state: HeaderState, *, compact: bool) -> Text:
        text = Text(overflow="ellipsis")
        if state.production:
            text.append(visible(f" {state.environment.upper()} "), style="bold reverse bright_red")
        else:
            text.append(visible(f" {state.environment} "), style="bold")
        text.append(" │ ", style="dim")
        text.append(visible(state.operator or "?"))
        text.append(" │ ", style="dim")
        role_style = {"leader": "bold green", "observer": "bold yellow"}.get(state.role, "")
        text.append(state.role, style=role_style)
        text.append(" │ ", style="dim")
        text.append(clock_text(state.now, state.zone) if state.now is not None else "--:--:--")
        if state.speed is not None and state.speed != 1:
            text.append(f" {speed_text(state.speed)}", style="bold reverse")
        if compact:  # narrow: the sources summed up ("oci-lb STALE", "2 STALE: ..."), before anything cut
            text.append(" │ ", style="dim")
            self._append_freshness_summary(text, state)
        # What needs the eye first (no engine, marks, filter), then the sources: a narrow screen cuts the end.
        for item in state.extra:
            text.append(" │ ", style="dim")
            text.append(item, style="bold yellow")
        if state.marked:
            text.append(" │ ", style="dim")
            text.append(f"{state.marked} marked", style="bold")
        if not compact:
            text.append(" │ ", style="dim")
            self._append_freshness(text, state)
        return text

    @classmethod
    def _append_freshness_summary(cls, text: Text, state: HeaderState) -> None:
        stale = [name for name, is_stale, _ in cls._freshness(state) if is_stale]
        if not stale:
            text.append("sources ok", style="green")
        elif len(stale) == 1:
            text.append(f"{stale[0]} STALE", style="bold bright_red")
        else:
            text.append(f"{len(stale)} STALE: {', '.join(stale)}", style="bold bright_red")

    @classmethod
    def _append_freshness(cls, text: Text, state: HeaderState) -> None:
        for index, (name, stale, detail) in enumerate(cls._freshness(state)):
            if index:
                text.append(" ")
            if stale:
                text.append(f"{name} STALE {detail}".rstrip(), style="bold bright_red")
            else:
                text.append(f"{name} {detail}".rstrip(), style="green")

    @staticmethod
    def _freshness(state: HeaderState) -> list[tuple[str, bool, str]]:
        """(source, stale, age) for the console's own store reads and each data source, stale first."""
        now = state.now
        entries: list[tuple[str, bool, str]] = []
        if state.store_age is None:
            entries.append(("store", True, "no read yet"))
        else:
            # The console's own reads: named when current, with their age once they are late.
            age = state.store_age
            entries.append(("store", age > 2 * max(state.store_interval, 1.0), _age(age) if age >= 2 else ""))
        for source in state.sources:
            if now is None or source.last_ok_at is None:
                entries.append((source.name, True, "never"))
                continue
            stale = source.is_stale(now)
            detail = _age(now - source.last_ok_at)
            if source.consecutive_errors:
                detail += f" {source.consecutive_errors}err"
            entries.append((source.name, stale, detail))
        entries.sort(key=lambda entry: not entry[1])  # stale first: a narrow screen must not cut them off
        return entries
