"""A new simulated world opens inside the migration window: `make run`, mark three, cut over works at once.
The window rule still refuses a cutover before 02:00."""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from engine_helpers import Harness, cutover

from cutover.actions.plan.plans import PlanRequest

NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.slow  # over a second
def test_a_new_world_opens_inside_the_window_and_three_of_tonights_tenants_cut_over_at_once(tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items() if not key.startswith("CUTOVER_")}
    env |= {
        "CUTOVER_STATE__PATH": str(tmp_path / "demo.db"),
        "CUTOVER_OPERATOR__NAME": "alice",
        "CUTOVER_SIMULATOR__TENANTS": "120",
        "CUTOVER_SIMULATOR__VIRTUAL_TIME": "true",
    }
    opened = cutover(env, "demo", "--headless", "--ticks", "1")  # what `make run` does, without the console
    assert opened.returncode == 0, opened.stderr
    status = cutover(env, "status", "--json")
    assert status.returncode == 0, status.stderr
    document = json.loads(status.stdout)
    opened = datetime.fromisoformat(document["generated_at"].replace("Z", "+00:00")).astimezone(NEW_YORK)
    assert (opened.hour, opened.minute) == (2, 5)
    ready = [t["id"] for t in document["tenants"] if t["lifecycle"] == "ready"][:3]
    assert len(ready) == 3
    done = cutover(env, "flip", *ready, "--reason", "first night", "--yes")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "migration-window" not in done.stdout + done.stderr
    assert len([line for line in done.stdout.splitlines() if line.endswith(": SUCCESS")]) == 3


def test_before_two_the_window_rule_refuses_and_says_when_it_opens(tmp_path: Path) -> None:
    h = Harness(tmp_path, size=120)
    try:
        now = datetime.fromtimestamp(h.clock.now(), NEW_YORK)
        ten_to_two = datetime(now.year, now.month, now.day, 1, 50, tzinfo=NEW_YORK).timestamp() + 86400
        h.clock.set(ten_to_two)
        plan = h.ops.plan(PlanRequest.flip(list(h.tonight[:3])))
        (refusal,) = [r for r in plan.safety.blocking if r.rule == "migration-window"]
        assert "outside the migration window 02:00-06:00" in refusal.message
        assert "opens in 10m" in refusal.message
        assert not plan.ok
    finally:
        h.store.close()
