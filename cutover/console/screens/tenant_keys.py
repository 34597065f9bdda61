"""The keys that act on tenants, shared by the fleet and a tenant's detail.

Which tenants a key acts on is the app's acting code's decision (the detail on top, else the fleet's
marks or cursor); a screen only forwards the key. In --read-only every key that changes the world is
hidden and refused.
"""

from __future__ import annotations

from typing import Any

from cutover.console.controls import controls
from cutover.console.keys import WORLD_CHANGING
from cutover.model.jobs import JobKind


class TenantActionKeys:
    """Mixed into a Screen: gate, cut over, ramp, roll back and dry run, forwarded to the app."""

    app: Any  # the Screen's own app (this mixin is always mixed into a Screen)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return not (action in WORLD_CHANGING and controls(self.app).read_only)

    def action_gate(self) -> None:
        controls(self.app).run_gate()

    def action_cutover(self) -> None:
        controls(self.app).start_action(JobKind.FLIP)

    def action_ramp(self) -> None:
        controls(self.app).start_action(JobKind.RAMP)

    def action_rollback(self) -> None:
        controls(self.app).start_action(JobKind.ROLLBACK)

    def action_dry_run(self) -> None:
        controls(self.app).dry_run()
