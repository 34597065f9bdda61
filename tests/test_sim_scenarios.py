"""Scenario files: timed faults that show up at their time, only on their targets,
and bad files refused with every problem named."""

from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sim_helpers import Simulated, fresh_world

from cutover.config.loader import ConfigError
from cutover.model.lifecycle import SyncHealth
from cutover.model.routing import ChangeStatus, DnsChange, Routing
from cutover.model.tenant import Tenant
from cutover.providers.ports.errors import ProviderError, Throttled
from cutover.providers.ports.notify import Notification
from cutover.providers.sim.scenario import ScenarioError, inject_scenario, load_scenario

SCENARIOS = Path(__file__).parent.parent / "scenarios"
HOUR = 3600.0


def write(tmp_path: Path, text: str, name: str = "scenario.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def inject(sim: Simulated, path: Path):
    return inject_scenario(sim.world, path, sim.fleet(), sim.clock.now())


def on_oci(sim: Simulated) -> list[Tenant]:
    """Migrated tenants: OCI serves their traffic, their cluster and sync run."""
    return [t for t in sim.fleet() if t.lifecycle.value in ("migrated", "decommissioned")]


# --- files ---------------------------------------------------------------------------------


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.name)
def test_the_shipped_scenarios_are_valid(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.name and scenario.fault


def test_a_bad_scenario_gets_every_problem_at_once_naming_file_key_value_and_what_is_allowed(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
name = "bad"
colour = "red"

[[fault]]
kind = "error_spike"
error_rate = 1.5
duration = "soon"

[[fault]]
kind = "backend_loss"
nodes = 4
wave = 1
tenants = ["T-0001"]

[[fault]]
kind = "sync_stall"
factor = 2
at = "5m"
after_cutover = "1m"

[[fault]]
kind = "earthquake"
""",
    )
    with pytest.raises(ScenarioError) as refused:
        load_scenario(path)
    problems = refused.value.problems
    assert isinstance(refused.value, ConfigError), "the CLI reports it like a bad configuration"
    text = "\n".join(problems)
    assert all(line.startswith(f"{path}: ") for line in problems)
    assert "colour: unknown key; allowed here: description, fault, name" in text
    assert "fault[0].error_rate: 1.5 is not allowed" in text
    assert "fault[0].duration: 'soon' is not allowed" in text and "15m" in text
    assert "fault[1].nodes: 4 is not allowed" in text
    assert "name `tenants`, or select by `wave`/`state`, not both" in text
    assert "sync_stall does not take factor" in text and "give `at` or `after_cutover`, not both" in text
    assert "fault[3].kind: 'earthquake' is not allowed" in text and "error_spike" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name = 'x'\n[[fault]\n", "not valid TOML"),
        ("name = 'x'\n", "fault: required but missing"),
    ],
)
def test_unreadable_scenarios_say_what_is_wrong(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ScenarioError, match=expected):
        load_scenario(write(tmp_path, text))


def test_a_missing_scenario_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match=r"no such scenario file"):
        load_scenario(tmp_path / "nope.toml")


def test_unknown_tenants_are_refused_and_nothing_is_injected(simulated, tmp_path: Path) -> None:
    path = write(
        tmp_path,
        'name = "x"\n[[fault]]\nkind = "sync_stall"\ntenants = ["T-0001", "T-9999", "NOPE"]\n'
        '[[fault]]\nkind = "backend_loss"\nwave = 42\n',
    )
    with pytest.raises(ScenarioError) as refused:
        inject(simulated, path)
    text = "\n".join(refused.value.problems)
    assert "fault[0].tenants: 'T-9999' is not a tenant in this store" in text and "'NOPE'" in text
    assert "fault[1]: selects no tenant (backend loss on wave 42)" in text
    simulated.world.refresh()
    assert [f.source for f in simulated.world.faults()] == ["simulator seed"]


def test_loading_the_same_scenario_twice_injects_it_once(simulated) -> None:
    first = inject(simulated, SCENARIOS / "rough-night.toml")
    again = inject(simulated, SCENARIOS / "rough-night.toml")
    assert not first.already_loaded and again.already_loaded
    simulated.world.refresh()
    assert sum(f.source == first.source for f in simulated.world.faults()) == first.faults == 8


# --- each fault at its time, on its targets --------------------------------------------------

TENANT_FAULTS = {
    "error_spike": "error_rate = 0.05",
    "latency_regression": "factor = 3",
    "sync_stall": "",
    "checksum_mismatch": "objects = 4",
    "backend_loss": "nodes = 2",
    "metrics_silent": 'side = "oci"',
}


async def shows(sim: Simulated, kind: str, tenants: list[Tenant]) -> dict[str, bool]:
    """Per tenant, whether the fault's effect is visible through the providers."""
    p = sim.providers
    if kind in ("error_spike", "latency_regression", "metrics_silent"):
        snapshot = await p.metrics.snapshot(tenants)
        seen = {}
        for tenant in tenants:
            oci = snapshot.tenant(tenant.tenant_id).oci
            if kind == "metrics_silent":
                seen[tenant.tenant_id] = oci is None
            elif kind == "error_spike":
                assert oci.requests >= 100, "the test runs in the afternoon: plenty of traffic"
                seen[tenant.tenant_id] = oci.error_rate > 0.02
            else:
                seen[tenant.tenant_id] = oci.p95_ms > 1.2 * tenant.baseline_p95_ms
        return seen
    if kind in ("sync_stall", "checksum_mismatch"):
        status = await p.sync.status(tenants)
        health = SyncHealth.STALLED if kind == "sync_stall" else SyncHealth.ERROR
        return {tid: s.health is health for tid, s in status.items()}
    backends = await p.health.backends(tenants)
    return {tid: b.healthy == 1 for tid, b in backends.items()}


@pytest.mark.slow  # over a second
@settings(max_examples=30, deadline=None)
@given(
    kind=st.sampled_from(sorted(TENANT_FAULTS)),
    picks=st.sets(st.integers(0, 10_000), min_size=1, max_size=4),
    at=st.floats(60, 2 * HOUR),
    duration=st.floats(60, 2 * HOUR),
    during=st.floats(0, 1),
)
def test_property_a_fault_shows_up_at_its_time_and_only_on_its_targets(
    tmp_path_factory, kind: str, picks: set[int], at: float, duration: float, during: float
) -> None:
    sim = fresh_world(tmp_path_factory, size=300)
    sim.clock.advance(12 * HOUR)  # mid-afternoon on the US east coast: every tenant busy
    candidates = on_oci(sim)
    targets = sorted({candidates[i % len(candidates)].tenant_id for i in picks})
    quoted = ", ".join(f'"{t}"' for t in targets)
    path = write(
        tmp_path_factory.mktemp("scenario"),
        f'name = "p"\n[[fault]]\nkind = "{kind}"\ntenants = [{quoted}]\nat = {at}\nduration = {duration}\n'
        f"{TENANT_FAULTS[kind]}\n",
    )
    t0 = sim.clock.now()
    inject(sim, path)

    def visible_at(t: float) -> set[str]:
        sim.clock.set(t)
        seen = asyncio.run(shows(sim, kind, candidates))
        return {tid for tid, shown in seen.items() if shown}

    assert visible_at(t0 + at - 30) == set(), "nothing before its time"
    assert visible_at(t0 + at + 10 + during * max(0.0, duration - 30)) == set(targets), "on its targets only"
    assert visible_at(t0 + at + duration + 30) - {t for t in targets if kind == "checksum_mismatch"} == set()


# --- fleet-wide faults -----------------------------------------------------------------------


@pytest.mark.asyncio
async def test_a_silent_metrics_source_is_a_missing_side_with_an_error_then_comes_back(simulated, tmp_path) -> None:
    inject(simulated, write(tmp_path, 'name = "s"\n[[fault]]\nkind = "metrics_silent"\nat = "1m"\nduration = "5m"\n'))
    metrics = simulated.providers.metrics
    fleet = simulated.fleet()
    before = await metrics.snapshot(fleet)
    assert before.oci is not None and not before.errors
    simulated.clock.advance(120)
    silent = await metrics.snapshot(fleet)
    assert silent.oci is None and silent.aws is not None
    assert len(silent.errors) == 1 and silent.errors[0].startswith("sim-oci-monitoring: no datapoints")
    migrated = on_oci(simulated)[0]
    assert silent.tenant(migrated.tenant_id).oci is None
    simulated.clock.advance(300)
    assert (await metrics.snapshot(fleet)).oci is not None


@pytest.mark.asyncio
async def test_dns_throttling_refuses_calls_with_a_retryable_error_while_it_lasts(simulated, tmp_path) -> None:
    inject(simulated, write(tmp_path, 'name = "t"\n[[fault]]\nkind = "dns_throttle"\nduration = "3m"\n'))
    tenant = simulated.in_state("ready")[0]
    dns = simulated.providers.dns
    with pytest.raises(Throttled) as refused:
        await dns.read_routing([tenant])
    assert refused.value.retryable
    simulated.clock.advance(181)
    record = (await dns.read_routing([tenant]))[tenant.tenant_id]
    await dns.apply(record.zone, [DnsChange(tenant.tenant_id, record, Routing.simple(tenant.oci_target, 60))])


@pytest.mark.asyncio
async def test_slow_propagation_keeps_a_change_pending_and_the_traffic_where_it_was(simulated, tmp_path) -> None:
    tenant = simulated.in_state("ready")[0]
    quoted = f'"{tenant.tenant_id}"'
    inject(
        simulated,
        write(tmp_path, f'name = "p"\n[[fault]]\nkind = "dns_slow_propagation"\ntenants = [{quoted}]\ndelay = "4m"\n'),
    )
    dns, metrics = simulated.providers.dns, simulated.providers.metrics
    record = (await dns.read_routing([tenant]))[tenant.tenant_id]
    t0 = simulated.clock.now()
    receipt = await dns.apply(record.zone, [DnsChange(tenant.tenant_id, record, Routing.simple(tenant.oci_target, 60))])
    simulated.clock.set(t0 + 200)
    assert (await dns.change_status(receipt)).status is ChangeStatus.PENDING
    assert (await metrics.snapshot([tenant])).tenant(tenant.tenant_id).oci_share == 0.0
    simulated.clock.set(t0 + 240 + 60 + 10)
    assert (await dns.change_status(receipt)).status is ChangeStatus.INSYNC
    simulated.clock.set(t0 + 240 + 300 + 10)
    assert (await metrics.snapshot([tenant])).tenant(tenant.tenant_id).oci_share == 1.0


@pytest.mark.asyncio
async def test_the_notifier_keeps_messages_and_fails_while_it_is_down(simulated, tmp_path) -> None:
    notifier = simulated.providers.notifier
    await notifier.post(Notification("T-0001 cut over", tenant_id="T-0001"))
    assert [n.text for n in simulated.world.db.notifications()] == ["T-0001 cut over"]
    inject(simulated, write(tmp_path, 'name = "n"\n[[fault]]\nkind = "notifier_down"\nduration = "10m"\n'))
    with pytest.raises(ProviderError, match="503"):
        await notifier.post(Notification("lost"))
    simulated.clock.advance(601)
    await notifier.post(Notification("back"))
    assert [n.text for n in simulated.world.db.notifications()][-1] == "back"


# --- the runbook's rollback night -----------------------------------------------------------


def customer_error_rate(snapshot, tenant: Tenant) -> float:
    rate = snapshot.tenant(tenant.tenant_id).error_rate
    assert rate is not None and not math.isnan(rate)
    return rate


@pytest.mark.asyncio
async def test_rollback_night_t0555_spikes_to_5_percent_after_cutover_and_recovers_after_rollback(
    make_simulated,
) -> None:
    sim = make_simulated(size=600)
    inject(sim, SCENARIOS / "rollback-night.toml")
    tenant = sim.tenant("T-0555")
    assert tenant.lifecycle.value == "ready", "the runbook's example is in tonight's batch"
    dns, metrics = sim.providers.dns, sim.providers.metrics
    sim.clock.advance(3 * HOUR)  # 06:00: the morning traffic has started
    before = await metrics.snapshot([tenant])
    assert customer_error_rate(before, tenant) < 0.01, "before the cutover all is well"

    record = (await dns.read_routing([tenant]))[tenant.tenant_id]
    t0 = sim.clock.now()
    await dns.apply(record.zone, [DnsChange(tenant.tenant_id, record, Routing.simple(tenant.oci_target, 60))])
    sim.clock.set(t0 + 100)
    assert customer_error_rate(await metrics.snapshot([tenant]), tenant) < 0.01, "fine for the first 2 minutes"
    sustained = []
    for minute in range(5, 11):
        sim.clock.set(t0 + minute * 60)
        snapshot = await metrics.snapshot([tenant])
        sustained.append(customer_error_rate(snapshot, tenant))
        oci = snapshot.tenant(tenant.tenant_id).oci
        assert 0.04 <= oci.error_rate <= 0.06 and oci.p95_ms > tenant.baseline_p95_ms
    assert min(sustained) > 0.01, "error rate > 1 % for > 5 minutes: the rollback trigger's case"

    record = (await dns.read_routing([tenant]))[tenant.tenant_id]
    t1 = sim.clock.now()
    await dns.apply(record.zone, [DnsChange(tenant.tenant_id, record, Routing.simple(tenant.aws_target, 60))])
    sim.clock.set(t1 + 310)
    after = await metrics.snapshot([tenant])
    assert after.tenant(tenant.tenant_id).oci_share == 0.0
    assert customer_error_rate(after, tenant) < 0.01, "back on stable AWS, the errors are gone"
    # The cluster is resized within the hour; the second attempt succeeds, as in the runbook.
    sim.clock.set(t0 + 2 * 60 + HOUR + 60)
    record = (await dns.read_routing([tenant]))[tenant.tenant_id]
    t2 = sim.clock.now()
    await dns.apply(record.zone, [DnsChange(tenant.tenant_id, record, Routing.simple(tenant.oci_target, 60))])
    for minute in range(3, 12, 2):
        sim.clock.set(t2 + minute * 60)
        assert customer_error_rate(await metrics.snapshot([tenant]), tenant) < 0.01
