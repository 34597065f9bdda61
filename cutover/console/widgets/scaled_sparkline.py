"""A sparkline on a fixed scale: 0 % is a flat line at the bottom, not a full bar.

Textual's own Sparkline scales each series between its own minimum and maximum,
so a constant series (0 % OCI share all hour) fills the box and reads as 100 %.
A war-room reader compares the bar with the figure's meaning, so each metric
gets an absolute range: share 0-100 %, error rate 0 to max(threshold, highest),
p95 0 to its highest.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, ConsoleOptions, RenderResult
from rich.measure import Measurement
from rich.segment import Segment
from rich.style import Style
from textual.reactive import reactive
from textual.widget import Widget

BARS = " ▁▂▃▄▅▆▇█"  # eighths of a cell, from empty to full


def bucket_peaks(data: Sequence[float], width: int) -> list[float]:
    """The highest value in each of `width` equal slices of the series (a spike is never averaged away)."""
    if not data or width <= 0:
        return []
    if len(data) <= width:
        return list(data)
    peaks = []
    for i in range(width):
        start = i * len(data) // width
        end = max((i + 1) * len(data) // width, start + 1)
        peaks.append(max(data[start:end]))
    return peaks


class ScaledBars:
    """Rich renderable: `height` rows of bars, value `floor` at the bottom, `ceiling` at the top."""

    def __init__(self, data: Sequence[float], floor: float, ceiling: float, height: int, style: Style) -> None:
        self.data = data
        self.floor = floor
        self.ceiling = ceiling if ceiling > floor else floor + 1.0
        self.height = max(1, height)
        self.style = style

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        peaks = bucket_peaks(self.data, width)
        steps = self.height * (len(BARS) - 1)
        # Any value above the floor shows at least one eighth: a small non-zero figure is not a zero.
        levels = [
            0 if v <= self.floor else max(1, round(min(1.0, (v - self.floor) / (self.ceiling - self.floor)) * steps))
            for v in peaks
        ]
        for row in reversed(range(self.height)):
            low = row * (len(BARS) - 1)
            line = "".join(BARS[min(len(BARS) - 1, max(0, level - low))] for level in levels)
            if row == 0 and not levels:
                line = BARS[1] * width  # no samples: a flat baseline
            yield Segment(line.ljust(width), self.style)
            if row:
                yield Segment.line()

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        return Measurement(options.max_width, options.max_width)


class ScaledSparkline(Widget):
    """A sparkline whose scale is given, not taken from the data."""

    DEFAULT_CSS = """
    ScaledSparkline {
        height: 2;
        color: $success;
    }
    """

    data: reactive[list[float]] = reactive(list, always_update=True)
    ceiling: reactive[float] = reactive(1.0)

    def __init__(self, *, floor: float = 0.0, ceiling: float = 1.0, id: str | None = None, classes: str | None = None):
        super().__init__(id=id, classes=classes)
        self.floor = floor
        self.set_reactive(ScaledSparkline.ceiling, ceiling)

    def render(self) -> ScaledBars:
        return ScaledBars(self.data, self.floor, self.ceiling, self.size.height, self.rich_style)
