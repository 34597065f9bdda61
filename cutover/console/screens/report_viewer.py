"""`e` (and the palette's "Report…"): a tenant's compliance report, as `cutover report TENANT` writes it, in a
scrollable Markdown view. Built in a thread (the store may be busy); Esc or q goes back."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Markdown, Static

from cutover.actions.reports.model import TenantReport
from cutover.config.text import visible


class ReportViewerScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "app.pop_screen", "Back")]

    def __init__(self, tenant_id: str, read: Callable[[], tuple[TenantReport, str]]) -> None:
        super().__init__()
        self.tenant_id = tenant_id
        self._read = read
        self.report: TenantReport | None = None

    def compose(self) -> ComposeResult:
        yield Static(Text(f"{self.tenant_id}: compliance report, reading the store…", style="bold"), id="report-title")
        with VerticalScroll(id="report-body"):
            yield Markdown("", id="report-markdown")
        yield Footer()

    def on_mount(self) -> None:
        self.query_one("#report-body", VerticalScroll).focus()
        self._load()

    @work(exclusive=True, group="report", exit_on_error=False)
    async def _load(self) -> None:
        title = self.query_one("#report-title", Static)
        try:
            report, text = await asyncio.to_thread(self._read)
        except Exception as exc:  # the store may be busy or gone: say so, the console carries on
            title.update(Text(visible(f"{self.tenant_id}: cannot make the report ({exc})"), style="bold bright_red"))
            return
        self.report = report
        await self.query_one("#report-markdown", Markdown).update(text)
        title.update(
            Text.assemble(
                (f"{report.tenant_id}: compliance report", "bold"),
                visible(f" · audit head event {report.seal.head_seq} · "),
                (f"`cutover report {report.tenant_id} -o FILE` writes it", "dim"),
            )
        )
