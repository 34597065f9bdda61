"""Migration windows, in each tenant's local time, and what counts as "tonight".

A tenant's time zone comes from its region (AWS or OCI region names); a region
we do not know falls back to the configured zone. A window may cross midnight
(22:00-02:00).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from cutover.config.regions import REGION_ZONES
from cutover.config.settings import Settings
from cutover.config.units import format_clock, format_duration
from cutover.config.windows import WindowSettings, parse_window
from cutover.model.tenant import Tenant


def tenant_zone(tenant: Tenant, window: WindowSettings) -> str:
    return REGION_ZONES.get(tenant.region.strip().lower(), window.timezone)


@dataclass(frozen=True)
class WindowCheck:
    inside: bool
    local_time: str  # "14:05 America/New_York"
    window: str  # "02:00-06:00"
    opens_in_s: float  # 0 when inside

    def describe(self) -> str:
        if self.inside:
            return f"{self.local_time}, inside {self.window}"
        return f"{self.local_time}, outside {self.window}"


def _inside(local: clock_time, start: clock_time, end: clock_time) -> bool:
    if start <= end:
        return start <= local < end
    return local >= start or local < end  # crosses midnight


def check_window(tenant: Tenant, now: float, window: WindowSettings) -> WindowCheck:
    zone_name = tenant_zone(tenant, window)
    zone = ZoneInfo(zone_name)
    local = datetime.fromtimestamp(now, UTC).astimezone(zone)
    span = f"{window.start:%H:%M}-{window.end:%H:%M}"
    text = f"{local:%H:%M} {zone_name}"
    if _inside(local.time(), window.start, window.end):
        return WindowCheck(True, text, span, 0.0)
    opens = datetime.combine(local.date(), window.start, zone)
    if opens <= local:
        opens += timedelta(days=1)
    return WindowCheck(False, text, span, (opens - local).total_seconds())


def night_start(now: float, window: WindowSettings) -> float:
    """When "tonight" began, for counting rollbacks: 12 hours before the latest window start.

    With a 02:00 window, a night runs from 14:00 to 14:00 (in the configured zone),
    so the whole window and the evening before it are one night.
    """
    zone = ZoneInfo(window.timezone)
    local = datetime.fromtimestamp(now, UTC).astimezone(zone)
    start = datetime.combine(local.date() + timedelta(days=1), window.start, zone) - timedelta(hours=12)
    while start > local:
        start -= timedelta(days=1)
    return start.timestamp()


def night_of(now: float, window: WindowSettings) -> str:
    """Which night it is: the date its migration window opens ("2026-03-07" for a 02:00 window opening that
    day), in the configured zone. A night runs from 12 hours before the window opens (see night_start)."""
    zone = ZoneInfo(window.timezone)
    opens = datetime.fromtimestamp(night_start(now, window) + 12 * 3600, UTC).astimezone(zone)
    return opens.date().isoformat()


@dataclass(frozen=True)
class TenantWindow:
    """Which window judges a tenant: the one a batch was given (--window), its wave's, or the [safety] one.
    `window` None: its wave's window is coordinated with the customer and none was given."""

    window: WindowSettings | None
    source: str  # "given", "wave 3", "safety"
    wave: int = 0

    def missing_words(self) -> str:
        return (
            f"wave {self.wave}'s window is coordinated with each customer: give it for the batch (--window HH:MM-HH:MM)"
        )


def window_for(tenant: Tenant, settings: Settings, given: WindowSettings | None = None) -> TenantWindow:
    if given is not None:
        return TenantWindow(given, "given", tenant.wave)
    own = settings.waves.get(tenant.wave)
    if own is not None and own.coordinated:
        return TenantWindow(None, f"wave {tenant.wave}", tenant.wave)
    wave = settings.wave_window(tenant.wave)
    if wave is not None:
        return TenantWindow(wave, f"wave {tenant.wave}", tenant.wave)
    return TenantWindow(settings.safety.window, "safety", tenant.wave)


def given_window(text: str | None, settings: Settings) -> WindowSettings | None:
    """A job's or a request's --window ("01:00-03:00", tenant-local), or None when none was given."""
    if not text:
        return None
    return parse_window(text, settings.safety.window.timezone)


WAIT_FOR_WINDOW = 12 * 3600.0  # a batch waits for tonight's window; one further off is refused, as before


def window_opens(
    tenants: Sequence[Tenant], now: float, settings: Settings, given: WindowSettings | None = None
) -> float | None:
    """When every one of these tenants is inside its window, if that is later tonight (None: inside now, a
    coordinated window not given, more than 12 h off, or windows that never overlap: the rule says why)."""
    latest = now
    for tenant in tenants:
        judged = window_for(tenant, settings, given)
        if judged.window is None:
            return None
        check = check_window(tenant, now, judged.window)
        if not check.inside:
            latest = max(latest, now + check.opens_in_s)
    if latest == now or latest - now > WAIT_FOR_WINDOW:
        return None
    for tenant in tenants:
        judged = window_for(tenant, settings, given)
        if judged.window is None or not check_window(tenant, latest, judged.window).inside:
            return None
    return latest


def window_wait_words(start: float, now: float, settings: Settings) -> str:
    """ "waits for the migration window: group 1 starts at ~02:00 EST (in 45m)"."""
    zone = settings.safety.window.zone
    return (
        f"waits for the migration window: group 1 starts at ~{format_clock(start, zone)} "
        f"(in {format_duration(start - now)})"
    )
