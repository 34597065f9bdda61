"""`cutover events` printed: the audit trail as a table (whole lines when piped), and as `cutover.events/1`."""

from __future__ import annotations

from typing import Any

from rich.table import Table
from rich.text import Text

from cutover.console.commands.output import in_terminal, iso, iso_text, make_console
from cutover.console.plain import plain
from cutover.state.events import Event

WIDE = 110  # below this many columns, what and why share one column


def events_json(events: list[Event]) -> dict[str, Any]:
    return {
        "schema": "cutover.events/1",
        "count": len(events),
        "events": [
            {
                "seq": e.seq,
                "at": iso(e.ts),
                "wall_at": iso_text(e.wall_ts),
                "operator": e.operator,
                "host": e.host,
                "ssh_client": e.ssh_client or None,
                "tenant_id": e.tenant_id,
                "job_id": e.job_id,
                "kind": e.kind,
                "what": e.what,
                "why": e.why,
                "state_before": e.state_before or None,
                "state_after": e.state_after or None,
                "detail": e.detail,
                "hash": e.hash,
            }
            for e in events
        ],
    }


def print_events(events: list[Event]) -> None:
    """In a terminal: the time as HH:MM:SS under a date line once per day, who, tenant and job whole, what and
    why wrapped in the width left (one column under 110 columns). Piped: every line whole, with its date."""
    console = make_console()
    if not events:
        console.print("no events")
        return
    terminal = in_terminal()
    together = terminal and console.width < WIDE
    table = Table(box=None, pad_edge=False, header_style="bold")
    table.add_column("#", no_wrap=True, justify="right")
    table.add_column("TIME (UTC)" if terminal else "WHEN (UTC)", no_wrap=True)
    for column in ("WHO", "TENANT", "JOB"):
        table.add_column(column, no_wrap=True)
    table.add_column("WHAT (WHY)" if together else "WHAT", overflow="fold", ratio=3)
    if not together:
        table.add_column("WHY", overflow="fold", ratio=2)
    day = ""
    for e in events:
        who = e.operator + (f" ({e.ssh_client})" if e.ssh_client else "")
        when = (iso(e.ts) or "").replace("T", " ")
        if terminal:
            date, _, when = when.removesuffix("Z").partition(" ")
            if date != day:
                day = date
                table.add_row("", Text(date, style="bold"), *[""] * (4 if together else 5))
        key: list[str | Text] = [str(e.seq), when, plain(who), plain(e.tenant_id or ""), plain(e.job_id or "")]
        if together:
            what = plain(e.what)
            if e.why:
                what.append("\n").append_text(plain(f"why: {e.why}"))
            table.add_row(*key, what)
        else:
            table.add_row(*key, plain(e.what), plain(e.why))
    console.print(table)
