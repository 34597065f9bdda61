"""`cutover doctor` against the lab: all green, then each part broken in turn, named with its fix, exit 1.

One lab for the module (moto, the local OCI, rclone, SSH, the Slack webhook on 127.0.0.1);
each test breaks one part through a copy of the lab's configuration, its environment or a
stand-in's knob, and runs `cutover doctor` with the environment an operator's shell would have (in this
process, through click's runner: the same output and exit code without starting a Python each time).
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_helpers import Ran, cutover

from cutover.actions.plan.importing import import_matrix
from cutover.actions.wiring.doctor.local import check_store
from cutover.config.loader import load_config
from cutover.lab.moto_server import MotoServer
from cutover.lab.world import Lab
from cutover.model.clock import SystemClock
from cutover.state.events import EventLog
from cutover.state.identity import Actor
from cutover.state.store import Store
from cutover.state.tenants import TenantStore

# Real servers on 127.0.0.1 (or processes): `make test-fast` leaves these out.
pytestmark = pytest.mark.slow

ROOT = Path(__file__).parent.parent.parent


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory, moto_server: MotoServer) -> Iterator[Lab]:
    with Lab.start(
        tmp_path_factory.mktemp("doctor") / "lab", tenants=3, objects=1, feed_every=3600, hydrate_seconds=0.2
    ) as started:
        settings = load_config(started.config_path).settings
        with Store(settings.state.path) as store:
            import_matrix(TenantStore(store, EventLog(store, Actor("test", "lab"), SystemClock())), started.matrix_path)
        yield started


@pytest.fixture
def lab_env(lab: Lab, tmp_path: Path) -> dict[str, str]:
    """A clean environment with what a second terminal sources from the lab, and no ~/.aws."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CUTOVER_", "AWS_", "SLACK_"))}
    return (
        clean
        | lab.environment()
        | {
            "PYTHONPATH": str(ROOT),
            "CUTOVER_CONFIG": str(lab.config_path),
            "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        }
    )


def doctor(env: dict[str, str], *args: str, cwd: Path | None = None, own_process: bool = False) -> Ran:
    """`cutover doctor ARGS...` with this environment: what it prints and its exit code.

    In this process, unless `own_process`: then a real `python -m cutover`, whose stderr is its own only
    (in this process it would also catch what the lab's servers, threads of this process, print)."""
    if not own_process:
        return cutover(env, "doctor", *args, cwd=cwd)
    done = subprocess.run(
        [sys.executable, "-m", "cutover", "doctor", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=120,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


def broken_config(lab: Lab, tmp_path: Path, edit: dict[str, tuple[str, str]]) -> Path:
    """A copy of the lab's configuration with, in each named section, `old` replaced by `new`."""
    lines = lab.config_path.read_text().splitlines()
    section = ""
    for index, line in enumerate(lines):
        if line.startswith("["):
            section = line.strip()
        if section in edit and edit[section][0] in line:
            lines[index] = line.replace(*edit[section])
    path = tmp_path / "cutover.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


def dead_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def assert_names(result: Ran, part: str, fix: str) -> None:
    """Exit 1, the part named on a FAIL line, the fix right under it, and no traceback anywhere."""
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stdout.splitlines()
    failing = [i for i, line in enumerate(lines) if line.startswith("FAIL") and part in line]
    assert failing, result.stdout
    following = lines[failing[0] + 1]
    assert following.strip().startswith("fix:") and fix in following, result.stdout


def test_the_lab_is_all_green(lab: Lab, lab_env: dict[str, str], tmp_path: Path) -> None:
    result = doctor(lab_env, "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    document = json.loads(result.stdout)
    assert document["schema"] == "cutover.doctor/1" and document["ok"] is True
    statuses = {check["name"]: check["status"] for check in document["checks"]}
    assert set(statuses.values()) == {"ok"}, statuses
    for part in (
        "store",
        "time zones",
        "dns: route53 zone lab.example.com",
        "metrics: cloudwatch",
        "metrics: oci monitoring",
        "health: oci load balancers",
        "health: aws targets",
        "notifier: slack",
        "clock skew",
    ):
        assert part in statuses, statuses
    assert any(name.startswith("aws credentials") for name in statuses)
    assert any(name.startswith("oci credentials") for name in statuses)
    assert any(name.startswith("sync: rclone rc") for name in statuses)
    assert any(name.startswith("health: hydration: ssh") for name in statuses)
    assert lab.slack.posts == []  # the webhook was asked, nothing was posted
    assert "labsecretpart" not in result.stdout  # the webhook URL is a credential


def test_text_output_one_line_a_check(lab: Lab, lab_env: dict[str, str], tmp_path: Path) -> None:
    result = doctor(lab_env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert all(re.match(r"^(ok  |warn|FAIL)  \S", line) for line in lines[:-1]), result.stdout
    assert re.match(r"^\d+ checks: 0 failed", lines[-1])
    assert "labsecretpart" not in result.stdout  # the webhook URL is a credential


@pytest.mark.parametrize(
    ("section", "part", "fix"),
    [
        ("[providers.dns.aws]", "dns: route53 zone", "reachable from this host"),
        ("[providers.metrics.aws.aws]", "metrics: cloudwatch", "reachable from this host"),
        ("[providers.metrics.oci.oci]", "metrics: oci monitoring", "reachable from this host"),
        ("[providers.health.oci]", "health: oci load balancers", "reachable from this host"),
        ("[providers.sync.listings.s3]", "sync: s3 listing", "reachable from this host"),
        ("[providers.health.aws_targets.aws]", "health: aws targets", "reachable from this host"),
    ],
)
def test_an_endpoint_that_refuses_is_named(
    lab: Lab, lab_env: dict[str, str], tmp_path: Path, section: str, part: str, fix: str
) -> None:
    key = "endpoint_url" if "aws" in section or "s3" in section else "endpoint"
    old = lab.moto.url if key == "endpoint_url" else lab.oci.url
    config = broken_config(lab, tmp_path, {section: (old, dead_url())})
    assert_names(doctor(lab_env | {"CUTOVER_CONFIG": str(config)}, cwd=tmp_path), part, fix)


def test_a_wrong_hosted_zone_id(lab: Lab, lab_env: dict[str, str], tmp_path: Path) -> None:
    config = broken_config(lab, tmp_path, {"[providers.dns]": (lab.zone_id, "Z0000000000000NOSUCHZONE")})
    result = doctor(lab_env | {"CUTOVER_CONFIG": str(config)}, cwd=tmp_path)
    assert_names(result, "dns: route53 zone lab.example.com", "providers.dns.zones")
    assert "NoSuchHostedZone" in result.stdout


def test_the_aws_targets_check_says_how_many_are_healthy(lab: Lab, lab_env: dict[str, str], tmp_path: Path) -> None:
    result = doctor(lab_env, "--json", cwd=tmp_path)
    (check,) = [c for c in json.loads(result.stdout)["checks"] if c["name"] == "health: aws targets"]
    assert check["status"] == "ok" and "DescribeTargetHealth on targetgroup/t-0001/" in check["detail"], check
    assert "3/3 targets healthy" in check["detail"]


def test_rclone_too_old_fails_and_one_without_check_warns(lab: Lab, lab_env: dict[str, str], tmp_path: Path) -> None:
    try:
        lab.rclone.version = "v1.55.3"
        assert_names(doctor(lab_env, cwd=tmp_path), "sync: rclone rc", "upgrade rclone")
        lab.rclone.version = "v1.60.1"  # Debian 12's: no operations/check
        result = doctor(lab_env, "--json", cwd=tmp_path)
    finally:
        lab.rclone.version = "v1.68.2-lab"
    assert result.returncode == 0, result.stdout  # a warning is no failure
    rclone = next(c for c in json.loads(result.stdout)["checks"] if c["name"].startswith("sync: rclone rc"))
    assert rclone["status"] == "warn" and "operations/check" in rclone["detail"] and "1.65" in rclone["fix"]


def test_rclone_that_does_not_answer_in_time(lab: Lab, lab_env: dict[str, str], tmp_path: Path) -> None:
    with socket.socket() as silent:  # accepts connections, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        url = f"http://127.0.0.1:{silent.getsockname()[1]}"
        config = broken_config(lab, tmp_path, {"[providers.sync.rc]": (lab.rclone.url, url)})
        started = time.monotonic()
        # 1 s for every check: on a busy machine one of the lab's servers may be cut off mid-answer and say so
        # on its stderr, which is not the doctor's.
        result = doctor(lab_env | {"CUTOVER_CONFIG": str(config)}, "--timeout", "1", cwd=tmp_path, own_process=True)
    assert time.monotonic() - started < 30
    assert_names(result, "sync: rclone", "")


def test_ssh_host_key_not_in_known_hosts(lab: Lab, lab_env: dict[str, str], tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    known = str(lab.directory / "ssh" / "lab_known_hosts")
    config = broken_config(lab, tmp_path, {"[providers.health.hydration.ssh]": (known, str(empty))})
    assert_names(
        doctor(lab_env | {"CUTOVER_CONFIG": str(config)}, cwd=tmp_path), "health: hydration: ssh", "ssh-keyscan"
    )


def test_a_notifier_endpoint_that_refuses(lab: Lab, lab_env: dict[str, str], tmp_path: Path) -> None:
    lab.slack.fail(404, "no_service")
    assert_names(doctor(lab_env, cwd=tmp_path), "notifier: slack", "SLACK_WEBHOOK_URL")
    refused = dead_url() + "/services/T/B/x"
    assert_names(doctor(lab_env | {"SLACK_WEBHOOK_URL": refused}, cwd=tmp_path), "notifier: slack", "reachable")
    missing = {k: v for k, v in lab_env.items() if k != "SLACK_WEBHOOK_URL"}
    assert_names(doctor(missing, cwd=tmp_path), "notifier: slack", "SLACK_WEBHOOK_URL")


def test_an_unknown_time_zone(lab: Lab, lab_env: dict[str, str], tmp_path: Path) -> None:
    config = broken_config(
        lab, tmp_path, {"[safety.window]": ('end = "23:59"', 'end = "23:59"\ntimezone = "Mars/Base"')}
    )
    result = doctor(lab_env | {"CUTOVER_CONFIG": str(config)}, cwd=tmp_path)
    assert_names(result, "configuration", "correct each key")
    assert "safety.window.timezone" in result.stdout and "Mars/Base" in result.stdout


def test_a_missing_store(lab: Lab, lab_env: dict[str, str], tmp_path: Path) -> None:
    store = str(load_config(lab.config_path).settings.state.path)
    config = broken_config(lab, tmp_path, {"[state]": (store, str(tmp_path / "gone" / "cutover.db"))})
    assert_names(doctor(lab_env | {"CUTOVER_CONFIG": str(config)}, cwd=tmp_path), "store", "cutover import")


def test_a_read_only_store(lab: Lab, lab_env: dict[str, str], tmp_path: Path) -> None:
    store = load_config(lab.config_path).settings.state.path
    copy = tmp_path / "ro" / "cutover.db"
    copy.parent.mkdir()
    shutil.copy(store, copy)
    config = broken_config(lab, tmp_path, {"[state]": (str(store), str(copy))})
    if os.geteuid() == 0:  # root writes whatever the mode: only the immutable flag stops it
        if subprocess.run(["chattr", "+i", str(copy)], capture_output=True).returncode != 0:
            pytest.skip("running as root without chattr")
    else:
        copy.chmod(0o444)
    try:
        result = doctor(lab_env | {"CUTOVER_CONFIG": str(config)}, cwd=tmp_path)
    finally:
        if os.geteuid() == 0:
            subprocess.run(["chattr", "-i", str(copy)], check=True)
    assert_names(result, "store", "permissions")
    assert "not writable" in result.stdout


def test_a_store_on_a_network_file_system(tmp_path: Path) -> None:
    store = tmp_path / "cutover.db"
    with Store(store):
        pass
    mounts = tmp_path / "mounts"
    mounts.write_text(f"/dev/vda / ext4 rw 0 0\nnas:/export {tmp_path} nfs4 rw,relatime 0 0\n")
    [found] = check_store(store, created_on_first_run=False, mounts_file=mounts)
    assert found.status == "fail" and "nfs4" in found.detail and found.fix.startswith("WAL needs a local disk")
    mounts.write_text(f"/dev/vda / ext4 rw 0 0\nhost:/x {tmp_path} fuse.sshfs rw 0 0\n")
    [found] = check_store(store, created_on_first_run=False, mounts_file=mounts)
    assert found.status == "fail" and "fuse.sshfs" in found.detail


def _jwt(exp: float) -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256'})}.{part({'sub': 'ocid1.user.oc1..lab', 'exp': int(exp)})}.c2lnbmF0dXJl"


def test_an_expired_oci_session_token(lab: Lab, lab_env: dict[str, str], tmp_path: Path) -> None:
    token = tmp_path / "token"
    token.write_text(_jwt(time.time() - 600))
    lab_oci = lab.directory / "oci" / "config"
    oci_config = tmp_path / "oci-config"
    oci_config.write_text(lab_oci.read_text() + f"security_token_file = {token}\n")
    config = tmp_path / "cutover.toml"
    config.write_text(lab.config_path.read_text().replace(str(lab_oci), str(oci_config)))
    result = doctor(lab_env | {"CUTOVER_CONFIG": str(config)}, cwd=tmp_path)
    assert_names(result, "oci credentials (profile DEFAULT", "oci session refresh")
    assert "expired" in result.stdout and token.read_text() not in result.stdout

    token.write_text(_jwt(time.time() + 3600))
    result = doctor(lab_env | {"CUTOVER_CONFIG": str(config)}, "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout
    assert any("valid until" in c["detail"] for c in json.loads(result.stdout)["checks"])


def test_an_aws_sso_session_not_logged_in(lab: Lab, lab_env: dict[str, str], tmp_path: Path) -> None:
    aws_config = tmp_path / "aws-config"
    aws_config.write_text(
        "[profile lab-sso]\nsso_start_url = https://lab.awsapps.com/start\nsso_region = us-east-1\n"
        "sso_account_id = 123456789012\nsso_role_name = Migration\nregion = us-east-1\n"
    )
    config = broken_config(
        lab, tmp_path, {"[providers.dns.aws]": ("endpoint_url", 'profile = "lab-sso"\nendpoint_url')}
    )
    env = lab_env | {"CUTOVER_CONFIG": str(config), "AWS_CONFIG_FILE": str(aws_config), "HOME": str(tmp_path)}
    result = doctor(env, cwd=tmp_path)
    assert_names(result, "aws credentials (profile lab-sso", "aws sso login --profile lab-sso")


def test_clock_skew_against_the_clouds_date(lab: Lab, lab_env: dict[str, str], tmp_path: Path) -> None:
    try:
        lab.oci.date_offset = 90.0
        warned = doctor(lab_env, "--json", cwd=tmp_path)
        lab.oci.date_offset = 600.0
        failed = doctor(lab_env, cwd=tmp_path)
    finally:
        lab.oci.date_offset = 0.0
    skew = next(c for c in json.loads(warned.stdout)["checks"] if c["name"] == "clock skew")
    assert warned.returncode == 0 and skew["status"] == "warn", skew
    assert_names(failed, "clock skew", "synchronise this host's clock")
    assert "5 minutes" in failed.stdout


def test_the_simulated_default_is_green(tmp_path: Path) -> None:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("CUTOVER_", "AWS_"))}
    env = clean | {"PYTHONPATH": str(ROOT), "XDG_CONFIG_HOME": str(tmp_path / "xdg")}
    result = doctor(env, "--json", cwd=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    checks = json.loads(result.stdout)["checks"]
    assert {c["status"] for c in checks} == {"ok"}
    assert sum(c["name"].endswith(": simulated") for c in checks) == 5


def test_a_usage_error_exits_2(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CUTOVER_")} | {"PYTHONPATH": str(ROOT)}
    result = doctor(env, "--timeout", "never", "--json", cwd=tmp_path)
    assert result.returncode == 2 and json.loads(result.stdout)["schema"] == "cutover.error/1"
