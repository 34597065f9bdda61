"""The console's other actions: sync, validate, approve, a chosen job's controls from the palette, and
"roll back everything in flight", each through the same confirmations, reasons and refusals as the CLI.

Every plan and submission runs in a thread (the store may be busy; the screen never waits on it), and
nothing here reaches a provider: the engine runs the jobs submitted.
"""

from __future__ import annotations

import asyncio

from textual import work

from cutover.actions.plan.decommission_rules import POINT_OF_NO_RETURN, to_retire
from cutover.actions.plan.plans import PlanRequest
from cutover.config.text import visible_lines
from cutover.console.acting import ROLLBACK_REASON, rollback_lines, way_back_lines
from cutover.console.app_surface import AppSurface
from cutover.console.fleet import TargetSet
from cutover.model.jobs import ACTIVE, Control, JobKind, JobState
from cutover.model.lifecycle import DomainError

# What each sync mode does, as the dialog says it (the CLI's `cutover sync`, `--final`, `--verify`).
from cutover.state.job_records import Job

SYNC_WORDS = {
    "start": ("start sync", "starts the initial copy and continuous sync (pending, failed or rolled back -> syncing)"),
    "final": ("final sync", "runs a final sync, then a verification proving lag 0"),
    "verify": ("verify sync", "runs the verification proving lag 0 (no copy)"),
}
# The palette's job controls: which of the night's jobs each one acts on when none is chosen (the newest).
JOB_VERBS = {
    "pause": "Pause job…",
    "resume": "Resume job…",
    "abort": "Abort job…",
    "skip": "Skip ramp stage…",
    "step_back": "Step ramp back a stage…",
}


WORLD_CHANGING_HERE = frozenset(
    {"sync_tenants", "validate_tenants", "approve_tenants", "roll_back_everything", "decommission_tenants"}
)


def panic_phrase(count: int) -> str:
    """What the operator types to roll back everything in flight: the count, so a stale number never passes."""
    return f"rollback {count}"


def _matches(job: Job, verb: str) -> bool:
    stopped = job.state is JobState.HELD or job.paused or job.control == Control.PAUSE.value
    if verb == "pause":
        return not stopped
    if verb == "resume":
        return stopped
    if verb == "skip":
        return job.kind == JobKind.RAMP and job.state is JobState.RUNNING and not stopped
    if verb == "step_back":
        return job.kind == JobKind.RAMP  # held at a breach is when it is wanted most
    return True  # abort: any job that has not ended


class MoreActions(AppSurface):
    """Mixed into CutoverApp (see app.py): the actions beyond cut over, ramp, roll back and batch."""

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
        with self.session.store.read():
            found = [self.session.tenants.get(tid) for tid in tenant_ids]
        lines = ["Then to retire on AWS (cutover lists it, your tooling removes it):"]
        for tenant in found:
            named = ", ".join(f"{key} {value}" for key, value in to_retire(tenant).items()) or "nothing named"
            lines.append(f"  {tenant.tenant_id}: {named}")
        return "\n".join(lines)

    def action_roll_back_everything(self) -> None:
        self.start_panic_rollback()

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

    async def confirm_with_reason(self, targets: TargetSet) -> str | None:
        """The confirmation (a typed count for many tenants) with its required reason; None: cancelled, said so."""
        from cutover.console.screens.confirm import ConfirmMany, ConfirmOne, needs_typed_count

        dialog = ConfirmMany(targets, "") if needs_typed_count(targets) else ConfirmOne(targets, "")
        if not await self.push_screen_wait(dialog):
            self.notify(f"{targets.action}: cancelled, nothing done", timeout=3)
            return None
        return dialog.reason

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

    # --- a job's controls from the palette -------------------------------------------------------

    @work(group="act", exclusive=True, exit_on_error=False)
    async def palette_job_control(self, verb: str) -> None:
        """Pause, resume, abort or skip the newest job it applies to (the dialog names it); none: the jobs screen."""
        if self._refuse_if_read_only(verb):
            return
        jobs = await asyncio.to_thread(self.operations.jobs.find, ACTIVE)
        job = next((job for job in jobs if _matches(job, verb)), None)
        if job is None:
            what = {"skip": "running ramp whose stage to skip", "step_back": "ramp to step back"}.get(
                verb, f"job to {verb}"
            )
            self.notify(f"no {what}: the jobs screen lists the night's jobs", severity="warning")
            self.open_jobs_view()
            return
        await self._control_job(job, verb)

    # --- roll back everything in flight ------------------------------------------------------------

    def start_panic_rollback(self) -> None:
        self.typeahead.hold("the roll-back-everything confirmation", self.panic_rollback())

    @work(group="act", exclusive=True, exit_on_error=False)
    async def panic_rollback(self) -> None:
        """Every tenant cutting over or monitoring back to AWS: one change set per zone, after typing the phrase."""
        if self._refuse_if_read_only("roll back everything in flight"):
            return
        ops = self.operations

        def planned():
            plan = ops.plan(PlanRequest.rollback(all_in_flight=True))
            from cutover.actions.plan.safety import read_fleet

            with ops.session.store.read():
                tonight = len(read_fleet(ops.facts, [], plan.planned_at, ops.settings).rollbacks_tonight)
            return plan, tonight, way_back_lines(ops, plan.tenant_ids)

        try:
            plan, tonight, way_back = await asyncio.to_thread(planned)
        except DomainError as exc:
            self.notify(visible_lines(str(exc)), title="Cannot roll back", severity="error", markup=False)
            return
        if not plan.tenant_ids:
            self.notify("nothing in flight: no tenant is cutting over or monitoring", severity="warning")
            return
        if not plan.ok:
            self.notify(visible_lines("\n".join(plan.problems)), title="Refused", severity="error", markup=False)
            return
        from cutover.console.screens.panic import TypedPhrase

        lines = rollback_lines(plan, tonight, self.settings.safety.max_rollbacks_per_night, way_back)
        targets = TargetSet("roll back everything in flight", plan.tenant_ids, detail="\n".join(lines))
        dialog = TypedPhrase(targets, panic_phrase(len(plan.tenant_ids)), ROLLBACK_REASON)
        if not await self.push_screen_wait(dialog):
            self.notify("roll back everything: cancelled, nothing done", timeout=3)
            return
        try:
            job = await asyncio.to_thread(ops.submit, plan, reason=dialog.reason, confirmation=plan.confirm_phrase)
        except DomainError as exc:
            self.notify(visible_lines(str(exc)), title="Roll back refused", severity="error", markup=False)
            return
        zones = len(plan.change_sets)
        self.notify(
            f"{job.job_id} submitted: {len(job.targets)} tenants back to AWS, "
            f"{zones} change set{'s' * (zones != 1)} (one per zone)",
            title="Rolling back everything",
            severity="warning",
        )
        await self.refresh_now()
