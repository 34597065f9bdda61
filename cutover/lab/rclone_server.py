"""A local rclone remote control: sync jobs that really copy objects, from moto's S3 to the local OCI.

It speaks the rc calls cutover makes (sync/sync and sync/copy with _async and _group,
job/status, job/list, core/stats, core/version, core/pid, operations/check,
operations/fsinfo, operations/list) in rclone's shapes, including its habits: job
ids restart at 1 after a restart (with a new executeId), finished jobs are
forgotten after a while, errors are HTTP 500 with {"error": ...}. Given an older
`version` it behaves as that rclone does: before 1.64 no executeId, before 1.65 no
operations/check (HTTP 404). tests/integration/test_rclone.py runs the same
contract against real `rclone rcd` binaries (cutover/lab/real_rclone.py).
"""

from __future__ import annotations

import hashlib
import itertools
import json
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Protocol

from cutover.lab.local_http import LocalHttpServer, Reply


class Remotes(Protocol):
    """Where `remote:bucket` paths live."""

    def objects(self, fs: str) -> dict[str, bytes]: ...

    def put(self, fs: str, name: str, body: bytes) -> None: ...


@dataclass
class _Job:
    jobid: int
    group: str
    started: float
    started_wall: float = field(default_factory=time.time)
    ended_wall: float | None = None
    finished: bool = False
    success: bool = False
    error: str = ""
    ended: float | None = None
    stats: dict[str, Any] = field(default_factory=dict)


def _idle_stats() -> dict[str, Any]:
    """core/stats of a group with nothing transferred yet."""
    return {
        "bytes": 0,
        "totalBytes": 0,
        "transfers": 0,
        "totalTransfers": 0,
        "errors": 0,
        "speed": 0.0,
        "eta": None,
        "transferring": [],
    }


