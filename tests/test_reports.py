"""Reports: a migrated-then-decommissioned tenant's compliance report (md and html) says what happened, with
its evidence and the audit chain's head; `cutover audit verify --report` proves it matches the store and names
what differs once the events table is edited; a real night's report names its rollback and its held batch."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import re
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from engine_helpers import Harness, import_runbook, inject, make_ready, write_fleet

from cutover.actions.plan.operations import Operations
from cutover.actions.plan.plans import PlanRequest
from cutover.config.settings import Settings, StateSettings
from cutover.console.cli import cli
from cutover.model.clock import ManualClock
from cutover.model.jobs import JobState
from cutover.model.lifecycle import Lifecycle
from cutover.state.chain import verify_chain
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.store import Store
from cutover.state.tenants import TenantStore

KEEP_SAMPLES = Settings(state=StateSettings(sample_retention=30 * 3600.0))  # the cutover's samples outlive the watch


async def _migrate_and_decommission(tmp_path: Path) -> Path:
    h = Harness(tmp_path, ready=2, settings=KEEP_SAMPLES)
    await h.start()
    try:
        job = h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0001"])), reason="night 3: wave 1")
        await h.until(h.job_done(job.job_id), what="the flip")
        promoted = h.tenants.get("T-0001").lifecycle_since
        await h.until(lambda: h.clock.now() > promoted + 24 * 3600 + 120, limit=25 * 3600, what="the watch")
        gone = h.ops.decommission(
            ["T-0001"], reason="stable for 24 h", confirmation="decommission T-0001", overrides={}
        )
        await h.until(h.job_done(gone.job_id), limit=600, what="the decommission")
        assert h.tenants.get("T-0001").lifecycle is Lifecycle.DECOMMISSIONED
    finally:
        await h.stop()
    return h.path


@pytest.fixture(scope="module")
def decommissioned(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A store in which T-0001 was cut over, watched 24 h and decommissioned (made once for the module)."""
    return asyncio.run(_migrate_and_decommission(tmp_path_factory.mktemp("decommissioned")))


def env_for(path: Path, operator: str = "auditor") -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CUTOVER_")}
    return {**env, "CUTOVER_STATE__PATH": str(path), "CUTOVER_OPERATOR__NAME": operator}


def run(path: Path, *args: str):
    return CliRunner().invoke(cli, list(args), env=env_for(path))


