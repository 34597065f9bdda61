"""What every action of the console starts from: the selection it acts on, the read-only refusal, and the
confirmation with its required reason.

Plans and submissions run in threads: the store may be busy; the screen never waits on it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cutover.console.controller.surface import AppSurface

if TYPE_CHECKING:
    from cutover.console.controller.targets import TargetSet
    from cutover.console.screens.main import MainScreen


class Acting(AppSurface):
    """The base of the controller's mixins (see controller.py)."""

    def _selection(self) -> tuple[tuple[str, ...], str, MainScreen | None]:
        main = self._main()
        if main is None:
            return (), "", None
        from cutover.console.screens.detail import TenantDetailScreen

        if isinstance(self.screen, TenantDetailScreen):  # the detail acts on its own tenant, marks or not
            return (self.screen.tenant_id,), "", main
        rows, note = main.selected_rows()
        return tuple(row.tenant_id for row in rows), note, main

    def _refuse_if_read_only(self, what: str) -> bool:
        if self.read_only:
            self.notify(f"read-only console: {what} refused", severity="error")
            return True
        return False

    async def confirm_with_reason(self, targets: TargetSet) -> str | None:
        """The confirmation (a typed count for many tenants) with its required reason; None: cancelled, said so."""
        from cutover.console.screens.confirm import ConfirmMany, ConfirmOne, needs_typed_count

        dialog = ConfirmMany(targets, "") if needs_typed_count(targets) else ConfirmOne(targets, "")
        if not await self.push_screen_wait(dialog):
            self.notify(f"{targets.action}: cancelled, nothing done", timeout=3)
            return None
        return dialog.reason
