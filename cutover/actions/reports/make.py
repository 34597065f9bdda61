"""Reports made from a session: the store, the settings and who asks (the CLI and the console share these)."""

from __future__ import annotations

from datetime import date

from cutover.actions.reports.model import NightReport, TenantReport
from cutover.actions.reports.night import build_night_report
from cutover.actions.reports.render import Format, render_night, render_tenant
from cutover.actions.reports.tenant import build_tenant_report
from cutover.actions.wiring.session import Session


def tenant_report(session: Session, typed_id: str, fmt: Format = "md") -> tuple[TenantReport, str]:
    """The tenant's report and its text; raises UnknownTenant for an ID the store does not hold."""
    tenant_id = session.tenants.resolve_id(typed_id)
    report = build_tenant_report(
        session.store, session.settings, session.tenants, tenant_id, now=session.clock.now(), actor=session.actor
    )
    return report, render_tenant(report, fmt)


def night_report(session: Session, day: date | None, fmt: Format = "md") -> tuple[NightReport, str]:
    report = build_night_report(
        session.store, session.settings, session.events, day, now=session.clock.now(), actor=session.actor
    )
    return report, render_night(report, fmt)
