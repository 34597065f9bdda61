"""SIGTERM during `cutover flip` on the real providers: a clean stop, no library noise on stderr."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cutover.lab.world import Lab

from .test_engine_stalled_lab import ready_lab

ROOT = Path(__file__).parent.parent.parent


@pytest.fixture
def lab(tmp_path: Path) -> Iterator[Lab]:
    with Lab.start(tmp_path / "lab", tenants=2, objects=1, feed_every=5, hydrate_seconds=0.2) as started:
        yield started


def test_sigterm_during_a_flip_closes_every_client_session(lab: Lab, tmp_path: Path) -> None:
    env = ready_lab(lab) | {"PYTHONPATH": str(ROOT)}
    flip = subprocess.Popen(
        [sys.executable, "-m", "cutover", "flip", "T-0001", "--yes", "--reason", "sigterm test"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    try:
        deadline = time.monotonic() + 60
        seen = ""
        # The engine runs the job once the flip says so; by then it has polled DNS, metrics, sync and health.
        while "flip-1: running" not in seen and time.monotonic() < deadline:
            line = flip.stdout.readline() if flip.stdout else ""
            if not line and flip.poll() is not None:
                break
            seen += line
        assert "flip-1: running" in seen, seen + (flip.stderr.read() if flip.stderr else "")
        time.sleep(2)
        flip.send_signal(signal.SIGTERM)
        _, stderr = flip.communicate(timeout=60)
    finally:
        if flip.poll() is None:
            flip.kill()
    assert flip.returncode == 1 and "interrupted: flip-1 is not cancelled" in stderr
    assert "Unclosed" not in stderr and "Traceback" not in stderr, stderr
