"""The real console while an engine polls the fleet: key press -> frame, peak memory and CPU, at 2,500 to 50,000.

Run by hand:

    .venv/bin/python benchmarks/bench_console_live.py [SIZE ...] [--before CHECKOUT] [--seconds 30]
        [--rounds 1] [--mode read-only|own-engine|both] [--speed 1] [--warm-up 10] [--sample]

(defaults: 2,500, 10,000 and 50,000 tenants, 30 s of keys a round, both modes; CHECKOUT: a git worktree of an
earlier commit, e.g. `git worktree add --detach /tmp/before COMMIT`, whose console is measured the same way,
alternately with this tree's, so a change in the machine's load falls on both).

For each fleet size and tree, the store is the built-in simulated fleet (`cutover demo --headless --tenants N
--ticks 1`, one store a tree, in a temporary directory, `CUTOVER_STATE__PATH` pointing at it); the world runs at
its default speed (`--speed` sets `CUTOVER_SIMULATOR__SPEED` for every process). Two ways to run the console:

- `read-only`: `cutover engine` leads (its polls write what it observes) and `cutover console --read-only` runs
  in a pseudo-terminal at 120x35, as an observer beside it (as `bench_consoles.py` does): the console process
  alone;
- `own-engine`: `cutover console` alone, whose engine (a thread of the console's process) leads and polls, as an
  operator runs it (`cutover` with no arguments is this console): the console's keys share that process with
  the engine.

After the first frame and a warm-up, the benchmark sorts the table by tenant (`s`), checks that the whole fleet
is loaded (`G` must reach the last tenant; retried until it does), goes back to the first (Home), then for
`--seconds` sends cursor keys as over SSH: `j`/`k` and the arrow keys, single keys at random intervals (30-400
ms) and sometimes a burst of 2-5 in one write (type-ahead), mostly down and sometimes back up.

**Key press -> frame: how it is measured.** A thread reads the pseudo-terminal and timestamps each read. The
cursor row is drawn with "▶" in the table's gutter, in the row's reverse style, followed by the tenant's ID
(`▶` + SGR escape sequences + `T-0063`); each occurrence in the output is a frame showing the cursor on that
tenant. Sorted by tenant, a key's target is known: after k downs from T-0001 the cursor is on tenant k+1. A
key counts as answered by the first frame after its write whose cursor is at its target or beyond it in its
direction (a burst may be painted once, after its last key: each key of it is answered by that frame). The
direction is only reversed once the screen shows the cursor where the last key put it, so an earlier frame
never passes for a later key's. Latency is from just before the write to the pty to the read that brought the
cursor's new row. Limits: it times the cursor row's arrival, not the end of the frame (the detail line under the
table comes a few hundred bytes later); it includes the pty and this process's reader thread (which shares the
2 cores: on a loaded machine part of a figure is waiting for a core); the feed's repaints of the cursor row
(same tenant) are not mistaken for key frames (they do not move the cursor); keys never answered are counted
apart, not in the percentiles. The engine's whole-fleet polls come every 15 s (health), 30 s (sync) and 60 s
(metrics and DNS) of world time, so a 30 s window sees a few; at 50,000 a p95 depends on how many 0.3-0.7 s
full collections fall in the window (three runs of the same tree gave 71, 207 and 241 ms): use `--rounds`
for steadier figures. With `--rounds 1` the trees alternate by console mode (before, after, before, after).

**Full garbage collections.** The console's process gets a `sitecustomize.py` of this benchmark's own (on
PYTHONPATH, nothing in cutover changes) that logs every generation-2 collection (and any other over 5 ms) with
its start and end on the monotonic clock; a key press overlapped one when the collection ran between the write
and its frame. Printed: the keys that overlapped one ("in full GC"), the keys slower than 50 ms and, in
brackets, how many of those overlapped one; the full collections during the keys and the longest. The callback
adds about a microsecond to every collection.

**Where a slow key's time went** (`--sample`, a diagnosis, not for the figures: it costs the console a little):
the same sitecustomize starts a thread in the console's process that samples every thread's stack every 10 ms.
For the keys slower than 50 ms, it prints where the main thread (Textual's event loop) was during their waits:
the innermost frame of cutover's (and the innermost of all, when another), or idle in select; and what the
other threads (Textual's input thread, the feed's and the engine's workers) were doing when not idle; and each
full collection's length, the objects it freed and how many `gc.freeze()` had put out of its reach. A sample
missing means the sampler could not get the GIL: a collection ran, or another thread kept it.

**Memory and CPU.** VmHWM (peak resident set) and VmRSS of the console process from /proc/PID/status at the end
of the keys; the CPU share is (utime + stime) over the key window / its wall time, from /proc/PID/stat (all the
console's threads, the engine's too in `own-engine`; the separate engine's share is printed for `read-only`).

Targets (issue 17): key press -> frame p95 <= 50 ms at 50,000 tenants; console peak RSS <= 300 MB at 50,000.
"""

