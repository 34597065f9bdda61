"""Real provider settings and the matrix's optional cloud identifiers: what a user writes and reads back."""

from __future__ import annotations

from pathlib import Path

import pytest

from cutover.config.loader import ConfigError, load_config
from cutover.config.matrix import MatrixError, parse_matrix
from cutover.config.providers import CloudMetrics, Route53Dns, SlackNotifier

HEADER = "tenant_id,size,sla,dns_name,aws_target_group,aws_load_balancer,oci_load_balancer,oci_backend_set\n"


def test_matrix_takes_cloud_ids_and_cuts_arns_down_to_dimensions() -> None:
    text = HEADER + (
        "T-1,5GB,Std,t1.example.com,"
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/t-1/73e2d6bc24d8a067,"
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:loadbalancer/app/prod/50dc6c495c0c9188,"
        "ocid1.loadbalancer.oc1.iad.aaaabbbb,bs-t1\n"
    )
    (spec,) = parse_matrix(text).tenants
    assert spec.aws_target_group == "targetgroup/t-1/73e2d6bc24d8a067"
    assert spec.aws_load_balancer == "app/prod/50dc6c495c0c9188"
    assert (spec.oci_load_balancer, spec.oci_backend_set) == ("ocid1.loadbalancer.oc1.iad.aaaabbbb", "bs-t1")


def test_bad_cloud_ids_are_named_and_nothing_is_imported() -> None:
    text = HEADER + "T-1,5GB,Std,t1.example.com,tg-1,app/prod/50dc6c495c0c9188,lb-1,bad name!\n"
    with pytest.raises(MatrixError) as refused:
        parse_matrix(text, source="m.csv")
    problems = refused.value.problems
    assert len(problems) == 3
    assert "m.csv row 2 (T-1), column 'aws_target_group': 'tg-1' is not a target group" in problems[0]
    assert "'oci_load_balancer': 'lb-1' is not a load balancer OCID" in problems[1]
    assert "'oci_backend_set': 'bad name!' is not a backend set name" in problems[2]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "cutover.toml"
    path.write_text(text)
    return path


def test_real_providers_are_chosen_per_role(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[providers.dns]
kind = "route53"
zones = { "Example.com." = "/hostedzone/Z0123456789ABC" }
[providers.dns.aws]
profile = "migration"
[providers.metrics]
kind = "cloud"
[providers.metrics.aws]
target_group = "targetgroup/{tenant_lower}/0000000000000000"
[providers.notifier]
kind = "slack"
""",
    )
    providers = load_config(path, environ={}).settings.providers
    assert isinstance(providers.dns, Route53Dns)
    assert providers.dns.zones == {"example.com": "Z0123456789ABC"} and providers.dns.aws.profile == "migration"
    assert isinstance(providers.metrics, CloudMetrics) and providers.metrics.oci is None
    assert isinstance(providers.notifier, SlackNotifier) and providers.notifier.webhook_env == "SLACK_WEBHOOK_URL"
    assert providers.sync.kind == "simulated"


def test_provider_mistakes_read_well(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
[providers.dns]
kind = "route53"
zone = "x"
[providers.metrics]
kind = "clod"
[providers.sync]
aws_remote = "s3"
[providers.health]
kind = "oci_lb"
backend_set = "bs-{tenant}"
[providers.notifier]
kind = "slack"
webhook_url = "https://hooks.slack.com/services/T/B/X"
""",
    )
    with pytest.raises(ConfigError) as refused:
        load_config(path, environ={})
    text = "\n".join(refused.value.problems)
    assert "providers.notifier.webhook_url: secrets are never read from the configuration file; set webhook_env" in text
    assert "providers.dns.zone: unknown key; allowed here: aws, kind, requests_per_second, retry, zones" in text
    assert "providers.metrics.kind: 'clod' is not a provider for this role; use one of 'simulated', 'cloud'" in text
    assert "providers.sync.kind: required but missing; name the provider: kind = one of 'simulated', 'rclone'" in text
    assert "providers.health.backend_set: 'bs-{tenant}' is not allowed: unknown placeholder 'tenant'" in text
    assert "hooks.slack.com/services" not in text


def test_roles_can_be_switched_from_the_environment(tmp_path: Path) -> None:
    loaded = load_config(
        None,
        environ={
            "CUTOVER_PROVIDERS__NOTIFIER__KIND": "slack",
            "CUTOVER_PROVIDERS__NOTIFIER__WEBHOOK_ENV": "WARROOM_HOOK",
        },
    )
    assert loaded.settings.providers.notifier.webhook_env == "WARROOM_HOOK"
    assert loaded.origin("providers.notifier.webhook_env") == "environment"
