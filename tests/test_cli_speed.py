"""`cutover config check` says the speed the store's simulated world runs at: what a plain `cutover` carries on at."""

from __future__ import annotations

import json
from pathlib import Path

from engine_helpers import cutover


def test_config_check_shows_the_effective_speed_of_the_stored_world(tmp_path: Path) -> None:
    import os

    env = {key: value for key, value in os.environ.items() if not key.startswith("CUTOVER_")}
    env |= {"CUTOVER_STATE__PATH": str(tmp_path / "night.db"), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    before = cutover(env, "config", "check")
    assert before.returncode == 0 and "effective speed" not in before.stdout  # no world yet: nothing to say
    demo = cutover(env, "demo", "--headless", "--ticks", "1", "--speed", "10", "--tenants", "50")
    assert demo.returncode == 0, demo.stdout + demo.stderr
    text = cutover(env, "config", "check")
    assert "effective speed: the simulated world in" in text.stdout and "runs at x10" in text.stdout
    document = json.loads(cutover(env, "config", "check", "--json").stdout)
    assert document["world_speed"] == 10.0
