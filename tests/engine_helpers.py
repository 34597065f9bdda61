"""Putting tenants into a known state in the real store, as the engine's pollers would."""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

from cutover.actions.plan.importing import import_matrix
from cutover.model.lifecycle import Lifecycle
from cutover.model.tenant import Tenant
from cutover.state.tenants import TenantStore

# 1_800_000_000 (the test clock's start) is 03:00 in New York: inside the 02:00-06:00 window
# for us-east-1 tenants, outside it for us-west-2 (00:00) and eu-west-1 (08:00).
READY_PATH = (Lifecycle.SYNCING, Lifecycle.VALIDATING, Lifecycle.READY)


# The store a Harness or a war room uses instead of a file: a PostgreSQL schema's URL, set (by conftest) for the
# tests of a module marked `both_stores` while they run on PostgreSQL.
STORE_LOCATION: str | None = None


def store_at(env: dict) -> str:
    """Where the war room `env` points the CLI at: its PostgreSQL URL, or its file."""
    return env.get("CUTOVER_STATE__URL") or env["CUTOVER_STATE__PATH"]


def make_ready(tenants: TenantStore, tenant_id: str, now: float, **observed: object) -> Tenant:
    """A tenant ready to cut over: synced with lag 0 proven a minute ago, 5/5, 3/3, metrics current, hydrated,
    its DNS record on AWS at TTL 60 s for two hours."""
    current = tenants.get(tenant_id).lifecycle
    path = READY_PATH[READY_PATH.index(current) + 1 :] if current in READY_PATH else READY_PATH
    for state in path:
        tenants.transition(tenant_id, state, why="test setup")
    tenants.observe(
        tenant_id,
        **{
            "sync_health": "continuous",
            "sync_lag_s": 0.0,
            "pending_objects": 0,
            "pending_bytes": 0,
            "checksum_mismatches": 0,
            "last_pass_at": now - 60,
            "verified_at": now - 60,
            "observed_at": now - 5,
            "validation_passed": 5,
            "validation_total": 5,
            "validated_at": now - 3600,
            "backends_healthy": 3,
            "backends_total": 3,
            "health_at": now - 5,
            "metrics_at": now - 10,
            "hydrated_at": now - 600,
            # DNS ready: the record on AWS, its TTL lowered from an hour to 60 s two hours ago.
            "dns_oci_share": 0.0,
            "dns_routing": f"{tenants.get(tenant_id).aws_target} (TTL 60)",
            "dns_at": now - 5,
            "dns_ttl": 60,
            "dns_ttl_since": now - 7200,
            "dns_ttl_before": 3600,
            "dns_ttl_safe_at": now - 3600,
            **observed,
        },
    )
    return tenants.get(tenant_id)


def import_runbook(tenants: TenantStore, matrix: Path) -> None:
    import_matrix(tenants, matrix)


HEADER = (
    "Tenant ID,Size,SLA,Wave,DNS name,Hosted zone,AWS target,OCI target,Region,Baseline p95 (ms),Baseline error rate"
)


def write_fleet(path: Path, count: int, *, enterprise: tuple[int, ...] = (), region: str = "us-east-1") -> Path:
    """A matrix of `count` tenants T-0001.. in two hosted zones, all in one region."""
    rows = [HEADER]
    for number in range(1, count + 1):
        tier = "Ent" if number in enterprise else "Std"
        zone = "Z1ZONEA" if number % 2 else "Z2ZONEB"
        rows.append(
            f"T-{number:04d},5GB,{tier},1,tenant{number}.example.com,{zone},52.1.{number // 250}.{number % 250},"
            f"129.213.{number // 250}.{number % 250},{region},1000,0.1%"
        )
    path.write_text("\n".join(rows) + "\n")
    return path


# --- the engine on the simulated fleet, on a driven clock ----------------------------------------------


async def settle() -> None:
    """Let every task run until all of them wait (on the clock, a wall timer or a lock)."""
    import asyncio

    loop = asyncio.get_running_loop()
    for _ in range(10_000):
        await asyncio.sleep(0)
        # Nothing else runnable: everyone waits. asyncio has no public way to ask whether callbacks are
        # ready to run; a fixed count of sleep(0)s instead would either spin needlessly or stop too early.
        if not loop._ready:  # type: ignore[attr-defined]
            return


