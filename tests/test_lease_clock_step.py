"""A wall clock set back just after a leader dies does not delay the takeover by the step."""

from __future__ import annotations

from pathlib import Path

from cutover.state.leases import LeaseStore
from cutover.state.store import Store

TTL = 15.0
STEP_BACK = 137.0


class Clocks:
    """One machine's wall clock (which an operator or NTP can set back) and its monotonic clock."""

    def __init__(self) -> None:
        self.wall_now, self.mono_now = 1_800_000_000.0, 5_000.0

    def wall(self) -> float:
        return self.wall_now

    def monotonic(self) -> float:
        return self.mono_now

    def advance(self, seconds: float) -> None:
        self.wall_now += seconds
        self.mono_now += seconds


def test_a_dead_leader_is_replaced_after_the_ttl_even_when_the_wall_clock_went_back(tmp_path: Path) -> None:
    clocks = Clocks()
    with Store(tmp_path / "cutover.db") as store:
        leader = LeaseStore(store, clocks.wall, clocks.monotonic)
        standby = LeaseStore(store, clocks.wall, clocks.monotonic)
        ours, _ = leader.acquire("engine-a", {"pid": 1}, TTL)
        assert ours is not None and ours.epoch == 1
        # engine-a dies; the wall clock is set back 137 s; engine-b keeps asking every 4 s.
        clocks.wall_now -= STEP_BACK
        waited = 0.0
        while True:
            taken, holder = standby.acquire("engine-b", {"pid": 2}, TTL)
            if taken is not None:
                break
            assert holder is not None and holder.holder == "engine-a"
            clocks.advance(4.0)
            waited += 4.0
            assert waited < 60, "the takeover waits for the clock step"
        assert taken.holder == "engine-b" and taken.epoch == 2
        assert TTL <= waited <= TTL + 4.0
        assert leader.heartbeat("engine-a", 1, TTL) is None, "the old leader's epoch is over"


def test_a_live_leader_is_not_taken_over_when_the_wall_clock_went_back(tmp_path: Path) -> None:
    clocks = Clocks()
    with Store(tmp_path / "cutover.db") as store:
        leader = LeaseStore(store, clocks.wall, clocks.monotonic)
        standby = LeaseStore(store, clocks.wall, clocks.monotonic)
        assert leader.acquire("engine-a", {"pid": 1}, TTL)[0] is not None
        clocks.wall_now -= STEP_BACK
        for _ in range(30):  # two minutes of a leader renewing every 4 s
            assert standby.acquire("engine-b", {"pid": 2}, TTL)[0] is None
            clocks.advance(4.0)
            assert leader.heartbeat("engine-a", 1, TTL) is not None
        assert store.db.execute("SELECT holder, epoch FROM leases").fetchone() == ("engine-a", 1)


def test_a_dead_overlapping_war_room_keeps_another_out_no_longer_than_the_ttl_when_the_clock_went_back(
    tmp_path: Path,
) -> None:
    """Another war room's engine whose part overlaps dies, and the wall clock is set back: its lease's expiry now
    lies ahead on the wall clock, but its heartbeat stopped: this war room's engine leads after a TTL, as a
    standby of the same war room would take over."""
    from cutover.config.war_room import WarRoom

    clocks = Clocks()
    early, emea = WarRoom("early", waves=frozenset({1})), WarRoom("emea", frozenset({"eu-west-1"}))
    with Store(tmp_path / "cutover.db") as store:
        theirs = LeaseStore(store, clocks.wall, clocks.monotonic, name=early.lease)
        ours = LeaseStore(store, clocks.wall, clocks.monotonic, name=emea.lease)
        assert theirs.acquire("engine-early", {"war_room": early.to_json()}, TTL)[0] is not None
        clocks.wall_now -= STEP_BACK

        def overlapping(other) -> bool:
            return emea.overlaps(WarRoom.from_json(other.holder_info.get("war_room")))

        waited = 0.0
        while True:
            taken, holder = ours.acquire("engine-emea", {"war_room": emea.to_json()}, TTL, conflicts=overlapping)
            if taken is not None:
                break
            assert holder is not None and holder.name == "engine:early"
            clocks.advance(4.0)
            waited += 4.0
            assert waited < 60, "the overlapping war room's dead lease keeps this one out for the clock step"
        assert taken.name == "engine:emea" and TTL <= waited <= TTL + 4.0
