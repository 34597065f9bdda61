"""Credentials in the configuration are refused, naming the key and the credential source to use,
and `config check` never prints them: not in its words, not in its JSON."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from cutover.console.cli import cli

RC_LOGIN = "cutover:rc-Pass-9x7q"
SLACK_URL = "https://hooks.slack.com/services/T0LAB/B0LAB/xoxLabToken12345678"
LOGIN_PASSWORD = "e2e-Pass-5z5z"

HEALTH = '[providers.health]\nkind = "oci_lb"\ncompartment_id = "ocid1.compartment.oc1..lab"\n'


def check(config: Path, *args: str, env: dict[str, str] | None = None):
    return CliRunner().invoke(cli, ["config", "check", str(config), *args], env=env or {})


@pytest.mark.parametrize(
    ("toml", "key", "advice", "secret"),
    [
        (
            f'[providers.sync]\nkind = "rclone"\n[providers.sync.rc]\nurl = "http://{RC_LOGIN}@127.0.0.1:5572"\n',
            "providers.sync.rc.url",
            "name it in auth_env",
            "rc-Pass-9x7q",
        ),
        (
            f'[providers.dns]\nkind = "route53"\nzones = {{ "lab.example.com" = "Z1" }}\n[providers.dns.aws]\n'
            f'endpoint_url = "https://admin:{LOGIN_PASSWORD}@route53.example.com"\n',
            "providers.dns.aws.endpoint_url",
            "credential chain",
            LOGIN_PASSWORD,
        ),
        (
            HEALTH + "[[providers.health.validation.checks.end_to_end]]\n"
            'method = "POST"\npath = "/api/login"\n'
            f'json_body = {{ user = "warroom", password = "{LOGIN_PASSWORD}" }}\n',
            "providers.health.validation.checks.end_to_end.0: json_body: password holds a credential",
            "name it in body_env, like E2E_LOGIN_JSON",
            LOGIN_PASSWORD,
        ),
        (
            HEALTH + "[[providers.health.validation.checks.end_to_end]]\n"
            'method = "POST"\npath = "/api/query"\n'
            f'json_body = {{ headers = {{ auth = "Basic {LOGIN_PASSWORD}" }} }}\n',
            "json_body: headers.auth holds a credential",
            "body_env",
            LOGIN_PASSWORD,
        ),
        (
            f'[providers.notifier]\nkind = "slack"\nwebhook_env = "{SLACK_URL}"\n',
            "providers.notifier.webhook_env",
            "write the NAME of the environment variable that holds it, like SLACK_WEBHOOK_URL",
            "xoxLabToken12345678",
        ),
    ],
)
def test_a_credential_in_the_configuration_is_refused_and_never_shown(
    tmp_path: Path, toml: str, key: str, advice: str, secret: str
) -> None:
    config = tmp_path / "cutover.toml"
    config.write_text(toml)
    before = config.read_text()
    for args in ((), ("--json",)):
        result = check(config, *args)
        assert result.exit_code == 2, result.output
        assert key in result.output and advice in result.output
        assert secret not in result.output, result.output
    document = json.loads(check(config, "--json").stdout)
    assert document["ok"] is False and document["values"] == []
    assert config.read_text() == before and sorted(p.name for p in tmp_path.iterdir()) == ["cutover.toml"]


def test_a_webhook_url_in_the_environment_variable_name_is_not_echoed(tmp_path: Path) -> None:
    config = tmp_path / "cutover.toml"
    config.write_text('[providers.notifier]\nkind = "slack"\n')
    result = check(config, env={"CUTOVER_PROVIDERS__NOTIFIER__WEBHOOK_ENV": SLACK_URL})
    assert result.exit_code == 2
    assert "CUTOVER_PROVIDERS__NOTIFIER__WEBHOOK_ENV" in result.output and "value not shown" in result.output
    assert "hooks.slack.com" not in result.output and "xoxLabToken" not in result.output


def test_a_token_in_a_check_path_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "cutover.toml"
    config.write_text(HEALTH + '[[providers.health.validation.checks.end_to_end]]\npath = "/health?api_key=k-123"\n')
    result = check(config)
    assert result.exit_code == 2 and "the query's api_key holds a credential" in result.output
    assert "k-123" not in result.output


def test_names_of_credential_sources_and_plain_bodies_are_accepted(tmp_path: Path) -> None:
    config = tmp_path / "cutover.toml"
    config.write_text(
        '[providers.sync]\nkind = "rclone"\n[providers.sync.rc]\nurl = "http://127.0.0.1:5572"\nauth_env = "RC_AUTH"\n'
        '[providers.notifier]\nkind = "slack"\nwebhook_env = "SLACK_WEBHOOK_URL"\n'
        + HEALTH
        + '[[providers.health.validation.checks.end_to_end]]\nmethod = "POST"\npath = "/api/login"\n'
        'body_env = "E2E_LOGIN_JSON"\n[[providers.health.validation.checks.end_to_end]]\nmethod = "POST"\n'
        'path = "/api/query"\njson_body = { query = "SELECT 1", session_count = 2 }\n'
    )
    result = check(config)
    assert result.exit_code == 0, result.output
