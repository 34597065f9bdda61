"""A headless night stopped by SIGTERM or SIGHUP (the SSH session dropped) hands its engine lease over
at once and exits cleanly, instead of leaving the war room without a leader for a lease's TTL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from process_helpers import query, wait_for

# Real processes and signals: `make test-fast` leaves these out.
pytestmark = pytest.mark.slow


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGHUP], ids=["SIGTERM", "SIGHUP"])
def test_a_signalled_night_releases_its_lease_and_exits_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    store = tmp_path / "night.db"
    env = {key: value for key, value in os.environ.items() if not key.startswith("CUTOVER_")}
    env |= {"CUTOVER_STATE__PATH": str(store), "CUTOVER_OPERATOR__NAME": "rehearsal", "PYTHONPATH": os.getcwd()}
    # At 60 world seconds a second, an eight-hour night would run for eight minutes.
    night = subprocess.Popen(
        [sys.executable, "-m", "cutover", "demo", "--headless", "--tenants", "80", "--speed", "60", "--for", "8h"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=tmp_path,
    )
    try:
        wait_for(
            lambda: (
                store.exists()
                and bool(query(store, "SELECT 1 FROM sqlite_master WHERE name = 'leases'"))
                and bool(query(store, "SELECT 1 FROM leases WHERE name = 'engine' AND expires_at > ?", time.time()))
            ),
            what="the night's engine leading",
        )
        time.sleep(0.5)
        night.send_signal(sig)
        out, err = night.communicate(timeout=30)
    finally:
        if night.poll() is None:
            night.kill()
            night.wait()
    assert night.returncode == 0, err
    assert "stopped early by a signal: the engine handed its lease over" in out
    assert "Traceback" not in err and "Unclosed" not in err
    expires_at, info = query(store, "SELECT expires_at, holder_info FROM leases WHERE name = 'engine'")[0]
    assert expires_at <= time.time() and "released_at" in info, "another engine can lead at once"
    assert query(store, "SELECT count(*) FROM events WHERE kind = 'engine.release'")[0][0] == 1
