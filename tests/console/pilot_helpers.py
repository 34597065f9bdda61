"""What the console's pilot tests share: waiting for a worker's result, reading the terminal as shown."""

from __future__ import annotations

from waiting import eventually_async


async def until(
    pilot, condition, timeout: float = 20.0, *, interval: float = 0.01, what: str = "the console getting there"
) -> None:
    """Plans and submissions run in workers: wait for what they show (generously: CI may be busy).

    The app runs between tries (`pilot.pause`), so it handles its messages meanwhile."""
    await eventually_async(condition, timeout=timeout, interval=interval, what=what, sleep=pilot.pause)


def shown_text(static) -> str:
    """The words a Static shows (its content as Rich renders it, wide enough not to wrap), without markup."""
    import io

    from rich.console import Console

    console = Console(width=400, file=io.StringIO(), record=True, color_system=None)
    console.print(static.content)
    return console.export_text()


def screen_lines(app) -> list[str]:
    """The terminal as the operator sees it now, one string a row.

    Textual has no public way to read the screen as text: its own export_screenshot() goes through the same
    private compositor (and gives SVG). Screen.get_style_at is the public way to read a cell's style."""
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
