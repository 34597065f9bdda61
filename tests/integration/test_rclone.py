"""rclone's remote control, over HTTP and over SSH, syncing moto's S3 into the local OCI for real."""

from __future__ import annotations

import asyncio

import pytest
import pytest_asyncio

from cutover.config.providers import RcloneSync as RcloneSyncSettings
from cutover.config.providers import RcSettings
from cutover.lab.seed_aws import seed_buckets
from cutover.providers.http.rclone_rc import HttpRc
from cutover.providers.http.rclone_sync import RcloneSync
from cutover.providers.interfaces import ProviderError, RemoteJobState
from cutover.providers.ssh.rclone import SshRc
from cutover.state.clock import SystemClock
from cutover.state.lifecycle import SyncHealth

from .conftest import FAST_RETRY

pytestmark = pytest.mark.asyncio


def sync_settings(url: str, **rc: object) -> RcloneSyncSettings:
    return RcloneSyncSettings(kind="rclone", rc=RcSettings(url=url, retry=FAST_RETRY, **rc), interval=3600)


@pytest_asyncio.fixture
async def sync(local_rclone):
    settings = sync_settings(local_rclone.url)
    provider = RcloneSync(settings, HttpRc(settings.rc), clock=SystemClock())
    yield provider
    await provider.aclose()


async def until_done(sync: RcloneSync, job):
    for _ in range(200):
        job = await sync.job(job)
        if job.state != RemoteJobState.RUNNING:
            return job
        await asyncio.sleep(0.02)
    raise AssertionError("the sync never ended")


async def test_initial_sync_copies_and_check_proves_lag_zero(moto, local_oci, fleet, lab_fleet, sync):
    seed_buckets(moto.url, lab_fleet[:1], objects=4)
    tenant = fleet[0]
    before = await sync.verify(tenant)
    assert before.missing_on_dst == 4 and not before.lag_zero

    job = await sync.start_continuous(tenant)
    assert job.state == RemoteJobState.RUNNING and job.job_id.endswith(":1")
    status = (await sync.status([tenant]))[tenant.tenant_id]
    assert status.health == SyncHealth.INITIAL_SYNC
    done = await until_done(sync, job)
    assert done.state == RemoteJobState.SUCCEEDED

    status = (await sync.status([tenant]))[tenant.tenant_id]
    assert status.health == SyncHealth.CONTINUOUS and status.last_pass_at is not None
    assert status.lag_s is not None and status.lag_s >= 0
    after = await sync.verify(tenant)
    assert after.lag_zero and after.objects_checked == 4
    assert set(local_oci.world.buckets[lab_fleet[0].oci_bucket]) == {f"raw/part-{i:03d}.parquet" for i in range(4)}


async def test_a_restart_of_rclone_is_noticed_not_mistaken(moto, fleet, lab_fleet, sync, local_rclone):
    seed_buckets(moto.url, lab_fleet[:2], objects=30)
    job = await sync.start_final_sync(fleet[0])
    local_rclone.restart()  # job ids start at 1 again: jobid 1 would now be someone else's
    other = await sync.start_final_sync(fleet[1])
    assert other.job_id.endswith(":1") and other.job_id != job.job_id
    lost = await sync.job(job)
    assert lost.state == RemoteJobState.FAILED and "rclone restarted" in lost.error


async def test_a_failed_pass_shows_as_error(moto, fleet, lab_fleet, sync, local_rclone):
    seed_buckets(moto.url, lab_fleet[:1], objects=2)
    local_rclone.fail_next.append("AccessDenied: Access Denied")
    job = await until_done(sync, await sync.start_final_sync(fleet[0]))
    assert job.state == RemoteJobState.FAILED and "AccessDenied" in job.error
    status = (await sync.status([fleet[0]]))[fleet[0].tenant_id]
    assert status.health == SyncHealth.ERROR


async def test_a_forgotten_job_is_never_assumed_to_have_succeeded(moto, fleet, lab_fleet, sync, local_rclone):
    seed_buckets(moto.url, lab_fleet[:1], objects=1)
    local_rclone.forget_after = 0.0
    job = await sync.start_final_sync(fleet[0])
    gone = await until_done(sync, job)  # once it ends, rclone forgets it before anyone asks
    assert gone.state == RemoteJobState.FAILED and "forgot the job" in gone.error


async def test_rc_errors_are_clear(local_rclone, fleet, sync):
    with pytest.raises(ProviderError, match="job not found"):
        await sync.rc.call("job/status", {"jobid": 99})
    no_buckets = fleet[0].__class__(**{**fleet[0].__dict__, "aws_bucket": ""})
    with pytest.raises(ProviderError, match="no aws_bucket"):
        await sync.start_final_sync(no_buckets)


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


async def test_a_restarted_cutover_takes_back_the_jobs_rclone_still_knows(moto, fleet, lab_fleet, sync, local_rclone):
    seed_buckets(moto.url, lab_fleet[:2], objects=2)
    await until_done(sync, await sync.start_continuous(fleet[0]))
    running = await sync.start_final_sync(fleet[1])
    settings = sync_settings(local_rclone.url)
    again = RcloneSync(settings, HttpRc(settings.rc), clock=SystemClock())  # a new process, nothing in memory
    try:
        report = await again.status(fleet)
    finally:
        await again.aclose()
    assert report[fleet[0].tenant_id].health == SyncHealth.CONTINUOUS
    assert report[fleet[0].tenant_id].last_pass_at is not None
    assert fleet[1].tenant_id in report and fleet[2].tenant_id not in report
    assert running.job_id.split(":")[0] == local_rclone.execute_id
