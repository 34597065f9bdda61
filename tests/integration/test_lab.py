"""`cutover lab`'s world: every real provider, built by the composition root from the lab's configuration."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cutover.actions.plan.importing import import_matrix
from cutover.actions.wiring.composition import build_providers
from cutover.actions.wiring.lab_setup import prepare_ready
from cutover.config.loader import load_config
from cutover.lab.world import Lab
from cutover.model.clock import SystemClock
from cutover.model.lifecycle import Lifecycle
from cutover.providers.ports.health import BackendStatus
from cutover.providers.ports.notify import Notification
from cutover.state.events import EventLog
from cutover.state.store import Store
from cutover.state.tenants import TenantStore

# Real servers on 127.0.0.1 (or processes): `make test-fast` leaves these out.
pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, moto) -> Iterator[Lab]:
    with Lab.start(tmp_path / "lab", tenants=4, objects=2, feed_every=3600, hydrate_seconds=0.2) as started:
        for name, value in started.environment().items():
            monkeypatch.setenv(name, value)
        yield started


async def test_the_lab_runs_every_real_provider(lab: Lab, actor) -> None:
    loaded = load_config(lab.config_path)
    settings = loaded.settings
    assert {getattr(settings.providers, r).kind for r in ("dns", "metrics", "sync", "health", "notifier")} == {
        "route53",
        "cloud",
        "rclone",
        "oci_lb",
        "slack",
    }
    with Store(settings.state.path) as store:
        clock = SystemClock()
        tenants = TenantStore(store, EventLog(store, actor, clock))
        import_matrix(tenants, lab.matrix_path)
        fleet = tenants.find()
        providers = build_providers(settings, store, clock, actor=actor).providers
        try:
            records = await providers.dns.read_routing(fleet)
            assert records["T-0001"].routing.target == fleet[0].aws_target
            snapshot = await providers.metrics.snapshot(fleet)
            assert snapshot.errors == ()
            assert snapshot.tenant("T-0001").aws.requests == 1200 and snapshot.tenant("T-0001").oci is None
            health = await providers.health.backends(fleet)
            assert health["T-0004"].status == BackendStatus.OK and health["T-0004"].total == 3
            result = await providers.health.validate(fleet[0])
            assert result.all_passed, [c.evidence for c in result.checks if not c.passed]
            verification = await providers.sync.verify(fleet[0])
            assert verification.missing_on_dst == 2  # nothing copied yet
            await providers.notifier.post(Notification("lab is up"))
            assert lab.slack.posts[-1]["text"].endswith("lab is up")

            prepared = await prepare_ready(providers, tenants, fleet[:2], clock)
            assert prepared == ["T-0001", "T-0002"]
            ready = tenants.get("T-0002")
            assert ready.lifecycle is Lifecycle.READY and ready.sync_lag_s == 0 and ready.validation_passed == 5
            assert ready.backends_healthy == 3 and ready.hydrated_at is not None
            assert len(lab.oci.world.buckets[lab.tenants[1].oci_bucket]) == 2  # rclone really copied

            lab.oci.inject("list_load_balancer_healths", 503)
            await providers.health.backends(fleet[:1])
            retries = [e for e in EventLog(store, actor, clock).find() if e.kind == "provider.retry"]
            assert retries and "ListLoadBalancerHealths" in retries[-1].what
            assert "signature" not in retries[-1].why.lower()
        finally:
            await providers.aclose()
