"""Stopping cleanly on a signal: Ctrl-C, SIGTERM, and SIGHUP when the SSH session drops."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable, Iterable

STOPPING_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


def on_signals(handler: Callable[[int], None], signums: Iterable[int]) -> None:
    """Run handler(signum) on the running loop when one of signums arrives."""
    loop = asyncio.get_running_loop()
    for signum in signums:
        # Where the platform has no such handling (NotImplementedError), the loop is not the main thread's
        # (RuntimeError: a test runner's thread) or the signal does not exist here (ValueError), the default
        # handling stays: nothing to install.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signum, handler, signum)


def stop_on_signals(stop: Callable[[], None]) -> None:
    """Ctrl-C, SIGTERM and SIGHUP call stop: an engine hands its lease over."""
    on_signals(lambda _signum: stop(), STOPPING_SIGNALS)
