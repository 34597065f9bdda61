"""The notifier's outbox: every job state change and every alert goes to the notifier.

The audit trail is the outbox: the leading engine tails events of kind `job.*`
and `alert` from a cursor kept in the store, posts each, and moves the cursor
only past what was delivered. A leader that dies mid-way leaves the rest to the
next one (at-least-once delivery). A failing notifier is recorded as a failing
source and retried; it never holds a job up.

With several war rooms on one store (config/war_room.py) each war room's engine
keeps a cursor of its own and posts what is about its part of the fleet: an event
about a tenant of its part, about a job it runs, or (about neither: a source that
failed) one its own engine wrote. Each page goes out once, from one war room.
"""

from __future__ import annotations

import asyncio
import logging

from cutover.actions.engine.engine_core import EngineCore
from cutover.providers.ports.errors import ProviderError
from cutover.providers.ports.notify import Notification, Severity
from cutover.state.events import Event
from cutover.state.facts import ALERT

log = logging.getLogger(__name__)

CURSOR = "notifier"
SKIPPED = frozenset({"job.control", "job.control.applied"})  # requests, not state changes: the change follows
WARNING_STATES = frozenset({"held", "paused", "failed", "aborted", "refused", "preempted", "rolled_back"})


# Events saying a problem cleared, and the alert source whose incident they resolve.
CLEARED = {"dns.drift.cleared": "dns-drift", "sync.after_cutover.cleared": "sync-after-cutover"}


def incident_key(source: str, tenant_id: str | None, job_id: str | None) -> str:
    """One incident, one page: everything about a job is its incident; otherwise a source's about a tenant."""
    if job_id:
        return f"cutover:job:{job_id}"
    return f"cutover:{source}:{tenant_id or 'fleet'}"


def notification_for(event: Event) -> Notification | None:
    if event.kind in SKIPPED:
        return None
    if event.kind == ALERT:
        severity = Severity(event.detail.get("severity", "warning"))
        key = incident_key(str(event.detail.get("source", "alert")), event.tenant_id, event.job_id)
        return Notification(event.what, severity, event.tenant_id, event.job_id, dedup_key=key)
    if event.kind in CLEARED:
        key = incident_key(CLEARED[event.kind], event.tenant_id, None)
        return Notification(event.what, Severity.INFO, event.tenant_id, None, dedup_key=key, resolve=True)
    if not event.kind.startswith("job."):
        return None
    text = event.what + (f": {event.why}" if event.why and event.why not in event.what else "")
    if event.kind == "job.target" and event.tenant_id:
        text = f"[{event.tenant_id}] {event.job_id}: {event.what.split(': ', 1)[-1]}"
    worrying = event.state_after in WARNING_STATES or event.kind == "job.preempted"
    key = incident_key("job", event.tenant_id, event.job_id)
    # A job that succeeds, or runs again after a hold, ends its incident (a stopped line): resolve the page.
    ends_incident = event.kind != "job.target" and (
        event.state_after == "succeeded" or (event.state_before == "held" and event.state_after == "running")
    )
    severity = Severity.WARNING if worrying else Severity.INFO
    return Notification(text, severity, event.tenant_id, event.job_id, key, resolve=ends_incident)


class Outbox:
    def __init__(self, core: EngineCore):
        self.core = core
        room = core.war_room
        self.cursor = f"{CURSOR}:{room.name}" if room.name else CURSOR
        self._ours: dict[str, bool] = {}  # tenant or job -> in this war room's part (neither ever moves under it)

    def ours(self, event: Event) -> bool:
        """The event is this war room's to post (all of them, for a store's one war room)."""
        core = self.core
        if core.war_room.whole_fleet:
            return True
        if event.tenant_id:
            key = f"tenant {event.tenant_id}"
            if key not in self._ours:
                self._ours[key] = core.war_room.holds(core.tenant(event.tenant_id))
            return self._ours[key]
        if event.job_id:
            key = f"job {event.job_id}"
            if key not in self._ours:
                self._ours[key] = core.runs(event.job_id)
            return self._ours[key]
        return (event.operator, event.host) == (core.events.actor.operator, core.events.actor.host)

    async def run(self) -> None:
        facts = self.core.facts
        if facts.cursor(self.cursor) == 0:
            # First engine of this war room on this store: start from now, not from the whole history.
            latest = self.core.events.find(limit=1)
            facts.set_cursor(self.cursor, latest[0].seq if latest else 0)
        while True:
            await self.flush()
            await self.core.clock.sleep(self.core.settings.engine.step_poll)

    async def flush(self) -> int:
        """Post what is new; returns how many were delivered."""
        core, facts = self.core, self.core.facts
        notifier = core.providers.notifier
        cursor = facts.cursor(self.cursor)
        delivered = 0
        for event in facts.events_of_kinds("", cursor, limit=500):
            note = notification_for(event) if self.ours(event) else None
            if note is not None:
                try:
                    await notifier.post(note)
                except ProviderError as error:
                    core.sources.error(
                        notifier.source, "notifier", core.settings.engine.step_poll, core.now(), str(error)
                    )
                    break
                except Exception as error:  # a notifier bug must never take the engine down: record, retry later
                    log.exception("the notifier failed")
                    core.sources.error(
                        notifier.source,
                        "notifier",
                        core.settings.engine.step_poll,
                        core.now(),
                        f"{type(error).__name__}: {error}",
                    )
                    break
                except asyncio.CancelledError:
                    raise
                delivered += 1
            cursor = event.seq
        if cursor != facts.cursor(self.cursor):
            with core.fenced():
                facts.set_cursor(self.cursor, cursor)
            if delivered:
                core.sources.ok(notifier.source, "notifier", core.settings.engine.step_poll, core.now())
        return delivered
