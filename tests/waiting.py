"""Waiting on what a test can observe, instead of sleeping and hoping: one helper for every wait in the suite.

`eventually(check)` calls `check` until it passes or `timeout` wall seconds have gone by, then fails naming
`what` (a string, or a function giving one when the wait fails) and the last assertion's message.
A check passes when it returns a truthy value, which `eventually` returns. An AssertionError from it means
"not yet", so a check can be written with asserts (ending `return True`); None is "not yet" too, so a
function that forgets to return can never pass by accident.
Anything else it raises ends the wait at once: a bug is not something to wait out.

`eventually_async` is the same for a test running on an event loop; `sleep` is what it waits with between
tries (`pilot.pause` for a Textual pilot, so the app handles its messages meanwhile).
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

T = TypeVar("T")

_NOT_YET = object()


def _outcome(result: Any) -> Any:
    """The check's result if it passed, _NOT_YET if it did not."""
    return result if result else _NOT_YET


Description = str | Callable[[], str] | None


def _failure(what: Description, check: Callable, timeout: float, last: AssertionError | None) -> AssertionError:
    name = (what() if callable(what) else what) or getattr(check, "__name__", "the condition")
    message = f"{name} did not happen within {timeout:g} s"
    if last is not None and str(last):
        message += f"; last: {last}"
    return AssertionError(message)


def eventually(
    check: Callable[[], T],
    *,
    timeout: float = 30.0,
    interval: float = 0.02,
    what: Description = None,
) -> T:
    """Call `check` every `interval` seconds until it passes; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    last: AssertionError | None = None
    while True:
        try:
            passed = _outcome(check())
        except AssertionError as error:
            passed, last = _NOT_YET, error
        if passed is not _NOT_YET:
            return passed
        if time.monotonic() >= deadline:
            raise _failure(what, check, timeout, last) from last
        time.sleep(interval)


async def eventually_async(
    check: Callable[[], T | Awaitable[T]],
    *,
    timeout: float = 30.0,
    interval: float = 0.02,
    what: Description = None,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> T:
    """`eventually` on an event loop: the loop runs between tries; `check` may be a coroutine function."""
    deadline = time.monotonic() + timeout
    last: AssertionError | None = None
    while True:
        try:
            result = check()
            if inspect.isawaitable(result):
                result = await result
            passed = _outcome(result)
        except AssertionError as error:
            passed, last = _NOT_YET, error
        if passed is not _NOT_YET:
            return passed
        if time.monotonic() >= deadline:
            raise _failure(what, check, timeout, last) from last
        await sleep(interval)
