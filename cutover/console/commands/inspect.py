"""Looking at the fleet: status and the audit trail's events."""

from __future__ import annotations

import json

import click

from cutover.actions.plan.operations import Operations
from cutover.console.commands.common import Context, echo, user_errors
from cutover.console.commands.event_text import events_json, print_events
from cutover.console.commands.tenant_text import print_status, print_tenant, status_json
from cutover.model.lifecycle import Lifecycle
from cutover.state.holds import active_holds
from cutover.state.next_step import next_step
from cutover.state.readiness import ON_OCI, ReadinessStore, readiness_json, readiness_lines
from cutover.state.watch import checkpoints, watch_json


def way_back_of(session, tenants: list, now: float) -> dict[str, dict]:
    """Each tenant on OCI's rollback readiness, as the engine last measured it (JSON, with its lines)."""
    on_oci = [t for t in tenants if t.lifecycle in ON_OCI]
    if not on_oci:
        return {}
    settings = session.settings
    measured = ReadinessStore(session.store).get([t.tenant_id for t in on_oci])
    mode, zone = settings.rollback.reverse_sync, settings.safety.window.zone
    found = {}
    for t in on_oci:
        shown = readiness_json(t, measured.get(t.tenant_id), now, settings.watch, mode) or {}
        shown["lines"] = readiness_lines(t, measured.get(t.tenant_id), now, settings.watch, mode, zone)
        found[t.tenant_id] = shown
    return found


@click.command()
@click.argument("tenant", required=False)
@click.option("--wave", type=click.IntRange(0, 99), help="Only this wave.")
@click.option("--state", "state", type=click.Choice([s.value for s in Lifecycle]), help="Only tenants in this state.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (see the README).")
@click.pass_obj
@user_errors
def status(obj: Context, tenant: str | None, wave: int | None, state: str | None, as_json: bool) -> None:
    """Show tenants: lifecycle, sync health and the next step."""
    session = obj.session(read_only=True)
    try:
        now = session.clock.now()
        gates = session.settings.gates
        tenant = session.tenants.resolve_id(tenant) if tenant else None
        tenants = [session.tenants.get(tenant)] if tenant else session.tenants.find(wave=wave, lifecycle=state)
        if tenant and ((wave is not None and tenants[0].wave != wave) or (state and tenants[0].lifecycle != state)):
            tenants = []
        # A tenant a job holds shows what that job does with it now, as the console's table does.
        ops = Operations(session)
        doing = ops.read.activity()
        watch = session.settings.watch
        by_id = {t.tenant_id: t for t in tenants if t.lifecycle is Lifecycle.MIGRATED}
        migrated = list(by_id)
        recorded = checkpoints(session.store, migrated) if migrated else {}
        holds = active_holds(session.store, now)
        zone = session.settings.safety.window.zone
        room = session.settings.war_room.room()
        others = () if room.whole_fleet else ops.leases.other_war_rooms_leading(room)
        steps = {
            t.tenant_id: doing.get(t.tenant_id)
            or next_step(
                t,
                now,
                gates,
                watch,
                recorded.get(t.tenant_id),
                holds[t.tenant_id].step(zone) if t.tenant_id in holds else "",
                room,
                others,
            )
            for t in tenants
        }
        watches = {tid: watch_json(by_id[tid], now, watch, recorded.get(tid)) for tid in migrated}
        watch_lines = {tid: shown["text"] for tid, shown in watches.items() if shown}
        verdicts = {result.tenant_id: result for result in ops.gate_of(tenants)} if (as_json or tenant) else {}
        way_back = way_back_of(session, tenants, now) if (as_json or tenant) else {}
        if as_json:
            echo(json.dumps(status_json(tenants, steps, now, verdicts, watches, holds, way_back), indent=2))
        elif tenant and tenants:
            tid = tenants[0].tenant_id
            held = holds[tid].words(zone) if tid in holds else ""
            shown = way_back.get(tid)
            lines = shown["lines"] if shown else []
            print_tenant(tenants[0], steps[tid], now, verdicts.get(tid), watch_lines.get(tid, ""), held, lines)
        else:
            print_status(tenants, steps, now, watch_lines)
    finally:
        session.close()


@click.command()
@click.argument("tenant", required=False)
@click.option("--limit", type=click.IntRange(1), default=None, help="Only the newest N events.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output (see the README).")
@click.pass_obj
@user_errors
def events(obj: Context, tenant: str | None, limit: int | None, as_json: bool) -> None:
    """Show the audit trail, oldest first: who, what, when, why."""
    session = obj.session(read_only=True)
    try:
        if tenant:
            tenant = session.tenants.resolve_id(tenant)
        found = session.events.find(tenant_id=tenant, limit=limit)
        if as_json:
            echo(json.dumps(events_json(found), indent=2))
        else:
            print_events(found)
    finally:
        session.close()
