"""After the cutover, the data must still match: a migrated tenant whose sync reports a checksum mismatch
or stalls is a critical alert (the notifier pages), once, because decommissioning AWS then would lose
data; NEXT STEP says STOP meanwhile (state/next_step.py). It is said to have cleared when sync is healthy."""

from __future__ import annotations

from collections.abc import Iterable

from cutover.actions.engine.engine_core import EngineCore
from cutover.model.lifecycle import Lifecycle
from cutover.model.tenant import Tenant
from cutover.state.next_step import after_cutover_sync_problem

SOURCE = "sync-after-cutover"
CLEARED = "sync.after_cutover.cleared"


class SyncAfterCutoverWatch:
    def __init__(self, core: EngineCore):
        self.core = core
        self.suspect: set[str] = set()

    def check(self, polled: Iterable[Tenant]) -> list[str]:
        """After a sync poll: alert on each migrated tenant whose data became suspect; returns those."""
        migrated = [tenant.tenant_id for tenant in polled if tenant.lifecycle is Lifecycle.MIGRATED]
        fresh = [self.core.tenant(tenant_id) for tenant_id in migrated]
        problems = {tenant.tenant_id: after_cutover_sync_problem(tenant) for tenant in fresh}
        now_suspect = {tenant_id for tenant_id, problem in problems.items() if problem}
        for tenant_id in sorted(now_suspect - self.suspect):
            self.core.alert(
                f"{tenant_id}: {problems[tenant_id]}: do not decommission AWS; run a verification "
                f"(cutover sync {tenant_id} --verify) once the cause is fixed, or roll back",
                severity="critical",
                source=SOURCE,
                tenant_id=tenant_id,
            )
        for tenant_id in sorted((self.suspect & set(migrated)) - now_suspect):
            self.core.events.append(CLEARED, f"{tenant_id}: sync after cutover is healthy again", tenant_id=tenant_id)
        self.suspect = (self.suspect - set(migrated)) | now_suspect
        return sorted(now_suspect)
