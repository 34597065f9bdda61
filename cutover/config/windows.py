"""Migration windows: when tenants may be moved, tenant-local ("02:00-06:00", the [safety] window), and each
wave's own cadence ([waves.N]: its window, or "coordinated" with each customer, and a nightly cap)."""

from __future__ import annotations

import re
from datetime import time
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator, model_validator

from cutover.config.section import Section


class WindowSettings(Section):
    start: time = Field(time(2, 0), description="Migration window start, tenant-local time")
    end: time = Field(time(6, 0), description="Migration window end, tenant-local time")
    timezone: str = Field("America/New_York", description="Zone used for tenants whose region has no known zone")

    @field_validator("start", "end", mode="before")
    @classmethod
    def _clock_time(cls, value: object) -> object:
        if isinstance(value, str) and not re.fullmatch(r"\d{1,2}:\d{2}(:\d{2})?", value.strip()):
            raise ValueError(f"{value!r} is not a time of day: write HH:MM, like 02:00")
        return value

    @property
    def zone(self) -> ZoneInfo:
        """The zone every time an operator reads is shown in (with its label)."""
        return ZoneInfo(self.timezone)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"{value!r} is not an IANA time zone, like America/New_York or UTC") from None
        return value

    @model_validator(mode="after")
    def _has_length(self) -> WindowSettings:
        if self.start == self.end:
            raise ValueError(
                f"the window starts and ends at {self.start:%H:%M}: give it a length, like 02:00-06:00 "
                "(it may cross midnight, like 22:00-02:00)"
            )
        return self


_WINDOW_SHAPES = (
    'write it as "HH:MM-HH:MM" (tenant-local), like window = "02:00-06:00", '
    'or as a table: [safety.window] with start = "02:00", end = "06:00" and optionally timezone'
)
_WINDOW_SPAN = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")


def window_shorthand(value: object) -> object:
    """`window = "02:00-06:00"` is the table's start and end, the default zone kept."""
    if isinstance(value, WindowSettings | dict):
        return value
    if not isinstance(value, str):
        raise ValueError(f"not a migration window; {_WINDOW_SHAPES}")
    found = _WINDOW_SPAN.match(value)
    if not found:
        raise ValueError(f"not a migration window; {_WINDOW_SHAPES}")
    start_h, start_m, end_h, end_m = (int(part) for part in found.groups())
    for hour, minute in ((start_h, start_m), (end_h, end_m)):
        if hour > 23 or minute > 59:
            raise ValueError(f"{hour:02d}:{minute:02d} is not a time of day (00:00 to 23:59); {_WINDOW_SHAPES}")
    return {"start": time(start_h, start_m), "end": time(end_h, end_m)}


COORDINATED = "coordinated"  # a wave's window agreed with each customer: given for each batch (--window)


def parse_window(text: str, zone: str) -> WindowSettings:
    """ "01:00-03:00" as a window (tenant-local, `zone` for tenants of no known region); ValueError saying how."""
    spec = window_shorthand(text.strip())
    if isinstance(spec, dict):
        return WindowSettings.model_validate({**spec, "timezone": zone})
    assert isinstance(spec, WindowSettings), spec  # a string is always turned into a table or refused
    return spec


class WaveSettings(Section):
    """One wave's own cadence: `[waves.3] window = "coordinated"`, `max_per_night = 10`."""

    window: str = Field(
        "",
        description='The wave\'s migration window, tenant-local "HH:MM-HH:MM", or "coordinated": given for each '
        "batch with --window; empty: the [safety] window",
    )
    max_per_night: int | None = Field(None, ge=1, description="At most this many of its tenants start a night")

    @field_validator("window")
    @classmethod
    def _window_shape(cls, value: str) -> str:
        if value.strip() in ("", COORDINATED):
            return value.strip()
        try:
            parse_window(value, "UTC")
        except ValueError as exc:
            raise ValueError(f'{value!r}: write "HH:MM-HH:MM", like "01:00-05:00", or "coordinated" ({exc})') from None
        return value.strip()

    @property
    def coordinated(self) -> bool:
        return self.window == COORDINATED
