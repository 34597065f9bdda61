"""The value types settings are made of, each with the range that keeps safety on.

A threshold of `nan` compares false with everything and `inf` never trips, so
every number here is finite; a share written as `5` meaning 5 % would never
trip either, so it is refused with the fraction to write instead.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

from cutover.config.units import parse_duration

# A year: longer than any sensible age or timeout, short enough that adding it to a
# timestamp or handing it to SQLite in milliseconds never overflows.
LONGEST_DURATION = 366 * 86400.0


def bounded_duration(value: object) -> float:
    """A duration from the file (90, "90s", "15m", "1h30m") in seconds: finite, at most a year."""
    seconds = parse_duration(value)  # type: ignore[arg-type]  # anything else is refused by it
    if seconds > LONGEST_DURATION:
        raise ValueError("must be at most a year: write a duration like 90s, 15m or 1h30m")
    return seconds


def finite_number(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number, like 0.05 or 2")
    return value


def share(value: float) -> float:
    """A share of a whole written as a fraction: 0.05 is 5 %."""
    finite_number(value)
    if 1 < value <= 100:
        raise ValueError(f"{value:g} looks like a percentage: write {value / 100:g} for {value:g} %")
    if not 0 <= value <= 1:
        raise ValueError("must be a fraction between 0 and 1 (0.05 is 5 %)")
    return value


Duration = Annotated[float, BeforeValidator(bounded_duration)]
"""A duration in seconds, 0 or more; the file may say 90, "90s", "15m" or "1h30m"."""

PositiveDuration = Annotated[float, BeforeValidator(bounded_duration), Field(gt=0)]
"""A duration that must be more than 0: an interval, a timeout, a window to watch."""

Fraction = Annotated[float, AfterValidator(share)]
"""A share between 0 and 1 (0.01 is 1 %)."""

Finite = Annotated[float, AfterValidator(finite_number)]
"""Any finite number."""

PositiveFinite = Annotated[float, AfterValidator(finite_number), Field(gt=0)]
"""A finite number more than 0 (a ratio, a rate)."""