def copy_store(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / "war-room.db"
    shutil.copy(source, target)
    return target


def tamper(path: Path) -> sqlite3.Connection:
    """A connection as someone editing the file by hand would open it, the append-only triggers dropped first."""
    db = sqlite3.connect(path)
    db.execute("DROP TRIGGER events_no_update")
    return db


@pytest.mark.slow  # over a second
def test_the_report_of_a_decommissioned_tenant_holds_its_evidence_and_ends_with_the_chain_head(
    decommissioned: Path, tmp_path: Path
) -> None:
    out = tmp_path / "T-0001.md"
    made = run(decommissioned, "report", "T-0001", "-o", str(out))
    assert made.exit_code == 0, made.output
    text = out.read_text()
    with Store(decommissioned) as store:
        chain = verify_chain(store)
        change_id = store.db.execute(
            "SELECT json_extract(detail, '$.change_id') FROM job_steps WHERE name = 'dns_change'"
        ).fetchone()[0]
    assert text.startswith("# Migration report: T-0001")
    # Gate evidence at the cutover, the checks and their figures.
    assert "flip-1, 2027-01-15 03:00:45 EST: **gate passed**" in text
    assert "| validation | pass | 5/5 passed 1h ago |" in text and "| backends | pass | 3/3 healthy |" in text
    # Checksums before (the cutover's verify) and after (the decommission's final comparison).
    assert "| flip-1 (flip) | 1280 | 0 | 0 | lag 0: 1280 objects match |" in text
    assert "| decommission-2 (decommission) | 1280 | 0 | 0 | both sides match: 1280 objects by checksum |" in text
    assert "Final comparison: 1280 objects checked, 0 differ, 0 missing on OCI." in text
    # AWS and OCI side by side, before the DNS change and after the traffic moved, and the downtime.
    before = next(line for line in text.splitlines() if line.startswith("| before the DNS change: "))
    after = next(line for line in text.splitlines() if line.startswith("| after the traffic moved: "))
    assert before.split(" | ")[1] != "0" and before.split(" | ")[4] == "0"  # AWS served it all, OCI nothing
    assert after.split(" | ")[4] != "0" and " ms |" in after
    assert "- **Downtime:** 0s: one side or the other served requests at every measurement." in text
    # DNS: the change id and its INSYNC time; the watch; the decommission with who and why.
    assert f"| flip-1 | dns\\_change | {change_id} | 129.213.0.1 (TTL 60) | 2027-01-15 03:00:45 EST |" in text
    assert "2027-01-15 03:01:40 EST | 55s |" in text
    assert "T-0001: checkpoint T+4h passed: p95" in text
    assert "by **alice** (decommission-2): stable for 24 h" in text
    assert "Left to retire on AWS: aws\\_bucket t-0001-data-aws, aws\\_target 52.1.0.1." in text
    # Every action, with who and why; then the chain's head at the end.
    assert "| alice@jump-1 | flip of T-0001 submitted | night 3: wave 1 |" in text
    assert "| alice@jump-1 | migrated -> decommissioned | stable for 24 h |" in text.replace("-\\>", "->")
    assert f"event **{chain.head_seq}**, hash `{chain.head_hash}`" in text
    assert text.rstrip().endswith("-----END CUTOVER AUDIT SEAL-----\n```")
    assert f"wrote T-0001's report (audit head: event {chain.head_seq}) to {out}" in made.output

    html = run(decommissioned, "report", "t-0001", "--format", "html")
    assert html.exit_code == 0, html.output
    assert html.output.startswith("<!DOCTYPE html>") and "<h1>Migration report: T-0001</h1>" in html.output
    assert f"<td>{change_id}</td>" in html.output and "<td>5/5 passed 1h ago</td>" in html.output
    assert f"hash <code>{chain.head_hash}</code>" in html.output


@pytest.mark.slow  # uses the module's decommissioned tenant (24 h of engine time to build)
def test_audit_verify_proves_a_report_and_names_the_event_changed_after_an_update(
    decommissioned: Path, tmp_path: Path
) -> None:
    path = copy_store(decommissioned, tmp_path)
    for fmt in ("md", "html"):
        report = tmp_path / f"T-0001.{fmt}"
        assert run(path, "report", "T-0001", "-o", str(report)).exit_code == 0
        good = run(path, "audit", "verify", "--report", str(report))
        assert good.exit_code == 0, good.output
        assert f"{report}: matches the store: " in good.output and "events of T-0001 up to event" in good.output
    with tamper(path) as db:
        (seq,) = db.execute(
            "SELECT seq FROM events WHERE kind = 'transition' AND state_after = 'decommissioned'"
        ).fetchone()
        db.execute("UPDATE events SET why = 'customer asked' WHERE seq = ?", [seq])
    bad = run(path, "audit", "verify", "--report", str(tmp_path / "T-0001.md"))
    assert bad.exit_code == 1, bad.output
    assert "DOES NOT MATCH THE STORE" in bad.output
    assert f"the audit trail is broken at event {seq}: event {seq} was edited" in bad.output
    assert f"event {seq} (transition: migrated -> decommissioned) differs from the report" in bad.output
    assert "the digest of T-0001's" in bad.output and "Traceback" not in bad.output


@pytest.mark.slow  # uses the module's decommissioned tenant (24 h of engine time to build)
def test_audit_verify_names_a_rewritten_chain_and_refuses_a_file_that_is_no_report(
    decommissioned: Path, tmp_path: Path
) -> None:
    from cutover.state.chain import GENESIS, event_hash

    path = copy_store(decommissioned, tmp_path)
    report = tmp_path / "T-0001.md"
    assert run(path, "report", "T-0001", "-o", str(report)).exit_code == 0
    # A forger edits a row and rehashes the whole chain: the chain walks clean, the report's head does not match.
    with tamper(path) as db:
        db.row_factory = sqlite3.Row
        db.execute("UPDATE events SET operator = 'mallory' WHERE kind = 'decommission.retire'")
        prev = GENESIS
        for row in db.execute("SELECT * FROM events ORDER BY seq").fetchall():
            values = {**dict(row), "prev_hash": prev}
            values["hash"] = prev = event_hash({**values, "detail": row["detail"]})
            db.execute(
                "UPDATE events SET prev_hash = ?, hash = ? WHERE seq = ?", [values["prev_hash"], prev, row["seq"]]
            )
        db.execute("UPDATE chain_head SET hash = ?", [prev])
    forged = run(path, "audit", "verify", "--report", str(report))
    assert forged.exit_code == 1, forged.output
    assert "the trail was rewritten since the report was made" in forged.output
    assert "(decommission.retire: T-0001: decommissioned;" in forged.output

    notes = tmp_path / "notes.md"
    notes.write_text("# my notes\n")
    refused = run(path, "audit", "verify", "--report", str(notes))
    assert refused.exit_code == 2 and f"{notes}: no audit seal found" in refused.output
    assert "Traceback" not in refused.output
    missing = run(path, "audit", "verify", "--report", str(tmp_path / "nowhere.md"))
    assert missing.exit_code == 2 and "nowhere.md" in missing.output


@pytest.mark.slow  # uses the module's decommissioned tenant (24 h of engine time to build)
def test_bad_input_exits_2_naming_what_is_wrong(decommissioned: Path, tmp_path: Path) -> None:
    unknown = run(decommissioned, "report", "T-9999")
    assert unknown.exit_code == 2 and "T-9999" in unknown.output and "Traceback" not in unknown.output
    folder = run(decommissioned, "report", "T-0001", "-o", str(tmp_path / "no" / "such" / "r.md"))
    assert folder.exit_code == 2 and "does not exist; nothing was written" in folder.output
    date = run(decommissioned, "report", "night", "14/01/2027")
    assert date.exit_code == 2 and "'14/01/2027' is not a date: write the night's date as YYYY-MM-DD" in date.output
    stray = run(decommissioned, "report", "T-0001", "2027-01-14")
    assert stray.exit_code == 2 and "a DATE goes with `cutover report night DATE`" in stray.output


def test_html_escapes_a_tenant_named_with_a_script(tmp_path: Path) -> None:
    path = tmp_path / "war-room.db"
    clock = ManualClock()
    matrix = write_fleet(tmp_path / "fleet.csv", 1)
    lines = matrix.read_text().splitlines()
    lines[0] += ",Customer"
    lines[1] += ',"<script>alert(1)</script> & Co"'
    matrix.write_text("\n".join(lines) + "\n")
    with Store(path) as store:
        tenants = TenantStore(store, EventLog(store, Actor("alice", "jump-1"), clock))
        import_runbook(tenants, matrix)
        make_ready(tenants, "T-0001", clock.now())
    html = run(path, "report", "T-0001", "--format", "html")
    assert html.exit_code == 0, html.output
    assert "<script>" not in html.output
    assert "(&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co)" in html.output
    md = run(path, "report", "T-0001")
    assert "(\\<script>alert(1)\\</script> & Co)" in md.output
    assert md.output.count("<script>") == md.output.count("\\<script>")  # Markdown shows it, never runs it
    report = tmp_path / "T-0001.html"
    report.write_text(html.output)
    assert run(path, "audit", "verify", "--report", str(report)).exit_code == 0


@pytest.mark.slow  # over a second
@pytest.mark.asyncio
async def test_the_report_of_a_night_with_a_rollback_and_a_held_batch(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=10)
    await h.start()
    try:
        inject(
            h,
            tmp_path,
            '[[fault]]\nkind = "error_spike"\ntenants = ["T-0002"]\nafter_cutover = "2m"\nerror_rate = 0.2\n',
        )
        plan = h.ops.plan(PlanRequest.batch([f"T-{n:04d}" for n in range(1, 11)], count=10, group_size=5))
        job_id = h.ops.submit(plan, reason="night 3", confirmation=plan.confirm_phrase).job_id
        await h.until(lambda: h.jobs.get(job_id).state is JobState.HELD, what="the line stopping")
        bob = Actor("bob", "jump-2")
        as_bob = dataclasses.replace(h.session, actor=bob, events=EventLog(h.store, bob, h.clock))
        Operations(as_bob, providers=h.providers, on_submit=h.engine.wake).resume(
            job_id, reason="T-0002 was undersized; the rest are fine"
        )
        await h.until(h.job_done(job_id), what="the batch ending")
    finally:
        await h.stop()
    night = run(h.path, "report", "night", "2027-01-14")
    assert night.exit_code == 0, night.output
    text = night.output
    assert text.startswith("# Migration night of 2027-01-14")
    assert "From 2027-01-14 12:00:00 EST to 2027-01-15 12:00:00 EST." in text
    assert "- **Tenants moved:** 9" in text
    # Traffic came back on AWS 4m after the decision (DNS in sync in 1m 05s, the reverse sync before the DNS
    # change included): the 3-minute target missed.
    assert "- **Rollbacks:** 1 (0 back on AWS within the 3m target)\n- **Holds:** 1\n" in text
    (rollback,) = [line for line in text.splitlines() if line.startswith("| T-0002 |")]
    assert "| trigger:error-rate-immediate | trigger error-rate-immediate: 14.29 %" in rollback
    # Traffic back is seen by the next metrics poll (every 5 s in flight); where that poll falls depends on the
    # whole-fleet polls' staggered start, so the recovery reads 4m or one poll later.
    assert re.search(r"\| 1m 05s \| 4m( 05s)? \| MISSED \|$", rollback), rollback
    (hold,) = [line for line in text.splitlines() if line.startswith(f"| {job_id} | 2027-01-15")]
    assert "stop the line before group 2: T-0002 taken over by a rollback" in hold and "| resumed | bob |" in hold
    assert "| bob | jump-2 |" in text and "| alice | jump-1 |" in text
    html = run(h.path, "report", "night", "2027-01-14", "--format", "html")
    assert html.exit_code == 0 and "<td>resumed</td><td>bob</td>" in html.output
    other = run(h.path, "report", "night", "2027-01-10")
    assert other.exit_code == 0 and "- **Tenants moved:** 0" in other.output
