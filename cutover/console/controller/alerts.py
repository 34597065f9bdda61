"""The alerts' history (the screen that lists them) and A: the pinned alerts acknowledged, after a yes/no,
in the audit trail."""

from __future__ import annotations

import asyncio

from textual import work

from cutover.config.text import visible_lines
from cutover.console.controller.base import Acting
from cutover.console.controller.targets import TargetSet
from cutover.model.lifecycle import DomainError

ALERT_HISTORY = 2000  # alerts the history screen reads, newest first


class AlertActions(Acting):
    """Mixed into CutoverApp (see controller.py): the alerts' history and their acknowledgement."""

    def open_alert_history(self) -> None:
        from cutover.console.screens.alert_history import AlertHistoryScreen

        read = self.operations.read

        def history() -> tuple[list, int]:
            with self.session.store.read():
                return read.alerts(limit=ALERT_HISTORY), read.alerts_acknowledged_up_to()

        self.push_screen(AlertHistoryScreen(history, self.settings.safety.window.zone))

    def start_acknowledge_alerts(self) -> None:
        """A: the pinned alerts, a yes/no, then the acknowledgement in the audit trail."""
        self.typeahead.hold("the acknowledge dialog", self.acknowledge_alerts())

    @work(group="act", exclusive=True, exit_on_error=False)
    async def acknowledge_alerts(self) -> None:
        if self._refuse_if_read_only("acknowledging alerts"):
            return
        pinned = list(self.last_update.pinned) if self.last_update is not None else []
        if not pinned:
            self.notify("no pinned alert to acknowledge", timeout=3)
            return
        from cutover.console.screens.confirm import ConfirmOne

        count = len(pinned)
        listing = "\n".join(f"{event.tenant_id + ' ' if event.tenant_id else ''}{event.what}" for event in pinned)
        detail = (
            f"{listing}\n\nAcknowledging unpins {'them' if count != 1 else 'it'} in every console, recorded in the "
            f"audit trail as yours ({self.session.actor.operator}). It changes nothing else: a held batch stays held "
            f"until resumed. {self.key_for('alert_history')} shows the full history."
        )
        noun = f"{count} pinned alert{'s' * (count != 1)}"
        dialog = ConfirmOne(TargetSet("acknowledge", (noun,), detail=detail))
        if not await self.push_screen_wait(dialog):
            self.notify("acknowledge: cancelled, the alerts stay pinned", timeout=3)
            return
        try:
            await asyncio.to_thread(self.operations.acknowledge_alerts, pinned)
        except DomainError as exc:
            self.notify(visible_lines(str(exc)), severity="error", markup=False)
            return
        self.notify(f"{noun} acknowledged", title="Alerts")
        await self.refresh_now()
