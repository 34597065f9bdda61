"""One look at the fleet, written to the store, for a command asked while no engine leads.

`cutover gate` evaluates what the store has observed; when no engine polls, that
is stale and the gate would (rightly) say unknown. This polls sync status,
backend health, DNS and metrics once, as the leader's pollers would, and records them.
It never judges triggers and never acts: only a leading engine does.
"""

from __future__ import annotations

import logging

from cutover.actions.engine.engine_core import EngineCore
from cutover.actions.engine.pollers import Pollers
from cutover.actions.engine.trigger_loop import TriggerLoop
from cutover.actions.wiring.session import Session
from cutover.providers.ports.bundle import Providers
from cutover.providers.ports.errors import ProviderError

log = logging.getLogger(__name__)


def _no_fence(db: object) -> None:
    """Not a leader: nothing to fence. Only used while no engine leads."""


async def observe_now(session: Session, providers: Providers) -> list[str]:
    """Poll once; returns what could not be observed (the gate then judges older figures, or none)."""
    core = EngineCore(session.settings, session.store, session.events, providers, session.clock, "observer", _no_fence)
    pollers = Pollers(core, TriggerLoop(core), judge=False)
    failures = []
    for what, poll in (
        ("sync", pollers.poll_sync),
        ("backends", pollers.poll_health),
        ("DNS", pollers.poll_dns),
        ("metrics", pollers.poll_metrics),
    ):
        try:
            await poll()
        except ProviderError as exc:
            log.info("could not observe %s: %s", what, exc)
            failures.append(f"{what}: {exc}")
    return failures
