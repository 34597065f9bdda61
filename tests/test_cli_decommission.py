"""`cutover decommission`: refusals by a rule exit 3 naming the tenant and the rule, bad input exits 2, and
nothing is changed either way; an enterprise tenant needs a second operator's approval since its promotion."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner
from engine_helpers import war_room
from test_cli_watch import promoted_hours_ago

from cutover.console.cli import cli
from cutover.state.store import Store


def run(env: dict, *args: str, operator: str = "alice"):
    return CliRunner().invoke(cli, list(args), env={**env, "CUTOVER_OPERATOR__NAME": operator})


def jobs_and_state(env: dict) -> tuple[int, str]:
    with Store(env["CUTOVER_STATE__PATH"]) as store:
        jobs = store.db.execute("SELECT count(*) FROM jobs").fetchone()[0]
        state = store.db.execute("SELECT lifecycle FROM tenants WHERE tenant_id = 'T-0001'").fetchone()[0]
    return jobs, state


def test_refusals_exit_3_and_bad_input_exits_2_with_nothing_changed(tmp_path: Path) -> None:
    env = war_room(tmp_path, ready=2, enterprise=(1,))
    promoted_hours_ago(env, "T-0001", 2)
    before = jobs_and_state(env)

    early = run(env, "decommission", "T-0001", "--reason", "done", "--yes")
    assert early.exit_code == 3, early.output
    assert "refused: T-0001: its watch has 22h left" in early.output and "nothing was changed" in early.output
    assert "enterprise: needs a second operator's approval" in early.output
    assert "Traceback" not in early.output

    no_reason = run(env, "decommission", "T-0001", "--yes")
    assert no_reason.exit_code == 2 and "give a reason with --reason" in no_reason.output

    bogus = run(env, "decommission", "T-0001", "--reason", "x", "--yes", "--break-glass", "speed=hurry")
    assert bogus.exit_code == 2 and "watch, open-fault, enterprise-approval" in bogus.output

    ready = run(env, "decommission", "T-0002", "--reason", "x", "--yes")
    assert ready.exit_code == 3 and "T-0002: is ready: only a migrated tenant can be decommissioned" in ready.output
    assert jobs_and_state(env) == before


def test_an_enterprise_tenant_past_its_watch_needs_another_operators_approval(tmp_path: Path) -> None:
    env = war_room(tmp_path, ready=2, enterprise=(1,))
    promoted_hours_ago(env, "T-0001", 25, checkpoint=True)
    before = jobs_and_state(env)
    alone = run(env, "decommission", "T-0001", "--reason", "stable", "--yes")
    assert alone.exit_code == 3, alone.output
    assert "needs a second operator's approval since its promotion (not alice's)" in alone.output
    assert "its watch" not in alone.output  # the watch has ended: only the approval refuses
    own = run(env, "approve", "T-0001", "--reason", "I checked")
    assert own.exit_code == 0
    still = run(env, "decommission", "T-0001", "--reason", "stable", "--yes")
    assert still.exit_code == 3 and "second operator" in still.output  # alice's own approval does not count
    # bob, with alice's approval: every rule allows it; what is left is typing the phrase.
    no_tty = run(env, "decommission", "T-0001", "--reason", "stable", operator="bob")
    assert no_tty.exit_code == 2, no_tty.output
    assert "point of no return: after it no rollback to AWS is possible" in no_tty.output
    assert "no terminal to confirm on: pass --yes (in a terminal you would type 'decommission T-0001')" in (
        no_tty.output
    )
    assert jobs_and_state(env) == before
