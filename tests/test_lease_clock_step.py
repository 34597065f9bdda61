"""A wall clock set back just after a leader dies does not delay the takeover by the step."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from cutover.state.leases import Lease, LeaseStore
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


def asked_until_taken(clocks: Clocks, ask: Callable[[], tuple], kept_out_by: str) -> tuple[Lease, float]:
    """Ask for the lease every 4 s (as a following engine does) until it is given; with how long that took. Until
    then, `kept_out_by` holds what keeps this engine out; never past a minute: the clock step would be waited out."""
    waited = 0.0
    while True:
        taken, holder = ask()
        if taken is not None:
            return taken, waited
        assert holder is not None and holder.holder == kept_out_by
        clocks.advance(4.0)
        waited += 4.0
        assert waited < 60, "the lease waits for the clock step"


def test_a_dead_leader_is_replaced_after_the_ttl_even_when_the_wall_clock_went_back(tmp_path: Path) -> None:
    clocks = Clocks()
    with Store(tmp_path / "cutover.db") as store:
        leader = LeaseStore(store, clocks.wall, clocks.monotonic)
        standby = LeaseStore(store, clocks.wall, clocks.monotonic)
        ours, _ = leader.acquire("engine-a", {"pid": 1}, TTL)
        assert ours is not None and ours.epoch == 1
        # engine-a dies; the wall clock is set back 137 s; engine-b keeps asking every 4 s.
        clocks.wall_now -= STEP_BACK
        taken, waited = asked_until_taken(
            clocks, lambda: standby.acquire("engine-b", {"pid": 2}, TTL), kept_out_by="engine-a"
        )
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

        taken, waited = asked_until_taken(
            clocks,
            lambda: ours.acquire(
                "engine-emea", {"war_room": emea.to_json()}, TTL, conflicts=lambda other: emea.overlaps(other.war_room)
            ),
            kept_out_by="engine-early",
        )
        assert taken.name == "engine:emea" and TTL <= waited <= TTL + 4.0
