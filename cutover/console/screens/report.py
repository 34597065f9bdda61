"""A read-only report in a dialog: gate results, a dry run's change sets. Esc or Enter closes it."""

from __future__ import annotations

from typing import ClassVar

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

from cutover.actions.plan.gate import CheckResult, GateResult, GateVerdict, remedy_sentence
from cutover.actions.plan.plans import Rehearsal

RESULT_STYLE = {CheckResult.PASS: "green", CheckResult.FAIL: "bold bright_red", CheckResult.UNKNOWN: "yellow"}
VERDICT_STYLE = {
    GateVerdict.ELIGIBLE: "bold green",
    GateVerdict.BLOCKED: "bold bright_red",
    GateVerdict.UNKNOWN: "bold yellow",
}


def gate_table(results: list[GateResult], *, one_tenant: bool = False) -> Table:
    """Each tenant's verdict, then its checks, blocking ones first. `one_tenant` leaves the tenant column out."""
    table = Table(box=None, show_header=True, header_style="bold", pad_edge=False, expand=one_tenant)
    if not one_tenant:
        table.add_column("TENANT", no_wrap=True)
    table.add_column("CHECK", no_wrap=True)
    table.add_column("", no_wrap=True)
    table.add_column("EVIDENCE", ratio=1, min_width=24, overflow="fold")
    for result in results:
        first = [Text(result.tenant_id, style="bold")] if not one_tenant else []
        table.add_row(*first, Text(result.verdict.value, style=VERDICT_STYLE[result.verdict]), "", result.why())
        # What stops the tenant first; then what the cutover's own steps will fix; then what passes.
        for check in sorted(result.checks, key=lambda check: (not check.blocking, bool(check.remedy))):
            evidence = check.evidence_with_age()
            if check.remedy and check.blocking:
                evidence += f" (the cutover {remedy_sentence([check.remedy])})"
            if check.overridden:
                evidence += f" (overridden: {check.overridden})"
            lead = [""] if not one_tenant else []
            table.add_row(*lead, check.name, Text(check.result.value, style=RESULT_STYLE[check.result]), evidence)
    return table


def rehearsal_text(rehearsal: Rehearsal) -> Text:
    text = Text()
    plan = rehearsal.plan
    source = "read live from DNS" if rehearsal.dns_read_live else "as last read by the engine"
    text.append(f"Dry run of {plan.kind}: nothing was changed (records {source}).\n\n", style="bold")
    for change_set in rehearsal.change_sets:
        for line in change_set.lines:
            text.append(f"{line.tenant_id} ", style="bold")
            text.append(f"{line.name}: ")
            if line.noop:
                text.append("already as wanted, no change\n", style="dim")
                continue
            text.append(line.before, style="bright_red")
            text.append(" -> ")
            text.append(line.after + "\n", style="green")
    if plan.problems:
        text.append("\nIt would be refused:\n", style="bold bright_red")
        for problem in plan.problems:
            text.append(f"  {problem}\n", style="bright_red")
    else:
        text.append("\nIt would be allowed.\n", style="green")
    return text


class ReportScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,enter,q", "dismiss", "Close")]

    def __init__(self, title: str, body: RenderableType) -> None:
        super().__init__()
        self.title_text = title
        self.body = body

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="report-body"):
            yield Static(Text(self.title_text, style="bold"))
            yield Static(self.body)
        yield Footer()  # says how to close it: esc, enter or q
