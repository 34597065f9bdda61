"""The JSON documents of the headless commands: the shapes the README documents, one time format."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import cutover, war_room

ACTION_KEYS = {"schema", "action", "dry_run", "exit_code", "refused", "dns_read_live", "plan", "job", "related_jobs"}
PLAN_KEYS = {"kind", "ok", "problems", "confirm_phrase", "targets", "groups", "excluded", "params", "safety"}
ISO_Z = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$")


@pytest.fixture
def env(tmp_path: Path) -> dict:
    return war_room(tmp_path, ready=8)


def times_in(node: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every field named like a time (`*_at`) anywhere in a document, with where it is."""
    found: list[tuple[str, Any]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}.{key}"
            if key == "at" or key.endswith("_at"):
                found.append((here, value))
            else:
                found += times_in(value, here)
    elif isinstance(node, list):
        for number, value in enumerate(node):
            found += times_in(value, f"{path}[{number}]")
    return found


def assert_times_end_in_z(document: dict) -> None:
    times = times_in(document)
    assert times, "the document has no times to check"
    bad = [(where, value) for where, value in times if value is not None and not ISO_Z.match(str(value))]
    assert not bad, bad


def test_refused_dry_run_and_done_actions_share_the_documented_nested_shape(env: dict) -> None:
    six = [f"T-{n:04d}" for n in range(1, 7)]
    refused = cutover(env, "flip", *six, "--reason", "six at once", "--yes", "--json")
    assert refused.returncode == 3
    document = json.loads(refused.stdout)
    assert set(document) == ACTION_KEYS and set(document["plan"]) >= PLAN_KEYS
    assert document["exit_code"] == 3 and document["plan"]["ok"] is False and document["job"] is None
    assert document["refused"] == document["plan"]["problems"] and "max-cutting-over" in document["refused"][0]

    rehearsed = cutover(env, "flip", "T-0001", "--dry-run", "--json")
    assert rehearsed.returncode == 0, rehearsed.stderr
    document = json.loads(rehearsed.stdout)
    assert set(document) == ACTION_KEYS and set(document["plan"]) >= PLAN_KEYS
    assert document["dry_run"] is True and document["dns_read_live"] is True and document["refused"] == []
    assert document["plan"]["change_sets"][0]["changes"][0]["tenant"] == "T-0001"

    done = cutover(env, "flip", "T-0001", "--reason", "night 3", "--yes", "--json")
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    assert set(document) == ACTION_KEYS and set(document["plan"]) >= PLAN_KEYS
    assert document["plan"]["targets"][0]["tenant"] == "T-0001" and document["job"]["state"] == "succeeded"
    assert_times_end_in_z(document)


def test_every_json_time_is_iso_8601_utc_ending_in_z(env: dict) -> None:
    assert cutover(env, "flip", "T-0002", "--reason", "r", "--yes").returncode == 0
    for args in (("status", "--json"), ("status", "T-0002", "--json"), ("events", "--json"), ("jobs", "--json")):
        result = cutover(env, *args)
        assert result.returncode == 0, result.stderr
        assert_times_end_in_z(json.loads(result.stdout))
    (job,) = json.loads(cutover(env, "jobs", "--json").stdout)["jobs"]
    one = cutover(env, "jobs", job["id"], "--json")
    assert_times_end_in_z(json.loads(one.stdout))
    events = json.loads(cutover(env, "events", "--json").stdout)["events"]
    assert all(ISO_Z.match(event["wall_at"]) for event in events)
