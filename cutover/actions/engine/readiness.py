"""The leading engine measures each tenant's way back while it is on OCI (state/readiness.py says what).

Every `rollback.readiness_interval`, for each tenant monitoring or migrated: the sync
provider's listings of both sides give what a rollback would strand (objects and bytes
on OCI that AWS lacks); the AWS side's health has no source (the health provider
reports OCI's backends; one that also measures the AWS side's targets answers `aws_targets`,
and a provider that does not is said to, never invented). One tenant at a time, so a
fleet of large buckets costs listings in turn, never on a console's loop. A listing
that fails is recorded as such: the console says "not measured", never "nothing".
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import TypedDict

from cutover.actions.engine.engine_core import ENGINE_STOPS, EngineCore
from cutover.model.tenant import Tenant
from cutover.providers.ports.errors import ProviderError
from cutover.providers.ports.health import TargetHealth
from cutover.state.readiness import AWS_NOT_MEASURED, ON_OCI, Readiness, ReadinessStore

log = logging.getLogger(__name__)


def baseline(tenant: Tenant, reverse_at: float | None) -> tuple[float | None, str]:
    """Since when the sides were last proven equal: the last reverse sync, else the cutover's verification."""
    verified = tenant.verified_at
    if reverse_at is not None and (verified is None or reverse_at >= verified):
        return reverse_at, "the last reverse sync"
    return verified, "the cutover's verification"


class AwsSide(TypedDict, total=False):
    """The AWS side's fields of a Readiness (aws_side says why the others are missing)."""

    aws_side: str
    aws_healthy: int
    aws_total: int
    aws_measured_at: float


class ReadinessWatch:
    def __init__(self, core: EngineCore):
        self.core = core
        self.store = ReadinessStore(core.store)

    async def measure(self, tenant: Tenant, *, reverse_at: float | None = None) -> Readiness:
        """Measure one tenant now and record it; `reverse_at`: a reverse sync just succeeded at that time."""
        core = self.core
        previous = self.store.one(tenant.tenant_id)
        if reverse_at is None and previous is not None:
            reverse_at = previous.reverse_at
        since, since_what = baseline(tenant, reverse_at)
        try:
            found = await core.providers.sync.stranded(tenant)
        except ENGINE_STOPS:
            raise
        except ProviderError as error:
            readiness = Readiness(
                tenant.tenant_id, core.now(), None, None, None, since, since_what, error.source, str(error),
                AWS_NOT_MEASURED, reverse_at,
            )  # fmt: skip
        else:
            readiness = Readiness(
                tenant.tenant_id, found.measured_at, found.objects, found.bytes, found.compared, since, since_what,
                found.source, "", AWS_NOT_MEASURED, reverse_at,
            )  # fmt: skip
        readiness = replace(readiness, **await self.aws_side(tenant))
        with core.fenced():
            self.store.put(readiness)
        return readiness

    async def aws_side(self, tenant: Tenant) -> AwsSide:
        """The AWS side's targets of one tenant, as Readiness fields: measured, or why not. It informs only."""
        probe = getattr(self.core.providers.health, "aws_targets", None)
        if probe is None:
            return {"aws_side": AWS_NOT_MEASURED}
        try:
            found: dict[str, TargetHealth] | None = await probe([tenant])
        except ENGINE_STOPS:
            raise
        except ProviderError as error:
            return {"aws_side": f"AWS targets not measured: {error}"}
        if found is None:
            return {"aws_side": AWS_NOT_MEASURED}
        targets = found.get(tenant.tenant_id)
        if targets is None:
            return {"aws_side": "AWS targets not measured: the health provider returned nothing for this tenant"}
        return {
            "aws_side": "",
            "aws_healthy": targets.healthy,
            "aws_total": targets.total,
            "aws_measured_at": targets.measured_at,
        }

    async def poll(self) -> list[Readiness]:
        """Every tenant on OCI, measured in turn."""
        core = self.core
        ids = core.facts.tenants_in(ON_OCI)
        measured = []
        for tenant_id in sorted(tid for group in ids.values() for tid in group):
            tenant = core.tenant(tenant_id)
            if tenant.lifecycle in ON_OCI and core.ours([tenant]):
                measured.append(await self.measure(tenant))
        return measured
