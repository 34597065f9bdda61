"""The engine on the real providers, pointed at the lab's stand-ins, on a driven clock."""

from __future__ import annotations

import asyncio
from typing import Any

from engine_helpers import make_ready, settle

from cutover.actions.engine.engine import Engine
from cutover.actions.plan.operations import Operations
from cutover.actions.wiring.composition import build_providers
from cutover.actions.wiring.session import Session
from cutover.config.access import SshTarget
from cutover.config.loader import LoadedConfig
from cutover.config.providers import (
    AwsTargetsSettings,
    CloudMetrics,
    CloudWatchSettings,
    HydrationSettings,
    OciLbHealth,
    OciMonitoringSettings,
    RcloneSync,
    RcSettings,
    Route53Dns,
    SlackNotifier,
    ValidationSettings,
)
from cutover.config.settings import ProvidersSettings, Settings
from cutover.lab.fleet import LabTenant
from cutover.lab.oci_server import COMPARTMENT
from cutover.lab.traffic import TrafficFeeder
from cutover.model.clock import ManualClock
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.jobs import JobStore
from cutover.state.store import Store
from cutover.state.tenants import TenantStore

from .conftest import FAST_RETRY, ZONE, store_tenants


def lab_providers(
    *,
    aws: dict[str, Any],
    oci: dict[str, Any],
    zone_id: str,
    rclone: RcSettings,
    app_port: int,
    ssh_target: SshTarget,
) -> ProvidersSettings:
    """Every real provider, each reaching its stand-in; the Slack webhook and E2E login come from the environment."""
    return ProvidersSettings(
        dns=Route53Dns(kind="route53", aws=aws, zones={ZONE: zone_id}, retry=FAST_RETRY),
        metrics=CloudMetrics(
            kind="cloud",
            # The lab publishes each minute as it ends, as `cutover lab` says in its configuration.
            aws=CloudWatchSettings(aws=aws, retry=FAST_RETRY, reporting_delay=20),
            oci=OciMonitoringSettings(oci=oci, compartment_id=COMPARTMENT, retry=FAST_RETRY, reporting_delay=20),
        ),
        sync=RcloneSync(kind="rclone", rc=rclone),
        health=OciLbHealth(
            kind="oci_lb",
            oci=oci,
            compartment_id=COMPARTMENT,
            retry=FAST_RETRY,
            validation=ValidationSettings(scheme="http", port=app_port),
            hydration=HydrationSettings(ssh=ssh_target),
            aws_targets=AwsTargetsSettings(aws=aws, retry=FAST_RETRY),
        ),
        notifier=SlackNotifier(kind="slack", retry=FAST_RETRY),
    )


class RealHarness:
    """The engine leading on the real providers, its store and operations, on a driven clock."""

    def __init__(self, settings: Settings, clock: ManualClock, feeder: TrafficFeeder, lab_fleet: list[LabTenant]):
        self.clock = clock
        self.feeder = feeder
        self.actor = Actor("alice", "jump-1")
        self.settings = settings
        self.store = Store(settings.state.path)
        events = EventLog(self.store, self.actor, clock)
        self.tenants = TenantStore(self.store, events)
        store_tenants(self.tenants, lab_fleet)
        for tenant in self.tenants.find():
            make_ready(self.tenants, tenant.tenant_id, clock.now())
        self.providers = build_providers(settings, self.store, clock, actor=self.actor).providers
        self.session = Session(LoadedConfig(settings, None), self.store, self.actor, clock, events, None)  # type: ignore[arg-type]
        self.session.tenants = self.tenants
        self.engine = Engine(settings, actor=self.actor, store=self.store, providers=self.providers, clock=clock)
        self.ops = Operations(self.session, providers=self.providers, on_submit=self.engine.wake)
        self.jobs = JobStore(self.store, events)
        self._task: asyncio.Task | None = None

    async def start(self) -> None:
        self._task = asyncio.create_task(self.engine.run())
        # As an operator waits for "sources ok": the whole-fleet polls start one after another, and a flip
        # submitted before they have all polled once is refused by the gate for want of fresh evidence.
        await self.until(
            lambda: self.engine.leading and self.engine.fleet_observed, what="the engine observing the fleet"
        )

    async def stop(self) -> None:
        if self._task is not None:
            self.engine.request_stop()
            await self._task
        await self.providers.aclose()
        self.store.close()

    async def until(self, done, *, limit: float = 3 * 3600.0, what: str) -> float:
        """Jump the clock from sleeper to sleeper, giving real I/O (HTTP, SSH) time to land first."""
        start = self.clock.now()
        while True:
            for _ in range(3):
                await settle()
                await asyncio.sleep(0.01)
            self.feeder.feed(self.clock.now())
            if done():
                return self.clock.now() - start
            wake = self.clock.next_wakeup
            if wake is None or wake - start > limit:
                raise AssertionError(f"{what} did not happen within {limit:.0f} simulated seconds")
            self.clock.set(max(wake, self.clock.now()))
