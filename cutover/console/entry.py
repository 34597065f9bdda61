"""The `cutover` executable's first moment: `--version` answers before anything heavy is imported, and the
garbage collector waits until the start-up is over."""

from __future__ import annotations

import gc
import sys
import threading

# Start-up allocates what lives as long as the process (modules, classes, settings, the first screenful): the
# collector's passes over it free nothing and cost about 45 ms of the console's first paint (0.52 -> 0.47 s
# measured). It is paused from the first import until the console's first frame is on the terminal (app.py
# resumes it) and at most START_UP_S whatever the command, so no process runs long without it.
START_UP_S = 2.0
_paused = False


def pause_collector_for_start_up() -> None:
    global _paused
    if not gc.isenabled():
        return  # someone else turned it off: theirs to turn on
    gc.disable()
    _paused = True
    deadline = threading.Timer(START_UP_S, resume_collector)
    deadline.daemon = True
    deadline.start()


def resume_collector() -> None:
    """The start-up is over: the collector runs again (only if this module paused it)."""
    global _paused
    if _paused:
        _paused = False
        gc.enable()


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        from cutover import __version__

        print(f"cutover, version {__version__}")
        return
    pause_collector_for_start_up()
    from cutover.console.cli import main as cli_main

    cli_main()
