"""No credential reaches the logs, an error's words, the store file or the audit trail.

Every real provider is given recognisable fake credentials (AWS keys and session token,
an OCI key with a pass phrase, rclone's rc password, the Slack webhook's token, the
test login's password) and made to fail the ways a migration night does: a gateway's
403 that echoes the request's credentials back, a request whose signature OCI refuses,
a connection refused, Slack's 403. The engine runs on them until every source has failed and been
recorded; then each secret is looked for in the captured logs, the errors raised and
their tracebacks, and the bytes of the store's files. And `cutover gate`, which polls the
providers itself when no engine leads, prints none of them when Route 53 refuses.
"""

from __future__ import annotations

import base64
import json
import logging
import socket
import traceback
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest
import pytest_asyncio
from click.testing import CliRunner

from cutover.config.providers import RcSettings
from cutover.config.settings import Settings, StateSettings, TriggerSettings
from cutover.console.cli import cli
from cutover.lab.local_http import LocalHttpServer, Reply
from cutover.lab.oci_server import LocalOci
from cutover.lab.traffic import TrafficFeeder
from cutover.lab.world import seed_clouds, write_lab_files
from cutover.model.clock import ManualClock
from cutover.model.routing import DnsChange, DnsRecord, Routing
from cutover.providers.http.rclone_rc import HttpRc
from cutover.providers.ports.errors import ProviderError
from cutover.providers.ports.notify import Notification
from cutover.providers.redaction import redact, remember_secret
from cutover.state.sources import SourceStore

from .conftest import FAST_RETRY, ZONE
from .real_engine import RealHarness, lab_providers

# Real servers on 127.0.0.1 (or processes): `make test-fast` leaves these out.
pytestmark = pytest.mark.slow

AWS_KEY_ID = "SECRETKEYIDX7Q2W9"  # not shaped like an AWS key id: only remembering it can hide it
AWS_SECRET_KEY = "aws-secret-key-Zq81-never-shown"
AWS_SESSION_TOKEN = "aws-session-token-4Fh2-never-shown"
OCI_PASS_PHRASE = "oci-pass-phrase-K3y9-never-shown"
RC_PASSWORD = "rc-password-Wq7x-never-shown"
SLACK_TOKEN = "slack-token-Hh3v-never-shown"
E2E_PASSWORD = "e2e-password-Pp5z-never-shown"
SECRETS = (AWS_KEY_ID, AWS_SECRET_KEY, AWS_SESSION_TOKEN, OCI_PASS_PHRASE, RC_PASSWORD, SLACK_TOKEN, E2E_PASSWORD)
ROLES = {"dns", "metrics", "sync", "health", "notifier"}


def closed_port() -> int:
    """A port on 127.0.0.1 nothing listens on: connections to it are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def leaks(text: str) -> list[str]:
    return [secret for secret in SECRETS if secret in text]


def store_bytes(database: Path) -> str:
    """The store's file and its journal files, as anyone with the file would read them."""
    return "".join(f.read_bytes().decode("latin-1") for f in database.parent.glob(database.name + "*"))


@pytest.fixture
def secret_environment(monkeypatch, slack_sink):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", AWS_KEY_ID)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", AWS_SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", AWS_SESSION_TOKEN)
    monkeypatch.setenv("RC_AUTH", f"cutover:{RC_PASSWORD}")
    monkeypatch.setenv("SLACK_WEBHOOK_URL", f"{slack_sink.url}/services/TLAB/BLAB/{SLACK_TOKEN}")
    slack_sink.fail(403, "invalid_token", times=10_000)
    monkeypatch.setenv("E2E_LOGIN_JSON", json.dumps({"user": "warroom", "password": E2E_PASSWORD}))


@pytest.fixture
def foreign_oci_config(tmp_path) -> Path:
    """An OCI profile whose key (encrypted with a pass phrase) the local OCI does not know: every request is refused."""
    with LocalOci() as other:
        return other.write_oci_config(tmp_path / "foreign-oci", pass_phrase=OCI_PASS_PHRASE)


