"""A DNS change's propagation, watched beside the flow: each server's answer in the in-sync step's
detail as it comes, the outcome in the audit trail (`dns.propagated`) and in the tenant's summary.
A tenant with several DNS names has every name watched, side by side: one event a name."""

from __future__ import annotations

import asyncio
from typing import Any

from cutover.actions.flows.common import JobRun
from cutover.actions.propagation import Propagation, servers_of, watch
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

    name = tenant.dns_name
    result = await watch(
        DnsProbe(),
        name,
        want,
        servers,
        changed_at,
        now=core.now,
        sleep=core.clock.sleep,
        poll=run.settings.engine.step_poll,
        timeout=dns.propagation_timeout,
        progress=progress,
    )
    summary = result.describe()
    with core.fenced():
        core.events.append(
            "dns.propagated",
            f"{tenant_id}: {name} {summary}: " + "; ".join(result.lines()),
            tenant_id=tenant_id,
            job_id=run.job_id,
            detail=result.to_json(),
        )
    return summary


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
    dns = run.settings.dns
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

    results = await asyncio.gather(
        *(
            watch(
                DnsProbe(),
                name,
                want,
                servers,
                changed_at,
                now=core.now,
                sleep=core.clock.sleep,
                poll=run.settings.engine.step_poll,
                timeout=dns.propagation_timeout,
                progress=progress,
            )
            for name in names
        )
    )
    with core.fenced():
        for name, result in zip(names, results, strict=True):
            core.events.append(
                "dns.propagated",
                f"{tenant_id}: {name} {result.describe()}: " + "; ".join(result.lines()),
                tenant_id=tenant_id,
                job_id=run.job_id,
                detail=result.to_json(),
            )
    if len({result.describe() for result in results}) == 1:
        return f"{results[0].describe()} ({len(names)} names)"
    return "; ".join(f"{name} {result.describe()}" for name, result in zip(names, results, strict=True))
