"""A DNS change's propagation, watched beside the flow: each server's answer in the in-sync step's
detail as it comes, the outcome in the audit trail (`dns.propagated`) and in the tenant's summary."""

from __future__ import annotations

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
    if recorded.get("ended"):
        return str(recorded.get("summary", ""))  # a resumed job: watched to its end already

    def progress(state: Propagation) -> None:
        with core.fenced():
            core.jobs.note_step(run.step(tenant_id, step_name), detail={"propagation": state.to_json()})

    name = core.tenant(tenant_id).dns_name
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