@pytest_asyncio.fixture
async def failing(
    tmp_path, secret_environment, moto, proxy, local_oci, foreign_oci_config, lab_ssh, ssh_target, tenant_app, lab_fleet
):
    fleet = lab_fleet[:2]
    zone_id = seed_clouds(moto.url, local_oci.world, fleet, objects=1, zone=ZONE)
    proxy.inject("forbidden", "ListResourceRecordSets", times=10_000)
    proxy.inject("forbidden", "ChangeResourceRecordSets", times=10_000)
    providers = lab_providers(
        aws={"endpoint_url": proxy.url},
        oci={"config_file": foreign_oci_config, "endpoint": local_oci.url},
        zone_id=zone_id,
        rclone=RcSettings(url=f"http://127.0.0.1:{closed_port()}", auth_env="RC_AUTH", retry=FAST_RETRY),
        app_port=tenant_app.port,
        ssh_target=ssh_target,
    )
    settings = Settings(
        state=StateSettings(path=tmp_path / "war-room.db"),
        providers=providers,
        triggers=TriggerSettings(source_errors_before_alert=1),
    )
    h = RealHarness(settings, ManualClock(), TrafficFeeder(moto.url, zone_id, local_oci.world, fleet), fleet)
    await h.start()
    yield h
    await h.stop()


def failing_roles(h: RealHarness) -> set[str]:
    return {source.role for source in SourceStore(h.store).all() if source.consecutive_errors > 0}


@pytest.mark.asyncio
async def test_no_credential_reaches_logs_errors_or_the_store_when_every_provider_fails(failing, caplog, local_oci):
    caplog.set_level(logging.DEBUG)  # every library's debug logs too: botocore's show each request's headers
    h = failing
    await h.until(lambda: failing_roles(h) >= ROLES, what="every source failing", limit=900)

    raised: list[str] = []
    tenant = h.tenants.find()[0]
    expected = DnsRecord(tenant.tenant_id, tenant.dns_name, ZONE, Routing.simple(tenant.aws_target, 60), "", 0, "")
    for attempt in (
        h.providers.dns.apply(ZONE, [DnsChange(tenant.tenant_id, expected, Routing.simple(tenant.oci_target, 60))]),
        h.providers.sync.status([tenant]),
        h.providers.health.backends([tenant]),
        h.providers.notifier.post(Notification("a notice nobody will read")),
    ):
        with pytest.raises(ProviderError) as error:
            await attempt
        raised.append("".join(traceback.format_exception(error.value)))
    validation = await h.providers.health.validate(tenant)
    raised += [check.evidence for check in validation.checks]

    stored = store_bytes(h.settings.state.path)
    # The failures did happen, and were recorded: the test would see a leak.
    assert "AccessDenied" in stored and "NotAuthenticated" in stored and "[redacted]" in stored
    assert local_oci.refused_signatures > 0
    assert any("AccessDenied" in text for text in raised) and any("ConnectError" in text for text in raised)
    assert leaks(stored) == []
    assert leaks(caplog.text) == []
    assert leaks("\n".join(raised)) == []


def test_the_gate_prints_no_credential_when_route53_refuses(
    tmp_path, secret_environment, moto, proxy, local_oci, local_rclone, tenant_app, lab_ssh, lab_fleet
):
    fleet = lab_fleet[:2]
    zone_id = seed_clouds(moto.url, local_oci.world, fleet, objects=1, zone=ZONE)
    proxy.inject("forbidden", "ListResourceRecordSets", times=10_000)
    config, matrix = write_lab_files(
        tmp_path,
        fleet,
        zone_id=zone_id,
        aws_url=proxy.url,
        oci=local_oci,
        oci_config=local_oci.config_file,
        rclone_url=local_rclone.url,
        app=tenant_app,
        ssh=lab_ssh,
    )
    runner = CliRunner()
    environment = {"CUTOVER_CONFIG": str(config)}
    imported = runner.invoke(cli, ["import", str(matrix)], env=environment)
    assert imported.exit_code == 0, imported.output

    gate = runner.invoke(cli, ["gate", "T-0001"], env=environment)
    printed = gate.output + ("".join(traceback.format_exception(*gate.exc_info)) if gate.exc_info else "")
    assert gate.exit_code == 3 and gate.exc_info[0] is SystemExit  # blocked on stale DNS, no traceback
    assert "could not observe DNS: route53" in gate.output
    assert "AccessDenied" in printed  # the refusal is shown: the test would see a leak
    assert leaks(printed) == []

    logged = (tmp_path / "cutover.log").read_text()  # beside the store, cutover.db
    assert "INFO gate[" in logged and "could not observe DNS" in logged and "AccessDenied" in logged
    assert leaks(logged) == []

    runner.invoke(cli, ["-v", "gate", "T-0001"], env=environment)  # debug: every library's words too
    logged = (tmp_path / "cutover.log").read_text()
    assert "DEBUG gate[" in logged
    assert leaks(logged) == []


# --- an rc server that echoes the request's Authorization header back ---------------------------


