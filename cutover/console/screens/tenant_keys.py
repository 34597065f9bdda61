"""The keys that act on tenants, shared by the fleet and a tenant's detail.

Which tenants a key acts on is the app's acting code's decision (the detail on top, else the fleet's
marks or cursor); a screen only forwards the key. In --read-only every key that changes the world is
hidden and refused.
"""

from __future__ import annotations

from typing import Any

from cutover.actions.operations import FLIP, RAMP, ROLLBACK
from cutover.console.keys import WORLD_CHANGING


class TenantActionKeys:
    """Mixed into a Screen: gate, cut over, ramp, roll back and dry run, forwarded to the app."""

    app: Any  # the CutoverApp the screen runs in

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in WORLD_CHANGING and getattr(self.app, "read_only", False))

    def action_gate(self) -> None:
        self.app.run_gate()

    def action_cutover(self) -> None:
        self.app.start_action(FLIP)

    def action_ramp(self) -> None:
        self.app.start_action(RAMP)

    def action_rollback(self) -> None:
        self.app.start_action(ROLLBACK)

    def action_dry_run(self) -> None:
        self.app.dry_run()
