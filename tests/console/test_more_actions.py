"""Sync (start, final, verify), validate and approve from a key and from the palette, through the same
confirmations, reasons and refusals as `cutover sync|validate|approve`; a chosen job's controls from the palette."""

from __future__ import annotations

import pytest
from pilot_helpers import screen_lines, until

from cutover.actions.plan.plans import PlanRequest
from cutover.console.screens.confirm import ConfirmMany, ConfirmOne
from cutover.console.screens.jobs import JobsScreen
from cutover.console.screens.main import MainScreen
from cutover.model.jobs import JobState
from cutover.model.lifecycle import Lifecycle
from cutover.state.facts import APPROVAL
from cutover.state.jobs import JobStore

pytestmark = pytest.mark.asyncio

SIZES = [(120, 35), (80, 24)]


def ids(session, state: Lifecycle) -> list[str]:
    return [t.tenant_id for t in session.tenants.find(lifecycle=state)]


def notified(app, text: str) -> bool:
    return any(text in n.message or text in (n.title or "") for n in app._notifications)


async def on_tenant(app, pilot, tenant_id: str) -> None:
    await app.refresh_now()
    await pilot.pause()
    app.screen.go_to_tenant(tenant_id)
    await pilot.pause()


async def palette(pilot, app, name: str) -> None:
    await pilot.press("ctrl+p")
    await pilot.pause()
    await pilot.press(*name, "enter")


@pytest.mark.slow  # over a second
@pytest.mark.parametrize("size", SIZES)
async def test_y_starts_a_pending_tenants_sync_with_a_reason_and_refuses_one_already_syncing(
    make_app, writer, size
) -> None:
    pending, syncing = ids(writer, Lifecycle.PENDING)[0], ids(writer, Lifecycle.SYNCING)[0]
    app = make_app()
    async with app.run_test(size=size) as pilot:
        await on_tenant(app, pilot, syncing)
        await pilot.press("y")
        await until(pilot, lambda: notified(app, f"{syncing} is syncing: its sync already started"))
        assert isinstance(app.screen, MainScreen)  # refused before any dialog: nothing to confirm
        assert not JobStore(writer.store, writer.events).find(kind="sync")

        await on_tenant(app, pilot, pending)
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
        assert app.screen.targets.action == "start sync" and app.screen.targets.eligible == (pending,)
        assert "continuous sync" in "\n".join(screen_lines(app))
        # A reason is required, as the CLI's --reason: Tab to the action with none says so and does nothing.
        await pilot.press("tab", "enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmOne)
        assert any("give a reason" in li for li in screen_lines(app))
        await pilot.press(*"new tenant onboarding", "tab", "tab", "enter")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await until(pilot, lambda: bool(JobStore(writer.store, writer.events).find(kind="sync")))
        job = JobStore(writer.store, writer.events).find(kind="sync")[0]
        assert job.params["mode"] == "start" and job.reason == "new tenant onboarding"
        assert [t.tenant_id for t in JobStore(writer.store, writer.events).targets(job.job_id)] == [pending]


@pytest.mark.slow  # over a second
async def test_final_sync_verify_and_validate_from_the_palette_set_aside_the_tenants_that_cannot(
    make_app, writer
) -> None:
    validating = ids(writer, Lifecycle.VALIDATING)[:2]
    pending = ids(writer, Lifecycle.PENDING)[0]
    app = make_app()
    async with app.run_test(size=(120, 35)) as pilot:
        await app.refresh_now()
        await pilot.pause()
        table = app.screen.table
        table.set_marks({*validating, pending})
        await palette(pilot, app, "Validate")
        await until(pilot, lambda: isinstance(app.screen, ConfirmMany))
        targets = app.screen.targets
        assert set(targets.eligible) == set(validating)
        assert targets.excluded == ((pending, "pending, must be validating or ready"),)
        await pilot.press(*"suite after the fix", "enter", "2", "enter")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await until(pilot, lambda: bool(JobStore(writer.store, writer.events).find(kind="validate")))
        job = JobStore(writer.store, writer.events).find(kind="validate")[0]
        assert {t.tenant_id for t in JobStore(writer.store, writer.events).targets(job.job_id)} == set(validating)
        assert table.marked == {pending}  # the validated are done with; the one set aside stays marked

        # A final sync wants a tenant validating or ready: a pending one is refused, with why, before any dialog.
        table.set_marks(set())
        app.screen.go_to_tenant(pending)
        await palette(pilot, app, "Sync: final")
        await until(pilot, lambda: notified(app, f"{pending} is pending, must be validating or ready"))
        assert isinstance(app.screen, MainScreen)
        assert not JobStore(writer.store, writer.events).find(kind="sync")


@pytest.mark.slow  # over a second
@pytest.mark.parametrize("size", SIZES)
async def test_approve_records_a_second_operators_approval_and_refuses_self_approval_naming_the_rule(
    make_app, writer, size
) -> None:
    ready = ids(writer, Lifecycle.READY)
    app = make_app()
    operator = app.session.actor.operator
    async with app.run_test(size=size) as pilot:
        await on_tenant(app, pilot, ready[0])
        await pilot.press("o")
        await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
        assert f"Records {operator}'s approval" in app.screen.targets.detail
        await pilot.press(*"CAB-1234 signed", "tab", "tab", "enter")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await until(pilot, lambda: bool(writer.events.find(kinds=(APPROVAL,))))
        approval = writer.events.find(kinds=(APPROVAL,))[0]
        assert approval.tenant_id == ready[0] and approval.why == "CAB-1234 signed"

        # The operator's own cutover of a tenant: approving it too would be self-approval.
        job = app.operations.submit(app.operations.plan(PlanRequest.flip([ready[1]])), reason="pilot")
        await on_tenant(app, pilot, ready[1])
        await pilot.press("o")
        await until(pilot, lambda: notified(app, "enterprise-approval"))
        assert notified(app, f"is in {job.job_id}, a flip {operator} submitted") and isinstance(app.screen, MainScreen)
        assert len(writer.events.find(kinds=(APPROVAL,))) == 1


@pytest.mark.slow  # over a second
async def test_palette_job_controls_act_on_the_newest_job_they_apply_to_or_open_the_jobs_screen(
    make_app, writer
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.refresh_now()
        await palette(pilot, app, "Skip ramp stage")
        await until(pilot, lambda: isinstance(app.screen, JobsScreen))  # no ramp: the night's jobs instead
        assert notified(app, "no running ramp whose stage to skip")
        await pilot.press("escape")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))

        ready = ids(writer, Lifecycle.READY)[0]
        job = app.operations.submit(app.operations.plan(PlanRequest.flip([ready])), reason="pilot")
        await palette(pilot, app, "Pause job")
        await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
        assert app.screen.targets.action == "pause" and app.screen.targets.eligible == (job.job_id,)
        await pilot.press("tab", "enter")
        await until(pilot, lambda: isinstance(app.screen, MainScreen))
        await until(pilot, lambda: JobStore(writer.store, writer.events).get(job.job_id).control == "pause")
        assert JobStore(writer.store, writer.events).get(job.job_id).state is not JobState.ABORTED


