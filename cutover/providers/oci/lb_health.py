"""OCI load-balancer backend-set health for the fleet.

There is no call for every backend set at once. One paginated
list_load_balancer_healths over the compartment says which load balancers are OK; only
backend sets on a load balancer that is not OK, or whose backend count is not
known or older than `detail_max_age`, cost a get_backend_set_health call each.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from cutover.config.providers import OciLbHealth as OciLbHealthSettings
from cutover.model.clock import Clock, SystemClock
from cutover.model.tenant import Tenant
from cutover.providers.oci.monitoring import lb_keys
from cutover.providers.oci.session import OciService
from cutover.providers.ports.errors import ProviderError, ProviderObserver
from cutover.providers.ports.health import BackendHealth, BackendStatus


@dataclass(frozen=True)
class _Detail:
    healthy: int
    total: int
    status: BackendStatus
    unhealthy: tuple[str, ...]
    read_at: float


class OciBackendHealth:
    def __init__(
        self,
        settings: OciLbHealthSettings,
        *,
        observer: ProviderObserver | None = None,
        clock: Clock | None = None,
        source: str = "oci-lb",
    ):
        self.source = source
        self.settings = settings
        self.clock = clock or SystemClock()
        self.load_balancer = OciService.of(settings, "load_balancer", source, observer)
        self._details: dict[tuple[str, str], _Detail] = {}

    async def aclose(self) -> None:
        await self.load_balancer.aclose()

    async def _lb_statuses(self) -> dict[str, str]:
        statuses: dict[str, str] = {}
        async for answer in self.load_balancer.pages(
            "list_load_balancer_healths", self.settings.compartment_id, limit=1000
        ):
            statuses.update({item.load_balancer_id: item.status for item in answer.data})
        return statuses

    async def _detail(self, lb: str, backend_set: str) -> _Detail:
        answer = await self.load_balancer.call("get_backend_set_health", lb, backend_set)
        health = answer.data
        down = tuple(
            (health.critical_state_backend_names or [])
            + (health.warning_state_backend_names or [])
            + (health.unknown_state_backend_names or [])
        )
        total = int(health.total_backend_count or 0)
        return _Detail(max(0, total - len(down)), total, BackendStatus(health.status), down, self.clock.now())

    async def backends(self, tenants: Sequence[Tenant]) -> dict[str, BackendHealth]:
        statuses = await self._lb_statuses()
        now = self.clock.now()
        keys = {t.tenant_id: lb_keys(t, self.settings.load_balancer_id, self.settings.backend_set) for t in tenants}
        stale = {
            key
            for key in keys.values()
            if key is not None
            and (
                statuses.get(key[0]) != "OK"
                or key not in self._details
                or now - self._details[key].read_at > self.settings.detail_max_age
            )
        }
        answers = await asyncio.gather(*(self._detail(*key) for key in stale), return_exceptions=True)
        failures: dict[tuple[str, str], str] = {}
        for key, answer in zip(stale, answers, strict=True):
            if isinstance(answer, ProviderError):
                failures[key] = str(answer)
                self._details.pop(key, None)
            elif isinstance(answer, BaseException):
                raise answer
            else:
                self._details[key] = answer
        if stale and len(failures) == len(stale) and not self._details:
            raise ProviderError(self.source, next(iter(failures.values())))
        report: dict[str, BackendHealth] = {}
        for tenant_id, tenant_key in keys.items():
            detail = self._details.get(tenant_key) if tenant_key else None
            if tenant_key is None or detail is None:
                continue
            if tenant_key not in stale and statuses.get(tenant_key[0]) == "OK":
                # The whole load balancer is OK, so every backend of this set is up.
                detail = _Detail(detail.total, detail.total, BackendStatus.OK, (), detail.read_at)
                measured = now
            else:
                measured = detail.read_at
            report[tenant_id] = BackendHealth(
                tenant_id, detail.healthy, detail.total, detail.status, detail.unhealthy, None, measured, self.source
            )
        return report
