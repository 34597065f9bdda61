"""The lab: every stand-in started on 127.0.0.1, seeded with N tenants, and a configuration pointing at them.

`Lab.start(directory, tenants=N)` starts moto (Route 53, CloudWatch, S3, ELBv2), the local
OCI, rclone, the tenants' application, a Slack webhook and an SSH server; seeds a
hosted zone, buckets, load balancers with target groups, and metrics; and writes into `directory`:
- `cutover.toml`, naming the real providers (route53, cloud, rclone, oci_lb, slack)
  with the lab's endpoints, OCI config file, SSH key and known_hosts;
- `lab-matrix.csv`, the tenants, to import.
`environment()` gives the variables the providers read: dummy AWS keys, the
Slack webhook URL, the E2E login. A traffic feeder publishes a minute of ALB and
OCI metrics every few seconds, split between the clouds as DNS in moto says.
"""

from __future__ import annotations

import contextlib
import json
import shlex
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from cutover.lab.fleet import LabTenant, lab_matrix, lab_tenants
from cutover.lab.moto_server import LAB_AWS_ENVIRONMENT, MotoServer, start_moto
from cutover.lab.oci_server import COMPARTMENT, NAMESPACE, LocalOci
from cutover.lab.oci_world import OciWorld
from cutover.lab.rclone_server import LabRemotes, LocalRclone
from cutover.lab.seed_aws import seed_buckets, seed_target_groups, seed_zone
from cutover.lab.ssh_server import USER, LabSsh
from cutover.lab.stoppable import Stoppable
from cutover.lab.traffic import TrafficFeeder
from cutover.lab.web_server import LAB_LOGIN, SlackSink, TenantApp

ZONE = "lab.example.com"
SLACK_ENV = "SLACK_WEBHOOK_URL"


@dataclass
class Lab(Stoppable):
    directory: Path
    tenants: list[LabTenant]
    moto: MotoServer
    oci: LocalOci
    rclone: LocalRclone
    app: TenantApp
    slack: SlackSink
    ssh: LabSsh
    zone_id: str
    config_path: Path
    matrix_path: Path
    traffic: TrafficFeeder
    _stop: threading.Event = field(default_factory=threading.Event)
    _feeder: threading.Thread | None = None
    _servers: contextlib.ExitStack = field(default_factory=contextlib.ExitStack)

    @classmethod
    def start(
        cls,
        directory: Path,
        *,
        tenants: int = 50,
        objects: int = 3,
        feed_every: float = 10.0,
        hydrate_seconds: float = 20.0,
    ) -> Lab:
        directory.mkdir(parents=True, exist_ok=True)
        fleet = lab_tenants(tenants, ZONE)
        with contextlib.ExitStack() as servers:  # a failure on the way stops what had started
            moto = servers.enter_context(start_moto())
            oci = servers.enter_context(LocalOci())
            rclone = servers.enter_context(LocalRclone(LabRemotes(moto.url, oci.world), bytes_per_second=200_000))
            app = servers.enter_context(TenantApp())
            slack = servers.enter_context(SlackSink())
            ssh = servers.enter_context(LabSsh(hydrate_seconds=hydrate_seconds))
            zone_id = seed_clouds(moto.url, oci.world, fleet, objects=objects)
            config, matrix = write_lab_files(
                directory,
                fleet,
                zone_id=zone_id,
                aws_url=moto.url,
                oci=oci,
                oci_config=oci.write_oci_config(directory / "oci"),
                rclone_url=rclone.url,
                app=app,
                ssh=ssh,
            )
            traffic = TrafficFeeder(moto.url, zone_id, oci.world, fleet)
            lab = cls(directory, fleet, moto, oci, rclone, app, slack, ssh, zone_id, config, matrix, traffic)
            lab.feed_traffic()
            lab._servers = servers.pop_all()
        lab._feeder = threading.Thread(target=lab._feed_forever, args=(feed_every,), name="lab-traffic", daemon=True)
        lab._feeder.start()
        return lab

    def environment(self) -> dict[str, str]:
        return {
            **LAB_AWS_ENVIRONMENT,
            SLACK_ENV: self.slack.webhook_url,
            "E2E_LOGIN_JSON": json.dumps(LAB_LOGIN),
        }

    def write_exports(self) -> Path:
        """`lab.env` beside the configuration: what a second terminal sources to reach this lab."""
        lines = [f"export CUTOVER_CONFIG={shlex.quote(str(self.config_path))}"]
        lines += [f"export {name}={shlex.quote(value)}" for name, value in sorted(self.environment().items())]
        path = self.config_path.parent / "lab.env"
        path.write_text("\n".join(lines) + "\n")
        return path

    def feed_traffic(self) -> None:
        """The last whole minute's metrics on both clouds, split as DNS says."""
        self.traffic.feed(time.time())

    def _feed_forever(self, every: float) -> None:
        while not self._stop.wait(every):
            try:
                self.feed_traffic()
            except Exception:  # the lab keeps going; the console shows stale metrics
                time.sleep(every)

    def stop(self) -> None:
        self._stop.set()
        self._servers.close()