class LocalRclone(LocalHttpServer):
    methods = ("POST",)  # every rc call is a POST

    def __init__(
        self,
        remotes: Remotes,
        *,
        bytes_per_second: float = 5_000_000,
        forget_after: float = 60.0,
        version: str = "v1.68.2-lab",
    ):
        self.remotes = remotes
        self.version = version
        self.bytes_per_second = bytes_per_second
        self.forget_after = forget_after
        self.fail_next: list[str] = []  # errors the next sync jobs end with
        self.calls: list[str] = []
        self._lock = threading.RLock()
        self.restart()
        super().__init__("local-rclone")

    def restart(self) -> None:
        """As if rclone restarted: every job forgotten, ids from 1 again, a new executeId."""
        with self._lock:
            self.execute_id = secrets.token_hex(10)
            self.pid = secrets.randbelow(30_000) + 2
            self._ids = itertools.count(1)
            self.jobs: dict[int, _Job] = {}

    def answer(self, handler: BaseHTTPRequestHandler, raw: bytes) -> Reply:
        method = handler.path.strip("/")
        try:
            params = json.loads(raw or b"{}")
            self.calls.append(method)
            handlers: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
                "sync/sync": self._sync,
                "sync/copy": self._sync,  # the lab's sync deletes nothing on the destination: copy is the same
                "job/status": self._job_status,
                "job/list": self._job_list,
                "core/stats": self._stats,
                "operations/check": self._check,
                "operations/fsinfo": lambda p: {"Hashes": ["md5"], "Name": p["fs"]},
                "operations/list": self._list,
                "core/version": lambda p: {"version": self.version, "decomposed": list(self._numbers())},
                "core/pid": lambda p: {"pid": self.pid},
            }
            if method == "operations/check" and self._numbers() < (1, 65, 0):
                handlers.pop(method)
            if method not in handlers:
                status, answer = 404, {"error": "couldn't find method", "path": method, "status": 404}
            else:
                status, answer = 200, handlers[method](params)
        except KeyError as exc:
            status, answer = 500, {"error": str(exc.args[0]), "input": None, "path": method, "status": 500}
        except ValueError as exc:
            status, answer = 400, {"error": str(exc), "path": method, "status": 400}
        return Reply.json(status, answer)

    def _forget_old(self) -> None:
        now = time.monotonic()
        for jobid, job in list(self.jobs.items()):
            if job.finished and job.ended is not None and now - job.ended > self.forget_after:
                del self.jobs[jobid]

    def _sync(self, params: dict[str, Any]) -> dict[str, Any]:
        src, dst = params["srcFs"], params["dstFs"]
        if not params.get("_async"):
            raise ValueError("the lab runs syncs as async jobs only")
        with self._lock:
            job = _Job(next(self._ids), str(params.get("_group", "")), time.monotonic(), stats=_idle_stats())
            self.jobs[job.jobid] = job
            failure = self.fail_next.pop(0) if self.fail_next else ""
        threading.Thread(target=self._run, args=(job, src, dst, failure), daemon=True).start()
        return {"jobid": job.jobid} | self._execute_id()

    def _numbers(self) -> tuple[int, ...]:
        return tuple(int(n) for n in self.version.lstrip("v").split("-")[0].split("."))

    def _execute_id(self) -> dict[str, str]:
        return {"executeId": self.execute_id} if self._numbers() >= (1, 64, 0) else {}

    def _run(self, job: _Job, src: str, dst: str, failure: str) -> None:
        try:
            source, destination = self.remotes.objects(src), self.remotes.objects(dst)
            todo = {name: body for name, body in source.items() if destination.get(name) != body}
            with self._lock:
                job.stats.update(totalBytes=sum(len(b) for b in todo.values()), totalTransfers=len(todo))
            for name, body in todo.items():
                if failure:
                    raise RuntimeError(failure)
                time.sleep(len(body) / self.bytes_per_second)
                self.remotes.put(dst, name, body)
                with self._lock:
                    job.stats["bytes"] += len(body)
                    job.stats["transfers"] += 1
                    left = job.stats["totalBytes"] - job.stats["bytes"]
                    job.stats["eta"] = round(left / self.bytes_per_second, 1)
            if failure:
                raise RuntimeError(failure)
            with self._lock:
                job.finished, job.success, job.ended, job.ended_wall = True, True, time.monotonic(), time.time()
        except Exception as exc:
            with self._lock:
                job.stats["errors"] += 1
                job.finished, job.success, job.error, job.ended = True, False, str(exc), time.monotonic()
                job.ended_wall = time.time()

    def _job(self, params: dict[str, Any]) -> _Job:
        with self._lock:
            self._forget_old()
            job = self.jobs.get(int(params["jobid"]))
        if job is None:
            raise KeyError("job not found")
        return job

    def _job_status(self, params: dict[str, Any]) -> dict[str, Any]:
        job = self._job(params)
        return {
            "id": job.jobid,
            "group": job.group,
            "finished": job.finished,
            "success": job.success,
            "error": job.error,
            "duration": (job.ended or time.monotonic()) - job.started,
            "output": {},
        }

    def _job_list(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._forget_old()
            ids = sorted(self.jobs)
            return self._execute_id() | {
                "jobids": ids,
                "runningIds": [i for i in ids if not self.jobs[i].finished],
                "finishedIds": [i for i in ids if self.jobs[i].finished],
            }

    def _stats(self, params: dict[str, Any]) -> dict[str, Any]:
        group = params.get("group")
        with self._lock:
            for job in reversed(list(self.jobs.values())):
                if job.group == group:
                    return dict(job.stats)
        return _idle_stats()

    def _check(self, params: dict[str, Any]) -> dict[str, Any]:
        source, destination = self.remotes.objects(params["srcFs"]), self.remotes.objects(params["dstFs"])
        match, differ, missing_dst = [], [], []
        for name, body in source.items():
            if name not in destination:
                missing_dst.append(name)
            elif hashlib.md5(destination[name]).digest() != hashlib.md5(body).digest():
                differ.append(name)
            else:
                match.append(name)
        missing_src = [n for n in destination if n not in source]
        combined = (
            [f"= {n}" for n in match]
            + [f"* {n}" for n in differ]
            + [f"+ {n}" for n in missing_dst]
            + [f"- {n}" for n in missing_src]
        )
        ok = not (differ or missing_dst or missing_src)
        return {
            "success": ok,
            "status": "" if ok else f"{len(differ) + len(missing_dst)} differences found",
            "hashType": "md5",
            "combined": combined,  # the only place real rclone names the matching objects
            "differ": differ,
            "missingOnDst": missing_dst,
            "missingOnSrc": missing_src,
            "error": [],
        }

    def _list(self, params: dict[str, Any]) -> dict[str, Any]:
        objects = self.remotes.objects(params["fs"])
        return {
            "list": [
                {"Path": name, "Name": name.rsplit("/", 1)[-1], "Size": len(body), "IsDir": False}
                | ({"Hashes": {"md5": hashlib.md5(body).hexdigest()}} if params.get("opt", {}).get("showHash") else {})
                for name, body in sorted(objects.items())
            ]
        }


def _rfc3339(stamp: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(stamp, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "123Z"


class LabRemotes:
    """`aws:bucket` is a bucket in moto's S3; `oci:bucket` a bucket of the local OCI."""

    def __init__(self, moto_url: str, oci_world: Any):
        self.moto_url = moto_url
        self.oci_world = oci_world

    def _split(self, fs: str) -> tuple[str, str]:
        remote, _, bucket = fs.partition(":")
        if remote not in ("aws", "oci") or not bucket:
            raise KeyError(f"didn't find section in config file ({remote!r})")
        return remote, bucket

    def objects(self, fs: str) -> dict[str, bytes]:
        remote, bucket = self._split(fs)
        if remote == "oci":
            with self.oci_world.lock:
                return dict(self.oci_world.buckets.get(bucket, {}))
        from cutover.lab.seed_aws import aws_client

        s3 = aws_client("s3", self.moto_url)
        found: dict[str, bytes] = {}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for item in page.get("Contents", []):
                found[item["Key"]] = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"].read()
        return found

    def put(self, fs: str, name: str, body: bytes) -> None:
        remote, bucket = self._split(fs)
        if remote == "oci":
            self.oci_world.put_object(bucket, name, body)
        else:
            from cutover.lab.seed_aws import aws_client

            aws_client("s3", self.moto_url).put_object(Bucket=bucket, Key=name, Body=body)
