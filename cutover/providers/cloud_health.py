"""The health role from its real parts: OCI backend health, the HTTP validation suite, SSH re-hydration,
and (when configured) the AWS side's target health for rollback readiness."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cutover.model.tenant import Tenant
from cutover.providers.ports.errors import ProviderError
from cutover.providers.ports.health import BackendHealth, TargetHealth, ValidationResult
from cutover.providers.ports.remote_jobs import RemoteJob


class CloudHealth:
    def __init__(self, backends: Any, validation: Any, hydration: Any | None, aws_targets: Any | None = None):
        self.backends_source = backends
        self.validation = validation
        self.hydration = hydration
        self.aws_side = aws_targets
        self.source = backends.source

    async def aws_targets(self, tenants: Sequence[Tenant]) -> dict[str, TargetHealth] | None:
        """The AWS side's targets; None when [providers.health.aws_targets] is not configured."""
        if self.aws_side is None:
            return None
        return await self.aws_side.aws_targets(tenants)

    async def backends(self, tenants: Sequence[Tenant]) -> dict[str, BackendHealth]:
        found = await self.backends_source.backends(tenants)
        if self.hydration is None:
            return found
        hydrated = self.hydration.hydrated_at
        return {tid: h._replace(hydrated_at=hydrated.get(tid, h.hydrated_at)) for tid, h in found.items()}

    async def validate(self, tenant: Tenant) -> ValidationResult:
        return await self.validation.validate(tenant)

    async def start_hydration(self, tenant: Tenant) -> RemoteJob:
        if self.hydration is None:
            raise ProviderError(self.source, "re-hydration is not configured: add [providers.health.hydration]")
        return await self.hydration.start_hydration(tenant)

    async def job(self, job: RemoteJob) -> RemoteJob:
        if self.hydration is None:
            raise ProviderError(self.source, "re-hydration is not configured: add [providers.health.hydration]")
        return await self.hydration.job(job)

    async def aclose(self) -> None:
        for part in (self.backends_source, self.validation, self.hydration, self.aws_side):
            close = getattr(part, "aclose", None)
            if close is not None:
                await close()
