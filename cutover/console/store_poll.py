"""The console's 1 Hz loop, written once: read the store in a thread, show it on the UI loop, wait a
second or until woken. A read (or a show) that fails is shown and retried: a busy or broken store never
kills the loop, so a screen never freezes on old data without saying so."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import NoReturn, TypeVar

T = TypeVar("T")


async def poll_store(
    read: Callable[[], T],
    show: Callable[[T], object],
    failed: Callable[[Exception], object],
    wake: asyncio.Event,
    *,
    interval: float = 1.0,
    started: Callable[[], object] | None = None,
    finished: Callable[[], object] | None = None,
) -> NoReturn:
    """Run in a worker for as long as the screen lives. A wake set while a read runs brings the next read
    at once. `started`/`finished` bracket each attempt (the app counts them for refresh_now)."""
    while True:
        wake.clear()
        if started is not None:
            started()
        try:
            value = await asyncio.to_thread(read)
            show(value)
        except Exception as exc:
            failed(exc)
        finally:
            if finished is not None:
                finished()
        # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation (the console closing)
        # that arrives as the wake is set, and the wakes come often on PostgreSQL (another host's changes).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(interval):
                await wake.wait()
