"""`cutover demo --headless --for DURATION [--batch SPEC]`: a whole night on the simulated fleet, printed."""

from __future__ import annotations

import asyncio
from zoneinfo import ZoneInfo

from cutover.actions.plan.plans import BadRequest, PlanRequest
from cutover.actions.reports.rehearsal import rehearse_night
from cutover.actions.wiring.session import Session
from cutover.config.units import parse_duration
from cutover.console.commands.common import echo

BATCH_KEYS = ("wave", "count", "group", "every", "monitor")


def parse_batch(spec: str | None) -> PlanRequest | None:
    """'tonight' (wave 1, the configured count and groups) or key=value pairs: wave, count, group, every, monitor."""
    if spec is None:
        return None
    if spec.strip() == "tonight":
        return PlanRequest.batch(wave=1)
    values: dict[str, str] = {}
    for part in spec.split(","):
        key, sep, value = part.partition("=")
        if not sep or key.strip() not in BATCH_KEYS:
            raise BadRequest(
                f"--batch {spec!r}: write 'tonight' or key=value pairs separated by commas, keys: "
                f"{', '.join(BATCH_KEYS)} (e.g. wave=1,count=25,group=5,every=15m,monitor=10m)"
            )
        values[key.strip()] = value.strip()
    try:
        return PlanRequest.batch(
            wave=int(values.get("wave", "1")),
            count=int(values["count"]) if "count" in values else None,
            group_size=int(values["group"]) if "group" in values else None,
            interval=parse_duration(values["every"]) if "every" in values else None,
            monitor=parse_duration(values["monitor"]) if "monitor" in values else None,
        )
    except ValueError as exc:
        raise BadRequest(f"--batch {spec!r}: {exc}") from None


def run_night(session: Session, duration: float, batch: PlanRequest | None) -> None:
    zone = ZoneInfo(session.settings.safety.window.timezone)
    report = asyncio.run(
        rehearse_night(
            session,
            duration=duration,
            batch=batch,
            reason="rehearsal: cutover demo --headless",
            on_line=echo,
            zone=zone,
        )
    )
    for line in report.lines(zone):
        echo(line)
