"""Parsing of the human units that appear in matrices and config files."""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, tzinfo

_SIZE_UNITS = {
    "": 1,
    "B": 1,
    "KB": 10**3,
    "MB": 10**6,
    "GB": 10**9,
    "TB": 10**12,
    "PB": 10**15,
    "KIB": 2**10,
    "MIB": 2**20,
    "GIB": 2**30,
    "TIB": 2**40,
    "PIB": 2**50,
}
_SIZE_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]*)\s*$")

_DURATION_UNITS = {"ms": 0.001, "s": 1, "m": 60, "h": 3600, "d": 86400}
_DURATION_RE = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)")


def parse_size(text: str) -> int:
    """'2GB', '500 MB', '1.5 TiB' -> bytes. Raises ValueError with what is accepted."""
    match = _SIZE_RE.match(text or "")
    unit = match.group(2).upper() if match else None
    if not match or unit not in _SIZE_UNITS:
        raise ValueError("is not a size: write a number and a unit, like 2GB, 500 MB or 1.5 TiB")
    value = float(match.group(1)) * _SIZE_UNITS[unit]
    if not math.isfinite(value):
        raise ValueError("is not a size a tenant can have: check the number and the unit")
    return int(value)


def format_size(num_bytes: int) -> str:
    """Bytes -> a short decimal size, as the runbook writes them (2GB, 1.5TB)."""
    for unit, factor in (("PB", 10**15), ("TB", 10**12), ("GB", 10**9), ("MB", 10**6), ("KB", 10**3)):
        if num_bytes >= factor:
            value = num_bytes / factor
            return f"{value:.0f}{unit}" if value >= 100 or value == int(value) else f"{value:.1f}{unit}"
    return f"{num_bytes}B"


def parse_duration(value: str | int | float) -> float:
    """'15m', '90s', '1h30m', '250ms' or a number of seconds -> seconds."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a duration: write a number of seconds or e.g. 90s, 15m, 1h30m")
    if isinstance(value, (int, float)):
        seconds = float(value)
        if math.isnan(seconds):
            raise ValueError("a duration must be a number: write a number of seconds or e.g. 90s, 15m, 1h30m")
        if seconds < 0:
            raise ValueError(f"{value!r} is negative: a duration must be 0 or more")
    else:
        seconds = _parse_duration_text(value)
    if not math.isfinite(seconds):
        raise ValueError("a duration must be finite: write a number of seconds or e.g. 90s, 15m, 1h30m")
    return seconds


def _parse_duration_text(value: str) -> float:
    text = str(value).strip().lower().replace(" ", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    parts = _DURATION_RE.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise ValueError(f"{value!r} is not a duration: write a number of seconds or e.g. 90s, 15m, 1h30m")
    return sum(float(number) * _DURATION_UNITS[unit] for number, unit in parts)


def format_clock(ts: float, zone: tzinfo | None = None, *, seconds: bool = False) -> str:
    """A time as an operator reads it, its zone always named: "02:15 EST", "07:15:03 UTC".

    `zone` is the migration window's (settings.safety.window.zone); without one the time is UTC, labelled."""
    shown = datetime.fromtimestamp(ts, zone or UTC)
    return shown.strftime("%H:%M:%S %Z" if seconds else "%H:%M %Z")


def format_day_clock(ts: float, zone: tzinfo | None = None) -> str:
    """A time on another day, its zone named: "03-07 02:00 EST"."""
    return datetime.fromtimestamp(ts, zone or UTC).strftime("%m-%d %H:%M %Z")


def format_timestamp(ts: float, zone: tzinfo | None = None) -> str:
    """A date and time for a record kept after the night (reports): "2027-01-15 03:00:45 EST", zone named."""
    return datetime.fromtimestamp(ts, zone or UTC).strftime("%Y-%m-%d %H:%M:%S %Z")


def format_duration(seconds: float) -> str:
    """Seconds -> '4m 10s', '2h 5m', '45s' for people reading a screen."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s" if secs else f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes:02d}m" if minutes else f"{hours}h"
    days, hours = divmod(hours, 24)
    return f"{days}d {hours}h" if hours else f"{days}d"