async def drive(clock, done, *, limit: float = 4 * 3600.0, what: str = "the condition") -> float:
    """Jump the clock from sleeper to sleeper (as trio's autojump clock does) until done() or `limit`.

    Returns the simulated seconds it took.
    """
    import asyncio
    import time

    start = clock.now()
    idle_since = None
    while True:
        await settle()
        if done():
            return clock.now() - start
        wake = clock.next_wakeup
        if wake is None:
            # Nothing sleeps on the fleet's clock: something waits on wall time (a lease to expire).
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since > 30:
                raise AssertionError(f"{what} did not happen: nothing is scheduled on the clock")
            await asyncio.sleep(0.02)
            continue
        idle_since = None
        if wake - start > limit:
            raise AssertionError(f"{what} did not happen within {limit:.0f} simulated seconds")
        clock.set(max(wake, clock.now()))


class Harness:
    """A simulated fleet in a real store, an engine leading it and the operations facade, on one ManualClock."""

    def __init__(
        self,
        tmp_path: Path,
        *,
        size: int = 120,
        seed: int = 7,
        settings=None,
        operator: str = "alice",
        ready: int = 0,
        enterprise: tuple[int, ...] = (),
    ):
        """A generated fleet of `size` (tonight's batch ready), or with `ready`, an imported matrix of
        that many tenants T-0001.., all ready."""
        import asyncio

        from cutover.actions.engine.engine import Engine
        from cutover.actions.plan.operations import Operations
        from cutover.actions.wiring.composition import build_providers
        from cutover.actions.wiring.session import Session
        from cutover.config.loader import LoadedConfig
        from cutover.config.settings import Settings, SimulatorSettings
        from cutover.model.clock import ManualClock
        from cutover.providers.sim import WorldOptions, open_world
        from cutover.state.events import EventLog
        from cutover.state.identity import Actor
        from cutover.state.jobs import JobStore
        from cutover.state.location import open_store

        self.path = tmp_path / "war-room.db"
        self.location = STORE_LOCATION or str(self.path)
        base = settings or Settings()
        self.settings = base.model_copy(
            update={
                "state": base.state.model_copy(update={"path": self.path, "url": STORE_LOCATION or ""}),
                "simulator": SimulatorSettings(tenants=size, seed=seed),
            }
        )
        self.clock = ManualClock()
        self.actor = Actor(operator, "jump-1")
        self.store = open_store(self.location)
        if ready:
            from cutover.state.tenants import TenantStore as _Tenants

            imported = _Tenants(self.store, EventLog(self.store, self.actor, self.clock))
            import_runbook(imported, write_fleet(tmp_path / "fleet.csv", ready, enterprise=enterprise))
            for number in range(1, ready + 1):
                make_ready(imported, f"T-{number:04d}", self.clock.now())
        opened = open_world(
            self.store, WorldOptions(tenants=size, seed=seed, ambient_faults=False), clock=self.clock, actor=self.actor
        )
        self.world = opened.world
        self.tonight = opened.seeded.tonight if opened.seeded else tuple(f"T-{n:04d}" for n in range(1, ready + 1))
        self.providers = build_providers(self.settings, self.store, self.clock, actor=self.actor).providers
        self.session = Session(
            LoadedConfig(self.settings, None),
            self.store,
            self.actor,
            self.clock,
            EventLog(self.store, self.actor, self.clock),
            None,  # type: ignore[arg-type]
        )
        from cutover.state.tenants import TenantStore

        self.session.tenants = TenantStore(self.store, self.session.events)
        self.tenants = self.session.tenants
        self.engine = Engine(
            self.settings, actor=self.actor, store=self.store, providers=self.providers, clock=self.clock
        )
        self.ops = Operations(self.session, providers=self.providers, on_submit=self.engine.wake)
        self.jobs = JobStore(self.store, self.session.events)
        self._task: asyncio.Task | None = None

    @property
    def store_env(self) -> dict[str, str]:
        """The environment that points a CLI command at this harness's store."""
        return {
            "CUTOVER_STATE__PATH": str(self.path),
            **({"CUTOVER_STATE__URL": STORE_LOCATION} if STORE_LOCATION else {}),
        }

    async def start(self) -> None:
        import asyncio

        self._task = asyncio.create_task(self.engine.run())
        await self.until(lambda: self.engine.leading, limit=60, what="the engine leading")

    async def stop(self) -> None:
        if self._task is not None:
            self.engine.request_stop()
            await self._task
        self.store.close()

    async def until(self, done, *, limit: float = 4 * 3600.0, what: str = "the condition") -> float:
        return await drive(self.clock, done, limit=limit, what=what)

    def job_done(self, job_id: str):
        return lambda: self.jobs.get(job_id).is_terminal

    def dns_changes(self, tenant_id: str) -> list:
        return self.world.db.changes(tenant_id=tenant_id)