from __future__ import annotations

import argparse
import bisect
import contextlib
import fcntl
import os
import pty
import random
import re
import select
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent
ROWS, COLS = 35, 120
KEY_P95_TARGET_MS = 50.0
RSS_TARGET_MB = 300.0

# "▶", then any SGR sequences, then the tenant's ID ending in its padding or the next sequence.
CURSOR = re.compile(rb"\xe2\x96\xb6(?:\x1b\[[0-9;]*m)*T-(\d+)(?=[ \x1b])")
TAIL = 200  # bytes kept from one read to the next, so a cursor split between two reads is still found

DOWN = (b"j", b"\x1b[B")
UP = (b"k", b"\x1b[A")
HOME, END, SORT = b"\x1b[H", b"G", b"s"

SITECUSTOMIZE = """\
import gc, os, time
_path = os.environ.get("BENCH_GC_LOG")
if _path:
    _fd = os.open(_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    _started = [0]

    def _bench_gc(phase, info):
        if phase == "start":
            _started[0] = time.monotonic_ns()
            return
        ended = time.monotonic_ns()
        if info["generation"] == 2 or ended - _started[0] >= 5_000_000:
            frozen = gc.get_freeze_count()
            os.write(_fd, f"{info['generation']} {_started[0]} {ended} {info['collected']} {frozen}\\n".encode())

    gc.callbacks.append(_bench_gc)

_samples = os.environ.get("BENCH_SAMPLE_LOG")
if _samples:
    import sys, threading

    def _bench_sample():
        fd = os.open(_samples, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
        me, main = threading.get_ident(), threading.main_thread().ident
        while True:
            time.sleep(0.01)
            at, lines = time.monotonic_ns(), []
            for ident, frame in sys._current_frames().items():
                names = []
                while ident != me and frame is not None and len(names) < 30:
                    code = frame.f_code
                    where = code.co_filename
                    if "site-packages/" in where:
                        where = where.rpartition("site-packages/")[2]
                    elif "/cutover/" in where:
                        where = "cutover/" + where.rpartition("/cutover/")[2]
                    else:
                        where = "/".join(where.rsplit("/", 2)[-2:])
                    names.append(f"{where}:{code.co_name}")
                    frame = frame.f_back
                if names:
                    lines.append(f"{at} {'main' if ident == main else 'other'} {';'.join(names)}\\n")
            os.write(fd, "".join(lines).encode())

    threading.Thread(target=_bench_sample, daemon=True, name="bench-sampler").start()
"""


