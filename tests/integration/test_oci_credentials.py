"""OCI credentials as operators have them: a session made by `oci session authenticate` (a token
and a session key, no user), and resource principals; through the real SDK against the local OCI
endpoint, which verifies each request's signature with the session's own key."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from cutover.config.access import OciAccess
from cutover.config.providers import OciDnsSettings
from cutover.lab.oci_server import LocalOci
from cutover.model.routing import Routing
from cutover.providers.oci.dns import OciDns
from cutover.providers.ports.errors import ProviderError

from .conftest import FAST_RETRY, ZONE

# Real servers on 127.0.0.1 (or processes): `make test-fast` leaves these out.
pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


@pytest.fixture
def seeded(local_oci: LocalOci, lab_fleet) -> LocalOci:
    for tenant in lab_fleet:
        local_oci.world.set_record(ZONE, tenant.dns_name, tenant.aws_target)
    return local_oci


async def read_routing(access: OciAccess, fleet) -> dict:
    dns = OciDns(OciDnsSettings(oci=access, retry=FAST_RETRY))
    try:
        return await dns.read_routing(fleet)
    finally:
        await dns.aclose()


def session_access(local_oci: LocalOci, config: Path, **options) -> OciAccess:
    return OciAccess(config_file=config, profile="SESSION", endpoint=local_oci.url, timeout=5, **options)


@pytest.mark.parametrize("auth", ["config_file", "security_token"])
async def test_a_session_profile_reads_the_zone(seeded, fleet, tmp_path, auth):
    config = seeded.write_session_config(tmp_path / "oci")
    text = config.read_text()
    assert "security_token_file=" in text and "user=" not in text  # as `oci session authenticate` writes it
    records = await read_routing(session_access(seeded, config, auth=auth), fleet)
    assert records["T-0001"].routing == Routing.simple(fleet[0].aws_target, 60)
    assert seeded.refused_signatures == 0 and seeded.calls("get_zone_records") >= 1


async def test_a_session_key_that_is_not_the_tokens_is_refused(seeded, fleet, tmp_path):
    config = seeded.write_session_config(tmp_path / "oci", wrong_key=True)
    token = (tmp_path / "oci" / "sessions" / "SESSION" / "token").read_text()
    with pytest.raises(ProviderError) as raised:
        await read_routing(session_access(seeded, config), fleet)
    assert seeded.refusals and set(seeded.refusals) == {"the signature does not verify"}
    message = str(raised.value)
    assert "the session token was refused" in message and "run `oci session refresh --profile SESSION`" in message
    assert token not in message and token[:40] not in message


async def test_an_expired_session_token_says_how_to_renew_it_and_sends_nothing(seeded, fleet, tmp_path):
    config = seeded.write_session_config(tmp_path / "oci", expires_in=-120)
    with pytest.raises(ProviderError) as raised:
        await read_routing(session_access(seeded, config), fleet)
    message = str(raised.value)
    assert f"{config} [SESSION]: the session token expired at " in message
    assert message.endswith(
        "run `oci session refresh --profile SESSION` (or `oci session authenticate --profile-name SESSION`)"
    )
    assert seeded.seen == []  # refused before any request: no 401s to wade through


async def test_a_session_renewed_in_another_terminal_is_picked_up_without_a_restart(seeded, fleet, tmp_path):
    config = seeded.write_session_config(tmp_path / "oci", expires_in=1.5)
    token_file = tmp_path / "oci" / "sessions" / "SESSION" / "token"
    key = serialization.load_pem_private_key(
        (tmp_path / "oci" / "sessions" / "SESSION" / "oci_api_key.pem").read_bytes(), password=None
    )
    aws = Routing.simple(fleet[0].aws_target, 60)

    def refresh() -> str:  # `oci session refresh`: a new token for the same key, in the same file
        token, _ = seeded.issue_session(3600, key=key)  # type: ignore[arg-type]
        token_file.write_text(token)
        return token

    dns = OciDns(OciDnsSettings(oci=session_access(seeded, config), retry=FAST_RETRY))
    try:
        assert (await dns.read_routing(fleet[:1]))["T-0001"].routing == aws
        # The session nears its end; the operator refreshes it; the first token expires.
        renewed = refresh()
        time.sleep(1.6)
        assert (await dns.read_routing(fleet[:1]))["T-0001"].routing == aws
        assert seeded.refused_signatures == 0  # the expired token was never sent

        # OCI ends the session early (revoked, or the clocks disagree): 401, and the renewal line.
        public_key, _ = seeded.sessions[renewed]
        seeded.sessions[renewed] = (public_key, 0.0)
        with pytest.raises(ProviderError) as raised:
            await dns.read_routing(fleet[:1])
        assert "the session token was refused" in str(raised.value)
        assert "run `oci session refresh --profile SESSION`" in str(raised.value)
        assert raised.value.code == "NotAuthenticated" and not raised.value.retryable
        assert seeded.refusals == ["the security token has expired"]

        refresh()  # and the very next call signs with the new token
        assert (await dns.read_routing(fleet[:1]))["T-0001"].routing == aws
    finally:
        await dns.aclose()


async def test_a_profile_asking_for_a_session_without_a_token_file_says_what_to_run(local_oci, fleet, tmp_path):
    config = local_oci.write_oci_config(tmp_path / "oci", profile="SESSION")  # an API-key profile
    with pytest.raises(ProviderError) as raised:
        await read_routing(session_access(local_oci, config, auth="security_token"), fleet)
    assert str(raised.value).endswith(
        f'{config} [SESSION]: no security_token_file for auth = "security_token": '
        "run `oci session authenticate --profile-name SESSION`"
    )


async def test_resource_principals_from_the_environment(seeded, fleet, tmp_path, monkeypatch):
    access = OciAccess(auth="resource_principal", endpoint=seeded.url, timeout=5)
    for name in (
        "OCI_RESOURCE_PRINCIPAL_VERSION",
        "OCI_RESOURCE_PRINCIPAL_RPST",
        "OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM",
        "OCI_RESOURCE_PRINCIPAL_REGION",
    ):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ProviderError) as raised:
        await read_routing(access, fleet)
    assert "resource principals are not available here: OCI_RESOURCE_PRINCIPAL_VERSION" in str(raised.value)
    assert seeded.seen == []

    # As OCI Functions sets it up: version 2.2, the session token, the key's path, the region.
    token, key = seeded.issue_session(3600, claims={"res_tenant": "ocid1.tenancy.oc1..aaaalabtenancy"})
    pem = tmp_path / "rp.pem"
    pem.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_VERSION", "2.2")
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_RPST", token)
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM", str(pem))
    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_REGION", "us-ashburn-1")
    records = await read_routing(access, fleet)
    assert records["T-0002"].routing == Routing.simple(fleet[1].aws_target, 60)
    assert seeded.refused_signatures == 0

    monkeypatch.setenv("OCI_RESOURCE_PRINCIPAL_VERSION", "9.9")
    with pytest.raises(ProviderError) as raised:
        await read_routing(access, fleet)
    assert "resource principals could not be loaded (" in str(raised.value)
    assert token not in str(raised.value)
