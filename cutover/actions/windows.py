"""Migration windows, in each tenant's local time, and what counts as "tonight".

A tenant's time zone comes from its region (AWS or OCI region names); a region
we do not know falls back to the configured zone. A window may cross midnight
(22:00-02:00).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from datetime import time as clock_time
from zoneinfo import ZoneInfo

from cutover.config.settings import WindowSettings
from cutover.state.tenants import Tenant

REGION_ZONES = {
    # AWS
    "us-east-1": "America/New_York",
    "us-east-2": "America/New_York",
    "us-west-1": "America/Los_Angeles",
    "us-west-2": "America/Los_Angeles",
    "ca-central-1": "America/Toronto",
    "sa-east-1": "America/Sao_Paulo",
    "eu-west-1": "Europe/Dublin",
    "eu-west-2": "Europe/London",
    "eu-west-3": "Europe/Paris",
    "eu-central-1": "Europe/Berlin",
    "eu-north-1": "Europe/Stockholm",
    "eu-south-1": "Europe/Rome",
    "ap-south-1": "Asia/Kolkata",
    "ap-northeast-1": "Asia/Tokyo",
    "ap-northeast-2": "Asia/Seoul",
    "ap-southeast-1": "Asia/Singapore",
    "ap-southeast-2": "Australia/Sydney",
    "me-south-1": "Asia/Bahrain",
    "af-south-1": "Africa/Johannesburg",
    # OCI
    "us-ashburn-1": "America/New_York",
    "us-phoenix-1": "America/Phoenix",
    "us-sanjose-1": "America/Los_Angeles",
    "us-chicago-1": "America/Chicago",
    "ca-toronto-1": "America/Toronto",
    "ca-montreal-1": "America/Toronto",
    "sa-saopaulo-1": "America/Sao_Paulo",
    "uk-london-1": "Europe/London",
    "eu-frankfurt-1": "Europe/Berlin",
    "eu-amsterdam-1": "Europe/Amsterdam",
    "eu-paris-1": "Europe/Paris",
    "eu-zurich-1": "Europe/Zurich",
    "ap-tokyo-1": "Asia/Tokyo",
    "ap-osaka-1": "Asia/Tokyo",
    "ap-seoul-1": "Asia/Seoul",
    "ap-singapore-1": "Asia/Singapore",
    "ap-sydney-1": "Australia/Sydney",
    "ap-mumbai-1": "Asia/Kolkata",
}


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
