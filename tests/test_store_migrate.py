"""`cutover store migrate --to LOCATION`: a war room's SQLite store copied into PostgreSQL, used there, and taken
home again, with its audit chain intact at every step; what would lose or mix something is refused, changing
nothing."""

from __future__ import annotations

import time
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner

from cutover.console.cli import cli
from cutover.model.clock import ManualClock
from cutover.model.jobs import CUTOVER_STEPS
from cutover.state.chain import verify_chain
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.job_records import NewTarget
from cutover.state.jobs import JobStore
from cutover.state.leases import LeaseStore
from cutover.state.location import open_store
from cutover.state.store import Store

pytestmark = pytest.mark.slow  # a real PostgreSQL server


@pytest.fixture
def server(postgres_servers) -> str:
    from postgres_server import available_binaries

    return str(postgres_servers.url(available_binaries()[0].name))


def _empty_schema(server: str) -> str:
    from postgres_server import schema_url

    return schema_url(server, f"test_{uuid.uuid4().hex[:12]}")


def migrate(source: dict[str, str], target: str) -> object:
    return CliRunner().invoke(cli, ["store", "migrate", "--to", target], env=source)


def _counts(store: Store) -> dict[str, int]:
    tables = ("tenants", "events", "jobs", "job_steps", "job_targets", "sim_dns_records", "sim_jobs")
    return {table: store.db.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables}


def test_a_war_room_moves_to_postgresql_works_there_and_comes_home_intact(
    tmp_path: Path, store: Store, simulated, server: str
) -> None:
    jobs = JobStore(store, EventLog(store, Actor("alice", "jump-1"), ManualClock()))
    jobs.submit("flip", [NewTarget("T-0001", CUTOVER_STEPS)], reason="before the move")
    before = verify_chain(store)
    counts = _counts(store)

    url = _empty_schema(server)
    moved = migrate({"CUTOVER_STATE__PATH": str(store.path)}, url)
    assert moved.exit_code == 0, moved.output
    assert f"done: {before.checked} events, audit chain intact, head {before.head_hash}" in moved.output
    assert 'next: set state.url = "postgresql://' in moved.output

    with open_store(url) as there:
        assert _counts(there) == counts
        arrived = verify_chain(there)
        assert arrived.ok and (arrived.head_seq, arrived.head_hash) == (before.head_seq, before.head_hash)
        # Work goes on there: a new job's steps are numbered after the copied ones, the chain grows.
        here = JobStore(there, EventLog(there, Actor("bob", "jump-2"), ManualClock()))
        job, created = here.submit("flip", [NewTarget("T-0002", CUTOVER_STEPS)], reason="after the move")
        assert created and job.job_id == "flip-2"
        assert len(here.steps(job.job_id, "T-0002")) == len(CUTOVER_STEPS)
        grown = verify_chain(there)
        assert grown.ok and grown.checked > before.checked
        status = CliRunner().invoke(cli, ["jobs"], env={"CUTOVER_STATE__URL": url})
        assert status.exit_code == 0 and "flip-2" in status.output and "flip-1" in status.output

    home = tmp_path / "home.db"
    back = migrate({"CUTOVER_STATE__URL": url}, str(home))
    assert back.exit_code == 0, back.output
    with Store(home) as returned:
        assert verify_chain(returned).ok and verify_chain(returned).head_hash == grown.head_hash
        assert _counts(returned)["jobs"] == 2


def test_a_store_with_an_engine_leading_is_not_copied(store: Store, simulated, server: str) -> None:
    LeaseStore(store, time.time).acquire("jump-1:4242:abc", {"pid": 4242}, ttl=60.0)
    url = _empty_schema(server)
    refused = migrate({"CUTOVER_STATE__PATH": str(store.path)}, url)
    assert refused.exit_code == 3
    assert "an engine leads this store" in refused.output and "nothing was changed" in refused.output
    with open_store(url) as target:
        assert target.db.execute("SELECT count(*) FROM tenants").fetchone()[0] == 0


def test_a_target_that_holds_a_store_is_refused_and_kept(tmp_path: Path, store: Store, simulated) -> None:
    other = tmp_path / "other.db"
    with Store(other) as kept:
        EventLog(kept, Actor("carol", "jump-3"), ManualClock()).append("note", "someone's war room")
    refused = migrate({"CUTOVER_STATE__PATH": str(store.path)}, str(other))
    assert refused.exit_code == 3 and "already holds a store (events has rows)" in refused.output
    with Store(other) as kept:
        assert [event.what for event in EventLog(kept, Actor("x", "y")).find()] == ["someone's war room"]


def test_a_target_url_with_a_password_or_the_same_store_is_refused(store: Store, simulated) -> None:
    env = {"CUTOVER_STATE__PATH": str(store.path)}
    with_password = migrate(env, "postgresql://cutover:s3cret@db.example.com/warroom")
    assert with_password.exit_code == 2 and "PGPASSWORD" in with_password.output
    assert "s3cret" not in with_password.output
    same = migrate(env, str(store.path))
    assert same.exit_code == 2 and "that is the store being copied" in same.output
