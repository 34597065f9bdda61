"""SIGTERM during `cutover flip` on the real providers: a clean stop, no library noise on stderr."""

from __future__ import annotations

import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from process_helpers import Running, query, wait_for

from cutover.config.loader import load_config
from cutover.lab.world import Lab

from .test_engine_stalled_lab import ready_lab

# Real servers on 127.0.0.1 (or processes): `make test-fast` leaves these out.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).parent.parent.parent


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with Lab.start(tmp_path / "lab", tenants=2, objects=1, feed_every=5, hydrate_seconds=0.2) as started:
        yield started


def test_sigterm_during_a_flip_closes_every_client_session(lab: Lab, tmp_path: Path) -> None:
    env = ready_lab(lab) | {"PYTHONPATH": str(ROOT)}
    state = load_config(lab.config_path).settings.state.path
    flip = Running(env, "flip", "T-0001", "--yes", "--reason", "sigterm test", cwd=tmp_path)
    try:
        # The engine runs the job once the flip says so; by then it has polled DNS, metrics, sync and health.
        flip.wait_for_line("flip-1: running", timeout=60)
        # Mid-job, its clients open: the hydration over SSH done, the final sync under way.
        wait_for(
            lambda: query(state, "SELECT 1 FROM job_steps WHERE name = 'final_sync' AND started_at IS NOT NULL"),
            what="the flip's final sync starting",
        )
        code = flip.stop(signal.SIGTERM, timeout=60)
        stderr = flip.stderr()
    finally:
        flip.kill()
    assert code == 1 and "interrupted: flip-1 is not cancelled" in stderr
    assert "Unclosed" not in stderr and "Traceback" not in stderr, stderr
