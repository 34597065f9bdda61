"""The facade's shared part: the session, the stores it reads and writes, and the checks every operation makes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from cutover.actions.plan.plans import BadRequest, PlanRequest, ReadOnly
from cutover.actions.plan.read_model import ReadModel
from cutover.actions.plan.safety import RULES
from cutover.actions.plan.windows import given_window
from cutover.actions.wiring.session import Session
from cutover.config.settings import Settings
from cutover.config.windows import WindowSettings
from cutover.model.tenant import Tenant
from cutover.providers.ports.bundle import Providers
from cutover.state.facts import Facts
from cutover.state.job_records import Job, LockHolder
from cutover.state.jobs import JobStore
from cutover.state.leases import LeaseStore


class OperationsBase:
    """The facade's shared part; operations.py adds the families to it."""

    def __init__(
        self,
        session: Session,
        *,
        read_only: bool = False,
        providers: Providers | None = None,
        on_submit: Callable[[Job], None] | None = None,
    ):
        self.session = session
        self.read_only = read_only
        self.providers = providers
        self.on_submit = on_submit
        self.jobs = JobStore(session.store, session.events)
        self.facts = Facts(session.store)
        self.leases = LeaseStore(session.store, name=session.settings.war_room.room().lease)
        # Everything a screen shows: see read_model.py.
        self.read = ReadModel(session.store, self.jobs, self.leases.name)

    @property
    def settings(self) -> Settings:
        return self.session.settings

    @property
    def operator(self) -> str:
        return self.session.actor.operator

    def _writable(self, what: str) -> None:
        if self.read_only:
            raise ReadOnly(f"this console is read-only: it cannot {what}")

    def _tenants(self, tenant_ids: Sequence[str]) -> list[Tenant]:
        if not tenant_ids:
            raise BadRequest("name at least one tenant")
        if len(set(tenant_ids)) != len(tenant_ids):
            raise BadRequest("a tenant is named twice; name each tenant once")
        return [self.session.tenants.get(tenant_id) for tenant_id in tenant_ids]

    def _locks(self, tenant_ids: Sequence[str]) -> dict[str, LockHolder]:
        return {holder.tenant_id: holder for holder in self.jobs.lock_holders(list(tenant_ids))}

    def _check_overrides(self, overrides: Mapping[str, str]) -> None:
        unknown = set(overrides) - set(RULES)
        if unknown:
            raise BadRequest(f"no safety rule named {', '.join(sorted(unknown))}; the rules are: {', '.join(RULES)}")
        if any(not reason.strip() for reason in overrides.values()):
            raise BadRequest("a break-glass override needs a reason")

    def _given_window(self, request: PlanRequest) -> WindowSettings | None:
        try:
            return given_window(request.window, self.settings)
        except ValueError as exc:
            raise BadRequest(f"--window {request.window!r}: {exc}; nothing was submitted") from None
