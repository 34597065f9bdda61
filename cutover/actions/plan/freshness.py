"""How old a healthy source's figures may be, before they are called stale.

Each source reports late by its own amount: CloudWatch publishes a minute's
datapoint one to three minutes after the minute ends, OCI Monitoring likewise;
the simulated fleet measures every 10 s. A figure is stale only once it is older
than `gates.stale_after` plus its source's delay. With the bare 120 s, a healthy
CloudWatch would be called stale all night and every trigger would hold.

The delay comes from the configuration, so the engine, the gate, the triggers
and every console agree on it without asking a provider.
"""

from __future__ import annotations

from cutover.config.providers import CloudMetrics
from cutover.config.settings import SIM_METRICS_RESOLUTION_S, Settings


def metrics_delay(settings: Settings) -> float:
    """How far behind now the newest figure of a healthy metrics source may be."""
    role = settings.providers.metrics
    if not isinstance(role, CloudMetrics):
        return SIM_METRICS_RESOLUTION_S  # the simulated fleet: a datapoint every 10 s
    sides = []
    if role.aws is not None:
        sides.append(role.aws.reporting_delay + role.aws.period)
    if role.oci is not None:
        sides.append(role.oci.reporting_delay + role.oci.resolution_s)
    return max(sides)


def metrics_stale_after(settings: Settings) -> float:
    """A tenant's metrics older than this are stale: never a pass, never acted on."""
    return settings.gates.stale_after + metrics_delay(settings)


def reporting_delay(settings: Settings, role: str) -> float:
    """A source's own delay: metrics are published late; DNS, sync status and health are read as they are."""
    return metrics_delay(settings) if role == "metrics" else 0.0
