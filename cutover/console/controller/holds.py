"""`h` and `U` (and the palette): hold tenants out of the queue, or put them back, as `cutover hold|unhold`:
the same reason (required), the same refusals, the same audit trail. A `--not-before` hold is the CLI's."""

from __future__ import annotations

import asyncio

from textual import work

from cutover.config.text import visible_lines
from cutover.console.controller.base import Acting
from cutover.console.controller.targets import TargetSet
from cutover.model.lifecycle import DomainError

HOLD_ACTIONS = frozenset({"hold_tenants", "unhold_tenants"})
HOLD_DETAIL = (
    "Keeps them out of the queue until someone puts them back (U, or `cutover unhold`): every batch leaves them "
    "out, saying why; a cut over or ramp of them is refused (rule tenant-hold, break-glass overrides). "
    "A rollback is never held. `cutover hold --not-before 48h` holds until a time."
)
UNHOLD_DETAIL = "Puts them back in the queue: the next batch may pick them, in their Priority order."


class HoldActions(Acting):
    """Mixed into CutoverApp (see controller.py)."""

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self.read_only and action in HOLD_ACTIONS:
            return False
        return super().check_action(action, parameters)

    def action_hold_tenants(self) -> None:
        self.typeahead.hold("the hold confirmation", self.prepare_hold(True))

    def action_unhold_tenants(self) -> None:
        self.typeahead.hold("the unhold confirmation", self.prepare_hold(False))

    @work(group="act", exclusive=True, exit_on_error=False)
    async def prepare_hold(self, holding: bool) -> None:
        """Hold (or release) the marked tenants or the one under the cursor, with a reason typed in the dialog."""
        word = "hold" if holding else "unhold"
        if self._refuse_if_read_only(word):
            return
        ids, note, main = self._selection()
        if not ids or main is None:
            self.notify("no tenant selected: move the cursor to one, or mark some with space", severity="warning")
            return
        ops = self.operations
        try:
            held = await asyncio.to_thread(ops.holds)
        except DomainError as exc:
            self.notify(visible_lines(str(exc)), title=f"Cannot {word}", severity="error", markup=False)
            return
        if holding:
            # Held again, a hold is replaced (a new reason, by whom): said, not refused.
            excluded: tuple[tuple[str, str], ...] = ()
            eligible = ids
            again = [
                f"{tid} is already held ({held[tid].words(self.settings.safety.window.zone)}): replaced"
                for tid in ids
                if tid in held
            ]
            detail = "\n".join(filter(None, [HOLD_DETAIL, *again, note]))
        else:
            excluded = tuple((tid, "not held") for tid in ids if tid not in held)
            eligible = tuple(tid for tid in ids if tid in held)
            if not eligible:
                self.notify(
                    f"{', '.join(ids)}: not held, nothing to release", title="Refused: unhold", severity="warning"
                )
                return
            detail = "\n".join(filter(None, [UNHOLD_DETAIL, note]))
        reason = await self.confirm_with_reason(TargetSet(word, eligible, excluded, detail))
        if reason is None:
            return
        try:
            if holding:
                await asyncio.to_thread(ops.hold, eligible, reason=reason)
            else:
                await asyncio.to_thread(ops.unhold, eligible, reason=reason)
        except DomainError as exc:
            self.notify(visible_lines(str(exc)), title=f"{word.capitalize()} refused", severity="error", markup=False)
            return
        main.table.set_marks(main.table.marked - set(eligible))
        who = self.session.actor.operator
        if holding:
            self.notify(f"held by {who}: {', '.join(eligible)} ({reason})", title="Held out of the queue")
        else:
            self.notify(f"back in the queue: {', '.join(eligible)} ({reason})", title="Released")
        await self.refresh_now()
