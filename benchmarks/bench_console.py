"""The fleet table against Textual's stock DataTable, side by side, at 2,500 and 10,000 tenants, 120x35.

Run by hand: .venv/bin/python benchmarks/bench_console.py
(or `... bench_console.py first-paint [--before CHECKOUT] [SIZE ...]` for the real console's first paint alone,
alternating with another checkout's when given one, e.g. `git worktree add /tmp/before main`)

For each table and fleet size it prints:
- first paint: from mounting the table with every row to the first frame written;
- refresh: time to apply one refresh (about 1 % of the fleet changes, 10 % of the
  visible rows among them) and render the frame, median and p95;
- bytes: what that frame writes to the terminal (the real escape sequences);
- key: a cursor key's effect on screen while refreshes run every 250 ms, p95.

Beside FleetTable, the same table repainting one region per changed cell, as it did before issue 17
(FleetTable now repaints one region per changed row).

Targets (issue 5): refresh median <= 30 ms at 10,000; <= 4 KB a refresh; first paint
<= 0.6 s; key press p95 <= 50 ms. Issue 17: <= 1.2 KB a refresh with 10 % of the visible rows changed; the real
console's first screenful (`first-paint`) <= 0.5 s at any fleet size.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import statistics
import sys
import time
from collections.abc import Mapping
from dataclasses import replace

from textual import events
from textual.app import App, ComposeResult
from textual.geometry import Region
from textual.widgets import DataTable

from cutover.console.fleet.columns import COLUMNS, FleetRow
from cutover.console.fleet.rows import RowContext, build_row
from cutover.console.widgets.fleet_table import FleetTable
from cutover.model.lifecycle import Lifecycle, SyncHealth
from cutover.model.tenant import Tenant


class PerCellFleetTable(FleetTable):
    """The fleet table as it was before issue 17: one repaint region per changed cell (for the side by side)."""

    def _refresh_changed_cells(self, previous: Mapping[str, FleetRow | None], changed: Mapping[str, FleetRow]) -> None:
        top, bottom = self._visible_window()
        for tid, new in changed.items():
            index = self._index.get(tid)
            if index is None or not top <= index < bottom:
                continue
            old = previous[tid]
            for column in self._columns():
                if old is None or old.cell_at(column.index) != new.cell_at(column.index):
                    self.refresh(Region(column.x, index - top + 1, column.width, 1))
        if self._cursor_id in changed:
            self.post_message(self.CursorMoved(self, self._cursor_id))


TABLES = {"fleet": FleetTable, "per-cell": PerCellFleetTable}
NAMES = {"fleet": "FleetTable", "per-cell": "FleetTable, one region a cell (before)", "datatable": "DataTable"}

SIZE = (120, 35)
NOW = 1_800_000_000.0
REFRESHES = 40
KEYS = 60


def make_tenant(n: int, rng: random.Random) -> Tenant:
    state = rng.choice(list(Lifecycle))
    on_oci = state in (Lifecycle.MONITORING, Lifecycle.MIGRATED)
    return Tenant(
        tenant_id=f"T-{n:05d}",
        name="",
        size_bytes=rng.randint(1, 2000) * 10**9,
        tier=rng.choice(["standard", "premium", "enterprise"]),
        complexity="standard",
        criticality="medium",
        priority="",
        wave=rng.randint(1, 4),
        dns_name=f"t{n}.tenants.example",
        hosted_zone="Z1",
        aws_target="",
        oci_target="",
        region="us-east-1",
        aws_bucket="",
        oci_bucket="",
        baseline_p95_ms=float(rng.randint(600, 1500)),
        baseline_error_rate=0.001,
        lifecycle=state,
        lifecycle_since=NOW - 600,
        sync_health=SyncHealth.CONTINUOUS,
        sync_percent=None,
        sync_eta_s=None,
        sync_lag_s=float(rng.choice([0, 0, 0, 30, 240])),
        pending_objects=0,
        pending_bytes=0,
        checksum_mismatches=0,
        last_pass_at=NOW - 60,
        verified_at=NOW - 60,
        backends_healthy=3,
        backends_total=3,
        health_at=NOW - 10,
        validation_passed=5,
        validation_total=5,
        validated_at=NOW - 3600,
        hydrated_at=NOW - 600,
        monitoring_until=None,
        observed_at=NOW - 5,
        imported_at=NOW - 86400,
        import_source="bench",
        version=1,
        dns_oci_share=1.0 if on_oci else 0.0,
        dns_routing="",
        dns_at=NOW - 5,
        observed_oci_share=1.0 if on_oci else 0.0,
        requests=1000.0,
        error_rate=0.001,
        p95_ms=1000.0,
        metrics_at=NOW - 5,
    )


def jiggle(tenant: Tenant, rng: random.Random) -> Tenant:
    """What one poll changes of a tenant: its error rate, p95 and traffic split."""
    return replace(
        tenant,
        error_rate=rng.uniform(0.0005, 0.004),
        p95_ms=rng.uniform(600, 1800),
        observed_oci_share=rng.random() if tenant.dns_oci_share else 0.0,
    )


class Harness(App[None]):
    """One table filling the screen; `_display` records what the terminal would receive."""

    def __init__(self, kind: str, rows: list[FleetRow]) -> None:
        super().__init__()
        self.kind = kind
        self.initial = rows
        self.frames: list[tuple[float, int]] = []
        self.frame_event = asyncio.Event()
        self.started = time.perf_counter()

    def compose(self) -> ComposeResult:
        if self.kind in TABLES:
            yield TABLES[self.kind]()
        else:
            yield DataTable(cursor_type="row")

    def on_mount(self) -> None:
        self.started = time.perf_counter()
        table = self.query_one(FleetTable if self.kind in TABLES else DataTable)
        if isinstance(table, FleetTable):
            table.update_rows({row.tenant_id: row for row in self.initial})
        else:
            for column in COLUMNS:
                table.add_column(column.header, key=column.key)
            table.add_rows(
                [[cell.text for cell in row.cells] for row in self.initial],
            )
            # DataTable has no row keys from add_rows; re-key by building rows one by one would double the cost.
        table.focus()

    def _display(self, screen, renderable) -> None:  # type: ignore[override]
        if renderable is None:
            return
        text = renderable.render_segments(self.console)
        self.frames.append((time.perf_counter(), len(text.encode())))
        self.frame_event.set()


async def run_one(kind: str, count: int) -> dict[str, float]:
    rng = random.Random(7)
    ctx = RowContext(now=NOW)
    tenants = [make_tenant(n, rng) for n in range(1, count + 1)]
    rows = [build_row(tenant, ctx) for tenant in tenants]
    app = Harness(kind, rows)
    figures: dict[str, float] = {}
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        figures["first_paint_s"] = app.frames[0][0] - app.started if app.frames else float("nan")
        table = app.query_one(FleetTable if kind in TABLES else DataTable)
        row_keys = None if kind in TABLES else list(table.rows)  # type: ignore[union-attr]
        visible = 33

        def one_refresh() -> None:
            # 10 % of the visible rows and 1 % of the fleet off screen.
            top = round(table.scroll_offset.y)
            on_screen = rng.sample(range(top, min(count, top + visible)), max(1, visible // 10))
            off_screen = rng.sample(range(count), count // 100)
            indexes = set(on_screen) | set(off_screen)
            if kind in TABLES:
                ids = table.visible_ids  # type: ignore[union-attr]
                by_id = {t.tenant_id: i for i, t in enumerate(tenants)}
                changed = {}
                for index in indexes:
                    position = by_id[ids[index]]
                    tenants[position] = jiggle(tenants[position], rng)
                    changed[ids[index]] = build_row(tenants[position], ctx)
                table.update_rows(changed)  # type: ignore[union-attr]
            else:
                for index in indexes:
                    tenants[index] = jiggle(tenants[index], rng)
                    new = build_row(tenants[index], ctx)
                    for key in ("traffic", "errors", "p95"):
                        table.update_cell(row_keys[index], key, new.cell(key).text)  # type: ignore[union-attr,index]

        times, sizes = [], []
        for _ in range(REFRESHES):
            await pilot.pause()
            app.frames.clear()
            app.frame_event.clear()
            t0 = time.perf_counter()
            one_refresh()
            await asyncio.wait_for(app.frame_event.wait(), 10)
            times.append(time.perf_counter() - t0)
            await pilot.pause()
            sizes.append(sum(size for _, size in app.frames))
        figures["refresh_median_ms"] = statistics.median(times) * 1000
        figures["refresh_p95_ms"] = statistics.quantiles(times, n=20)[18] * 1000
        figures["bytes_median"] = statistics.median(sizes)

        # Key presses while refreshes run every 250 ms.
        stop = asyncio.Event()

        async def refresher() -> None:
            while not stop.is_set():
                one_refresh()
                await asyncio.sleep(0.25)

        task = asyncio.create_task(refresher())
        latencies = []

        def cursor() -> object:
            return table.cursor_id if kind in TABLES else table.cursor_row  # type: ignore[union-attr]

        for i in range(KEYS):
            await asyncio.sleep(rng.uniform(0.02, 0.12))
            before = cursor()
            t0 = time.perf_counter()
            # As a terminal would deliver it: straight to the driver's queue, no test pilot in between.
            key = events.Key("down" if i % 10 < 7 else "up", None)
            key.set_sender(app)
            app._driver.send_message(key)  # type: ignore[union-attr]
            while True:
                app.frame_event.clear()
                await asyncio.wait_for(app.frame_event.wait(), 5)
                if cursor() != before:
                    break
            latencies.append(time.perf_counter() - t0)
        stop.set()
        await task
        figures["key_p95_ms"] = statistics.quantiles(latencies, n=20)[18] * 1000
    return figures


def main() -> None:
    sizes = [int(arg) for arg in sys.argv[1:]] or [2_500, 10_000]
    print(
        f"{'table':<40} {'tenants':>8} {'first paint':>12} {'refresh med':>12} {'p95':>8} {'bytes':>8} {'key p95':>8}"
    )
    for count in sizes:
        for kind in ("fleet", "per-cell", "datatable"):
            f = asyncio.run(run_one(kind, count))
            print(
                f"{NAMES[kind]:<40} {count:>8,} {f['first_paint_s']:>10.2f} s {f['refresh_median_ms']:>9.1f} ms "
                f"{f['refresh_p95_ms']:>5.1f} ms {f['bytes_median']:>7,.0f} {f['key_p95_ms']:>5.1f} ms",
                flush=True,
            )


def build_demo_store(directory: str, tenants: int) -> None:
    """A simulated world of `tenants` in `directory`/cutover.db, as `cutover demo` makes it (once per size)."""
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if not k.startswith("CUTOVER_")}
    subprocess.run(
        [sys.executable, "-m", "cutover", "demo", "--headless", "--tenants", str(tenants), "--ticks", "1"],
        env=env,
        cwd=directory,
        check=True,
        capture_output=True,
    )


def first_paint_of_the_console(
    directory: str,
    argv: tuple[str, ...] = (),
    runs: int = 5,
    *,
    code: str | None = None,
    bytecode: str | None = None,
) -> list[tuple[float, float]]:
    """From invoking `cutover ARGV` in a pseudo-terminal (in `directory`, holding a store) to the first table
    row on it, `runs` times: (wall seconds, CPU seconds the console process had used by then).

    With no ARGV that is what an operator types: the console on the built-in simulated fleet, with its
    engine. Includes Python start-up, imports and the first read of the store. The CPU figure is what
    the wall figure would be on an idle machine; on a busy one the wall figure is mostly waiting.
    `code`: a checkout whose `cutover` to run (put first on PYTHONPATH; default: the one installed).
    `bytecode`: a directory for Python's compiled modules (PYTHONPYCACHEPREFIX), kept between runs as an
    installed package keeps its .pyc files; None compiles cutover's modules from source at every start
    (PYTHONDONTWRITEBYTECODE, as on this machine's checkouts).
    """
    import os
    import pty
    import select
    import signal

    painted: list[tuple[float, float]] = []
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUTOVER_")}
    env |= {"TERM": "xterm-256color", "COLUMNS": "120", "LINES": "35"}
    if code is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [code, env.get("PYTHONPATH", "")]))
    if bytecode is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
        env.pop("PYTHONPYCACHEPREFIX", None)
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = bytecode
    for _ in range(runs):
        started = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:
            os.chdir(directory)
            os.execvpe(sys.executable, [sys.executable, "-m", "cutover", *argv], env)
        seen, at = b"", (float("nan"), float("nan"))
        while time.perf_counter() - started < 30:
            ready, _, _ = select.select([fd], [], [], 0.01)
            if ready:
                try:
                    seen += os.read(fd, 65536)
                except OSError:  # the console ended before painting a row
                    break
                if b"T-0001 " in seen or b"T-00001 " in seen:
                    wall = time.perf_counter() - started
                    with open(f"/proc/{pid}/stat") as stat:
                        fields = stat.read().rsplit(")", 1)[1].split()
                    at = (wall, (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK"))
                    break
        painted.append(at)
        os.kill(pid, signal.SIGHUP)
        # Keep reading until it has gone: a terminal nobody reads would block its last writes.
        while os.waitpid(pid, os.WNOHANG) == (0, 0):
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                with contextlib.suppress(OSError):
                    os.read(fd, 65536)
        os.close(fd)
    return painted


def first_paint(sizes: list[int], runs: int = 5, before: str | None = None) -> None:
    """First paint of `cutover` and `cutover console --read-only` at each fleet size (one store built per size),
    with cutover's modules compiled from source at each start and with their bytecode kept (as installed).
    `before`: another checkout run alternately with this one, so both see the same load."""
    import os
    import tempfile

    codes: list[tuple[str, str | None]] = [("", None)] if before is None else [("before", before), ("after", None)]
    for count in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            build_demo_store(tmp, count)
            for argv in ((), ("console", "--read-only")):
                for mode in ("source", "bytecode"):
                    results: dict[str, list[tuple[float, float]]] = {label: [] for label, _ in codes}
                    caches = {label: os.path.join(tmp, f"pycache-{label or 'this'}") for label, _ in codes}
                    if mode == "bytecode":  # a first start writes the bytecode, as installing would
                        for label, code in codes:
                            first_paint_of_the_console(tmp, argv, 1, code=code, bytecode=caches[label])
                    for _ in range(runs):  # alternately, so a change in the machine's load falls on both
                        for label, code in codes:
                            results[label] += first_paint_of_the_console(
                                tmp, argv, 1, code=code, bytecode=caches[label] if mode == "bytecode" else None
                            )
                    with open("/proc/loadavg") as loadavg:
                        load = " ".join(loadavg.read().split()[:3])
                    for label, painted in results.items():
                        wall, cpu = [run[0] for run in painted], [run[1] for run in painted]
                        what = "compiled from source" if mode == "source" else "bytecode cached"
                        print(
                            f"first paint of `{' '.join(('cutover', *argv))}`, {count:,} tenants, {what}"
                            f"{f' ({label})' if label else ''}: wall best {min(wall):.2f} s, median "
                            f"{statistics.median(wall):.2f} s; CPU best {min(cpu):.2f} s, median "
                            f"{statistics.median(cpu):.2f} s ({len(painted)} runs, load {load})",
                            flush=True,
                        )


def feed_poll(count: int) -> tuple[float, float]:
    """The console's read of the store: the first full read, and a steady one (1 % of tenants changed)."""
    import tempfile
    from pathlib import Path

    from cutover.actions.wiring.composition import world_clock
    from cutover.actions.wiring.session import Session
    from cutover.config.loader import LoadedConfig
    from cutover.config.settings import Settings, SimulatorSettings, StateSettings
    from cutover.console.feed import FleetFeed

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "cutover.db"
        settings = Settings(state=StateSettings(path=path), simulator=SimulatorSettings(tenants=count))
        session = Session.open(LoadedConfig(settings, None), create=True)
        clock = world_clock(settings, session.store, actor=session.actor)
        feed = FleetFeed(session.store, session.events, clock, settings)
        t0 = time.perf_counter()
        feed.poll()
        first = time.perf_counter() - t0
        ids = [t.tenant_id for t in session.tenants.find()][: count // 100]
        session.tenants.observe_many({tid: {"error_rate": 0.002} for tid in ids})
        t0 = time.perf_counter()
        update = feed.poll()
        steady = time.perf_counter() - t0
        assert len(update.changed) >= len(ids)
        session.close()
        return first, steady


FIRST_PAINT_SIZES = [2_500, 10_000, 50_000]

if __name__ == "__main__" and sys.argv[1:2] == ["first-paint"]:
    # bench_console.py first-paint [--before CHECKOUT] [SIZE ...]: only the first paint of the real console.
    args = sys.argv[2:]
    before_checkout = None
    if args[:1] == ["--before"]:
        before_checkout, args = args[1], args[2:]
    first_paint([int(arg) for arg in args] or FIRST_PAINT_SIZES, before=before_checkout)
elif __name__ == "__main__":
    main()
    if len(sys.argv) == 1:
        for count in (2_500, 10_000):
            first, steady = feed_poll(count)
            print(f"store read, {count:,} tenants: first {first * 1000:.0f} ms, then {steady * 1000:.0f} ms a second")
        first_paint(FIRST_PAINT_SIZES)
