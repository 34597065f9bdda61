"""X (and the palette's "Roll back everything in flight"): every tenant cutting over or monitoring back to AWS,
one DNS change set per zone, after the operator types the phrase; a real engine on the simulated fleet runs it."""

from __future__ import annotations

import pytest
from engine_helpers import Harness
from pilot_helpers import screen_lines, until

from cutover.actions.plan.plans import PlanRequest
from cutover.console.app import CutoverApp
from cutover.console.screens.main import MainScreen
from cutover.console.screens.panic import TypedPhrase
from cutover.model.jobs import JobState
from cutover.model.lifecycle import Lifecycle

pytestmark = pytest.mark.asyncio

IN_FLIGHT = ("T-0001", "T-0002", "T-0003")


def notified(app, text: str) -> bool:
    return any(text in n.message or text in (n.title or "") for n in app._notifications)


@pytest.mark.slow  # over a second
@pytest.mark.parametrize("size", [(120, 35), (80, 24)])
async def test_rolling_back_everything_in_flight_wants_the_typed_phrase_then_one_job_puts_all_on_aws(
    tmp_path, size
) -> None:
    h = Harness(tmp_path, ready=6)
    await h.start()
    app = CutoverApp(h.session, engine=h.engine)
    app._engine_started = True
    try:
        async with app.run_test(size=size) as pilot:
            for tenant_id in IN_FLIGHT:
                h.ops.submit(h.ops.plan(PlanRequest.flip([tenant_id])), reason="pilot")
            await h.until(
                lambda: all(h.session.tenants.get(t).lifecycle is Lifecycle.MONITORING for t in IN_FLIGHT),
                what="three tenants monitoring",
            )
            await app.refresh_now()
            await pilot.press("X")
            await until(pilot, lambda: isinstance(app.screen, TypedPhrase))
            dialog = app.screen
            assert set(dialog.targets.eligible) == set(IN_FLIGHT) and dialog.phrase == "rollback 3"
            shown = "\n".join(screen_lines(app))
            assert "ROLL BACK EVERYTHING IN FLIGHT: 3 tenants to AWS" in shown
            assert "Type rollback 3 and press Enter" in shown
            # Two hosted zones: two change sets, each applied together.
            assert "DNS zone Z1ZONEA: one change set (2 records, applied together)" in dialog.targets.detail
            assert dialog.targets.detail.count("one change set (") == 2
            assert "takes rollbacks to 3, the limit is 2" in dialog.targets.detail
            assert dialog.reason == "rollback from the console"  # prefilled: nothing to type but the phrase

            # A wrong phrase does nothing and says so.
            await pilot.press(*"rollback 2", "enter")
            await until(pilot, lambda: "'rollback 2' is not 'rollback 3'" in "\n".join(screen_lines(app)))
            assert isinstance(app.screen, TypedPhrase) and not h.jobs.find(kind="rollback")

            await pilot.press(*"rollback 3", "enter")
            await until(pilot, lambda: isinstance(app.screen, MainScreen))
            await until(pilot, lambda: notified(app, "3 tenants back to AWS, 2 change sets (one per zone)"))
            (job,) = h.jobs.find(kind="rollback")
            assert {t.tenant_id for t in h.jobs.targets(job.job_id)} == set(IN_FLIGHT)
            assert job.reason == "rollback from the console"
            await h.until(h.job_done(job.job_id), what="the rollback")
            assert h.jobs.get(job.job_id).state is JobState.SUCCEEDED
            assert all(h.session.tenants.get(t).lifecycle is Lifecycle.ROLLED_BACK for t in IN_FLIGHT)
            assert h.session.tenants.get("T-0004").lifecycle is Lifecycle.READY  # not in flight: untouched
    finally:
        await h.stop()


@pytest.mark.slow  # over a second
async def test_with_nothing_in_flight_the_palette_entry_says_so_and_opens_nothing(tmp_path) -> None:
    h = Harness(tmp_path, ready=3)
    app = CutoverApp(h.session)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.refresh_now()
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"Roll back everything", "enter")
        await until(
            pilot, lambda: notified(app, "no tenant is in flight (cutting over or monitoring): nothing to roll back")
        )
        assert isinstance(app.screen, MainScreen) and not h.jobs.find(kind="rollback")