def seed_clouds(moto_url: str, oci_world: OciWorld, tenants: list[LabTenant], *, objects: int, zone: str = ZONE) -> str:
    """The tenants as both clouds hold them before a migration: an A record each in a Route 53 zone
    pointing at AWS, `objects` objects in each S3 bucket, an ALB target group of 3 healthy instances
    each (each tenant's `target_group` in `tenants` becomes the one moto made), a backend set of 3 on
    each OCI load balancer. Returns the zone's id."""
    zone_id = seed_zone(moto_url, zone, tenants)
    seed_buckets(moto_url, tenants, objects=objects)
    seed_target_groups(moto_url, tenants)
    for tenant in tenants:
        oci_world.add_backend_set(tenant.oci_load_balancer, tenant.backend_set, backends=3)
    return zone_id


def write_lab_files(
    directory: Path,
    tenants: list[LabTenant],
    *,
    zone_id: str,
    aws_url: str,
    oci: LocalOci,
    oci_config: Path,
    rclone_url: str,
    app: TenantApp,
    ssh: LabSsh,
) -> tuple[Path, Path]:
    """Writes into `directory` the configuration naming every real provider at these stand-ins
    (`aws_url` is moto's, or a proxy's in front of it) and the tenants' matrix; the store goes
    beside them. Returns (cutover.toml, lab-matrix.csv)."""
    key, known_hosts = ssh.target_files(directory / "ssh")
    matrix = directory / "lab-matrix.csv"
    matrix.write_text(lab_matrix(tenants, ZONE))
    config = directory / "cutover.toml"
    config.write_text(
        lab_config(
            moto_url=aws_url,
            oci_url=oci.url,
            oci_config=oci_config,
            rclone_url=rclone_url,
            app_port=app.port,
            ssh_port=ssh.port,
            ssh_key=key,
            known_hosts=known_hosts,
            zone=ZONE,
            zone_id=zone_id,
            state=directory / "cutover.db",
        )
    )
    return config, matrix


def lab_config(
    *,
    moto_url: str,
    oci_url: str,
    oci_config: Path,
    rclone_url: str,
    app_port: int,
    ssh_port: int,
    ssh_key: Path,
    known_hosts: Path,
    zone: str,
    zone_id: str,
    state: Path,
) -> str:
    ssh = (
        f'host = "127.0.0.1"\nport = {ssh_port}\nuser = "{USER}"\nknown_hosts = "{known_hosts}"\n'
        f'client_keys = ["{ssh_key}"]\nuse_agent = false\n'
    )
    oci = f'config_file = "{oci_config}"\nprofile = "DEFAULT"\nendpoint = "{oci_url}"\n'
    return f"""# Written by `cutover lab`: every provider is real, every endpoint is on 127.0.0.1.
[environment]
name = "lab"

[state]
path = "{state}"

# The lab is open all day: the runbook's 02:00-06:00 window would refuse most of it.
[safety.window]
start = "00:00"
end = "23:59"

[providers.dns]
kind = "route53"
zones = {{ "{zone}" = "{zone_id}" }}
[providers.dns.aws]
endpoint_url = "{moto_url}"
region = "us-east-1"  # where the lab seeds, whatever AWS_REGION or the profile say

[providers.metrics]
kind = "cloud"
[providers.metrics.aws]
lookback = "5m"
# The lab publishes each minute as it ends (every few seconds), not 1-3 minutes late as the clouds do.
reporting_delay = "20s"
[providers.metrics.aws.aws]
endpoint_url = "{moto_url}"
region = "us-east-1"  # where the lab seeds, whatever AWS_REGION or the profile say
[providers.metrics.oci]
compartment_id = "{COMPARTMENT}"
reporting_delay = "20s"
[providers.metrics.oci.oci]
{oci}
[providers.sync]
kind = "rclone"
interval = "15m"
[providers.sync.rc]
url = "{rclone_url}"
[providers.sync.listings]
namespace = "{NAMESPACE}"
[providers.sync.listings.s3]
endpoint_url = "{moto_url}"
region = "us-east-1"  # where the lab seeds, whatever AWS_REGION or the profile say
[providers.sync.listings.oci]
{oci}
[providers.health]
kind = "oci_lb"
compartment_id = "{COMPARTMENT}"
[providers.health.oci]
{oci}
[providers.health.aws_targets.aws]
endpoint_url = "{moto_url}"
region = "us-east-1"  # where the lab seeds, whatever AWS_REGION or the profile say
[providers.health.validation]
scheme = "http"
port = {app_port}
[providers.health.hydration]
start = "cutover-hydrate start {{tenant_id}}"
status = "cutover-hydrate status {{job_id}}"
[providers.health.hydration.ssh]
{ssh}
[providers.notifier]
kind = "slack"
webhook_env = "{SLACK_ENV}"
"""
