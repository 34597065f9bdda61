"""A DNS change's propagation, watched beside the flow: each server's answer in the in-sync step's
detail as it comes, the outcome in the audit trail (`dns.propagated`) and in the tenant's summary.
A tenant with several DNS names has every name watched, side by side: one event a name."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from cutover.actions.engine.flows.job_run import JobRun
from cutover.actions.engine.propagation import Propagation, servers_of, watch
from cutover.providers.dns_probe import DnsProbe


async def after_change(run: JobRun, tenant_id: str, step_name: str, want: str, changed_at: float) -> str:
    """Ask every configured server until it answers `want`; "" when none is configured."""
    dns = run.settings.dns
    servers = servers_of(dns.authoritative, dns.resolvers)
    if not servers:
        return ""
    core = run.core
    recorded = run.step(tenant_id, step_name).detail.get("propagation") or {}
    tenant = core.tenant(tenant_id)
    if tenant.several_names:
        return await _every_name(run, tenant_id, step_name, want, changed_at, servers, recorded)
    if recorded.get("ended"):
        return str(recorded.get("summary", ""))  # a resumed job: watched to its end already

    def progress(state: Propagation) -> None:
        with core.fenced():
            core.jobs.note_step(run.step(tenant_id, step_name), detail={"propagation": state.to_json()})

    result = await _watch(run, tenant.dns_name, want, servers, changed_at, progress)
    with core.fenced():
        _record(run, tenant_id, result)
    return result.describe()


async def _watch(
    run: JobRun,
    name: str,
    want: str,
    servers: list[tuple[str, str]],
    changed_at: float,
    progress: Callable[[Propagation], None],
) -> Propagation:
    core = run.core
    return await watch(
        DnsProbe(),
        name,
        want,
        servers,
        changed_at,
        now=core.now,
        sleep=core.clock.sleep,
        poll=run.settings.engine.step_poll,
        timeout=run.settings.dns.propagation_timeout,
        progress=progress,
    )


def _record(run: JobRun, tenant_id: str, result: Propagation) -> None:
    """One name's outcome in the audit trail (`dns.propagated`); the caller holds the fence."""
    run.core.events.append(
        "dns.propagated",
        f"{tenant_id}: {result.name} {result.describe()}: " + "; ".join(result.lines()),
        tenant_id=tenant_id,
        job_id=run.job_id,
        detail=result.to_json(),
    )


async def _every_name(
    run: JobRun,
    tenant_id: str,
    step_name: str,
    want: str,
    changed_at: float,
    servers: list[tuple[str, str]],
    recorded: dict[str, Any],
) -> str:
    core = run.core
    names = [extra.name for extra in core.tenant(tenant_id).dns_names]
    states: dict[str, dict[str, Any]] = dict(recorded.get("names") or {})
    if recorded.get("ended") and all((states.get(name) or {}).get("ended") for name in names):
        return str(recorded.get("summary", ""))  # a resumed job: every name watched to its end already

    def progress(state: Propagation) -> None:
        states[state.name] = state.to_json()
        first = states.get(names[0]) or {}
        ended = all((states.get(name) or {}).get("ended") for name in names)
        summary = "; ".join(f"{name} {states[name]['summary']}" for name in names if name in states)
        detail = {**first, "ended": ended, "summary": summary, "names": dict(states)}
        with core.fenced():
            core.jobs.note_step(run.step(tenant_id, step_name), detail={"propagation": detail})

    results = await asyncio.gather(*(_watch(run, name, want, servers, changed_at, progress) for name in names))
    with core.fenced():
        for result in results:
            _record(run, tenant_id, result)
    if len({result.describe() for result in results}) == 1:
        return f"{results[0].describe()} ({len(names)} names)"
    return "; ".join(f"{name} {result.describe()}" for name, result in zip(names, results, strict=True))
