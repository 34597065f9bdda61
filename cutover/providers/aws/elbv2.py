"""The AWS side's targets while tenants are on OCI: Elastic Load Balancing v2 DescribeTargetHealth.

A tenant's target group comes from its matrix row (`aws_target_group`), else the
configured pattern: an ARN is used as it is; `targetgroup/NAME/ID` (as CloudWatch
names it) or a bare name is found among the region's target groups, listed once
with DescribeTargetGroups (400 a page) and kept until one is missing. It informs
the way back (rollback readiness); nothing here refuses a rollback.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cutover.config.providers import AwsTargetsSettings
from cutover.config.tenant_patterns import fill_pattern
from cutover.model.clock import Clock, SystemClock
from cutover.model.tenant import Tenant
from cutover.providers.aws.session import AwsService
from cutover.providers.ports.errors import ProviderError, ProviderObserver
from cutover.providers.ports.health import TargetHealth

SECTION = "[providers.health.aws_targets]"


def target_group_of(tenant: Tenant, settings: AwsTargetsSettings) -> str:
    """The tenant's target group as written: its matrix row first, then the configured pattern."""
    if tenant.aws_target_group:
        return tenant.aws_target_group
    if settings.target_group:
        return fill_pattern(
            settings.target_group, tenant_id=tenant.tenant_id, dns_name=tenant.dns_name, name=tenant.name
        )
    return ""


def where_from(tenant: Tenant) -> str:
    return "aws_target_group in the matrix" if tenant.aws_target_group else f"target_group in {SECTION}"


class Elbv2Targets:
    def __init__(
        self,
        settings: AwsTargetsSettings,
        *,
        observer: ProviderObserver | None = None,
        clock: Clock | None = None,
        source: str = "elbv2",
    ):
        self.source = source
        self.settings = settings
        self.clock = clock or SystemClock()
        self.elbv2 = AwsService(settings.aws, "elbv2", source, retry=settings.retry, observer=observer)
        self._arns: dict[str, str] | None = None  # "targetgroup/NAME/ID" and NAME -> ARN

    async def aclose(self) -> None:
        await self.elbv2.aclose()

    async def _listed(self) -> dict[str, str]:
        arns: dict[str, str] = {}
        marker: str | None = None
        while True:
            params: dict[str, Any] = {"PageSize": 400}
            if marker:
                params["Marker"] = marker
            answer = await self.elbv2.call("DescribeTargetGroups", **params)
            for group in answer.get("TargetGroups", []):
                arn = str(group["TargetGroupArn"])
                arns[arn.rsplit(":", 1)[-1]] = arn
                arns.setdefault(str(group.get("TargetGroupName", "")), arn)
            marker = answer.get("NextMarker")
            if not marker:
                return arns

    async def arn(self, tenant: Tenant) -> str:
        named = target_group_of(tenant, self.settings)
        if not named:
            raise ProviderError(
                self.source,
                f"{tenant.tenant_id}: no AWS target group: add aws_target_group to the matrix, "
                f"or set target_group in {SECTION}",
            )
        if named.startswith("arn:"):
            return named
        if self._arns is None or named not in self._arns:
            self._arns = await self._listed()  # a new target group since the last listing: list again
        arn = self._arns.get(named)
        if arn is None:
            raise ProviderError(
                self.source,
                f"{tenant.tenant_id}: target group {named!r} ({where_from(tenant)}) was not found among the "
                f"{len({*self._arns.values()})} target groups of the account and region {SECTION} reaches",
                code="TargetGroupNotFound",
            )
        return arn

    async def aws_targets(self, tenants: Sequence[Tenant]) -> dict[str, TargetHealth]:
        """Each tenant's registered targets and how many are healthy: one DescribeTargetHealth each."""
        found: dict[str, TargetHealth] = {}
        for tenant in tenants:
            arn = await self.arn(tenant)
            try:
                answer = await self.elbv2.call("DescribeTargetHealth", TargetGroupArn=arn)
            except ProviderError as error:
                if error.code == "TargetGroupNotFound":
                    named = target_group_of(tenant, self.settings)
                    raise ProviderError(
                        self.source,
                        f"{tenant.tenant_id}: target group {named!r} ({where_from(tenant)}) was not found: "
                        f"{error.code}",
                        code=error.code,
                        request_id=error.request_id,
                    ) from None
                raise
            found[tenant.tenant_id] = counted(tenant.tenant_id, answer, self.clock.now(), self.source)
        return found


def counted(tenant_id: str, answer: dict[str, Any], now: float, source: str) -> TargetHealth:
    """Healthy targets among those registered; the others named with their state and reason."""
    healthy = 0
    down = []
    descriptions = answer.get("TargetHealthDescriptions", [])
    for description in descriptions:
        target = description.get("Target", {})
        health = description.get("TargetHealth", {})
        state = str(health.get("State", "unknown"))
        if state == "healthy":
            healthy += 1
            continue
        reason = health.get("Reason")
        name = f"{target.get('Id', '?')}:{target.get('Port', '?')}"
        down.append(f"{name} {state}" + (f" ({reason})" if reason else ""))
    return TargetHealth(tenant_id, healthy, len(descriptions), tuple(down), now, source)
