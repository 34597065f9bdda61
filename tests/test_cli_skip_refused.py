"""The CLI and the console share one act-on-tenants flow (actions/plan/acting.py): a tenant the action cannot
take is set aside with its refusal as data (rule, numbers). The console acts on the rest; the CLI refuses the
whole action unless told `--skip-refused`, and then names each tenant it set aside, with its reason."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from engine_helpers import cutover, war_room

from cutover.model.clock import SystemClock
from cutover.model.jobs import JobKind
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.job_records import NewTarget
from cutover.state.jobs import JobStore
from cutover.state.store import Store


@pytest.fixture
def env(tmp_path: Path) -> dict:
    env = war_room(tmp_path, ready=3)
    with Store(env["CUTOVER_STATE__PATH"]) as store:
        jobs = JobStore(store, EventLog(store, Actor("bob", "jump-2"), SystemClock()))
        jobs.submit(JobKind.VALIDATE, [NewTarget("T-0002", ("validate",))], reason="re-check", operator="bob")
    return env


def _jobs(env: dict) -> list[dict]:
    return json.loads(cutover(env, "jobs", "--json").stdout)["jobs"]


def test_one_refused_tenant_refuses_the_whole_flip_by_default(env: dict) -> None:
    refused = cutover(env, "flip", "T-0001", "T-0002", "--reason", "night 3", "--yes")
    assert refused.returncode == 3
    assert "refused: T-0002 is held by validate-1 (validate by bob, queued)" in refused.stderr
    assert "nothing was changed" in refused.stderr
    assert [job["kind"] for job in _jobs(env)] == ["validate"]


def test_skip_refused_flips_the_rest_naming_each_tenant_set_aside(env: dict) -> None:
    done = cutover(env, "flip", "T-0001", "T-0002", "--reason", "night 3", "--yes", "--skip-refused", "--json")
    assert done.returncode == 0, done.stderr
    assert "set aside: T-0002 held by validate-1 (validate by bob, queued)" in done.stderr
    document = json.loads(done.stdout)
    (set_aside,) = document["plan"]["set_aside"]
    assert set_aside["tenant"] == "T-0002" and set_aside["rule"] == "locked"
    assert set_aside["numbers"]["job_id"] == "validate-1" and set_aside["numbers"]["operator"] == "bob"
    assert [target["tenant"] for target in document["job"]["targets"]] == ["T-0001"]
    assert document["job"]["state"] == "succeeded"


def test_skip_refused_with_every_tenant_refused_changes_nothing(env: dict) -> None:
    refused = cutover(env, "flip", "T-0002", "--reason", "night 3", "--yes", "--skip-refused")
    assert refused.returncode == 3
    assert "set aside: T-0002 held by validate-1" in refused.stderr
    assert "every tenant named is set aside: nothing to act on; nothing was changed" in refused.stderr
    assert [job["kind"] for job in _jobs(env)] == ["validate"]


def test_a_dry_run_with_skip_refused_rehearses_the_rest(env: dict) -> None:
    rehearsed = cutover(env, "flip", "T-0001", "T-0002", "--dry-run", "--skip-refused", "--json")
    assert rehearsed.returncode == 0, rehearsed.stderr
    document = json.loads(rehearsed.stdout)
    assert document["dry_run"] is True and document["refused"] == []
    assert [t["tenant"] for t in document["plan"]["targets"]] == ["T-0001"]
    assert [s["tenant"] for s in document["plan"]["set_aside"]] == ["T-0002"]
