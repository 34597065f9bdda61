"""`cutover status TENANT` (and `--json`) shows the way back of a tenant on OCI: what a rollback would strand
as the engine last measured it, the AWS side (not measured), and how long rollback stays possible."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from click.testing import CliRunner
from engine_helpers import war_room
from test_cli_watch import promoted_hours_ago

from cutover.console.cli import cli
from cutover.state.readiness import AWS_NOT_MEASURED, Readiness, ReadinessStore
from cutover.state.simworld import SimWorldStore
from cutover.state.store import Store


def measured(env: dict, tenant_id: str, aws: tuple[int, int] | None = None) -> float:
    """A readiness as the engine records it; `aws`: (healthy, total) AWS targets, measured 40 s ago."""
    with Store(env["CUTOVER_STATE__PATH"]) as store:
        now = SimWorldStore(store).clock_row()[0]
        readiness = Readiness(
            tenant_id, now - 60, 42, 3_100_000, 1042, now - 3600, "the cutover's verification", "sim-rclone", "",
            AWS_NOT_MEASURED,
        )  # fmt: skip
        if aws is not None:
            readiness = replace(readiness, aws_side="", aws_healthy=aws[0], aws_total=aws[1], aws_measured_at=now - 40)
        ReadinessStore(store).put(readiness)
    return now


def run(env: dict, *args: str):
    return CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)


def test_status_shows_what_a_rollback_strands_the_aws_side_and_the_time_left(tmp_path: Path) -> None:
    env = war_room(tmp_path, ready=2)
    promoted_hours_ago(env, "T-0001", 4)
    promoted_hours_ago(env, "T-0002", 1)
    measured(env, "T-0001")

    shown = run(env, "status", "T-0001")
    assert shown.exit_code == 0, shown.output
    text = " ".join(shown.output.split())
    assert "way back a rollback now strands 42 objects, 3.1MB written on OCI since" in text
    assert "; a reverse sync runs first" in text
    assert "AWS targets not measured (the health provider reports OCI's backends only) · measured 1m ago" in text
    assert "rollback possible for 20h (then decommission may retire AWS)" in text

    never = " ".join(run(env, "status", "T-0002").output.split())
    assert "way back what a rollback strands is not measured yet; a reverse sync runs first" in never

    data = json.loads(run(env, "status", "T-0001", "--json").output)
    (tenant,) = data["tenants"]
    way_back = tenant["rollback_readiness"]
    assert way_back["stranded"]["objects"] == 42 and way_back["stranded"]["bytes"] == 3_100_000
    assert way_back["aws_side"]["measured"] is False and way_back["reverse_sync"] == "before-dns"
    assert way_back["left_s"] == 20 * 3600
    assert way_back["stranded"]["since"].startswith("20")  # ISO time
    assert run(env, "status", "--json").exit_code == 0


def test_status_shows_the_aws_side_measured_healthy_or_degraded_and_its_json(tmp_path: Path) -> None:
    env = war_room(tmp_path, ready=2)
    promoted_hours_ago(env, "T-0001", 4)
    promoted_hours_ago(env, "T-0002", 4)
    measured(env, "T-0001", aws=(3, 3))
    measured(env, "T-0002", aws=(1, 3))

    healthy = " ".join(run(env, "status", "T-0001").output.split())
    assert "AWS 3/3 targets healthy (40s ago)" in healthy and "not measured" not in healthy
    degraded = " ".join(run(env, "status", "T-0002").output.split())
    assert "AWS 1/3 targets healthy (40s ago): a rollback lands on a degraded side" in degraded

    data = json.loads(run(env, "status", "T-0001", "--json").output)
    aws_side = data["tenants"][0]["rollback_readiness"]["aws_side"]
    assert aws_side["measured"] is True and (aws_side["healthy"], aws_side["total"]) == (3, 3)
    assert aws_side["measured_at"].startswith("20") and aws_side["text"] == "AWS 3/3 targets healthy (40s ago)"

    # The rollback's confirmation says what it lands on; a degraded AWS side informs, never refuses.
    piped = run(env, "rollback", "T-0002", "--reason", "customer reports errors", "--yes")
    text = " ".join(piped.output.split())
    assert "T-0002: AWS 1/3 targets healthy (40s ago): a rollback lands on a degraded side" in text
    assert piped.exit_code == 0, piped.output


def test_status_of_a_tenant_still_on_aws_has_no_way_back(tmp_path: Path) -> None:
    env = war_room(tmp_path, ready=1)
    data = json.loads(run(env, "status", "T-0001", "--json").output)
    assert data["tenants"][0]["rollback_readiness"] is None
    assert "way back" not in run(env, "status", "T-0001").output


def test_cutover_rollback_says_what_it_strands_before_asking_and_never_refuses_for_it(tmp_path: Path) -> None:
    env = war_room(tmp_path, ready=1)
    promoted_hours_ago(env, "T-0001", 4)
    measured(env, "T-0001")
    piped = run(env, "rollback", "T-0001", "--reason", "customer reports errors")
    text = " ".join(piped.output.split())
    assert "T-0001: a rollback now strands 42 objects, 3.1MB written on OCI since" in text
    assert "; a reverse sync runs first" in text
    # Piped without --yes it asks for confirmation it cannot get: exit 2, nothing submitted (not a refusal).
    assert piped.exit_code == 2 and "no terminal to confirm on: pass --yes" in text
