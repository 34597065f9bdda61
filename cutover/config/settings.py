"""The validated configuration model: one TOML file, defaults from the runbooks.

No secret is ever part of this model. Credentials come from the clouds' own
chains (AWS profiles, environment, instance roles; OCI config profiles, instance
principals); the configuration names a profile at most.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BeforeValidator, Field, ValidationInfo, field_validator, model_validator

from cutover.config.addresses import check_address
from cutover.config.providers import (
    CloudMetrics,
    OciDns,
    OciLbHealth,
    PagerDutyNotifier,
    RcloneSync,
    Route53Dns,
    RoutedNotifier,
    SlackNotifier,
    SplitDns,
    WebhookNotifier,
)
from cutover.config.ranges import Duration, Fraction, PositiveDuration, PositiveFinite, finite_number, share
from cutover.config.section import Section
from cutover.config.units import format_duration
from cutover.config.war_room import WarRoom
from cutover.config.windows import WaveSettings, WindowSettings, parse_window, window_shorthand


class EnvironmentSettings(Section):
    name: str = Field("simulation", min_length=1, description="Shown in the header on every screen")
    production: bool = Field(False, description="Production is shown in red and asks for more care")


class StateSettings(Section):
    path: Path = Field(Path("cutover.db"), description="The SQLite session store shared by every console")
    url: str = Field(
        "",
        description=(
            "The store on PostgreSQL (postgresql://user@host:5432/db), for a war room beyond one jump host; the "
            "password from PGPASSWORD or ~/.pgpass, never here. Empty: the SQLite file at state.path"
        ),
    )
    busy_timeout: PositiveDuration = Field(5.0, le=600, description="How long a writer waits for another one")
    sample_retention: PositiveDuration = Field(2 * 3600.0, description="Metric samples older than this are pruned")
    sample_resolution: PositiveDuration = Field(
        15 * 60.0,
        ge=1.0,
        description="Samples of tenants neither in flight nor under watch are kept one per this (sums and worst)",
    )
    sample_max_rows: int = Field(
        1_000_000, ge=1000, description="At most this many sample rows are kept (about 70 MB); the oldest go first"
    )

    @field_validator("url")
    @classmethod
    def _a_store_url(cls, url: str) -> str:
        url = url.strip()
        if not url:
            return url
        if url.startswith("sqlite:///"):
            return url
        if not url.startswith(("postgresql://", "postgres://")):
            raise ValueError(
                "a store URL starts with postgresql:// (or sqlite:/// for a file); leave it empty for state.path"
            )
        authority = url.split("://", 1)[1].split("/", 1)[0]
        if "@" in authority and ":" in authority.rsplit("@", 1)[0]:
            raise ValueError(
                "the URL carries a password: set PGPASSWORD in the engine's environment or put it in ~/.pgpass "
                "(mode 600), and write the URL without it (postgresql://user@host/db)"
            )
        if "password=" in url:
            raise ValueError("the URL carries a password (password=...): use PGPASSWORD or ~/.pgpass instead")
        return url

    @property
    def location(self) -> str | Path:
        """Where the store is: the URL when set, else the file."""
        return self.url or self.path


class WarRoomSettings(Section):
    name: str = Field(
        "", description="This war room's name, when several share one store (emea, apac); empty: the only one"
    )
    regions: list[str] = Field(
        default_factory=list, description="The matrix regions its engine drives (empty: every region)"
    )
    waves: list[int] = Field(default_factory=list, description="The waves its engine drives (empty: every wave)")

    @field_validator("name")
    @classmethod
    def _a_lease_name(cls, name: str) -> str:
        if name and not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,31}", name):
            raise ValueError(
                "a war room's name is up to 32 lowercase letters, digits and dashes (emea, us-east); "
                "it names its engine's lease"
            )
        return name

    @field_validator("regions")
    @classmethod
    def _regions_as_the_matrix_is_read(cls, regions: list[str]) -> list[str]:
        cleaned = [region.strip().lower() for region in regions]  # as the window reads a tenant's region
        if "" in cleaned:
            raise ValueError("an empty region: name each region as the matrix's Region column does (eu-west-1)")
        return cleaned

    @field_validator("waves")
    @classmethod
    def _waves_numbered(cls, waves: list[int]) -> list[int]:
        bad = [wave for wave in waves if wave < 1]
        if bad:
            raise ValueError(f"wave {bad[0]}: waves are numbered from 1, as the matrix's Wave column")
        return waves

    @model_validator(mode="after")
    def _a_part_has_a_name(self) -> WarRoomSettings:
        if (self.regions or self.waves) and not self.name:
            raise ValueError(
                "war_room: a part of the fleet (regions, waves) belongs to a named war room: set war_room.name"
            )
        return self

    def room(self) -> WarRoom:
        return WarRoom(self.name, frozenset(self.regions), frozenset(self.waves))


class OperatorSettings(Section):
    name: str = Field("", description="Who this console acts as; empty means the login name")


# --- providers ---------------------------------------------------------------
# Each role names the provider that serves it. The real clouds' settings are
# added beside "simulated" as their providers land; the discriminator is `kind`.


class SimulatedProvider(Section):
    kind: Literal["simulated"] = "simulated"


SIM_METRICS_RESOLUTION_S = 10.0  # the simulated fleet measures a new datapoint every 10 s


DnsRole = Annotated[SimulatedProvider | Route53Dns | OciDns | SplitDns, Field(discriminator="kind")]
MetricsRole = Annotated[SimulatedProvider | CloudMetrics, Field(discriminator="kind")]
SyncRole = Annotated[SimulatedProvider | RcloneSync, Field(discriminator="kind")]
HealthRole = Annotated[SimulatedProvider | OciLbHealth, Field(discriminator="kind")]
NotifierRole = Annotated[
    SimulatedProvider | SlackNotifier | PagerDutyNotifier | WebhookNotifier | RoutedNotifier,
    Field(discriminator="kind"),
]


class ProvidersSettings(Section):
    dns: DnsRole = SimulatedProvider()
    metrics: MetricsRole = SimulatedProvider()
    sync: SyncRole = SimulatedProvider()
    health: HealthRole = SimulatedProvider()
    notifier: NotifierRole = SimulatedProvider()


class SimulatorSettings(Section):
    tenants: int = Field(2500, ge=1, le=100_000, description="Fleet size when no matrix was imported")
    seed: int = Field(7, description="The same seed gives the same world")
    speed: float = Field(1.0, gt=0, le=3600, description="Simulated seconds per real second")
    scenario: Path | None = Field(None, description="TOML file of timed faults to inject")
    virtual_time: bool = Field(
        False,
        description="World time jumps to the next thing that happens, as fast as the engine can go "
        "(rehearsals of a whole night, tests); the engine that leads drives it",
    )


# --- the decision gate, triggers, batches, safety ----------------------------


class GateSettings(Section):
    max_sync_lag: Duration = Field(0.0, description="Sync lag allowed at cutover (the runbook: 0)")
    verification_max_age: PositiveDuration = Field(
        15 * 60.0, description="A verification pass proving lag 0 must be this recent"
    )
    validation_max_age: PositiveDuration = Field(
        24 * 3600.0, description="The validation suite must have passed this recently"
    )
    validation_checks: int = Field(5, ge=1, description="Checks in the validation suite that must pass")
    min_backends: int = Field(3, ge=1, description="Healthy load-balancer backends required (of all)")
    hydration_max_age: PositiveDuration = Field(
        30 * 60.0, description="Older than this, the OCI cluster is re-hydrated first"
    )
    stale_after: PositiveDuration = Field(120.0, description="An observation older than this is stale, never a pass")


MetricName = Literal["error_rate", "p95_ratio", "backends_healthy", "requests"]


class TriggerRule(Section):
    name: str = Field(min_length=1, pattern=r"^[a-z0-9][a-z0-9-]*$")
    metric: MetricName
    op: Literal[">", ">=", "<", "<=", "=="]
    threshold: float
    sustained: Duration = Field(0.0, description="How long the condition must hold before the action")
    action: Literal["rollback", "alert"]
    shadow: bool = Field(False, description="Evaluate and log only; never act")

    @field_validator("threshold")
    @classmethod
    def _in_the_metrics_range(cls, threshold: float, info: ValidationInfo) -> float:
        metric = info.data.get("metric")
        finite_number(threshold)
        if metric == "error_rate":
            try:
                return share(threshold)
            except ValueError as exc:
                raise ValueError(f"error_rate is a fraction and {exc}") from None
        if threshold < 0:
            raise ValueError(f"{metric} is never negative: write 0 or more")
        return threshold


def _default_rules() -> tuple[TriggerRule, ...]:
    return (
        TriggerRule(name="error-rate-immediate", metric="error_rate", op=">", threshold=0.05, action="rollback"),
        TriggerRule(name="all-backends-down", metric="backends_healthy", op="==", threshold=0, action="rollback"),
        TriggerRule(
            name="error-rate-sustained", metric="error_rate", op=">", threshold=0.01, sustained=300, action="rollback"
        ),
        TriggerRule(
            name="latency-regression", metric="p95_ratio", op=">", threshold=2.0, sustained=600, action="alert"
        ),
    )


class TriggerSettings(Section):
    rules: tuple[TriggerRule, ...] = Field(default_factory=_default_rules)
    min_requests: int = Field(
        50, ge=0, description="Fewer requests than this in a window is inconclusive: hold and alert"
    )
    source_errors_before_alert: int = Field(3, ge=1, description="Consecutive metric errors before hold and alert")

    @field_validator("rules")
    @classmethod
    def _unique_names(cls, rules: tuple[TriggerRule, ...]) -> tuple[TriggerRule, ...]:
        seen: set[str] = set()
        for rule in rules:
            if rule.name in seen:
                raise ValueError(f"two rules are named {rule.name!r}: each rule needs its own name")
            seen.add(rule.name)
        return rules


class BatchSettings(Section):
    count: int = Field(25, ge=1, description="Tenants in a night's batch")
    group_size: int = Field(5, ge=1, description="Tenants cut over together")
    interval: Duration = Field(15 * 60.0, description="Time between the starts of two groups")
    monitor: PositiveDuration = Field(10 * 60.0, description="Monitoring window of each group")
    traffic_timeout: PositiveDuration = Field(
        10 * 60.0, description="Give up waiting for OCI to carry the traffic after this"
    )
    traffic_done_share: Fraction = Field(0.99, gt=0, description="Observed OCI share at which traffic has moved")


class RampSettings(Section):
    stages: tuple[int, ...] = Field((10, 25, 50, 75, 100), description="OCI weight of each stage, in percent")
    hold: PositiveDuration = Field(30 * 60.0, description="Time at each stage before the next")
    max_error_rate: Fraction = Field(0.005, description="Above this the ramp pauses")
    max_p95_ratio: PositiveFinite = Field(1.5, description="p95 against baseline above this pauses the ramp")

    @field_validator("stages")
    @classmethod
    def _rising_to_100(cls, stages: tuple[int, ...]) -> tuple[int, ...]:
        if not stages or list(stages) != sorted(set(stages)) or stages[0] <= 0 or stages[-1] != 100:
            raise ValueError("stages must rise strictly, each between 1 and 100, and end at 100")
        return stages


class SafetySettings(Section):
    max_cutting_over: int = Field(5, ge=1, description="Tenants cutting over at once")
    max_monitoring: int = Field(25, ge=1, description="Tenants in their monitoring window at once")
    max_rollbacks_per_night: int = Field(2, ge=0, description="After this many rollbacks, stop for the night")
    window: Annotated[WindowSettings, BeforeValidator(window_shorthand)] = Field(
        WindowSettings(), description='Migration window: "02:00-06:00" or a table with start, end, timezone'
    )
    enterprise_needs_rehearsal: bool = True
    enterprise_needs_second_operator: bool = True
    rehearsal_max_age: Duration = Field(7 * 86400.0, description="An enterprise tenant's dry run counts this long")
    approval_max_age: Duration = Field(24 * 3600.0, description="A second operator's approval counts this long")


class WatchSettings(Section):
    """The watch after a cutover (the runbook's 24 hours, intensive for the first 4): triggers keep judging a
    migrated tenant, the T+4h checkpoint is evaluated, and AWS stays as rollback insurance until it ends."""

    duration: PositiveDuration = Field(24 * 3600.0, description="How long a migrated tenant stays under watch")
    intensive: Duration = Field(
        4 * 3600.0, description="The first part of the watch, polled as often as tenants in flight"
    )
    interval: PositiveDuration = Field(
        60.0, description="After the intensive part, a watched tenant's metrics and DNS are polled this often"
    )
    checkpoint_at: Duration = Field(
        4 * 3600.0, description="When the checkpoint is evaluated, after the promotion to migrated (T+4h)"
    )
    checkpoint_window: PositiveDuration = Field(
        15 * 60.0, description="The checkpoint judges the OCI side's samples of this last stretch"
    )
    checkpoint_max_error_rate: Fraction = Field(0.001, description="The checkpoint needs an error rate under this")
    warn_before: Duration = Field(
        3600.0, description="The next step warns that the rollback window closes this long before the watch ends"
    )

    @model_validator(mode="after")
    def _parts_fit(self) -> WatchSettings:
        for name in ("intensive", "checkpoint_at"):
            if getattr(self, name) > self.duration:
                raise ValueError(
                    f"watch.{name} ({format_duration(getattr(self, name))}) is longer than watch.duration "
                    f"({format_duration(self.duration)}): shorten it or lengthen the watch"
                )
        return self


class RollbackSettings(Section):
    """The way back while a tenant is on OCI: its readiness, measured by the engine, and the reverse sync
    (OCI -> AWS, through the sync provider) every rollback runs (the runbook's "bidirectional sync")."""

    reverse_sync: Literal["before-dns", "after-dns", "off"] = Field(
        "before-dns",
        description="before-dns: copy OCI's new data to AWS, then change DNS; after-dns: change DNS first; off",
    )
    reverse_sync_timeout: PositiveDuration = Field(
        60.0, description="A rollback waits at most this long for its reverse sync, then goes on and records it"
    )
    readiness_interval: PositiveDuration = Field(
        300.0, description="How often the engine measures each tenant on OCI (AWS side, data a rollback strands)"
    )


class DnsSettings(Section):
    ttl: int = Field(60, ge=1, le=86400, description="TTL written on every record we change")
    sync_timeout: PositiveDuration = Field(
        5 * 60.0, description="Give up waiting for a DNS change to be in sync after this"
    )
    change_rate: PositiveFinite = Field(4.0, le=100, description="DNS change requests a second (Route 53 allows 5)")
    assume_previous_ttl: int = Field(
        86400,
        ge=0,
        le=2147483647,
        description="The TTL a record is assumed to have had before it was first read at a low TTL (the gate's "
        "dns check waits this long after that read unless the store saw the TTL lowered)",
    )
    authoritative: list[str] = Field(
        default_factory=list,
        description='The zones\' authoritative name servers to ask after each DNS change ("IP" or "IP:PORT")',
    )
    resolvers: list[str] = Field(
        default_factory=list,
        description='Resolvers to ask after each DNS change until they answer the new value ("IP" or "IP:PORT"; '
        "none by default: a jump host often has no outside access)",
    )
    propagation_timeout: PositiveDuration = Field(
        10 * 60.0, description="Stop asking a server for the new answer after this long (it is reported as not seen)"
    )

    @field_validator("authoritative", "resolvers")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        return [check_address(item) for item in value]


class EngineSettings(Section):
    """The engine that leads a war room. Lease times are wall time; poll intervals are the fleet's time."""

    lease_ttl: PositiveDuration = Field(
        15.0, le=3600, description="Wall seconds without a heartbeat before another engine leads"
    )
    heartbeat: PositiveDuration = Field(
        4.0, description="Wall seconds between the leader's heartbeats (less than a third of lease_ttl)"
    )
    metrics_interval: PositiveDuration = Field(5.0, description="Metrics of tenants in flight are polled this often")
    dns_interval: PositiveDuration = Field(10.0, description="DNS records of tenants in flight are read this often")
    sync_interval: PositiveDuration = Field(30.0, description="Sync status of the whole fleet is polled this often")
    health_interval: PositiveDuration = Field(
        15.0, description="Backend health of the whole fleet is polled this often"
    )
    fleet_interval: PositiveDuration = Field(
        60.0, description="Metrics and DNS of the whole fleet (not just tenants in flight) are refreshed this often"
    )
    fleet_samples_interval: PositiveDuration = Field(
        300.0, description="Sparkline samples of tenants not in flight are kept this often"
    )
    step_poll: PositiveDuration = Field(5.0, description="How often a running step looks at what it waits for")
    metrics_address: str = Field(
        "",
        description='Serve Prometheus metrics while leading: "PORT" (on 127.0.0.1) or "HOST:PORT"; "" serves none',
    )

    @field_validator("metrics_address")
    @classmethod
    def _an_address(cls, value: str) -> str:
        value = value.strip()
        if value and not re.fullmatch(r"(?:[A-Za-z0-9.\-]+:|\[[0-9A-Fa-f:]+\]:)?\d{1,5}", value):
            raise ValueError(f'{value!r} is not an address: write "9464" (loopback) or "HOST:9464"')
        if value and not 0 <= int(value.rsplit(":", 1)[-1]) <= 65535:
            raise ValueError(f"{value!r}: a port is 0-65535")
        return value

    @property
    def metrics_bind(self) -> tuple[str, int] | None:
        """(host, port) to serve metrics on: loopback unless a host is named; None when off."""
        if not self.metrics_address:
            return None
        host, _, port = self.metrics_address.rpartition(":")
        return (host.strip("[]") or "127.0.0.1"), int(port)

    @model_validator(mode="after")
    def _heartbeats_fit_in_a_lease(self) -> EngineSettings:
        # More than three heartbeats per lease: one late or lost beat must not hand the lead over.
        if self.heartbeat * 3 >= self.lease_ttl:
            raise ValueError(
                f"heartbeat ({format_duration(self.heartbeat)}) must be less than a third of lease_ttl "
                f"({format_duration(self.lease_ttl)}), or leadership flaps: lower heartbeat or raise lease_ttl"
            )
        return self


_SIGN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class GoNoGoSettings(Section):
    """The night's go/no-go checklist: each item and the role that signs it (none: no go/no-go gate)."""

    items: dict[str, str] = Field(
        default_factory=dict, description='Checklist item = the role that signs it, like backups = "dba"'
    )
    roles: dict[str, list[str]] = Field(
        default_factory=dict,
        description='Optional: who may sign for a role, like dba = ["carol"] (a role not listed: any operator)',
    )

    @model_validator(mode="after")
    def _names(self) -> GoNoGoSettings:
        for item, role in self.items.items():
            if not _SIGN_NAME.match(item):
                raise ValueError(f"items: {item!r} is not an item name: letters, digits, '-', '_' or '.', like backups")
            if not _SIGN_NAME.match(role):
                raise ValueError(f'items.{item} = {role!r}: name the role that signs it, like "dba" or "on-call"')
        used = set(self.items.values())
        for role, operators in self.roles.items():
            if role not in used:
                raise ValueError(
                    f"roles.{role}: no item is signed by {role!r}; the roles the items name are: "
                    f"{', '.join(sorted(used)) or 'none'}"
                )
            if not operators or any(not str(name).strip() for name in operators):
                raise ValueError(f'roles.{role}: list the operators who may sign as {role}, like ["carol"]')
        return self


class NightSettings(Section):
    go_no_go: GoNoGoSettings = GoNoGoSettings()


class Settings(Section):
    environment: EnvironmentSettings = EnvironmentSettings()
    state: StateSettings = StateSettings()
    war_room: WarRoomSettings = WarRoomSettings()
    operator: OperatorSettings = OperatorSettings()
    providers: ProvidersSettings = ProvidersSettings()
    simulator: SimulatorSettings = SimulatorSettings()
    gates: GateSettings = GateSettings()
    triggers: TriggerSettings = TriggerSettings()
    batch: BatchSettings = BatchSettings()
    ramp: RampSettings = RampSettings()
    safety: SafetySettings = SafetySettings()
    dns: DnsSettings = DnsSettings()
    watch: WatchSettings = WatchSettings()
    rollback: RollbackSettings = RollbackSettings()
    engine: EngineSettings = EngineSettings()
    night: NightSettings = NightSettings()
    waves: dict[int, WaveSettings] = Field(
        default_factory=dict, description="Per wave: window and max_per_night ([waves.3] window = ...)"
    )
    keys: dict[str, str] = Field(default_factory=dict, description="Console key remapping: action = key")

    @field_validator("waves")
    @classmethod
    def _waves_numbered(cls, waves: dict[int, WaveSettings]) -> dict[int, WaveSettings]:
        bad = [wave for wave in waves if wave < 1]
        if bad:
            raise ValueError(f"waves.{bad[0]}: waves are numbered from 1, as the matrix's Wave column")
        return waves

    def wave_window(self, wave: int) -> WindowSettings | None:
        """The wave's own window (its tenants' zone as the [safety] window's), or None: the [safety] one."""
        own = self.waves.get(wave)
        if own is None or not own.window or own.coordinated:
            return None
        return parse_window(own.window, self.safety.window.timezone)

    @model_validator(mode="after")
    def _group_fits_batch(self) -> Settings:
        if self.batch.group_size > self.batch.count:
            raise ValueError(
                f"batch.group_size ({self.batch.group_size}) is larger than batch.count ({self.batch.count})"
            )
        return self