class EchoingRc(LocalHttpServer):
    """An rc endpoint (or a proxy in front of one) that writes the request's Authorization header
    into every answer, in the shapes servers use: a header line, JSON, Go's map of headers."""

    def __init__(self) -> None:
        super().__init__("echoing-rc")

    def answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> Reply:
        header = handler.headers.get("Authorization", "")
        echoed = f'Authorization: {header}; {{"Authorization": "{header}"}}; map[Authorization:[{header}]]'
        if handler.path.startswith("/job/status"):
            return Reply.json(200, {"finished": True, "success": False, "error": f"denied: {echoed}"})
        return Reply.json(500, {"error": f"unauthorized request: {echoed}"})


def encoded_login() -> str:
    return base64.b64encode(f"cutover:{RC_PASSWORD}".encode()).decode()


def test_an_rc_server_echoing_the_authorization_header_never_leaks_the_password(
    tmp_path, secret_environment, moto, proxy, local_oci, tenant_app, lab_ssh, lab_fleet
):
    fleet = lab_fleet[:2]
    zone_id = seed_clouds(moto.url, local_oci.world, fleet, objects=1, zone=ZONE)
    with EchoingRc() as rc:
        config, matrix = write_lab_files(
            tmp_path,
            fleet,
            zone_id=zone_id,
            aws_url=proxy.url,
            oci=local_oci,
            oci_config=local_oci.config_file,
            rclone_url=rc.url,
            app=tenant_app,
            ssh=lab_ssh,
        )
        config.write_text(config.read_text().replace(f'url = "{rc.url}"', f'url = "{rc.url}"\nauth_env = "RC_AUTH"'))
        runner = CliRunner()
        environment = {"CUTOVER_CONFIG": str(config)}
        assert runner.invoke(cli, ["import", str(matrix)], env=environment).exit_code == 0
        synced = runner.invoke(cli, ["sync", "T-0001", "--json", "--reason", "night 3"], env=environment)
        gate = runner.invoke(cli, ["gate", "T-0001", "--json"], env=environment)
    events = runner.invoke(cli, ["events", "--json"], env=environment)
    jobs = runner.invoke(cli, ["jobs", "--json"], env=environment)
    printed = "\n".join(r.output for r in (synced, gate, events, jobs))
    assert "unauthorized request" in printed or "denied" in printed, printed  # the echo was recorded and shown
    assert "[redacted]" in printed, printed
    stored = store_bytes(tmp_path / "cutover.db")
    assert "unauthorized request" in stored or "denied" in stored
    for where in (printed, stored):
        assert leaks(where) == []
        assert encoded_login() not in where and encoded_login()[:-4] not in where


@pytest.mark.asyncio
async def test_an_rc_job_error_echoing_the_login_is_redacted_at_the_boundary(secret_environment):
    with EchoingRc() as server:
        rc = HttpRc(RcSettings(url=server.url, auth_env="RC_AUTH", retry=FAST_RETRY))
        try:
            status = await rc.call("job/status", {"jobid": 1})
            with pytest.raises(ProviderError) as refused:
                await rc.call("sync/sync", {"srcFs": "aws:a", "dstFs": "oci:b"})
        finally:
            await rc.aclose()
    shown = json.dumps(status) + str(refused.value)
    assert status["error"].startswith("denied: Authorization: Basic [redacted]")
    assert "map[Authorization:[Basic [redacted]]]" in shown
    assert encoded_login() not in shown and RC_PASSWORD not in shown and "[redacted]" in str(refused.value)


@pytest.mark.parametrize(
    "text",
    [
        "Authorization: Basic {login}",
        '{{"authorization": "Basic {login}"}}',
        "map[Authorization:[Basic {login}]]",
        "Proxy-Authorization: Basic {login}",
        "upstream said: Basic {login}",
        "echo of the body: {login}",
    ],
)
def test_a_remembered_login_is_redacted_in_any_base64_shape(secret_environment, text) -> None:
    remember_secret(RC_PASSWORD, f"cutover:{RC_PASSWORD}")
    for login in (f"cutover:{RC_PASSWORD}", f"someone-else:{RC_PASSWORD}", f"{RC_PASSWORD}:x"):
        encoded = base64.b64encode(login.encode()).decode()
        shown = redact(text.format(login=encoded))
        assert encoded not in shown and "[redacted]" in shown, shown


def test_ordinary_words_survive_redaction() -> None:
    for words in ("basic checks passed", "Basic auth refused", "the bearer of bad news", "sync lag 0 s"):
        assert redact(words) == words
    assert redact("Authorization: Bearer eyJhbGciOi.J9.sig-1") == "Authorization: [redacted]"
    assert redact("GET http://cutover:pw-1234@127.0.0.1:5572/core/stats") == (
        "GET http://cutover:[redacted]@127.0.0.1:5572/core/stats"
    )
