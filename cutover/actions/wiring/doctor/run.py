"""`cutover doctor`: every configured part checked once, each within a timeout, none able to crash the rest.

Providers are built by the composition root's builders, as the engine builds them,
but with one try per call and short timeouts (quick.py), and on an in-memory store:
doctor never writes to the war room's store. The tenants (for zones and buckets to
sample) are read from the store read-only, when it can be opened.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from cutover.actions.wiring.composition import BUILDERS, ROLES, Composition, all_simulated
from cutover.actions.wiring.doctor import clouds, credentials, local, tools
from cutover.actions.wiring.doctor.common import Probe
from cutover.actions.wiring.doctor.quick import quick
from cutover.actions.wiring.doctor.results import Check, Report, failed, ok, report
from cutover.actions.wiring.doctor.skew import check_skew
from cutover.config.loader import LoadedConfig
from cutover.model.clock import SystemClock
from cutover.model.tenant import Tenant
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.location import open_store
from cutover.state.store import Store, StoreError
from cutover.state.tenants import TenantStore

log = logging.getLogger(__name__)
DEFAULT_TIMEOUT = 10.0

CheckRun = Callable[[], Awaitable[list[Check]]]


def read_tenants(loaded: LoadedConfig) -> list[Tenant]:
    try:
        with open_store(loaded.settings.state.location, read_only=True) as store:
            return TenantStore(store, EventLog(store, Actor.current(), SystemClock())).find()
    except (StoreError, OSError):
        return []  # the store check says why


async def guarded(label: str, run: CheckRun, timeout: float) -> list[Check]:
    """The checks `run` makes, or one failure naming `label`: a timeout or an error is a result, never a crash."""
    started = time.perf_counter()
    try:
        checks = await asyncio.wait_for(run(), timeout)
    except TimeoutError:
        return [
            failed(
                label,
                f"no answer within {timeout:g} s",
                "check that its endpoint is reachable from this host and answers (network, firewall, a hung "
                "service); --timeout gives slow links longer",
            )
        ]
    except Exception as error:
        log.exception("doctor: %s", label)
        return [failed(label, f"{type(error).__name__}: {error}", "see cutover.log beside the store for details")]
    took = time.perf_counter() - started
    return [Check(c.name, c.status, c.detail, c.fix, c.took_s or took) for c in checks]


async def run_doctor(loaded: LoadedConfig, *, timeout: float = DEFAULT_TIMEOUT) -> Report:
    settings = loaded.settings
    tenants = await asyncio.to_thread(read_tenants, loaded)
    quick_settings = settings.model_copy(update={"providers": quick(settings.providers, timeout)})
    probe = Probe(quick_settings, tenants)
    checks: list[Check] = [
        ok("configuration", f"{loaded.path} is valid" if loaded.path else "no file: the built-in defaults")
    ]
    if settings.state.url:
        checks += await asyncio.to_thread(local.check_store_url, settings.state.url)
    else:
        checks += local.check_store(settings.state.path, created_on_first_run=all_simulated(settings))
    checks += local.check_zones(settings, tenants)
    checks += credentials.check_oci_credentials(probe)

    scratch = Store(":memory:")
    composition = Composition(quick_settings, scratch, SystemClock(), Actor.current())
    built: dict[str, Any] = {}
    runs: list[tuple[str, CheckRun]] = [("aws credentials", lambda: credentials.check_aws_credentials(probe))]
    try:
        for role in ROLES:
            kind = getattr(quick_settings.providers, role).kind
            label = f"{role}: {kind}"
            if kind == "simulated":
                checks.append(ok(label, "the built-in simulated fleet: nothing to reach"))
                continue
            try:
                built[role] = BUILDERS[kind](composition, role)
            except Exception as error:
                checks.append(failed(label, f"cannot be built: {error}", "fix [providers." + role + "]"))
                continue
            runs += _runs_for(role, built[role], probe)
        results = await asyncio.gather(*(guarded(label, run, timeout) for label, run in runs))
        for found in results:
            checks += found
        checks.append(check_skew(probe.dates))
    finally:
        for provider in built.values():
            close = getattr(provider, "aclose", None)
            if close is not None:
                try:
                    await asyncio.wait_for(close(), timeout)
                except Exception:
                    log.exception("doctor: closing a provider")
        scratch.close()
    return report(checks, str(loaded.path) if loaded.path else None)


def _runs_for(role: str, provider: Any, probe: Probe) -> list[tuple[str, CheckRun]]:
    settings = probe.settings.providers
    if role == "dns":
        return [(f"dns: {settings.dns.kind}", lambda: clouds.check_dns(probe, provider))]
    if role == "metrics":
        runs: list[tuple[str, CheckRun]] = []
        if provider.aws is not None:
            runs.append(("metrics: cloudwatch", lambda: clouds.check_cloudwatch(probe, provider.aws)))
        if provider.oci is not None:
            runs.append(("metrics: oci monitoring", lambda: clouds.check_oci_monitoring(probe, provider.oci)))
        return runs
    if role == "sync":
        runs = [("sync: rclone", lambda: tools.check_rclone(probe, provider))]
        if provider.listings is not None:
            s3, object_storage = provider.listings
            runs.append(("sync: s3 listing", lambda: clouds.check_s3_listing(probe, s3)))
            runs.append(("sync: oci object storage listing", lambda: clouds.check_oci_listing(probe, object_storage)))
        return runs
    if role == "health":
        runs = [("health: oci load balancers", lambda: clouds.check_load_balancers(probe, provider))]
        if provider.aws_side is not None:
            runs.append(("health: aws targets", lambda: clouds.check_aws_targets(probe, provider.aws_side)))
        hydration = settings.health.hydration if settings.health.kind == "oci_lb" else None
        if provider.hydration is not None and hydration is not None:
            target = hydration.ssh
            runs.append(
                (
                    f"health: hydration ssh {target.host}",
                    lambda: _one(tools.check_ssh(provider.hydration.runner, target, "health: hydration")),
                )
            )
        return runs
    return [(f"notifier: {settings.notifier.kind}", lambda: tools.check_notifier(probe, provider))]


async def _one(check: Awaitable[Check]) -> list[Check]:
    return [await check]