class PtyWatch:
    """Reads the console's terminal in a thread: each frame showing the cursor, as (monotonic time, tenant)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.cursor: list[tuple[float, int]] = []
        self.bytes = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        tail = b""
        while not self._stop.is_set():
            ready, _, _ = select.select([self.fd], [], [], 0.1)
            if not ready:
                continue
            try:
                chunk = os.read(self.fd, 65536)
            except OSError:  # the console has gone
                return
            at = time.monotonic()
            self.bytes += len(chunk)
            buffer = tail + chunk
            for match in CURSOR.finditer(buffer):
                if match.end() > len(tail):
                    self.cursor.append((at, int(match.group(1))))
            tail = buffer[-TAIL:]

    def last(self) -> int | None:
        return self.cursor[-1][1] if self.cursor else None

    def wait_for(self, check: Callable[[int], bool], timeout: float) -> bool:
        ends = time.monotonic() + timeout
        while time.monotonic() < ends:
            last = self.last()
            if last is not None and check(last):
                return True
            time.sleep(0.02)
        return False

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)


@dataclass
class Key:
    written: float
    target: int
    direction: int


@dataclass
class Run:
    """One console measured once."""

    latencies: list[float] = field(default_factory=list)  # seconds
    unanswered: int = 0
    during_full_gc: int = 0
    slow: int = 0  # answered in more than the target
    slow_during_full_gc: int = 0
    full_gcs: int = 0
    full_gc_ms: list[float] = field(default_factory=list)
    gc_collected: list[int] = field(default_factory=list)  # objects each full collection freed
    frozen: int = 0  # objects gc.freeze() had put out of the collector's reach, at the last full collection
    hwm_mb: float = float("nan")
    rss_mb: float = float("nan")
    cpu_share: float = float("nan")
    engine_share: float = float("nan")
    load: str = ""
    # --sample: where the console's threads were while keys slower than 50 ms waited for their frame
    main_thread: Counter[str] = field(default_factory=Counter)
    other_threads: Counter[str] = field(default_factory=Counter)
    slow_window_s: float = 0.0


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _memory_mb(pid: int) -> tuple[float, float]:
    values = {}
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            name, _, rest = line.partition(":")
            if name in ("VmHWM", "VmRSS"):
                values[name] = int(rest.split()[0]) / 1024
    return values["VmHWM"], values["VmRSS"]


def _load() -> str:
    with open("/proc/loadavg") as loadavg:
        return " ".join(loadavg.read().split()[:3])


def base_env(tree: Path, directory: Path, speed: float | None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUTOVER_")}
    env |= {
        "PYTHONPATH": os.pathsep.join([str(directory / "site"), str(tree)]),
        "TERM": "xterm-256color",
        "COLUMNS": str(COLS),
        "LINES": str(ROWS),
        "CUTOVER_STATE__PATH": str(directory / "cutover.db"),
    }
    if speed is not None:
        env["CUTOVER_SIMULATOR__SPEED"] = str(speed)
    return env


def build_store(tree: Path, directory: Path, tenants: int, speed: float | None) -> None:
    """The simulated fleet in `directory`/cutover.db, as `cutover demo` makes it, with `tree`'s code."""
    (directory / "site").mkdir(parents=True, exist_ok=True)
    (directory / "site" / "sitecustomize.py").write_text(SITECUSTOMIZE)
    subprocess.run(
        [sys.executable, "-m", "cutover", "demo", "--headless", "--tenants", str(tenants), "--ticks", "1"],
        env=base_env(tree, directory, speed),
        cwd=directory,
        check=True,
        capture_output=True,
    )


def _spawn_console(argv: list[str], env: dict[str, str], directory: Path) -> tuple[int, int]:
    pid, fd = pty.fork()
    if pid == 0:  # the child: its terminal is 120x35 before anything reads its size
        fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLS, 0, 0))
        os.chdir(directory)
        os.execvpe(sys.executable, [sys.executable, "-m", "cutover", *argv], env)
    return pid, fd


def _press(fd: int, keys: bytes) -> float:
    at = time.monotonic()
    os.write(fd, keys)
    return at


def _drive(fd: int, watch: PtyWatch, tenants: int, seconds: float, rng: random.Random) -> list[Key]:
    """Cursor keys for `seconds`, from T-1 down (and sometimes back up); what each key should show."""
    keys: list[Key] = []
    position, direction = 1, 1
    ends = time.monotonic() + seconds
    while time.monotonic() < ends:
        time.sleep(rng.uniform(0.03, 0.4))
        caught_up = watch.last() == position
        # Reverse only when the screen shows where the last key put the cursor (see the docstring).
        if caught_up and (rng.random() < 0.15 or not 10 < position < tenants - 10):
            direction = 1 if position <= 10 else -1 if position >= tenants - 10 else -direction
        count = rng.randint(2, 5) if rng.random() < 0.25 else 1
        count = min(count, position - 1 if direction < 0 else tenants - position)
        if count <= 0:
            continue
        written = b"".join(rng.choice(DOWN if direction > 0 else UP) for _ in range(count))
        at = _press(fd, written)
        for _ in range(count):
            position += direction
            keys.append(Key(at, position, direction))
    return keys


