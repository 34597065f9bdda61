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


async def burst(pilot, *keys: str) -> None:
    """Keys as one read from the terminal brings them (type-ahead over SSH, a paste): every one queued before
    the console handles the first, then time for the console to handle them all."""
    from textual import events
    from textual.keys import _character_to_key

    app = pilot.app
    for key in keys:
        name = _character_to_key(key) if len(key) == 1 and not key.isalnum() else key
        character = key if len(key) == 1 else {"enter": "\r", "space": " ", "tab": "\t"}.get(key)
        if key == "space":
            name = "space"
        app.post_message(events.Key(name, character))
    await pilot.pause()
    await pilot.pause()
