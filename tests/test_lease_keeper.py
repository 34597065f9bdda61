"""The lease is renewed from a thread of its own: a loop held by a long poll (or anything else on it) does
not starve the heartbeat, and a lease that is lost anyway is an alert that says why and how late."""

from __future__ import annotations

import gc
import json
import threading
import time
from pathlib import Path

import pytest
from engine_helpers import Harness
from waiting import eventually_async

from cutover.config.settings import EngineSettings, Settings
from cutover.state.leases import LeaseStore
from cutover.state.store import Store

TTL = 1.5
HEARTBEAT = 0.3
SHORT_LEASE = Settings(engine=EngineSettings(lease_ttl=TTL, heartbeat=HEARTBEAT))


def _alerts(store: Store) -> list[tuple[str, dict]]:
    rows = store.db.execute("SELECT what, detail FROM events WHERE kind = 'alert' ORDER BY seq").fetchall()
    return [(text, json.loads(detail or "{}")) for text, detail in rows]


@pytest.mark.slow  # the loop is held for twice the lease (3 s of wall time)
@pytest.mark.asyncio
async def test_the_lease_is_renewed_while_the_engines_loop_is_blocked_longer_than_the_lease(tmp_path: Path) -> None:
    h = Harness(tmp_path, ready=3, settings=SHORT_LEASE)
    await h.start()
    try:
        epoch = LeaseStore(h.store).leader().epoch
        standby_saw: list[tuple[str | None, float]] = []  # (who took the lease, or None; heartbeat seen)
        done = threading.Event()

        def standby() -> None:
            """Another engine asking for the lease every 0.1 s, as a follower does, on its own connection."""
            with Store(h.path) as own:
                leases = LeaseStore(own)
                while not done.is_set():
                    taken, holder = leases.acquire("standby-engine", {"operator": "bob", "host": "jump-2"}, TTL)
                    standby_saw.append((taken.holder if taken else None, holder.heartbeat_at if holder else 0.0))
                    time.sleep(0.1)

        watcher = threading.Thread(target=standby)
        watcher.start()
        blocked_at = time.time()
        time.sleep(2 * TTL)  # this coroutine runs on the engine's loop: the loop is held, as by a 50,000-tenant poll
        done.set()
        watcher.join()

        assert standby_saw and all(taken is None for taken, _ in standby_saw), "another engine took the lease over"
        renewed_while_blocked = {at for _, at in standby_saw if at > blocked_at}
        assert len(renewed_while_blocked) >= 3, f"only {len(renewed_while_blocked)} renewals in {2 * TTL} s"
        lease = LeaseStore(h.store).leader()
        assert lease is not None and lease.holder == h.engine.holder and lease.epoch == epoch
        kinds = [row[0] for row in h.store.db.execute("SELECT kind FROM events WHERE kind LIKE 'engine.%'")]
        assert kinds == ["engine.lead"]
        # The engine leads on: the loop, once free, finds its lease still its own.
        await eventually_async(lambda: h.engine.leading, what="the engine still leading", timeout=5)
        assert h.engine.lost_lease == "" and not _alerts(h.store)
    finally:
        await h.stop()


@pytest.mark.slow  # waits on wall-time heartbeats
@pytest.mark.asyncio
async def test_a_lease_taken_by_another_holder_is_an_alert_saying_who_and_how_late_the_renewal_was(
    tmp_path: Path,
) -> None:
    h = Harness(tmp_path, ready=3, settings=SHORT_LEASE)
    await h.start()
    try:
        # Another holder writes itself into the lease (as one would that took over while this engine was frozen).
        with h.store.write() as db:
            db.execute(
                "UPDATE leases SET holder = 'thief', epoch = epoch + 1, holder_info = ?, expires_at = ?",
                [json.dumps({"operator": "mallory", "host": "jump-9", "pid": 99}), time.time() + 600],
            )

        await eventually_async(lambda: _alerts(h.store), what="an alert about the lost lease", timeout=10)
        text, detail = _alerts(h.store)[0]
        assert "lost the war room's lease" in text
        assert "mallory@jump-9 (pid 99) holds it now (epoch 2)" in text
        assert "its last renewal was" in text and f"the lease lasts {TTL:g} s" in text
        assert detail["severity"] == "critical" and detail["source"] == "engine"
        assert 0 <= detail["since_renewal_s"] < TTL  # the thread noticed at its very next heartbeat
        await eventually_async(
            lambda: h.engine.status().state == "following" and "mallory@jump-9" in h.engine.status().leader,
            what="the engine following the thief",
        )
        assert "holds it now" in h.engine.lost_lease
        lease = LeaseStore(h.store).current()
        assert lease is not None and lease.holder == "thief" and lease.epoch == 2  # never written over
    finally:
        await h.stop()


@pytest.mark.asyncio
async def test_once_it_leads_and_has_read_the_fleet_the_engine_freezes_what_it_loaded(tmp_path: Path) -> None:
    gc.unfreeze()
    h = Harness(tmp_path, ready=3)
    await h.start()
    try:
        await h.until(lambda: {s.role for s in h.session_sources()} >= {"metrics", "dns", "sync", "health"})
        await h.until(lambda: gc.get_freeze_count() > 0, what="the engine freezing its start-up objects")
    finally:
        await h.stop()
