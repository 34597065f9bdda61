"""Providers: one provider per role, the bundle the composition root builds and the engine uses."""

from __future__ import annotations

from dataclasses import dataclass

from cutover.providers.ports.dns import DnsProvider
from cutover.providers.ports.health import HealthProvider
from cutover.providers.ports.metrics import MetricsProvider
from cutover.providers.ports.notify import Notifier
from cutover.providers.ports.sync import SyncProvider


@dataclass(frozen=True)
class Providers:
    """One provider per role, as the configuration chose them."""

    dns: DnsProvider
    metrics: MetricsProvider
    sync: SyncProvider
    health: HealthProvider
    notifier: Notifier

    async def aclose(self) -> None:
        """Close what the providers hold open (HTTP pools, SDK clients, SSH connections)."""
        seen: set[int] = set()
        for provider in (self.dns, self.metrics, self.sync, self.health, self.notifier):
            close = getattr(provider, "aclose", None)
            if close is not None and id(provider) not in seen:
                seen.add(id(provider))
                await close()
