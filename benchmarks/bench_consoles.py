"""Five read-only consoles on one store while an engine leads: the CPU they take together, per second.

Run by hand: .venv/bin/python benchmarks/bench_consoles.py [TENANTS] [SECONDS] [BEFORE_TREE]
(defaults 10000, 60; BEFORE_TREE: a checkout of an earlier commit whose consoles run beside this tree's, on a
store of their own, in the same run, for a before/after figure).

The store is the built-in simulated fleet (`cutover demo --headless` builds it); `cutover engine` leads it (its
polls write what they observe), and five `cutover console --read-only` run in pseudo-terminals at 120x35, their
output read and thrown away, as five people watching from one jump host. After a warm-up, the CPU time each
process used (from /proc) over SECONDS is printed, as a share of one core. A jump host has two cores: the issue's
worry is that 4-5 watchers took one of them (18.8 % of a core each at 10,000 tenants).
"""

from __future__ import annotations

import os
import pty
import select
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

CONSOLES = 5
WARM_UP = 20.0


def _cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _drain(fd: int, stop: threading.Event) -> None:
    while not stop.is_set():
        ready, _, _ = select.select([fd], [], [], 0.2)
        if ready:
            try:
                os.read(fd, 65536)
            except OSError:
                return


def measure(tree: Path, tenants: int, seconds: float) -> tuple[list[float], float]:
    """(each console's share of a core, the engine's share) with the code of `tree`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUTOVER_")}
    env |= {"PYTHONPATH": str(tree), "TERM": "xterm-256color", "COLUMNS": "120", "LINES": "35"}
    with tempfile.TemporaryDirectory() as tmp:
        cutover = [sys.executable, "-m", "cutover"]
        subprocess.run(
            [*cutover, "demo", "--headless", "--tenants", str(tenants), "--ticks", "1"],
            env=env,
            cwd=tmp,
            check=True,
            capture_output=True,
        )
        engine = subprocess.Popen(
            [*cutover, "engine"], env=env, cwd=tmp, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        consoles: list[tuple[int, int]] = []
        stop = threading.Event()
        drains = []
        try:
            for _ in range(CONSOLES):
                pid, fd = pty.fork()
                if pid == 0:
                    os.chdir(tmp)
                    os.execvpe(sys.executable, [*cutover, "console", "--read-only"], env)
                consoles.append((pid, fd))
                drain = threading.Thread(target=_drain, args=(fd, stop), daemon=True)
                drain.start()
                drains.append(drain)
            time.sleep(WARM_UP)
            before = [_cpu_seconds(pid) for pid, _ in consoles]
            engine_before = _cpu_seconds(engine.pid)
            time.sleep(seconds)
            after = [_cpu_seconds(pid) for pid, _ in consoles]
            engine_after = _cpu_seconds(engine.pid)
        finally:
            for pid, _ in consoles:
                os.kill(pid, signal.SIGHUP)
            engine.send_signal(signal.SIGTERM)
            time.sleep(2)
            stop.set()
            for pid, fd in consoles:
                try:
                    os.waitpid(pid, 0)
                finally:
                    os.close(fd)
            engine.wait(timeout=30)
    shares = [(a - b) / seconds for a, b in zip(after, before, strict=True)]
    return shares, (engine_after - engine_before) / seconds


def _report(label: str, shares: list[float], engine: float) -> None:
    each = ", ".join(f"{share * 100:.1f}" for share in shares)
    print(
        f"{label}: {CONSOLES} consoles together {sum(shares) * 100:.1f} % of a core (each: {each} %); "
        f"the engine {engine * 100:.1f} %"
    )


def main() -> None:
    tenants = int(sys.argv[1]) if len(sys.argv) > 1 else 10_000
    seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0
    before = Path(sys.argv[3]) if len(sys.argv) > 3 else None
    here = Path(__file__).resolve().parent.parent
    print(f"{tenants:,} tenants, {seconds:.0f} s after a {WARM_UP:.0f} s warm-up, load {os.getloadavg()[0]:.2f}")
    if before is not None:
        _report(f"before ({before})", *measure(before, tenants, seconds))
    _report("now", *measure(here, tenants, seconds))


if __name__ == "__main__":
    main()
