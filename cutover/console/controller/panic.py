"""Roll back everything in flight (the palette, and its key): every tenant cutting over or monitoring back
to AWS, one change set per zone, after typing the phrase that names how many."""

from __future__ import annotations

import asyncio

from textual import work

from cutover.config.text import visible_lines
from cutover.console.controller.base import Acting
from cutover.console.controller.planning import ROLLBACK_REASON, rollback_lines, way_back_lines
from cutover.console.controller.targets import TargetSet
from cutover.model.lifecycle import DomainError


def panic_phrase(count: int) -> str:
    """What the operator types to roll back everything in flight: the count, so a stale number never passes."""
    return f"rollback {count}"


class PanicRollback(Acting):
    """Mixed into CutoverApp (see controller.py): roll back everything in flight."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """In --read-only the key is hidden (help, footer) and refused, as the fleet's other actions."""
        if self.read_only and action == "roll_back_everything":
            return False
        return super().check_action(action, parameters)

    def action_roll_back_everything(self) -> None:
        self.start_panic_rollback()

    def start_panic_rollback(self) -> None:
        self.typeahead.hold("the roll-back-everything confirmation", self.panic_rollback())

    @work(group="act", exclusive=True, exit_on_error=False)
    async def panic_rollback(self) -> None:
        """Every tenant cutting over or monitoring back to AWS: one change set per zone, after typing the phrase."""
        if self._refuse_if_read_only("roll back everything in flight"):
            return
        ops = self.operations

        def planned():
            from cutover.actions.plan.plans import PlanRequest  # not before the first paint
            from cutover.actions.plan.safety import read_fleet

            plan = ops.plan(PlanRequest.rollback(all_in_flight=True))

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
