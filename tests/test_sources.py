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


def test_a_sources_bound_adds_its_reporting_delay_and_follows_the_cadence_it_is_polled_at(store: Store) -> None:
    sources = SourceStore(store)
    sources.ok("cloudwatch", "metrics", 5.0, at=100.0, reporting_delay_s=240.0)
    assert not sources.get("cloudwatch").is_stale(now=100.0 + 250.0)  # 2 x 5 s + its 4 minutes
    assert sources.get("cloudwatch").is_stale(now=100.0 + 250.5)
    sources.expect("cloudwatch", 65.0)  # nothing in flight: polled with the whole fleet from now on
    assert not sources.get("cloudwatch").is_stale(now=100.0 + 370.0)


def test_a_quiet_notifier_is_never_stale_only_a_failing_one(store: Store) -> None:
    sources = SourceStore(store)
    sources.ok("slack", "notifier", 5.0, at=100.0)
    assert not sources.get("slack").is_stale(now=100.0 + 6 * 3600)  # nothing to say for six hours
    sources.error("slack", "notifier", 5.0, at=200.0, message="HTTP 503")
    assert sources.get("slack").is_stale(now=201.0) and sources.get("slack").failing
    sources.ok("slack", "notifier", 5.0, at=230.0)
    assert not sources.get("slack").is_stale(now=5000.0)
