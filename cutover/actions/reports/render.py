"""Reports rendered by jinja2 templates shipped with the package (templates/*.md.j2, *.html.j2).

HTML templates escape everything they print (autoescape); Markdown ones escape
what would break a table cell or start markup. Times are shown in the report's
zone with the date and the zone named.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Literal
from zoneinfo import ZoneInfo

import jinja2

from cutover.actions.reports.model import NightReport, TenantReport
from cutover.config.units import format_duration, format_timestamp

Format = Literal["md", "html"]
FORMATS: tuple[Format, ...] = ("md", "html")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<|])")


def md_cell(value: object) -> str:
    """A value safe inside a Markdown table cell: one line, markup characters escaped."""
    text = " ".join(str(value if value is not None else "").split())
    return _MD_SPECIAL.sub(r"\\\1", text)


def _percent(value: float | None, places: int = 2) -> str:
    return "n/a" if value is None else f"{value * 100:.{places}f} %"


def _ms(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.0f} ms"


def _duration(value: float | None) -> str:
    return "n/a" if value is None else format_duration(value)


@cache
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("cutover.actions.reports", "templates"),
        autoescape=jinja2.select_autoescape(enabled_extensions=("html.j2",), default_for_string=False),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(md=md_cell, percent=_percent, ms=_ms, duration=_duration)
    return env


def _render(name: str, fmt: Format, zone_name: str, **context: object) -> str:
    if fmt not in FORMATS:
        raise ValueError(f"{fmt!r} is not a report format: use md or html")
    zone = ZoneInfo(zone_name)

    def when(ts: float | None) -> str:
        return "n/a" if ts is None else format_timestamp(ts, zone)

    return _environment().get_template(f"{name}.{fmt}.j2").render(when=when, **context)


def render_tenant(report: TenantReport, fmt: Format = "md") -> str:
    return _render("tenant", fmt, report.zone, r=report)


def render_night(report: NightReport, fmt: Format = "md") -> str:
    return _render("night", fmt, report.zone, r=report)