@pytest.mark.slow  # over a second
@pytest.mark.parametrize("typed", ["resume", "abort", "approve", "jobs", "sync", "validate", "roll back every"])
async def test_the_palette_finds_what_the_issue_found_missing(make_app, typed) -> None:
    expected = {
        "resume": "Resume job…",
        "abort": "Abort job…",
        "approve": "Approve",
        "jobs": "Jobs",
        "sync": "Sync: final",
        "validate": "Validate",
        "roll back every": "Roll back everything in flight",
    }[typed]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.refresh_now()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*typed)
        await until(pilot, lambda: expected in "\n".join(screen_lines(app)))
        assert "No matches found" not in "\n".join(screen_lines(app))


@pytest.mark.slow  # over a second
async def test_skip_and_abort_from_the_palette_act_on_the_newest_ramp_and_job(make_app, writer) -> None:
    app = make_app()
    ready = [tid for tid in ids(writer, Lifecycle.READY) if writer.tenants.get(tid).tier == "standard"]
    async with app.run_test(size=(120, 35)) as pilot:
        await app.refresh_now()
        ramp = app.operations.submit(app.operations.plan(PlanRequest.ramp([ready[0]])), reason="slow start")
        flip = app.operations.submit(app.operations.plan(PlanRequest.flip([ready[1]])), reason="pilot")
        await palette(pilot, app, "Skip ramp stage")  # queued, no stage yet: nothing to skip
        await until(pilot, lambda: notified(app, "no running ramp whose stage to skip"))
        await pilot.press("escape")
        JobStore(writer.store, writer.events).claim(ramp.job_id, "engine-a")  # an engine runs it now
        await palette(pilot, app, "Skip ramp stage")
        await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
        assert app.screen.targets.eligible == (ramp.job_id,)  # the ramp, though the flip is newer
        await pilot.press(*"stage looks good", "enter", "tab", "enter")
        await until(pilot, lambda: JobStore(writer.store, writer.events).get(ramp.job_id).control == "skip")
        await palette(pilot, app, "Abort job")
        await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
        assert app.screen.targets.eligible == (flip.job_id,)  # the newest job not ended
        await pilot.press("escape")
        await until(pilot, lambda: notified(app, "abort: cancelled, nothing done"))
        assert JobStore(writer.store, writer.events).get(flip.job_id).control != "abort"


async def test_keys_in_the_detail_act_on_its_tenant(make_app, writer) -> None:
    from cutover.console.screens.detail import TenantDetailScreen

    pending = ids(writer, Lifecycle.PENDING)[1]
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await on_tenant(app, pilot, pending)
        await pilot.press("enter")
        await until(pilot, lambda: isinstance(app.screen, TenantDetailScreen))
        await pilot.press("y")
        await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
        assert app.screen.targets.eligible == (pending,) and app.screen.targets.action == "start sync"
