"""The validation suite (httpx, right Host header), re-hydration over SSH, and Slack."""

from __future__ import annotations

import json

import pytest
from waiting import eventually_async

from cutover.config.providers import HttpStep, HydrationSettings, SlackNotifier, ValidationSettings
from cutover.lab.web_server import LAB_LOGIN, LabTls, TenantApp
from cutover.model.clock import SystemClock
from cutover.providers.http.slack import SlackWebhook
from cutover.providers.http.validation import HttpValidation
from cutover.providers.ports.errors import ProviderError
from cutover.providers.ports.health import VALIDATION_CHECKS
from cutover.providers.ports.notify import Notification, Severity
from cutover.providers.ports.remote_jobs import RemoteJobState
from cutover.providers.ssh.hydration import SshHydration

from .conftest import FAST_RETRY, ZONE

# Real servers on 127.0.0.1 (or processes): `make test-fast` leaves these out.
pytestmark = [pytest.mark.asyncio, pytest.mark.slow]

LOGIN_ENV = {"E2E_LOGIN_JSON": json.dumps(LAB_LOGIN)}


def validation(app, **overrides) -> HttpValidation:
    settings = ValidationSettings(scheme="http", port=app.port, timeout=2, **overrides)
    return HttpValidation(settings, clock=SystemClock(), environ=LOGIN_ENV)


async def test_the_suite_passes_against_the_oci_endpoint_with_the_tenant_host(tenant_app, fleet):
    result = await validation(tenant_app).validate(fleet[0])
    assert [c.name for c in result.checks] == list(VALIDATION_CHECKS)
    assert result.all_passed and result.passed == 5
    e2e = result.checks[-1].evidence
    assert "GET /health 200" in e2e and "POST /api/query 200" in e2e
    hosts = {host for host, _, _ in tenant_app.requests}
    assert hosts == {fleet[0].dns_name}


async def test_a_slow_query_and_a_failing_check_are_shown_with_evidence(tenant_app, fleet):
    behaviour = tenant_app.tenant(fleet[1].dns_name)
    behaviour.query_ms = 300
    behaviour.failing["data_integrity"] = "row counts differ: 10,482 on AWS, 10,311 on OCI"
    settings_checks = dict(ValidationSettings().checks)
    settings_checks["end_to_end"] = (
        HttpStep(path="/health"),
        HttpStep(method="POST", path="/api/login", body_env="E2E_LOGIN_JSON"),
        HttpStep(method="POST", path="/api/query", json_body={"query": "SELECT 1"}, max_ms=100),
    )
    result = await validation(tenant_app, checks=settings_checks).validate(fleet[1])
    by_name = {c.name: c for c in result.checks}
    assert not by_name["data_integrity"].passed and "10,311 on OCI" in by_name["data_integrity"].evidence
    assert not by_name["end_to_end"].passed and "over the 100 ms limit" in by_name["end_to_end"].evidence
    assert result.passed == 3 and not result.all_passed


async def test_a_tenant_that_is_down_fails_every_check(tenant_app, fleet):
    tenant_app.tenant(fleet[2].dns_name).down = True
    result = await validation(tenant_app).validate(fleet[2])
    assert result.passed == 0 and "503" in result.checks[0].evidence


async def test_a_missing_login_is_named(tenant_app, fleet):
    settings = ValidationSettings(scheme="http", port=tenant_app.port)
    result = await HttpValidation(settings, environ={}).validate(fleet[0])
    assert "$E2E_LOGIN_JSON is not set" in result.checks[-1].evidence


async def test_hydration_over_ssh(lab_ssh, ssh_target, fleet):
    hydration = SshHydration(HydrationSettings(ssh=ssh_target), clock=SystemClock())
    lab_ssh.hydrate_fails["T-0002"] = "node tundra-2 out of memory"
    try:
        first = await hydration.start_hydration(fleet[0])
        second = await hydration.start_hydration(fleet[1])
        assert (await hydration.job(first)).state == RemoteJobState.RUNNING

        async def both_ended() -> bool:
            states = [(await hydration.job(job)).state for job in (first, second)]
            return RemoteJobState.RUNNING not in states

        await eventually_async(both_ended, timeout=10, what="both hydrations ending on the host")
        done, failed = await hydration.job(first), await hydration.job(second)
    finally:
        await hydration.aclose()
    assert done.state == RemoteJobState.SUCCEEDED and hydration.hydrated_at["T-0001"] == done.ended_at
    assert failed.state == RemoteJobState.FAILED and failed.error == "node tundra-2 out of memory"
    assert lab_ssh.commands[0] == "cutover-hydrate start T-0001"


