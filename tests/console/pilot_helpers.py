"""What the console's pilot tests share: waiting for a worker's result, reading the terminal as shown."""

from __future__ import annotations

import time


async def until(pilot, condition, timeout: float = 20.0) -> None:
    """Plans and submissions run in workers: wait for what they show (generously: CI may be busy)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("the console never got there")
        await pilot.pause(0.01)


def screen_lines(app) -> list[str]:
    """The terminal as the operator sees it now, one string a row."""
    return [strip.text for strip in app.screen._compositor.render_strips()]
