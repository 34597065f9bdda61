"""The way back while a tenant is on OCI, where the operator decides on a rollback: the detail view and the
rollback dialog say what a rollback strands (as the engine last measured it), whether a reverse sync runs
first, the AWS side (its targets' health when measured, else "not measured") and how long rollback stays
possible."""

from __future__ import annotations

from dataclasses import replace

import pytest
from console_fleet import open_session
from pilot_helpers import screen_lines, until

from cutover.config.settings import RollbackSettings, Settings
from cutover.config.units import format_clock
from cutover.console.app import CutoverApp
from cutover.console.screens.confirm import ConfirmOne
from cutover.console.screens.detail import TenantDetailScreen
from cutover.console.widgets.fleet_table import FleetTable
from cutover.model.lifecycle import Lifecycle
from cutover.state.readiness import AWS_NOT_MEASURED, Readiness, ReadinessStore

pytestmark = pytest.mark.asyncio
SIZES = [(120, 35), (80, 24)]


def measured(writer, tenant_id: str, now: float, aws: tuple[int, int] | None = None) -> Readiness:
    """As the engine records it; `aws`: (healthy, total) AWS targets measured 40 s ago, else not measured."""
    since = now - 3 * 3600
    readiness = Readiness(
        tenant_id, now - 120, 42, 3_100_000, 1042, since, "the cutover's verification", "sim-rclone", "",
        AWS_NOT_MEASURED,
    )  # fmt: skip
    if aws is not None:
        readiness = replace(readiness, aws_side="", aws_healthy=aws[0], aws_total=aws[1], aws_measured_at=now - 40)
    ReadinessStore(writer.store).put(readiness)
    return readiness


async def a_migrated_tenant(app, pilot) -> str:
    await app.refresh_now()
    await pilot.pause()
    table = app.screen.query_one(FleetTable)
    return next(tid for tid in table.visible_ids if table.row(tid).lifecycle is Lifecycle.MIGRATED)


@pytest.mark.parametrize("size", SIZES)
async def test_the_detail_says_what_a_rollback_strands_and_how_long_it_stays_possible(
    make_app, writer, fleet_clock, size
) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        tenant = await a_migrated_tenant(app, pilot)
        readiness = measured(writer, tenant, fleet_clock.now())
        app.open_detail(tenant)
        await until(pilot, lambda: isinstance(app.screen, TenantDetailScreen))
        zone = app.settings.safety.window.zone
        since = format_clock(readiness.since, zone)
        await until(pilot, lambda: "a rollback now strands 42 objects" in " ".join(screen_lines(app)))
        # The lines wrap beside the sparklines: what the operator reads, piece by piece, in order.
        shown = " ".join(" ".join(screen_lines(app)).split())
        pieces = ["a rollback now strands 42 objects, 3.1MB", "since", since.split()[0], "a reverse sync runs"]
        pieces += ["AWS targets not measured", "rollback possible for 24h"]
        at = 0
        for piece in pieces:
            assert piece in shown[at:], (piece, shown)
            at = shown.index(piece, at) + len(piece)


@pytest.mark.parametrize("size", SIZES)
async def test_with_reverse_sync_off_the_rollback_dialog_states_the_exposure_and_still_confirms(
    fleet_path, fleet_clock, writer, size
) -> None:
    settings = Settings(state={"path": fleet_path}, rollback=RollbackSettings(reverse_sync="off"))
    session = open_session(fleet_path, fleet_clock, settings)
    try:
        app = CutoverApp(session)
        async with app.run_test(size=size) as pilot:
            tenant = await a_migrated_tenant(app, pilot)
            readiness = measured(writer, tenant, fleet_clock.now())
            app.screen.query_one(FleetTable).move_cursor_to(tenant)
            await pilot.press("r")
            await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
            await pilot.pause()
            since = format_clock(readiness.since, settings.safety.window.zone)
            expected = (
                f"{tenant}: a rollback now strands 42 objects, 3.1MB written on OCI since {since}; "
                "reverse sync is off: they stay on OCI"
            )
            assert expected in app.screen.targets.detail
            shown = " ".join(" ".join(screen_lines(app)).split())
            assert "a rollback now strands 42 objects" in shown and "reverse sync is off" in shown
            assert not app.screen.query_one("#confirm").disabled  # it informs; it never refuses
    finally:
        session.close()


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    ("aws", "words"),
    [
        ((3, 3), ["AWS 3/3 targets healthy (", "ago)", "rollback possible for 24h"]),
        ((1, 3), ["AWS 1/3 targets healthy (", "ago): a rollback lands on a degraded", "side", "rollback possible"]),
    ],
    ids=["healthy", "degraded"],
)
async def test_the_detail_and_the_rollback_dialog_say_whether_aws_can_take_the_traffic_back(
    make_app, writer, fleet_clock, size, aws, words
) -> None:
    app = make_app()
    async with app.run_test(size=size) as pilot:
        tenant = await a_migrated_tenant(app, pilot)
        measured(writer, tenant, fleet_clock.now(), aws=aws)
        app.open_detail(tenant)
        await until(pilot, lambda: isinstance(app.screen, TenantDetailScreen))
        await until(pilot, lambda: "targets healthy" in " ".join(screen_lines(app)))
        shown = " ".join(" ".join(screen_lines(app)).split())
        # The lines wrap beside the sparklines: piece by piece, in order, after what a rollback strands.
        at = shown.index("a rollback now strands 42 objects")
        for piece in words:
            assert piece in shown[at:], (piece, shown)
            at = shown.index(piece, at) + len(piece)
        assert "AWS targets not measured" not in shown
        assert "Way back" in shown

        await pilot.press("escape")
        await until(pilot, lambda: not isinstance(app.screen, TenantDetailScreen))
        app.screen.query_one(FleetTable).move_cursor_to(tenant)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ConfirmOne))
        await pilot.pause()
        assert f"{tenant}: AWS {aws[0]}/{aws[1]} targets healthy (" in app.screen.targets.detail
        dialog = " ".join(" ".join(screen_lines(app)).split())
        assert f"AWS {aws[0]}/{aws[1]} targets healthy" in dialog
        assert not app.screen.query_one("#confirm").disabled  # it informs; it never refuses