async def test_a_command_the_host_lacks_is_a_clear_error(lab_ssh, ssh_target, fleet):
    settings = HydrationSettings(ssh=ssh_target, start="tundra-hydrate {tenant_id}")
    hydration = SshHydration(settings)
    try:
        with pytest.raises(ProviderError, match="command not found"):
            await hydration.start_hydration(fleet[0])
    finally:
        await hydration.aclose()


async def test_an_untrusted_host_key_is_refused(lab_ssh, ssh_target, fleet, tmp_path):
    empty = tmp_path / "empty_known_hosts"
    empty.write_text("")
    hydration = SshHydration(HydrationSettings(ssh=ssh_target.model_copy(update={"known_hosts": empty})))
    with pytest.raises(ProviderError, match="host key not trusted"):
        await hydration.start_hydration(fleet[0])
    assert lab_ssh.commands == []


async def test_slack_posts_and_retries_what_slack_asks(slack_sink, notices):
    slack_sink.fail(429, "rate_limited", {"Retry-After": "0"})
    slack_sink.fail(500, "")
    environ = {"SLACK_WEBHOOK_URL": slack_sink.webhook_url}
    slack = SlackWebhook(SlackNotifier(kind="slack", retry=FAST_RETRY), environ=environ, observer=notices)
    try:
        await slack.post(Notification("T-0042 rolled back to AWS", Severity.CRITICAL, tenant_id="T-0042"))
    finally:
        await slack.aclose()
    (post,) = slack_sink.posts
    assert post["text"].endswith("T-0042 rolled back to AWS")
    assert post["attachments"][0]["fields"][0]["value"] == "T-0042"
    assert [n.attempt for n in notices.notices] == [1, 2]
    assert all("labsecretpart" not in n.reason for n in notices.notices)


async def test_slack_refusals_are_final_and_never_show_the_url(slack_sink):
    slack_sink.fail(404, "no_service")
    environ = {"SLACK_WEBHOOK_URL": slack_sink.webhook_url}
    slack = SlackWebhook(SlackNotifier(kind="slack", retry=FAST_RETRY), environ=environ)
    try:
        with pytest.raises(ProviderError) as refused:
            await slack.post(Notification("hello"))
        with pytest.raises(ProviderError, match=r"\$SLACK_WEBHOOK_URL is not set"):
            await SlackWebhook(SlackNotifier(kind="slack"), environ={}).post(Notification("hello"))
    finally:
        await slack.aclose()
    assert "no_service" in str(refused.value) and "labsecretpart" not in str(refused.value)
    assert not refused.value.retryable


@pytest.fixture
def tls_app(tmp_path):
    tls = LabTls.create(tmp_path / "tls", ZONE)
    with TenantApp(tls) as server:
        yield server, tls


async def test_over_https_the_tenant_name_is_the_sni_and_the_certificate_is_checked(tls_app, fleet, tenants):
    app, tls = tls_app
    settings = ValidationSettings(scheme="https", port=app.port, timeout=2, ca_bundle=tls.ca_file)
    result = await HttpValidation(settings, clock=SystemClock(), environ=LOGIN_ENV).validate(fleet[0])
    assert result.all_passed, [c.evidence for c in result.checks]
    assert set(app.server_names) == {fleet[0].dns_name}
    # A tenant whose name the certificate does not cover fails, naming why.
    tenants.store.db.execute("UPDATE tenants SET dns_name = 't-0002.other.example.org' WHERE tenant_id = 'T-0002'")
    stranger = tenants.get("T-0002")
    result = await HttpValidation(settings, clock=SystemClock(), environ=LOGIN_ENV).validate(stranger)
    assert result.passed == 0 and "CERTIFICATE_VERIFY_FAILED" in result.checks[0].evidence
