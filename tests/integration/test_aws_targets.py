"""The AWS side's targets for rollback readiness, on moto's ELBv2 in server mode: DescribeTargetHealth on each
tenant's target group (from the matrix, as CloudWatch names it, or as an ARN), healthy targets counted among
those registered, and a target group that does not exist named in a one-line message, never a traceback."""

from __future__ import annotations

from dataclasses import replace

import pytest

from cutover.config.access import AwsAccess
from cutover.config.providers import AwsTargetsSettings
from cutover.lab.seed_aws import aws_client, seed_target_groups
from cutover.providers.aws.elbv2 import Elbv2Targets
from cutover.providers.ports.errors import ProviderError
from cutover.state.readiness import aws_targets_text
from cutover.state.tenants import TenantStore

from .conftest import FAST_RETRY, store_tenants

# Real servers on 127.0.0.1 (or processes): `make test-fast` leaves these out.
pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


@pytest.fixture
def seeded(moto, lab_fleet):
    fleet = lab_fleet[:3]
    return fleet, seed_target_groups(moto.url, fleet)


async def test_healthy_targets_are_counted_and_a_stopped_or_deregistered_one_is_not(
    seeded, tenants: TenantStore, aws_access: AwsAccess, moto, notices
) -> None:
    fleet, groups = seeded
    stored = store_tenants(tenants, fleet)
    assert all(t.aws_target_group.startswith("targetgroup/") for t in stored)
    provider = Elbv2Targets(AwsTargetsSettings(aws=aws_access, retry=FAST_RETRY), observer=notices)
    try:
        found = await provider.aws_targets(stored)
        assert {tid: (h.healthy, h.total) for tid, h in found.items()} == {t.tenant_id: (3, 3) for t in stored}
        assert found[stored[0].tenant_id].source == "elbv2" and found[stored[0].tenant_id].unhealthy == ()

        # One instance of the first tenant stops; one target of the second is deregistered.
        first, second = stored[0].tenant_id, stored[1].tenant_id
        stopped = groups[first]["instances"][0]
        aws_client("ec2", moto.url).stop_instances(InstanceIds=[stopped])
        gone = groups[second]["instances"][2]
        aws_client("elbv2", moto.url).deregister_targets(
            TargetGroupArn=groups[second]["arn"], Targets=[{"Id": gone, "Port": 8080}]
        )
        found = await provider.aws_targets(stored)
        assert (found[first].healthy, found[first].total) == (2, 3)
        assert found[first].unhealthy == (f"{stopped}:8080 unused (Target.InvalidState)",)
        assert (found[second].healthy, found[second].total) == (2, 2)
        assert (found[stored[2].tenant_id].healthy, found[stored[2].tenant_id].total) == (3, 3)
        assert aws_targets_text(2, 3, 40) == "AWS 2/3 targets healthy (40s ago): a rollback lands on a degraded side"

        # A full ARN in the matrix is used as it is.
        by_arn = replace(stored[2], aws_target_group=groups[stored[2].tenant_id]["arn"])
        assert (await provider.aws_targets([by_arn]))[by_arn.tenant_id].healthy == 3
    finally:
        await provider.aclose()


async def test_a_wrong_target_group_is_named_in_one_line_with_the_field_it_came_from(
    seeded, tenants: TenantStore, aws_access: AwsAccess
) -> None:
    fleet, _ = seeded
    (tenant, *_) = store_tenants(tenants, fleet)
    provider = Elbv2Targets(AwsTargetsSettings(aws=aws_access, retry=FAST_RETRY))
    try:
        wrong = replace(tenant, aws_target_group="targetgroup/no-such-group/0123456789abcdef")
        with pytest.raises(ProviderError) as refused:
            await provider.aws_targets([wrong])
        text = str(refused.value)
        assert "targetgroup/no-such-group/0123456789abcdef" in text and "aws_target_group in the matrix" in text
        assert text.startswith(f"elbv2: {tenant.tenant_id}: ") and "\n" not in text and "Traceback" not in text

        arn = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/gone/0123456789abcdef"
        with pytest.raises(ProviderError) as refused:
            await provider.aws_targets([replace(tenant, aws_target_group=arn)])
        assert arn in str(refused.value) and "TargetGroupNotFound" in str(refused.value)

        with pytest.raises(ProviderError) as refused:
            await provider.aws_targets([replace(tenant, aws_target_group="")])
        assert "add aws_target_group to the matrix, or set target_group in [providers.health.aws_targets]" in str(
            refused.value
        )
        # The configured pattern serves tenants whose row names none.
        patterned = Elbv2Targets(
            AwsTargetsSettings(aws=aws_access, retry=FAST_RETRY, target_group="{tenant_lower}"), source="elbv2"
        )
        try:
            found = await patterned.aws_targets([replace(tenant, aws_target_group="")])
            assert found[tenant.tenant_id].healthy == 3
        finally:
            await patterned.aclose()
    finally:
        await provider.aclose()
