from __future__ import annotations

from cutover.state.sources import SourceStore
from cutover.state.store import Store


def test_a_source_goes_stale_after_two_intervals_and_counts_its_errors(store: Store) -> None:
    sources = SourceStore(store)
    sources.ok("cloudwatch", "metrics", 10.0, at=100.0)
    assert not sources.get("cloudwatch").is_stale(now=120.0)
    assert sources.get("cloudwatch").is_stale(now=120.5)
    sources.error("cloudwatch", "metrics", 10.0, at=110.0, message="Throttling")
    health = sources.error("cloudwatch", "metrics", 10.0, at=120.0, message="Throttling")
    assert health.consecutive_errors == 2 and health.last_ok_at == 100.0 and health.last_error == "Throttling"
    sources.ok("cloudwatch", "metrics", 10.0, at=130.0)
    assert sources.get("cloudwatch").consecutive_errors == 0
    assert [s.name for s in sources.all()] == ["cloudwatch"]
