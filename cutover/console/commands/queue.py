"""`cutover hold` / `unhold`: keep tenants out of the queue (a customer asked to reschedule)."""

from __future__ import annotations

from datetime import datetime

import click

from cutover.actions.plan.operations import Operations
from cutover.actions.plan.plans import BadRequest
from cutover.config.units import format_day_clock, parse_duration
from cutover.console.commands.acting import open_session, resolve_ids
from cutover.console.commands.common import Context, user_errors
from cutover.console.commands.common import echo as out


def parse_not_before(text: str, now: float, zone) -> float:
    """ "48h" (from now), "2026-03-07" (midnight) or "2026-03-07 02:00" in the migration window's zone."""
    try:
        return now + parse_duration(text)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        raise BadRequest(
            f"--not-before {text!r}: write a time from now (48h, 2d) or a date and time in "
            f"{zone.key} (2026-03-07 or 2026-03-07 02:00); nothing was changed"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=zone)
    return when.timestamp()


@click.command()
@click.argument("tenants", nargs=-1, required=True)
@click.option("--reason", default="", help="Why: it goes in the audit trail (and in every batch plan that skips it).")
@click.option("--not-before", "not_before", help="Only until then: 48h from now, or 2026-03-07 02:00 (window zone).")
@click.pass_obj
@user_errors
def hold(obj: Context, tenants: tuple[str, ...], reason: str, not_before: str | None) -> None:
    """Keep tenants out of the queue: batches leave them out, saying why, until unhold (or --not-before)."""
    session = open_session(obj)
    try:
        ids = resolve_ids(session, tenants)
        zone = session.settings.safety.window.zone
        until = parse_not_before(not_before, session.clock.now(), zone) if not_before else None
        Operations(session).hold(list(ids), reason=reason, not_before=until)
        when = f" until {format_day_clock(until, zone)}" if until is not None else " until unhold"
        out(f"held by {session.actor.operator}{when}: {', '.join(ids)} ({reason})")
    finally:
        session.close()


@click.command()
@click.argument("tenants", nargs=-1, required=True)
@click.option("--reason", default="", help="Why: it goes in the audit trail.")
@click.pass_obj
@user_errors
def unhold(obj: Context, tenants: tuple[str, ...], reason: str) -> None:
    """Put held tenants back in the queue."""
    session = open_session(obj)
    try:
        released = Operations(session).unhold(list(resolve_ids(session, tenants)), reason=reason)
        out(f"back in the queue: {', '.join(released)} ({reason})")
    finally:
        session.close()
