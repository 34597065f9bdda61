"""How the console's ANSI colour names look in each theme it offers, and what they become under NO_COLOR.

Every style in the console is written with ANSI names ("bold bright_red", "yellow"), so a 16-colour
terminal shows them in its own palette. On a truecolour terminal Textual maps the names through an
ANSI theme: ours pick, for each name, a colour that reads at 4.5:1 or better (WCAG AA) on the
theme's backgrounds. With NO_COLOR the terminal's own colours are kept and meaning is carried by
bold, reverse, underline and the symbols in the text.
"""

from __future__ import annotations

from functools import lru_cache

from rich.style import Style
from rich.terminal_theme import TerminalTheme

# The order of TerminalTheme's colours: the 8 normal, then the 8 bright.
ANSI_NAMES = (
    "black", "red", "green", "yellow", "blue", "magenta", "cyan", "white",
    "bright_black", "bright_red", "bright_green", "bright_yellow",
    "bright_blue", "bright_magenta", "bright_cyan", "bright_white",
)  # fmt: skip

DARK = TerminalTheme(
    (18, 18, 18),
    (224, 224, 224),
    [
        (26, 26, 26), (255, 95, 120), (152, 224, 36), (253, 151, 31),
        (157, 130, 255), (235, 120, 235), (88, 209, 235), (196, 197, 181),
    ],
    [
        (150, 150, 140), (255, 110, 130), (170, 235, 80), (230, 220, 110),
        (160, 150, 255), (240, 140, 240), (120, 220, 240), (246, 246, 239),
    ],
)  # fmt: skip
LIGHT = TerminalTheme(
    (224, 224, 224),
    (20, 20, 20),
    [
        (0, 0, 0), (165, 30, 30), (25, 95, 10), (120, 80, 0),
        (40, 70, 170), (125, 45, 150), (0, 95, 125), (247, 247, 247),
    ],
    [
        (85, 85, 85), (165, 25, 25), (25, 90, 10), (115, 80, 0),
        (30, 60, 160), (120, 35, 145), (0, 90, 120), (247, 247, 247),
    ],
)  # fmt: skip
# A 16-colour terminal shows its own palette; xterm's defaults on black stand for it in the contrast test.
XTERM_16 = TerminalTheme(
    (0, 0, 0),
    (229, 229, 229),
    [(0, 0, 0), (205, 0, 0), (0, 205, 0), (205, 205, 0), (0, 0, 238), (205, 0, 205), (0, 205, 205), (229, 229, 229)],
    [
        (127, 127, 127), (255, 0, 0), (0, 255, 0), (255, 255, 0),
        (92, 92, 255), (255, 0, 255), (0, 255, 255), (255, 255, 255),
    ],
)  # fmt: skip

# The themes the console offers (the palette's "Change theme" lists only these): each has been measured.
OFFERED_THEMES = ("textual-dark", "textual-light", "ansi-dark")

_LOUD = {"red", "bright_red"}
_MARKED = {"magenta", "bright_magenta"}
_WARNING = {"yellow", "bright_yellow"}


@lru_cache(maxsize=256)
def no_color_style(style: str) -> str:
    """A style for NO_COLOR: its colours dropped, their meaning carried by text attributes instead:
    red (failure) reverse and bold, magenta (at work) bold, yellow (warning) underlined."""
    if not style:
        return style
    parsed = Style.parse(style)
    colour = parsed.color.name if parsed.color is not None else ""
    words = [word for word in style.split() if word not in ANSI_NAMES and not word.startswith(("on", "#", "rgb"))]
    if colour in _LOUD:
        words += ["bold", "reverse"]
    elif colour in _MARKED:
        words += ["bold"]
    elif colour in _WARNING:
        words += ["underline"]
    return " ".join(dict.fromkeys(words))