def inject(h: Harness, tmp_path: Path, toml: str, name: str = "scenario.toml"):
    """Load a scenario (timed faults) into the harness's world, as `cutover demo --scenario` does."""
    from cutover.providers.sim.scenario import inject_scenario

    path = tmp_path / name
    path.write_text(toml if "name =" in toml else f'name = "test"\n{toml}')
    return inject_scenario(h.world, path, h.tenants.find(), h.clock.now())


def _session_sources(self: Harness) -> list:
    from cutover.state.sources import SourceStore

    return SourceStore(self.store).all()


Harness.session_sources = _session_sources  # type: ignore[attr-defined]


# --- a war room on disk, for the headless commands run from a shell ---------------------------------------


def war_room(tmp_path: Path, *, ready: int = 12, enterprise: tuple[int, ...] = ()) -> dict:
    """A store with `ready` tenants ready to cut over and a simulated world on virtual time
    (it jumps to the next thing that happens while an engine leads, and stands still otherwise).

    Returns the environment a shell would set to use it. The migration window is opened
    wide (00:00-23:59) so the world's time of night never gets in the way, except in
    the tests about the window.
    """
    import os
    import time

    from cutover.model.clock import ManualClock
    from cutover.providers.sim import WorldOptions, open_world
    from cutover.providers.sim.setup import default_start
    from cutover.state.events import EventLog
    from cutover.state.identity import Actor
    from cutover.state.location import open_store
    from cutover.state.tenants import TenantStore

    path = tmp_path / "war-room.db"
    start = default_start(time.time())
    clock = ManualClock(start)
    actor = Actor("setup", "jump-1")
    with open_store(STORE_LOCATION or path) as store:
        tenants = TenantStore(store, EventLog(store, actor, clock))
        import_runbook(tenants, write_fleet(tmp_path / "fleet.csv", ready, enterprise=enterprise))
        for number in range(1, ready + 1):
            make_ready(tenants, f"T-{number:04d}", clock.now())
        open_world(store, WorldOptions(tenants=ready, seed=7, ambient_faults=False), actor=actor)
    env = {key: value for key, value in os.environ.items() if not key.startswith("CUTOVER_")}
    env.update(
        {
            "CUTOVER_STATE__PATH": str(path),
            **({"CUTOVER_STATE__URL": STORE_LOCATION} if STORE_LOCATION else {}),
            "CUTOVER_OPERATOR__NAME": "alice",
            "CUTOVER_SAFETY__WINDOW__START": "00:00",
            "CUTOVER_SAFETY__WINDOW__END": "23:59",
            "CUTOVER_ENGINE__LEASE_TTL": "3",
            "CUTOVER_ENGINE__HEARTBEAT": "0.5",
            "CUTOVER_SIMULATOR__VIRTUAL_TIME": "true",
        }
    )
    return env


def shell(env: dict, *args: str, timeout: float = 120.0, stdin: str | None = None):
    """Run `cutover ARGS...` as a shell would: a real process, its exit code, stdout and stderr."""
    import subprocess
    import sys

    return subprocess.run(
        [sys.executable, "-m", "cutover", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        input=stdin,
    )


class Ran(NamedTuple):
    """What a test reads of a finished `cutover` command: the fields of subprocess.CompletedProcess it uses."""

    returncode: int
    stdout: str
    stderr: str


def cutover(env: dict, *args: str, stdin: str | None = None, cwd: Path | None = None) -> Ran:
    """Run `cutover ARGS...` in this process with click's test runner: the same exit code, stdout and stderr a
    shell gets from `shell(env, ...)`, without starting a Python. For everything but the process boundary itself
    (signals, kill -9, two engines in two processes, a real terminal, the installed entry point): those use `shell`.

    `env` is the whole environment, as for `shell`, and `cwd` the directory it runs in. An exception that
    escapes the command fails the test (a shell would show it as a traceback); whatever logging the command
    set up goes with it.
    """
    import contextlib
    import logging
    import os

    from click.testing import CliRunner

    from cutover.console.cli import cli

    changes: dict[str, str | None] = {key: value for key, value in env.items() if os.environ.get(key) != value}
    changes |= {key: None for key in os.environ if key not in env}
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        with contextlib.chdir(cwd) if cwd is not None else contextlib.nullcontext():
            result = CliRunner().invoke(cli, list(args), env=changes, input=stdin, prog_name="cutover")
    finally:
        for handler in list(root.handlers):
            if handler not in handlers:
                root.removeHandler(handler)
                handler.close()
        root.setLevel(level)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"cutover {' '.join(args)} raised: {result.exception!r}\n{result.output}") from (
            result.exception
        )
    return Ran(result.exit_code, result.stdout, result.stderr)