def _answer(keys: list[Key], frames: list[tuple[float, int]]) -> tuple[list[tuple[float, float]], int]:
    """(written, answered) of each key answered by a frame, and how many were not."""
    times = [at for at, _ in frames]
    answered, missing = [], 0
    for key in keys:
        index = bisect.bisect_right(times, key.written)
        for at, tenant in frames[index:]:
            if key.direction * (tenant - key.target) >= 0:
                answered.append((key.written, at))
                break
        else:
            missing += 1
    return answered, missing


def _full_gcs(path: Path) -> list[tuple[float, float, int, int]]:
    """(start, end, objects collected, objects frozen out of the collector) of each full collection."""
    if not path.exists():
        return []
    spans = []
    for line in path.read_text().splitlines():
        generation, start, end, collected, frozen = line.split()
        if generation == "2":
            spans.append((int(start) / 1e9, int(end) / 1e9, int(collected), int(frozen)))
    return spans


def _stop(pid: int, fd: int, engine: subprocess.Popen[bytes] | None) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGHUP)
    if engine is not None:
        engine.send_signal(signal.SIGTERM)
    # Keep reading until the console has gone: a terminal nobody reads would block its last writes.
    ends = time.monotonic() + 30
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > ends:
            os.kill(pid, signal.SIGKILL)
        ready, _, _ = select.select([fd], [], [], 0.05)
        if ready:
            try:
                os.read(fd, 65536)
            except OSError:
                os.waitpid(pid, 0)
                break
    os.close(fd)
    if engine is not None:
        engine.wait(timeout=30)


IDLE = ("selectors.py:select", "threading.py:wait", "queue.py:get", "threading.py:_wait_for_tstate_lock")


def _where(stack: list[str], main: bool) -> str | None:
    """What a sampled thread was doing: its innermost frame of cutover's, and the innermost frame of all
    (Textual's, Rich's, the standard library's) when that is another."""
    if stack[0].endswith(IDLE):
        return "(idle: the event loop waits for input)" if main else None
    ours = next((frame for frame in stack if frame.startswith("cutover/")), None)
    if ours is None:
        return stack[0] if main else None
    return ours if ours == stack[0] else f"{ours} > {stack[0]}"


def _profile(run: Run, samples: Path, slow: list[tuple[float, float]]) -> None:
    """Count the samples taken while a key slower than the target waited (each sample once)."""
    windows: list[list[float]] = []
    for start, end in sorted(slow):
        if windows and start <= windows[-1][1]:
            windows[-1][1] = max(windows[-1][1], end)
        else:
            windows.append([start, end])
    run.slow_window_s += sum(end - start for start, end in windows)
    starts = [start for start, _ in windows]
    if not samples.exists():
        return
    with samples.open() as lines:
        for line in lines:
            at_ns, thread, stack = line.rstrip("\n").split(" ", 2)
            at = int(at_ns) / 1e9
            index = bisect.bisect_right(starts, at) - 1
            if index < 0 or at > windows[index][1]:
                continue
            where = _where(stack.split(";"), thread == "main")
            if where is None:
                continue
            (run.main_thread if thread == "main" else run.other_threads)[where] += 1


