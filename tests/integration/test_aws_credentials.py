"""AWS credentials and regions as operators have them: a profile's region, AWS_REGION, SSO
sessions and temporary credentials, through aioboto3 against moto on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import pytest

from cutover.config.access import AwsAccess
from cutover.config.providers import CloudWatchSettings, Route53Settings
from cutover.lab.fleet import lab_tenants
from cutover.lab.seed_aws import put_alb_metrics, seed_zone
from cutover.model.clock import SystemClock
from cutover.providers.aws.cloudwatch import CloudWatchSide
from cutover.providers.aws.route53 import Route53Dns
from cutover.providers.ports.errors import ProviderError

from .conftest import FAST_RETRY, ZONE, store_tenants

# Real servers on 127.0.0.1 (or processes): `make test-fast` leaves these out.
pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


@pytest.fixture
def aws_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An operator's ~/.aws of their own: a profile `night` in eu-west-1, and nothing in the
    environment naming a region (the session's moto fixture sets AWS_DEFAULT_REGION)."""
    home = tmp_path / "home"
    (home / ".aws").mkdir(parents=True)
    (home / ".aws" / "config").write_text(
        "[default]\noutput = json\n\n"
        "[profile night]\nregion = eu-west-1\n\n"
        "[profile bare]\noutput = json\n\n"
        "[profile sso-new]\nsso_session = corp\nsso_account_id = 111122223333\nsso_role_name = Migration\n"
        "region = eu-west-1\n\n"
        "[profile sso-legacy]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n"
        "sso_account_id = 111122223333\nsso_role_name = Migration\nregion = eu-west-1\n\n"
        "[sso-session corp]\nsso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n"
    )
    (home / ".aws" / "credentials").write_text(
        "[night]\naws_access_key_id = lab\naws_secret_access_key = lab\n\n"
        "[bare]\naws_access_key_id = lab\naws_secret_access_key = lab\n"
    )
    monkeypatch.setenv("HOME", str(home))  # the SSO token cache is ~/.aws/sso/cache
    monkeypatch.setenv("AWS_CONFIG_FILE", str(home / ".aws" / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(home / ".aws" / "credentials"))
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    return home


def minute_ago() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(second=0, microsecond=0) - dt.timedelta(minutes=2)


async def read_requests(access: AwsAccess, fleet) -> list[float]:
    side = CloudWatchSide(CloudWatchSettings(aws=access, retry=FAST_RETRY), clock=SystemClock())
    try:
        return list((await side.columns(fleet)).requests)
    finally:
        await side.aclose()


async def test_the_region_comes_from_the_profile_then_aws_region_then_the_configuration(
    aws_home, moto, proxy, tenants, monkeypatch
):
    lab = lab_tenants(2, ZONE)
    fleet = store_tenants(tenants, lab)
    # The load balancers publish in Ireland; nothing in us-east-1.
    put_alb_metrics(moto.url, lab, at=minute_ago(), requests=42, errors=0, p95_s=0.1, region="eu-west-1")
    proxy.clear()

    # No region in the configuration: the profile's (it used to be us-east-1 whatever the profile said).
    assert await read_requests(AwsAccess(profile="night", endpoint_url=proxy.url), fleet) == [42, 42]
    assert {seen.region for seen in proxy.calls("GetMetricData")} == {"eu-west-1"}

    # AWS_REGION comes before the profile (and AWS_DEFAULT_REGION), as in the AWS CLI.
    proxy.clear()
    monkeypatch.setenv("AWS_DEFAULT_REGION", "ap-southeast-2")
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    requests = await read_requests(AwsAccess(profile="night", endpoint_url=proxy.url), fleet)
    assert all(math.isnan(value) for value in requests)  # nothing was published in us-west-2
    assert {seen.region for seen in proxy.calls("GetMetricData")} == {"us-west-2"}

    # AWS_DEFAULT_REGION when there is no AWS_REGION.
    proxy.clear()
    monkeypatch.delenv("AWS_REGION")
    await read_requests(AwsAccess(profile="night", endpoint_url=proxy.url), fleet)
    assert {seen.region for seen in proxy.calls("GetMetricData")} == {"ap-southeast-2"}

    # A region in the configuration wins over all of them.
    proxy.clear()
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    access = AwsAccess(profile="night", region="eu-west-1", endpoint_url=proxy.url)
    assert await read_requests(access, fleet) == [42, 42]
    assert {seen.region for seen in proxy.calls("GetMetricData")} == {"eu-west-1"}


async def test_no_region_anywhere_says_where_to_set_one_and_route53_still_works(aws_home, moto, proxy, tenants):
    fleet = store_tenants(tenants, lab_tenants(1, ZONE))
    with pytest.raises(ProviderError) as raised:
        await read_requests(AwsAccess(profile="bare", endpoint_url=proxy.url), fleet)
    message = str(raised.value)
    assert message.startswith("cloudwatch: GetMetricData: no AWS region: set region in [providers.metrics.aws.aws]")
    assert "AWS_REGION" in message and "region in profile 'bare'" in message
    assert "You must specify a region" not in message and "Traceback" not in message
    assert proxy.calls("GetMetricData") == []  # refused before anything was sent

    # Route 53 is global: with no region anywhere it still signs for us-east-1 and answers.
    zone_id = seed_zone(moto.url, ZONE, lab_tenants(1, ZONE))
    dns = Route53Dns(Route53Settings(aws=AwsAccess(profile="bare", endpoint_url=proxy.url), retry=FAST_RETRY))
    try:
        assert await dns.zone_id(ZONE) == zone_id
    finally:
        await dns.aclose()
    assert [seen.region for seen in proxy.calls("ListHostedZonesByName")] == ["us-east-1"]


@pytest.mark.parametrize("profile", ["sso-new", "sso-legacy"])
async def test_an_sso_profile_never_logged_in_gives_the_remedy_line(aws_home, moto, proxy, profile):
    # No token in ~/.aws/sso/cache: botocore refuses before any network call.
    dns = Route53Dns(Route53Settings(aws=AwsAccess(profile=profile, endpoint_url=proxy.url), retry=FAST_RETRY))
    try:
        with pytest.raises(ProviderError) as raised:
            await dns.zone_id(ZONE)
    finally:
        await dns.aclose()
    message = str(raised.value)
    assert message == (
        f"route53: ListHostedZonesByName: the AWS credentials of profile {profile!r} have expired or the SSO "
        f"session is not logged in: run `aws sso login --profile {profile}`"
    )
    assert raised.value.code == "ExpiredToken" and not raised.value.retryable
    assert proxy.seen == []


async def test_expired_temporary_credentials_give_the_remedy_line_not_a_retry(aws_home, moto, proxy, notices):
    proxy.inject("expired", "ListHostedZonesByName")
    settings = Route53Settings(aws=AwsAccess(profile="night", endpoint_url=proxy.url), retry=FAST_RETRY)
    dns = Route53Dns(settings, observer=notices)
    try:
        with pytest.raises(ProviderError) as raised:
            await dns.zone_id(ZONE)
    finally:
        await dns.aclose()
    assert "run `aws sso login --profile night`" in str(raised.value)
    assert "have expired" in str(raised.value)
    assert len(proxy.calls("ListHostedZonesByName")) == 1 and notices.notices == []  # no retry can help
