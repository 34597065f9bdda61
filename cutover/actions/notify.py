"""The notifier's outbox: every job state change and every alert goes to the notifier.

The audit trail is the outbox: the leading engine tails events of kind `job.*`
and `alert` from a cursor kept in the store, posts each, and moves the cursor
only past what was delivered. A leader that dies mid-way leaves the rest to the
next one (at-least-once delivery). A failing notifier is recorded as a failing
source and retried; it never holds a job up.
"""

from __future__ import annotations

import asyncio
import logging

from cutover.actions.engine_core import EngineCore
from cutover.providers.interfaces import Notification, ProviderError, Severity
from cutover.state.events import Event
from cutover.state.facts import ALERT

log = logging.getLogger(__name__)

CURSOR = "notifier"
SKIPPED = frozenset({"job.control", "job.control.applied"})  # requests, not state changes: the change follows
WARNING_STATES = frozenset({"held", "paused", "failed", "aborted", "refused", "preempted", "rolled_back"})


def notification_for(event: Event) -> Notification | None:
    if event.kind in SKIPPED:
        return None
    if event.kind == ALERT:
        severity = Severity(event.detail.get("severity", "warning"))
        return Notification(event.what, severity, event.tenant_id, event.job_id)
    if not event.kind.startswith("job."):
        return None
    text = event.what + (f": {event.why}" if event.why and event.why not in event.what else "")
    if event.kind == "job.target" and event.tenant_id:
        text = f"[{event.tenant_id}] {event.job_id}: {event.what.split(': ', 1)[-1]}"
    worrying = event.state_after in WARNING_STATES or event.kind == "job.preempted"
    return Notification(text, Severity.WARNING if worrying else Severity.INFO, event.tenant_id, event.job_id)


class Outbox:
    def __init__(self, core: EngineCore):
        self.core = core

    async def run(self) -> None:
        facts = self.core.facts
        if facts.cursor(CURSOR) == 0:
            # First engine on this store: start from now, not from the whole history.
            latest = self.core.events.list(limit=1)
            facts.set_cursor(CURSOR, latest[0].seq if latest else 0)
        while True:
            await self.flush()
            await self.core.clock.sleep(self.core.settings.engine.step_poll)

    async def flush(self) -> int:
        """Post what is new; returns how many were delivered."""
        core, facts = self.core, self.core.facts
        notifier = core.providers.notifier
        cursor = facts.cursor(CURSOR)
        delivered = 0
        for event in facts.events_of_kinds("", cursor, limit=500):
            note = notification_for(event)
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
        if cursor != facts.cursor(CURSOR):
            with core.fenced():
                facts.set_cursor(CURSOR, cursor)
            if delivered:
                core.sources.ok(notifier.source, "notifier", core.settings.engine.step_poll, core.now())
        return delivered
