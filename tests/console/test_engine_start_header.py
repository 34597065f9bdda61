"""The first frames never say NO ENGINE LEADS while this console is about to lead; an observer has no marks."""

from __future__ import annotations

import threading

import pytest
from engine_helpers import Harness
from pilot_helpers import screen_lines, until

from cutover.console.app import CutoverApp
from cutover.console.widgets.fleet_table import FleetTable

pytestmark = pytest.mark.asyncio

SIZES = [(120, 35), (80, 24)]


def header(app) -> str:
    return str(app.screen.query_one("#header").render())


@pytest.mark.slow  # over a second
@pytest.mark.parametrize("size", SIZES)
async def test_the_header_says_starting_engine_until_the_lease_is_decided(tmp_path, size) -> None:
    h = Harness(tmp_path, ready=4)
    built = threading.Event()

    def factory():
        built.wait(20)  # the engine is slow to build: the providers import, the lease is not asked yet
        return h.engine

    app = CutoverApp(h.session, engine_factory=factory)
    try:
        async with app.run_test(size=size) as pilot:
            await app.refresh_now()
            await pilot.pause()
            assert "starting engine…" in header(app)
            assert "NO ENGINE LEADS" not in "\n".join(screen_lines(app))
            built.set()
            await until(pilot, lambda: "leader" in header(app))
            assert "NO ENGINE LEADS" not in header(app) and "starting engine" not in header(app)
    finally:
        built.set()
        app.shutdown_engine()


@pytest.mark.parametrize("size", SIZES)
async def test_an_observer_has_no_marks_to_make(make_app, size) -> None:
    app = make_app(read_only=True)
    async with app.run_test(size=size) as pilot:
        await app.refresh_now()
        await pilot.pause()
        table = app.screen.query_one(FleetTable)
        await pilot.press("space", "space")
        assert table.marked == frozenset()
        assert "Mark" not in screen_lines(app)[-1]
        assert "marked" not in header(app)


@pytest.mark.slow  # engines leading a store
@pytest.mark.parametrize("size", SIZES)
async def test_the_header_says_which_war_room_leads_when_an_overlapping_one_keeps_this_one_out(tmp_path, size) -> None:
    """A console of the whole fleet started while a named war room leads a part of it: its engine cannot lead
    (two war rooms would change one tenant), and the header says who keeps it out, not only NO ENGINE LEADS."""
    from cutover.actions.engine.engine import Engine
    from cutover.actions.wiring.session import Session
    from cutover.config.loader import LoadedConfig
    from cutover.config.settings import EngineSettings, Settings
    from cutover.state.events import EventLog
    from cutover.state.identity import Actor
    from cutover.state.tenants import TenantStore

    engine_settings = EngineSettings(lease_ttl=15.0, heartbeat=0.2)
    h = Harness(tmp_path, ready=3, settings=Settings(engine=engine_settings, war_room={"name": "virginia"}))
    await h.start()
    whole = h.settings.model_copy(update={"war_room": Settings().war_room})
    actor = Actor("bob", "jump-2")
    events = EventLog(h.store, actor, h.clock)
    session = Session(LoadedConfig(whole, None), h.store, actor, h.clock, events, TenantStore(h.store, events))
    engine = Engine(whole, actor=actor, store=h.store, providers=h.providers, clock=h.clock)
    app = CutoverApp(session, engine=engine)
    try:
        async with app.run_test(size=size) as pilot:
            await until(pilot, lambda: "NO ENGINE LEADS" in header(app), what="the header on the refused engine")
            await until(pilot, lambda: "war room virginia" in header(app) or size[0] < 100, what="who keeps it out")
            assert not engine.leading
            assert engine.status().overlapping == "war room virginia leads an overlapping part"
    finally:
        app.shutdown_engine()
        await h.stop()
