"""c, R, r, b (cut over, ramp, roll back, batch), g (the gate) and d (a dry run) on the selection: plan, show
the frozen target set, break glass when only safety rules refuse, confirm, submit the job."""

from __future__ import annotations

import asyncio
from dataclasses import replace

from textual import work

from cutover.config.text import visible_lines
from cutover.console.controller.base import Acting
from cutover.console.controller.planning import prefilled_reason, prepare, submitted_text
from cutover.model.jobs import JobKind, verb_of
from cutover.model.lifecycle import ROLLBACK_FROM, DomainError


class MoveActions(Acting):
    """Mixed into CutoverApp (see controller.py): the actions that move tenants' traffic."""

    def start_action(self, kind: str) -> None:
        """c, R, r, b: the keys typed after them wait for the dialog (or are dropped if none opens)."""
        self.typeahead.hold(f"the {verb_of(kind)} confirmation", self.act(kind))

    @work(group="act", exclusive=True, exit_on_error=False)
    async def act(self, kind: str) -> None:
        """c, R, r, b: plan, show the frozen target set, confirm, submit the job."""
        # actions/plan is imported at the first action, not before the first paint (its engine has it by then).
        from cutover.actions.plan.capacity import summarise_exclusions
        from cutover.actions.plan.plans import PlanRequest

        word = verb_of(kind)
        if self._refuse_if_read_only(word):
            return
        ids, note, main = self._selection()
        if not ids or main is None:
            self.notify("no tenant selected: move the cursor to one, or mark some with space", severity="warning")
            return
        if kind == JobKind.BATCH and not main.table.marked:
            cursor_row = main.table.row(ids[0])
            if cursor_row is None:  # the row left the table (a filter, a re-import) since the key was pressed
                self.notify(f"{ids[0]} is no longer in the table: nothing planned", severity="warning")
                return
            request = PlanRequest.batch(wave=cursor_row.wave)
        else:
            request = PlanRequest(kind, ids)
        try:
            prepared = await asyncio.to_thread(prepare, self.operations, request)
        except DomainError as exc:
            self.notify(visible_lines(str(exc)), title=f"Cannot {word}", severity="error", markup=False)
            return
        broken_why = ""
        if not prepared.can_confirm and prepared.only_safety_refuses:
            # Only safety rules stand in the way: break-glass, with a reason, or nothing.
            from cutover.console.screens.break_glass import BreakGlass

            answer: str | None = await self.push_screen_wait(BreakGlass(word, prepared.overridable))
            broken_why = answer or ""
            if not broken_why:
                self.notify(f"{word}: not overridden, nothing done", timeout=3)
                return
            request = request.with_overrides({refusal.rule: broken_why for refusal in prepared.overridable})
            try:
                prepared = await asyncio.to_thread(prepare, self.operations, request)
            except DomainError as exc:
                self.notify(visible_lines(str(exc)), title=f"Cannot {word}", severity="error", markup=False)
                return
        if not prepared.can_confirm:
            reasons = list(prepared.problems) + summarise_exclusions(prepared.targets.excluded, sep=" ")
            refused = visible_lines("\n".join(reasons)) or "no tenant to act on"
            self.notify(refused, title="Refused", severity="warning", markup=False)
            return
        targets = prepared.targets
        if note:
            targets = replace(targets, detail="\n".join(filter(None, [targets.detail, note])))
        from cutover.console.screens.confirm import ConfirmMany, ConfirmOne, needs_typed_count

        # After break-glass the action's reason starts as the override's: the operator has just said why.
        reason = broken_why or prefilled_reason(kind)
        many = needs_typed_count(targets) or kind == JobKind.BATCH
        dialog = ConfirmMany(targets, reason) if many else ConfirmOne(targets, reason)
        if not await self.push_screen_wait(dialog):
            self.notify(f"{word}: cancelled, nothing done", timeout=3)
            return
        plan = prepared.plan
        assert plan is not None
        try:
            job = await asyncio.to_thread(
                self.operations.submit,
                plan,
                reason=dialog.reason,
                confirmation=plan.confirm_phrase,
            )
        except DomainError as exc:
            title = f"{word.capitalize()} refused, nothing done"
            self.notify(visible_lines(str(exc)), title=title, severity="error", markup=False)
            return
        # The job holds the submitted tenants now; the excluded stay marked, to be looked at.
        main.table.set_marks(main.table.marked - set(job.targets))
        main.table.pin(job.targets)  # in view under a state filter until the cursor leaves them
        leader = await asyncio.to_thread(self.operations.leader)
        runs = (
            f"the engine ({leader.holder_info.get('operator', '?')}) runs it" if leader else "queued: no engine leads"
        )
        self.notify(submitted_text(job.job_id, kind, len(job.targets), runs), title="Submitted")
        await self.refresh_now()

    @work(group="act", exclusive=True, exit_on_error=False)
    async def run_gate(self) -> None:
        from cutover.actions.plan.gate import GateVerdict

        ids, _, _ = self._selection()
        if not ids:
            self.notify("no tenant selected", severity="warning")
            return
        try:
            results = await asyncio.to_thread(self.operations.gate, list(ids))
        except DomainError as exc:
            self.notify(visible_lines(str(exc)), title="Gate", severity="error", markup=False)
            return
        eligible = sum(1 for result in results if result.verdict is GateVerdict.ELIGIBLE)
        title = f"Decision gate: {eligible} of {len(results)} eligible (evaluated now, changes nothing)"
        from cutover.console.screens.report import ReportScreen, gate_table

        self.push_screen(ReportScreen(title, gate_table(results)))

    @work(group="act", exclusive=True, exit_on_error=False)
    async def dry_run(self) -> None:
        """d: rehearse the next action of the selection (cutover, or rollback for tenants on OCI)."""
        from cutover.actions.plan.plans import PlanRequest

        ids, _, main = self._selection()
        if not ids or main is None:
            self.notify("no tenant selected", severity="warning")
            return
        on_oci = all((row := main.table.row(tid)) is not None and row.lifecycle in ROLLBACK_FROM for tid in ids)
        request = PlanRequest(JobKind.ROLLBACK if on_oci else JobKind.FLIP, ids)
        try:
            plan = await asyncio.to_thread(self.operations.plan, request)
            rehearsal = await self.operations.dry_run(plan, reason="dry run from the console")
        except DomainError as exc:
            self.notify(visible_lines(str(exc)), title="Dry run", severity="error", markup=False)
            return
        from cutover.console.screens.report import ReportScreen, rehearsal_text

        self.push_screen(ReportScreen(f"Dry run: {verb_of(request.kind)} {len(ids)}", rehearsal_text(rehearsal)))
