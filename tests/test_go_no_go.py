"""The night's go/no-go ([night.go_no_go]): a batch for tonight does not start until every item is signed go
(refused with what is missing; break-glass overrides, audited); a no-go stops the night's running batch before
its next DNS change like a stop-the-line hold, refuses a flip, and only a go signed again lets a resume through.
None configured: no gate. `cutover go|no-go` and `go --status [--json]` from the shell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from engine_helpers import Harness

from cutover.actions.plan.go_no_go import read_night
from cutover.actions.plan.plans import BadRequest, PlanRequest, Refused, ResumeRefused
from cutover.actions.plan.safety import GO_NO_GO
from cutover.config.settings import GoNoGoSettings, NightSettings, Settings
from cutover.console.cli import cli
from cutover.model.jobs import JobState, TargetState
from cutover.state.signoffs import GO, NO_GO

CHECKLIST = NightSettings(go_no_go=GoNoGoSettings(items={"backups": "dba", "pager": "on-call"}))


def harness(tmp_path: Path, **kwargs) -> Harness:
    return Harness(tmp_path, settings=Settings(night=CHECKLIST), **kwargs)


def batch_plan(h: Harness, **overrides: str):
    ids = [f"T-{n:04d}" for n in range(1, 5)]
    return h.ops.plan(PlanRequest.batch(ids, count=4, group_size=2, overrides=overrides))


def test_a_night_without_every_go_does_not_start_a_batch_and_break_glass_overrides_it(tmp_path: Path) -> None:
    h = harness(tmp_path, ready=4)
    try:
        plan = batch_plan(h)
        assert [r.rule for r in plan.safety.blocking] == [GO_NO_GO]
        night = read_night(h.store, h.settings, h.clock.now()).night
        assert plan.problems == (
            f"go-no-go: the night of {night} has no go yet (GO 0/2): waiting for backups (dba), pager (on-call): "
            "`cutover go --item ITEM --reason R` by each role",
        )
        with pytest.raises(Refused, match="waiting for backups"):
            h.ops.submit(plan, reason="night 3", confirmation=plan.confirm_phrase)
        assert not h.jobs.find()
        h.ops.sign_night("backups", decision=GO, reason="restore test passed")
        assert h.ops.night().header() == "GO 1/2: waiting for on-call"
        assert "waiting for pager (on-call)" in batch_plan(h).problems[0]
        # A single flip is not a night's batch: only a no-go refuses it.
        assert GO_NO_GO not in {r.rule for r in h.ops.plan(PlanRequest.flip(["T-0001"])).safety.refusals}

        glass = batch_plan(h, **{GO_NO_GO: "pager rota confirmed by phone"})
        assert glass.ok, glass.problems
        job = h.ops.submit(glass, reason="night 3", confirmation=glass.confirm_phrase)
        audited = [e for e in h.session.events.find() if e.kind == "break-glass" and e.job_id == job.job_id]
        assert [e.detail["rule"] for e in audited] == [GO_NO_GO] and audited[0].why == "pager rota confirmed by phone"
        signed = [e for e in h.session.events.find() if e.kind == "night.go"]
        assert signed[0].operator == "alice" and signed[0].why == "restore test passed"
        assert signed[0].detail == {"night": night, "item": "backups", "role": "dba"}
    finally:
        h.store.close()


def test_no_checklist_configured_means_no_gate_and_signing_is_refused_saying_how(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=4)
    try:
        assert batch_plan(h).ok and h.ops.night().header() == ""
        with pytest.raises(BadRequest, match=r"no go/no-go checklist is configured: list the items"):
            h.ops.sign_night("backups", decision=GO, reason="r")
    finally:
        h.store.close()


@pytest.mark.asyncio
async def test_a_no_go_stops_the_running_batch_before_its_next_dns_change_until_signed_go_and_resumed(
    tmp_path: Path,
) -> None:
    h = harness(tmp_path, ready=4)
    await h.start()
    try:
        h.ops.sign_night("backups", decision=GO, reason="restore test passed")
        h.ops.sign_night("pager", decision=GO, reason="rota staffed")
        plan = batch_plan(h)
        assert plan.ok, plan.problems
        job = h.ops.submit(plan, reason="night 3", confirmation=plan.confirm_phrase)
        first = plan.groups[0]
        await h.until(lambda: all(h.dns_changes(tid) for tid in first), what="group 1's DNS changes")
        h.ops.sign_night("backups", decision=NO_GO, reason="restore of the last backup failed")
        assert h.ops.night().header() == "NO-GO: dba (restore of the last backup failed)"
        await h.until(lambda: h.jobs.get(job.job_id).state is JobState.HELD, what="the line stopping")
        held = h.jobs.get(job.job_id).held_reason
        assert "go-no-go: NO-GO for the night of" in held and "backups by alice (dba): restore of the last" in held
        shown = CliRunner().invoke(cli, ["jobs", job.job_id], env={**h.store_env})
        assert "go-no-go: NO-GO for the night of" in " ".join(shown.output.split()), shown.output
        h.clock.advance(3600)
        assert all(not h.dns_changes(tid) for tid in plan.groups[1])  # group 2 changed nothing
        # Nothing moves to OCI meanwhile: a flip is refused too, and a resume while the no-go stands.
        assert GO_NO_GO in {r.rule for r in h.ops.plan(PlanRequest.flip(["T-0004"])).safety.blocking}
        with pytest.raises(ResumeRefused, match="go-no-go: NO-GO"):
            h.ops.resume(job.job_id, reason="go on")

        h.ops.sign_night("backups", decision=GO, reason="restored from the previous backup")
        h.ops.resume(job.job_id, reason="backups fixed")
        await h.until(h.job_done(job.job_id), what="the batch")
        assert {t.state for t in h.jobs.targets(job.job_id)} == {TargetState.SUCCEEDED}
        kinds = [e.kind for e in h.session.events.find() if e.kind.startswith("night.")]
        assert kinds == ["night.go", "night.go", "night.no_go", "night.go"]
    finally:
        await h.stop()


def _config(tmp_path: Path, h: Harness, roles: str = "") -> Path:
    path = tmp_path / "cutover.toml"
    path.write_text(
        f'[state]\npath = "{h.path}"\n[operator]\nname = "carol"\n'
        f'[night.go_no_go.items]\nbackups = "dba"\npager = "on-call"\n{roles}'
    )
    return path


def test_cli_go_no_go_and_status(tmp_path: Path) -> None:
    h = harness(tmp_path, ready=2)
    try:
        config = str(_config(tmp_path, h, '[night.go_no_go.roles]\ndba = ["carol"]\n'))
        run = CliRunner()
        signed = run.invoke(cli, ["--config", config, "go", "--item", "backups", "--reason", "restore ok"])
        assert signed.exit_code == 0, signed.output
        assert "GO signed by carol@" in signed.output and "GO 1/2: waiting for on-call" in signed.output
        status = run.invoke(cli, ["--config", config, "go", "--status"])
        assert status.exit_code == 0
        lines = status.output.splitlines()
        assert lines[0].endswith("GO 1/2: waiting for on-call")
        assert lines[1].split()[:3] == ["backups", "dba", "go"] and "restore ok" in lines[1]
        assert lines[2].split() == ["pager", "on-call", "waiting"]
        shown = json.loads(run.invoke(cli, ["--config", config, "go", "--status", "--json"]).output)
        assert shown["schema"] == "cutover.go_no_go/1" and shown["signed"] == 1 and shown["total"] == 2
        assert shown["items"][0]["signoff"]["operator"] == "carol" and shown["items"][1]["state"] == "waiting"

        stop = run.invoke(cli, ["--config", config, "no-go", "--item", "pager", "--reason", "nobody on call"])
        assert stop.exit_code == 0 and "NO-GO: on-call (nobody on call)" in stop.output

        for args, words in (
            (["go", "--item", "dns", "--reason", "r"], "--item 'dns': no such checklist item; the items are: "),
            (["go", "--item", "pager"], "give a reason"),
            (["go"], "name the checklist item"),
            (["go", "--status", "--item", "pager"], "give one of them, not both"),
        ):
            bad = run.invoke(cli, ["--config", config, *args])
            assert bad.exit_code == 2 and words in bad.output, (args, bad.output)
            assert "Traceback" not in bad.output
        other = str(_config(tmp_path, h, '[night.go_no_go.roles]\ndba = ["dave"]\n'))
        refused = run.invoke(cli, ["--config", other, "no-go", "--item", "backups", "--reason", "r"])
        assert refused.exit_code == 3 and "signed by the dba role (dave); carol is not one of them" in refused.output
        assert len([e for e in h.session.events.find() if e.kind.startswith("night.")]) == 2  # nothing else
        wrong = str(_config(tmp_path, h, '[night.go_no_go.roles]\ndbas = ["dave"]\n'))
        config_error = run.invoke(cli, ["--config", wrong, "go", "--status"])
        assert config_error.exit_code == 2 and "roles.dbas: no item is signed by 'dbas'" in config_error.output
    finally:
        h.store.close()
