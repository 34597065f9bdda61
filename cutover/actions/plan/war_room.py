"""The war room's own records: tenant holds, the night's go/no-go sign-offs, acknowledged alerts."""

from __future__ import annotations

from collections.abc import Sequence

from cutover.actions.plan.go_no_go import NightDecision, read_night
from cutover.actions.plan.operations_base import OperationsBase
from cutover.actions.plan.plans import BadRequest, Refused
from cutover.actions.plan.windows import night_of
from cutover.config.units import format_day_clock
from cutover.state.events import Event
from cutover.state.facts import ALERT_ACKNOWLEDGED
from cutover.state.holds import HoldStore, TenantHold
from cutover.state.signoffs import Signoff, SignoffStore


class WarRoomRecords(OperationsBase):
    """The war room's own records: tenant holds, the night's go/no-go sign-offs, acknowledged alerts."""

    def hold(self, tenant_ids: Sequence[str], *, reason: str, not_before: float | None = None) -> None:
        """Keep tenants out of the queue (batches leave them out, saying why), for good or until `not_before`."""
        self._writable("hold a tenant")
        if not reason.strip():
            raise BadRequest("give a reason: it goes in the audit trail with the hold")
        tenants = self._tenants(tenant_ids)
        now = self.session.clock.now()
        if not_before is not None and not_before <= now:
            raise BadRequest("--not-before is in the past: give a later time (or no --not-before for a hold)")
        what = "held out of the queue" + (
            f" until {format_day_clock(not_before, self.settings.safety.window.zone)}" if not_before else ""
        )
        HoldStore(self.session.store, self.session.events).hold(
            [t.tenant_id for t in tenants], reason=reason, not_before=not_before, by=self.operator, now=now, what=what
        )

    def unhold(self, tenant_ids: Sequence[str], *, reason: str) -> list[str]:
        """Release tenants' holds; refused (nothing changed) when one of them is not held."""
        self._writable("release a hold")
        if not reason.strip():
            raise BadRequest("give a reason: it goes in the audit trail with the release")
        tenants = self._tenants(tenant_ids)
        holds = HoldStore(self.session.store, self.session.events)
        held = holds.all()
        missing = [t.tenant_id for t in tenants if t.tenant_id not in held]
        if missing:
            raise Refused(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} not held: nothing released")
        return holds.release([t.tenant_id for t in tenants], reason=reason)

    def holds(self) -> dict[str, TenantHold]:
        return HoldStore(self.session.store, self.session.events).all()

    def night(self) -> NightDecision:
        """Tonight's go/no-go checklist and its sign-offs."""
        return read_night(self.session.store, self.settings, self.session.clock.now())

    def sign_night(self, item: str, *, decision: str, reason: str) -> NightDecision:
        """Sign a checklist item `go` or `no-go` for tonight, as this operator (and host). A no-go stops the
        night's batches before their next DNS change; signing the item go again lifts it (then resume)."""
        self._writable(f"sign {decision}")
        items = self.settings.night.go_no_go.items
        if not items:
            raise BadRequest(
                "no go/no-go checklist is configured: list the items and the role that signs each under "
                '[night.go_no_go] items (like backups = "dba"); with none there is no night-level gate'
            )
        if item not in items:
            raise BadRequest(f"--item {item!r}: no such checklist item; the items are: {', '.join(items)}")
        if not reason.strip():
            raise BadRequest(f"give a reason: it goes in the audit trail with the {decision}")
        role = items[item]
        allowed = self.settings.night.go_no_go.roles.get(role)
        if allowed is not None and self.operator not in allowed:
            raise Refused(
                f"{item} is signed by the {role} role ({', '.join(allowed)}); {self.operator} is not one of them: "
                "nothing signed"
            )
        now = self.session.clock.now()
        night = night_of(now, self.settings.safety.window)
        actor = self.session.actor
        SignoffStore(self.session.store, self.session.events).sign(
            Signoff(night, item, decision, role, actor.operator, actor.host, reason.strip(), now)
        )
        return self.night()

    def acknowledge_alerts(self, alerts: Sequence[Event], *, reason: str = "") -> Event:
        """An operator has seen the pinned alerts: they leave the pinned area in every console (audited)."""
        self._writable("acknowledge alerts")
        if not alerts:
            raise BadRequest("no pinned alert to acknowledge")
        seqs = sorted(event.seq for event in alerts)
        count = len(seqs)
        return self.session.events.append(
            ALERT_ACKNOWLEDGED,
            f"{count} pinned alert{'s' * (count != 1)} acknowledged: "
            + "; ".join(e.what for e in alerts[:3])
            + (f" and {count - 3} more" if count > 3 else ""),
            why=reason,
            detail={"up_to_seq": seqs[-1], "seqs": seqs},
        )
