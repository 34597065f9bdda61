"""A simulated Slack: messages are kept in the world, where tests and the demo read them."""

from __future__ import annotations

from cutover.providers.ports.errors import ProviderError
from cutover.providers.ports.notify import Notification
from cutover.providers.sim.world import SimWorld

SOURCE = "sim-slack"


class SimNotifier:
    source = SOURCE

    def __init__(self, world: SimWorld):
        self.world = world

    async def post(self, notification: Notification) -> None:
        world = self.world
        world.refresh()
        now = world.clock.now()
        everyone, _ = world.faults_at(now, ("notifier_down",))
        if everyone:
            raise ProviderError(SOURCE, "HTTP 503 from the webhook: the simulated Slack is down", retryable=True)
        world.db.post(now, notification.severity.value, notification.text, notification.tenant_id, notification.job_id)
