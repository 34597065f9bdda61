"""The headless action commands (run in this process by click's runner: the exit codes, stdout and stderr a shell
sees) on a simulated fleet, with the documented exit codes.

Exit codes: 0 done, 1 failed or rolled back, 2 bad input, 3 refused by a gate, a safety rule or a lock.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner
from engine_helpers import cutover, war_room

from cutover.console.cli import cli
from cutover.state.chain import verify_chain
from cutover.state.store import Store


@pytest.fixture
def env(tmp_path: Path) -> dict:
    return war_room(tmp_path, ready=12)


def test_flip_runs_an_engine_when_none_leads_and_prints_tenant_by_tenant(env: dict) -> None:
    done = cutover(env, "flip", "T-0001", "T-0002", "--reason", "night 3", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "no engine leads: running one here until the job ends" in done.stdout
    lines = [line for line in done.stdout.splitlines() if line.startswith("[T-000")]
    assert len(lines) == 2
    for line in lines:
        assert " cutover: in sync " in line and "% OCI, monitoring 10m: SUCCESS" in line
    status = json.loads(cutover(env, "status", "--json").stdout)
    lifecycles = {t["id"]: t["lifecycle"] for t in status["tenants"]}
    assert lifecycles["T-0001"] == lifecycles["T-0002"] == "migrated" and lifecycles["T-0003"] == "ready"
    with Store(env["CUTOVER_STATE__PATH"]) as store:
        assert verify_chain(store).ok


def test_json_result_has_every_step_with_its_time_and_request_ids(env: dict) -> None:
    done = cutover(env, "flip", "T-0003", "--reason", "scripted", "--yes", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert document["schema"] == "cutover.action/1" and document["exit_code"] == 0
    job = document["job"]
    assert job["state"] == "succeeded" and job["reason"] == "scripted" and job["operator"] == "alice"
    (target,) = job["targets"]
    assert target["tenant"] == "T-0003" and target["state"] == "succeeded"
    steps = {step["name"]: step for step in target["steps"]}
    assert list(steps) == [
        "hydrate",
        "final_sync",
        "verify",
        "gate",
        "dns_change",
        "dns_insync",
        "traffic",
        "monitoring",
    ]
    assert steps["dns_change"]["request_ids"] and steps["monitoring"]["duration_s"] >= 600
    assert "[T-0003] cutover:" in done.stderr  # progress goes to stderr when stdout is JSON


def test_without_yes_and_without_a_terminal_it_refuses(env: dict) -> None:
    refused = cutover(env, "flip", "T-0001", "--reason", "r", stdin="")
    assert refused.returncode == 2
    assert "no terminal to confirm on: pass --yes" in refused.stderr
    assert "nothing was submitted" in refused.stderr and "several tenants" not in refused.stderr
    assert json.loads(cutover(env, "jobs", "--json").stdout)["jobs"] == []


def test_bad_input_exits_2_and_changes_nothing(env: dict) -> None:
    assert cutover(env, "flip", "T-9999", "--reason", "r", "--yes").returncode == 2
    missing = cutover(env, "flip", "T-0001", "--yes")
    assert missing.returncode == 2 and "give --reason" in missing.stderr
    glass = cutover(env, "flip", "T-0001", "--reason", "r", "--yes", "--break-glass", "max-cutting-over")
    assert glass.returncode == 2 and "write RULE=REASON" in glass.stderr
    assert cutover(env, "pause", "batch-77", "--reason", "r").returncode == 2
    assert json.loads(cutover(env, "jobs", "--json").stdout)["jobs"] == []


def test_a_safety_rule_refuses_with_its_numbers_and_break_glass_passes(env: dict) -> None:
    six = [f"T-{n:04d}" for n in range(1, 7)]
    refused = cutover(env, "flip", *six, "--reason", "six at once", "--yes")
    assert refused.returncode == 3
    assert (
        "refused: max-cutting-over: 6 tenants would be cutting over at once (0 now + 6 in this change); "
        "the limit is 5; instead: at most 5 tenants now" in refused.stderr
    )
    passed = cutover(
        env,
        "flip",
        *six,
        "--reason",
        "six at once",
        "--yes",
        "--break-glass",
        "max-cutting-over=six tiny tenants, vendor window",
    )
    assert passed.returncode == 0, passed.stdout + passed.stderr
    events = json.loads(cutover(env, "events", "--json").stdout)["events"]
    (glass,) = [e for e in events if e["kind"] == "break-glass"]
    assert glass["operator"] == "alice" and glass["why"] == "six tiny tenants, vendor window"


def test_gate_passes_with_evidence_or_names_every_blocking_check_and_exits_3(env: dict) -> None:
    gated = cutover(env, "gate", "T-0001", "--json")
    assert gated.returncode == 0, gated.stdout
    document = json.loads(gated.stdout)
    assert document["schema"] == "cutover.gate/1" and document["observed_now"] is True and document["passed"]
    (tenant,) = document["tenants"]
    checks = {check["name"]: check for check in tenant["checks"]}
    assert checks["backends"]["result"] == "pass" and checks["backends"]["age_s"] < 60
    assert checks["sync"]["evidence"].startswith("lag 0, verified")

    assert cutover(env, "flip", "T-0001", "--reason", "r", "--yes").returncode == 0
    blocked = cutover(env, "gate", "T-0001", "T-0002")
    assert blocked.returncode == 3
    assert "T-0001: BLOCKED" in blocked.stdout and "lifecycle  fail     migrated, must be ready" in blocked.stdout
    # The flip took world time: T-0002's proof of lag 0 is stale now, which its own cutover would renew:
    # eligible, and a script using `gate` as its pre-check goes on (exit 0).
    eligible = r"T-0002: ELIGIBLE \(eligible: \d checks pass, \d done by the cutover itself \(it runs "
    assert re.search(eligible, blocked.stdout)
    alone = cutover(env, "gate", "T-0002")
    assert alone.returncode == 0, alone.stdout + alone.stderr
    assert alone.stdout.splitlines()[1].startswith("T-0002: ELIGIBLE")
    assert "sync       unknown  stale: verified" in blocked.stdout
    assert "[the cutover runs a final sync and verification first]" in blocked.stdout
    assert " old)" not in next(line for line in blocked.stdout.splitlines() if "stale: verified" in line)
    # Each age said once: evidence that says its age gets no "(... old)"; evidence that does not, gets it.
    assert re.search(r"validation +pass +5/5 passed [0-9hms ]+ ago$", blocked.stdout, re.MULTILINE)
    assert re.search(r"backends +pass +3/3 healthy( \([0-9hms ]+ old\))?$", blocked.stdout, re.MULTILINE)


def test_dry_run_rehearses_and_changes_nothing(env: dict) -> None:
    rehearsed = cutover(env, "rollback", "T-0001", "--dry-run")
    assert rehearsed.returncode == 3  # T-0001 is ready: nothing to roll back
    dry = cutover(env, "batch", "--wave", "1", "--count", "10", "--group", "5", "--dry-run", "--json")
    assert dry.returncode == 0, dry.stderr
    document = json.loads(dry.stdout)
    assert document["dry_run"] is True and document["dns_read_live"] is True
    assert [len(group) for group in document["plan"]["groups"]] == [5, 5]
    assert document["plan"]["change_sets"][0]["changes"][0]["from"].startswith("52.")
    assert json.loads(cutover(env, "jobs", "--json").stdout)["jobs"] == []
    text = cutover(env, "batch", "--wave", "1", "--count", "10", "--group", "5", "--dry-run").stdout
    # The times the batch will keep: group 2 changes DNS only after group 1's monitoring, not at +15 min.
    # Times in the migration window's zone, labelled (the window's default zone is New York's).
    at = r"\d\d:\d\d E[SD]T"
    assert re.search(rf"^  group 1 at now, DNS ~{at}, done ~{at}: T-0001 ", text, re.MULTILINE), text
    assert re.search(rf"^  group 2 at ~{at}, DNS ~{at}, done ~{at}: T-0006 ", text, re.MULTILINE)
    assert "changes DNS only once the group before it has ended its 10m monitoring" in text
    events = json.loads(cutover(env, "events", "--json").stdout)["events"]
    assert len([e for e in events if e["kind"] == "rehearsal" and e["detail"]["kind"] == "batch"]) == 20


@pytest.mark.slow  # over a second
def test_jobs_shows_a_batchs_groups_with_the_times_they_kept(env: dict) -> None:
    done = cutover(env, "batch", "--wave", "1", "--count", "4", "--group", "2", "--reason", "night 3", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    text = cutover(env, "jobs", "batch-1").stdout
    assert "succeeded: 4 migrated" in text
    first, second = (
        re.search(rf"^  group {n} at (\d\d:\d\d) E[SD]T, DNS (\d\d:\d\d) E[SD]T, done (\d\d:\d\d) E[SD]T: ", text, re.M)
        for n in (1, 2)
    )
    assert first and second, text
    assert second.group(2) >= first.group(3)  # group 2's DNS change came after group 1 ended its monitoring
    schedule = json.loads(cutover(env, "jobs", "batch-1", "--json").stdout)["job"]["schedule"]
    assert [g["ended"] for g in schedule["groups"]] == [True, True] and schedule["next_group"] is None


def test_the_click_runner_sees_the_same_exit_codes(env: dict) -> None:
    runner = CliRunner()
    refused = runner.invoke(cli, ["flip", *[f"T-{n:04d}" for n in range(1, 7)], "--reason", "r", "--yes"], env=env)
    assert refused.exit_code == 3
    done = runner.invoke(cli, ["flip", "T-0005", "--reason", "r", "--yes"], env=env)
    assert done.exit_code == 0, done.output
    assert "[T-0005] cutover: in sync" in done.output
