"""`cutover demo --headless --for DURATION --batch SPEC --scenario FILE`: a whole night rehearsed from a shell."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from engine_helpers import Ran, cutover

SCENARIO = """
name = "one bad tenant"
[[fault]]
kind = "error_spike"
state = "ready"
count = 1
after_cutover = "2m"
duration = "1h"
error_rate = 0.05
"""


def demo(tmp_path: Path, *args: str) -> Ran:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CUTOVER_")}
    env |= {"CUTOVER_STATE__PATH": str(tmp_path / "night.db"), "CUTOVER_OPERATOR__NAME": "rehearsal"}
    return cutover(env, "demo", "--headless", "--tenants", "150", *args, cwd=tmp_path)


@pytest.mark.slow  # over a second
def test_a_night_with_a_batch_and_a_bad_tenant_runs_in_seconds_and_says_what_happened(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text(SCENARIO)
    night = demo(tmp_path, "--scenario", "bad.toml", "--batch", "wave=1,group=2", "--for", "90m")
    assert night.returncode == 0, night.stderr
    out = night.stdout
    # At once: the world opens at 02:05, inside the window (it runs a moment before the night starts).
    assert re.search(r"^02:0[5-9]:\d\d batch-1 submitted: 4 tenants in 2 groups$", out, re.MULTILINE), out
    assert re.search(r"excluded \d+ [a-z ]+, not ready: T-\d{4}", out)  # counted, a few named, not all listed
    assert "rolling back automatically (rollback-2)" in out
    assert re.search(r"\[T-\d{4}\] rollback-2: succeeded: in sync [0-9a-z ]+; traffic back on AWS", out)
    summary = out[out.index("the night, ") :]
    assert "tenants: 3 migrated, 1 rolled back" in summary
    assert re.search(r"recovery T-\d{4}: DNS in sync [0-9a-z ]+ and traffic back on AWS [0-9a-z ]+ after", summary)
    assert re.search(r"alerts: \d+ \(1 critical\)", summary)  # the rollback; maybe a warning on a loaded machine


def test_a_bad_batch_spec_is_bad_input(tmp_path: Path) -> None:
    night = demo(tmp_path, "--batch", "waves=1", "--for", "1h")
    assert night.returncode == 2 and "keys: wave, count, group, every, monitor" in night.stderr
    assert demo(tmp_path, "--batch", "tonight").returncode == 2  # --batch needs --for