def measure(
    tree: Path,
    directory: Path,
    tenants: int,
    mode: str,
    seconds: float,
    warm_up: float,
    speed: float | None,
    sample: bool = False,
) -> Run:
    env = base_env(tree, directory, speed)
    gc_log = directory / f"gc-{time.monotonic_ns()}.log"
    samples = directory / f"samples-{time.monotonic_ns()}.log"
    engine = None
    if mode == "read-only":
        engine = subprocess.Popen(
            [sys.executable, "-m", "cutover", "engine"],
            env=env,
            cwd=directory,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    argv = ["console", "--read-only"] if mode == "read-only" else ["console"]
    console_env = env | {"BENCH_GC_LOG": str(gc_log)} | ({"BENCH_SAMPLE_LOG": str(samples)} if sample else {})
    pid, fd = _spawn_console(argv, console_env, directory)
    watch = PtyWatch(fd)
    run = Run()
    try:
        if not watch.wait_for(lambda _: True, 120):
            raise RuntimeError(f"{tree}: no cursor on screen in 120 s")
        time.sleep(warm_up)
        _press(fd, SORT)
        time.sleep(1.0)
        # The whole fleet is loaded when End reaches the last tenant (at first paint it is only a screenful).
        for _ in range(60):
            _press(fd, END)
            if watch.wait_for(lambda tenant: tenant == tenants, 2.0):
                break
        else:
            raise RuntimeError(f"{tree}: End never reached T-{tenants}")
        _press(fd, HOME)
        if not watch.wait_for(lambda tenant: tenant == 1, 30):
            raise RuntimeError(f"{tree}: Home never reached the first tenant")
        time.sleep(1.0)
        cpu0, wall0 = _cpu_seconds(pid), time.monotonic()
        engine0 = _cpu_seconds(engine.pid) if engine else 0.0
        keys = _drive(fd, watch, tenants, seconds, random.Random(17))
        time.sleep(2.0)  # the last keys' frames
        wall = time.monotonic() - wall0
        run.cpu_share = (_cpu_seconds(pid) - cpu0) / wall
        if engine:
            run.engine_share = (_cpu_seconds(engine.pid) - engine0) / wall
        run.hwm_mb, run.rss_mb = _memory_mb(pid)
        run.load = _load()
        answered, run.unanswered = _answer(keys, list(watch.cursor))
        run.latencies = [at - written for written, at in answered]
        during = [gc for gc in _full_gcs(gc_log) if gc[0] < wall0 + wall and gc[1] > wall0]
        full = [(start, end) for start, end, _, _ in during]
        run.gc_collected = [collected for _, _, collected, _ in during]
        run.frozen = max((frozen for _, _, _, frozen in during), default=0)
        run.full_gcs = len(full)
        run.full_gc_ms = [(end - start) * 1000 for start, end in full]
        in_gc = [any(start < at and end > written for start, end in full) for written, at in answered]
        run.during_full_gc = sum(in_gc)
        slow = [at - written > KEY_P95_TARGET_MS / 1000 for written, at in answered]
        run.slow = sum(slow)
        run.slow_during_full_gc = sum(a and b for a, b in zip(slow, in_gc, strict=True))
        if sample:
            _profile(run, samples, [span for span, late in zip(answered, slow, strict=True) if late])
    finally:
        _stop(pid, fd, engine)
        watch.stop()
    return run


def _merge(runs: list[Run]) -> Run:
    merged = Run(load=" / ".join(run.load for run in runs))
    for run in runs:
        merged.latencies += run.latencies
        merged.unanswered += run.unanswered
        merged.during_full_gc += run.during_full_gc
        merged.slow += run.slow
        merged.slow_during_full_gc += run.slow_during_full_gc
        merged.full_gcs += run.full_gcs
        merged.full_gc_ms += run.full_gc_ms
        merged.gc_collected += run.gc_collected
        merged.frozen = max(merged.frozen, run.frozen)
        merged.main_thread += run.main_thread
        merged.other_threads += run.other_threads
        merged.slow_window_s += run.slow_window_s
    merged.hwm_mb = max(run.hwm_mb for run in runs)
    merged.rss_mb = max(run.rss_mb for run in runs)
    merged.cpu_share = statistics.mean(run.cpu_share for run in runs)
    merged.engine_share = statistics.mean(run.engine_share for run in runs)
    return merged


HEADER = (
    f"{'tenants':>8} {'console':<11} {'tree':<7} {'keys':>5} {'median':>7} {'p95':>7} {'max':>7} {'lost':>4} "
    f"{'in full GC':>10} {'>50ms (in GC)':>13} {'full GCs (max ms)':>17} {'peak RSS':>9} {'RSS':>7} "
    f"{'CPU':>6} {'engine':>6}  load"
)


def _row(tenants: int, mode: str, label: str, run: Run) -> str:
    ms = sorted(latency * 1000 for latency in run.latencies)
    if len(ms) >= 2:
        median, p95, worst = statistics.median(ms), statistics.quantiles(ms, n=20)[18], ms[-1]
    else:
        median = p95 = worst = float("nan")
    slow = f"{run.slow} ({run.slow_during_full_gc})"
    gcs = f"{run.full_gcs} ({max(run.full_gc_ms, default=0):.0f})"
    engine = f"{run.engine_share * 100:5.1f}%" if run.engine_share == run.engine_share else "     -"
    return (
        f"{tenants:>8,} {mode:<11} {label:<7} {len(ms):>5} {median:>5.1f}ms {p95:>5.1f}ms {worst:>5.0f}ms "
        f"{run.unanswered:>4} {run.during_full_gc:>10} {slow:>13} {gcs:>17} {run.hwm_mb:>6.0f} MB "
        f"{run.rss_mb:>4.0f} MB {run.cpu_share * 100:>5.1f}% {engine}  {run.load}"
    )


def _print_profile(what: str, run: Run) -> None:
    main_total = sum(run.main_thread.values())
    print(
        f"  {what}: keys > {KEY_P95_TARGET_MS:.0f} ms waited {run.slow_window_s:.1f} s in all; main thread sampled "
        f"{main_total} times in it (every 10 ms would be {run.slow_window_s * 100:.0f}: the rest, no sample, "
        "is the GIL held elsewhere: a collection, or another thread)"
    )
    if run.full_gc_ms:
        print(
            f"    full collections: {', '.join(f'{ms:.0f}' for ms in run.full_gc_ms)} ms, freeing "
            f"{', '.join(f'{n:,}' for n in run.gc_collected)} objects; {run.frozen:,} objects frozen (gc.freeze)"
        )
    for where, count in run.main_thread.most_common(8):
        print(f"    main  {count / max(main_total, 1) * 100:5.1f}%  {where}")
    for where, count in run.other_threads.most_common(5):
        print(f"    other {count:>5} samples  {where}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("sizes", nargs="*", type=int, default=[2_500, 10_000, 50_000])
    parser.add_argument("--before", type=Path, help="a checkout of an earlier commit, measured alternately")
    parser.add_argument("--seconds", type=float, default=30.0, help="seconds of keys a round")
    parser.add_argument("--rounds", type=int, default=1, help="rounds a tree (alternating with --before)")
    parser.add_argument("--mode", choices=["read-only", "own-engine", "both"], default="both")
    parser.add_argument("--speed", type=float, help="world seconds a real second (default: the setting's, 1)")
    parser.add_argument("--warm-up", type=float, default=10.0, help="seconds after the first frame")
    parser.add_argument(
        "--sample",
        action="store_true",
        help="also sample the console's threads every 10 ms (a diagnosis: it slows the console a little)",
    )
    args = parser.parse_args()
    trees = [("before", args.before.resolve()), ("after", HERE)] if args.before else [("this", HERE)]
    modes = ["read-only", "own-engine"] if args.mode == "both" else [args.mode]
    print(
        f"bench_console_live: {', '.join(f'{label} {tree}' for label, tree in trees)}; {args.seconds:.0f} s of keys "
        f"x {args.rounds} round(s) a tree and console, {COLS}x{ROWS}, world speed {args.speed or 'default'}, "
        f"{os.cpu_count()} cores, load {_load()}",
        flush=True,
    )
    print(
        f"targets (issue 17) at 50,000 tenants: key press -> frame p95 <= {KEY_P95_TARGET_MS:.0f} ms, "
        f"console peak RSS <= {RSS_TARGET_MB:.0f} MB",
        flush=True,
    )
    print(HEADER, flush=True)
    for tenants in args.sizes:
        with tempfile.TemporaryDirectory(prefix="bench-live-") as tmp:
            stores = {}
            for label, tree in trees:
                stores[label] = Path(tmp) / label
                build_store(tree, stores[label], tenants, args.speed)
            for mode in modes:
                runs: dict[str, list[Run]] = {label: [] for label, _ in trees}
                for _ in range(args.rounds):
                    for label, tree in trees:
                        runs[label].append(
                            measure(
                                tree, stores[label], tenants, mode, args.seconds, args.warm_up, args.speed, args.sample
                            )
                        )
                merged = {label: _merge(runs[label]) for label, _ in trees}
                for label, _ in trees:
                    print(_row(tenants, mode, label, merged[label]), flush=True)
                if args.sample:
                    for label, _ in trees:
                        _print_profile(f"{tenants:,} {mode} {label}", merged[label])
    print(f"load at the end {_load()}", flush=True)


if __name__ == "__main__":
    main()
