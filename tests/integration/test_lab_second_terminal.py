"""`cutover lab` tells a second terminal how to reach it, and that terminal then sees the lab."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

# Real servers on 127.0.0.1 (or processes): `make test-fast` leaves these out.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).parent.parent.parent


def test_the_lab_prints_and_writes_what_a_second_terminal_sources(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CUTOVER_", "AWS_"))} | {"PYTHONPATH": str(ROOT)}
    lab_dir = tmp_path / "lab"
    args = ["lab", "--headless", "--ticks", "1", "--tenants", "2", "--ready", "0", "--dir", str(lab_dir)]
    lab = subprocess.run(
        [sys.executable, "-m", "cutover", *args], capture_output=True, text=True, env=clean, cwd=tmp_path, timeout=180
    )
    assert lab.returncode == 0, lab.stderr
    assert f"source {lab_dir / 'lab.env'}" in lab.stderr
    assert f"export CUTOVER_CONFIG={lab_dir / 'cutover.toml'}" in lab.stderr
    assert "export AWS_ACCESS_KEY_ID=lab" in lab.stderr

    elsewhere = tmp_path / "second-terminal"
    elsewhere.mkdir()
    second = subprocess.run(
        ["bash", "-c", f"source {lab_dir / 'lab.env'} && {sys.executable} -m cutover status --json"],
        capture_output=True,
        text=True,
        env=clean,
        cwd=elsewhere,
        timeout=60,
    )
    assert second.returncode == 0, second.stderr
    assert json.loads(second.stdout)["count"] == 2  # the lab's store, not a new simulated world here
