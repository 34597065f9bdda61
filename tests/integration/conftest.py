"""Real servers on 127.0.0.1, started and stopped by fixtures.

moto runs once per session (in server mode: aioboto3 needs real HTTP) behind a
fault proxy; every test starts from an empty moto and a proxy with no faults.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from cutover.config.access import AwsAccess, OciAccess, RetrySettings, SshTarget
from cutover.config.providers import Route53Settings
from cutover.config.tenant_spec import TenantSpec
from cutover.lab.fault_proxy import FaultProxy
from cutover.lab.fleet import LabTenant, lab_specs, lab_tenants
from cutover.lab.moto_server import LAB_AWS_ENVIRONMENT, MotoServer, start_moto
from cutover.lab.oci_server import LocalOci
from cutover.lab.oci_world import OciWorld
from cutover.lab.rclone_server import LabRemotes, LocalRclone
from cutover.lab.ssh_server import LabSsh
from cutover.lab.web_server import SlackSink, TenantApp
from cutover.model.tenant import Tenant
from cutover.providers.ports.errors import RetryNotice
from cutover.state.tenants import TenantStore

ZONE = "lab.example.com"
FAST_RETRY = RetrySettings(attempts=4, base_delay=0.01, max_delay=0.05, deadline=10)


@pytest.fixture(scope="session")
def moto_server() -> Iterator[MotoServer]:
    with pytest.MonkeyPatch.context() as environment:
        for name, value in {**LAB_AWS_ENVIRONMENT, "AWS_DEFAULT_REGION": "us-east-1"}.items():
            environment.setenv(name, value)
        environment.delenv("AWS_PROFILE", raising=False)
        with start_moto() as server:
            yield server


@pytest.fixture(scope="session")
def fault_proxy_session(moto_server: MotoServer) -> Iterator[FaultProxy]:
    with FaultProxy(moto_server.url) as proxy:
        yield proxy


@pytest.fixture
def moto(moto_server: MotoServer) -> MotoServer:
    moto_server.reset()
    return moto_server


@pytest.fixture
def proxy(moto: MotoServer, fault_proxy_session: FaultProxy) -> Iterator[FaultProxy]:
    fault_proxy_session.clear()
    yield fault_proxy_session
    fault_proxy_session.clear()


@pytest.fixture
def aws_access(proxy: FaultProxy) -> AwsAccess:
    # moto answering 500 queries on a busy machine can take seconds: a timeout here would be the machine, not us
    return AwsAccess(endpoint_url=proxy.url, connect_timeout=2, read_timeout=30)


@pytest.fixture
def route53_settings(aws_access: AwsAccess) -> Route53Settings:
    return Route53Settings(aws=aws_access, retry=FAST_RETRY, requests_per_second=5)


class Notices:
    """A ProviderObserver that keeps what it was told."""

    def __init__(self) -> None:
        self.notices: list[RetryNotice] = []

    def retrying(self, notice: RetryNotice) -> None:
        self.notices.append(notice)


@pytest.fixture
def notices() -> Notices:
    return Notices()


def store_tenants(tenants: TenantStore, lab: list[LabTenant], zone: str = ZONE) -> list[Tenant]:
    specs: tuple[TenantSpec, ...] = lab_specs(lab, zone)
    plan = tenants.plan_import(specs, source="lab-matrix.csv")
    tenants.apply_import(plan, specs, "0" * 64)
    return tenants.find()


@pytest.fixture
def lab_fleet() -> list[LabTenant]:
    return lab_tenants(6, ZONE)


@pytest.fixture
def fleet(tenants: TenantStore, lab_fleet: list[LabTenant]) -> list[Tenant]:
    return store_tenants(tenants, lab_fleet)


@pytest.fixture(scope="session")
def local_oci_session(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalOci]:
    with LocalOci() as server:
        server.config_file = server.write_oci_config(tmp_path_factory.mktemp("oci"))  # type: ignore[attr-defined]
        yield server


@pytest.fixture
def local_oci(local_oci_session: LocalOci) -> LocalOci:
    local_oci_session.world = OciWorld()
    local_oci_session.clear()
    return local_oci_session


@pytest.fixture
def oci_access(local_oci: LocalOci) -> OciAccess:
    return OciAccess(config_file=local_oci.config_file, endpoint=local_oci.url, timeout=5)  # type: ignore[attr-defined]


@pytest.fixture
def local_rclone(moto: MotoServer, local_oci: LocalOci) -> Iterator[LocalRclone]:
    with LocalRclone(LabRemotes(moto.url, local_oci.world), bytes_per_second=50_000, forget_after=60) as server:
        yield server


@pytest.fixture(scope="session")
def lab_ssh_session() -> Iterator[LabSsh]:
    with LabSsh(hydrate_seconds=0.3) as server:
        yield server


@pytest.fixture
def lab_ssh(lab_ssh_session: LabSsh) -> LabSsh:
    lab_ssh_session.hydrate_fails.clear()
    lab_ssh_session.commands.clear()
    return lab_ssh_session


@pytest.fixture
def ssh_target(lab_ssh: LabSsh, tmp_path: Path) -> SshTarget:
    key, known = lab_ssh.target_files(tmp_path / "ssh")
    return SshTarget(
        host="127.0.0.1",
        port=lab_ssh.port,
        user="cutover",
        known_hosts=known,
        client_keys=(key,),
        use_agent=False,
        connect_timeout=5,
        command_timeout=10,
    )


@pytest.fixture
def tenant_app() -> Iterator[TenantApp]:
    with TenantApp() as server:
        yield server


@pytest.fixture
def slack_sink() -> Iterator[SlackSink]:
    with SlackSink() as server:
        yield server
