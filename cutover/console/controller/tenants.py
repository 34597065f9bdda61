"""The actions on the selected tenants before and after their move: sync, validate, approve, decommission,
and their compliance report, each through the same confirmations, reasons and refusals as the CLI.

Every plan and submission runs in a thread (the store may be busy; the screen never waits on it), and
nothing here reaches a provider: the engine runs the jobs submitted.
"""

from __future__ import annotations

import asyncio

from textual import work

from cutover.config.text import visible_lines
from cutover.console.controller.base import Acting
from cutover.console.controller.targets import TargetSet
from cutover.model.lifecycle import DomainError

# What each sync mode does, as the dialog says it (the CLI's `cutover sync`, `--final`, `--verify`).
SYNC_WORDS = {
    "start": ("start sync", "starts the initial copy and continuous sync (pending, failed or rolled back -> syncing)"),
    "final": ("final sync", "runs a final sync, then a verification proving lag 0"),
    "verify": ("verify sync", "runs the verification proving lag 0 (no copy)"),
}


WORLD_CHANGING_HERE = frozenset({"sync_tenants", "validate_tenants", "approve_tenants", "decommission_tenants"})


class TenantActions(Acting):
    """Mixed into CutoverApp (see controller.py): the actions beyond cut over, ramp, roll back and batch."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """In --read-only these keys are hidden (help, footer) and refused, as the fleet's other actions."""
        if self.read_only and action in WORLD_CHANGING_HERE:
            return False
        return super().check_action(action, parameters)

    # --- sync, validate, approve ---------------------------------------------------------------
    # The keys' actions (keys.py: "app.sync_tenants('start')", ...), on the fleet and in the detail.

    def action_sync_tenants(self, mode: str) -> None:
        self.start_sync(mode)

    def action_validate_tenants(self) -> None:
        self.start_validate()

    def action_approve_tenants(self) -> None:
        self.start_approve()

    def action_open_report(self) -> None:
        """The compliance report of the tenant in the detail, else the one under the cursor, in a viewer."""
        from cutover.actions.reports.make import tenant_report
        from cutover.console.screens.detail import TenantDetailScreen
        from cutover.console.screens.report_viewer import ReportViewerScreen

        main = self._main()
        if isinstance(self.screen, TenantDetailScreen):
            tenant_id = self.screen.tenant_id
        elif main is not None and main.table.cursor_row is not None:
            tenant_id = main.table.cursor_row.tenant_id
        else:
            self.notify("no tenant under the cursor: move it to one first", severity="warning")
            return
        session = self.session
        self.push_screen(ReportViewerScreen(tenant_id, lambda: tenant_report(session, tenant_id, "md")))

    def action_decommission_tenants(self) -> None:
        """Decommission the marked tenants, or the one under the cursor, after their watch (no way back)."""
        self.typeahead.hold("the decommission confirmation", self.prepare_decommission())

    @work(group="act", exclusive=True, exit_on_error=False)
    async def prepare_decommission(self) -> None:
        """Decommission the marked tenants or the one under the cursor: those a rule refuses are set aside with
        why; the rest confirmed by typing `decommission T-0042` after reading that it is the point of no return."""
        if self._refuse_if_read_only("decommission"):
            return
        ids, note, main = self._selection()
        if not ids or main is None:
            self.notify("no tenant selected: move the cursor to one, or mark some with space", severity="warning")
            return
        ops = self.operations
        try:
            refused = await asyncio.to_thread(ops.decommission_refusals, ids)
        except DomainError as exc:
            self.notify(visible_lines(str(exc)), title="Cannot decommission", severity="error", markup=False)
            return
        reasons: dict[str, list[str]] = {}
        for refusal in refused:
            reasons.setdefault(refusal.tenant_id, []).append(refusal.text().removeprefix(f"{refusal.tenant_id}: "))
        eligible = tuple(tid for tid in ids if tid not in reasons)
        if not eligible:
            lines = [f"{tid}: {'; '.join(why)}" for tid, why in reasons.items()]
            shown = visible_lines("\n".join(lines))
            self.notify(shown, title="Refused: decommission", severity="warning", markup=False)
            return
        excluded = tuple((tid, "; ".join(why)) for tid, why in reasons.items())
        retire = await asyncio.to_thread(self._retire_lines, eligible)
        from cutover.actions.plan.decommission_rules import POINT_OF_NO_RETURN  # not before the first paint

        detail = "\n".join(filter(None, [POINT_OF_NO_RETURN[0].upper() + POINT_OF_NO_RETURN[1:] + ".", retire, note]))
        from cutover.console.screens.decommission import ConfirmDecommission

        phrase = ops.decommission_phrase(eligible)
        dialog = ConfirmDecommission(TargetSet("decommission", eligible, excluded, detail), phrase, "")
        if not await self.push_screen_wait(dialog):
            self.notify("decommission: cancelled, nothing done", timeout=3)
            return
        try:
            job = await asyncio.to_thread(ops.decommission, eligible, reason=dialog.reason, confirmation=phrase)
        except DomainError as exc:
            self.notify(visible_lines(str(exc)), title="Decommission refused", severity="error", markup=False)
            return
        main.table.set_marks(main.table.marked - set(eligible))
        self.notify(f"{job.job_id} submitted: decommission of {', '.join(eligible)}", title="Submitted")
        await self.refresh_now()

    def _retire_lines(self, tenant_ids: tuple[str, ...]) -> str:
        """What remains on AWS to retire after it, per tenant (for the team's own tooling)."""
        from cutover.actions.plan.decommission_rules import to_retire

        with self.session.store.read():
            found = [self.session.tenants.get(tid) for tid in tenant_ids]
        lines = ["Then to retire on AWS (cutover lists it, your tooling removes it):"]
        for tenant in found:
            named = ", ".join(f"{key} {value}" for key, value in to_retire(tenant).items()) or "nothing named"
            lines.append(f"  {tenant.tenant_id}: {named}")
        return "\n".join(lines)

    def start_sync(self, mode: str) -> None:
        self.typeahead.hold(f"the {SYNC_WORDS[mode][0]} confirmation", self.prepare_tenants("sync", mode))

    def start_validate(self) -> None:
        self.typeahead.hold("the validate confirmation", self.prepare_tenants("validate", ""))

    def start_approve(self) -> None:
        self.typeahead.hold("the approve confirmation", self.prepare_tenants("approve", ""))

    @work(group="act", exclusive=True, exit_on_error=False)
    async def prepare_tenants(self, what: str, mode: str) -> None:
        """Sync (a mode), validate or approve the marked tenants or the one under the cursor: the tenants that
        cannot are set aside with why, the rest confirmed with a reason (required, as the CLI's --reason)."""
        word = SYNC_WORDS[mode][0] if what == "sync" else what
        if self._refuse_if_read_only(word):
            return
        ids, note, main = self._selection()
        if not ids or main is None:
            self.notify("no tenant selected: move the cursor to one, or mark some with space", severity="warning")
            return
        ops = self.operations
        check = {
            "sync": lambda: ops.sync_refusals(ids, mode),
            "validate": lambda: ops.validate_refusals(ids),
            "approve": lambda: ops.approval_refusals(ids),
        }[what]
        try:
            refused = await asyncio.to_thread(check)
        except DomainError as exc:
            self.notify(visible_lines(str(exc)), title=f"Cannot {word}", severity="error", markup=False)
            return
        eligible = tuple(tid for tid in ids if tid not in refused)
        excluded = tuple((tid, why.removeprefix("is ")) for tid, why in refused.items())
        if not eligible:
            lines = [f"{tid} {why}" for tid, why in refused.items()]
            self.notify(visible_lines("\n".join(lines)), title=f"Refused: {word}", severity="warning", markup=False)
            return
        if what == "sync":
            detail = f"{SYNC_WORDS[mode][1].capitalize()}, as a job the engine runs."
        elif what == "validate":
            detail = (
                "Runs the validation suite on the OCI endpoints; every check passing moves a validating tenant "
                "to ready."
            )
        else:
            detail = await asyncio.to_thread(self._approval_detail, eligible)
        detail = "\n".join(filter(None, [detail, note]))
        reason = await self.confirm_with_reason(TargetSet(word, eligible, excluded, detail))
        if reason is None:
            return
        try:
            if what == "sync":
                job = await asyncio.to_thread(ops.sync, eligible, mode=mode, reason=reason)
            elif what == "validate":
                job = await asyncio.to_thread(ops.validate, eligible, reason=reason)
            else:
                await asyncio.to_thread(ops.approve, eligible, reason=reason)
                job = None
        except DomainError as exc:
            self.notify(visible_lines(str(exc)), title=f"{word.capitalize()} refused", severity="error", markup=False)
            return
        main.table.set_marks(main.table.marked - set(eligible))  # done with; the set-aside stay marked, to look at
        count = f"{len(eligible)} tenant{'s' * (len(eligible) != 1)}"
        if job is None:
            self.notify(f"approved by {self.session.actor.operator}: {', '.join(eligible)}", title="Approved")
        else:
            self.notify(f"{job.job_id} submitted: {word} of {count}", title="Submitted")
        await self.refresh_now()

    def _approval_detail(self, tenant_ids: tuple[str, ...]) -> str:
        """What the CLI warns of, said before the approval: who it counts for, and who needs none."""
        operator = self.session.actor.operator
        safety = self.settings.safety
        with self.session.store.read():
            found = [self.session.tenants.get(tid) for tid in tenant_ids]
        needed = [t.tenant_id for t in found if t.tier == "enterprise" and safety.enterprise_needs_second_operator]
        lines = [f"Records {operator}'s approval of their cutover in the audit trail (the second operator)."]
        if needed:
            lines.append(
                f"It counts only for a cutover someone other than {operator} runs: {operator} still cannot cut over "
                f"{', '.join(needed)} alone."
            )
        not_needed = [tid for tid in tenant_ids if tid not in needed]
        if not_needed:
            lines.append(
                f"{', '.join(not_needed)} need{'s' * (len(not_needed) == 1)} no second operator's approval "
                "(only the enterprise tier does); recorded anyway."
            )
        return "\n".join(lines)
