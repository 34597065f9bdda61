"""A real PostgreSQL server on 127.0.0.1 for the store's tests, started and stopped by a fixture.

Two sources of binaries: the `pgserver` wheel (PostgreSQL 16, installed by `make` with the dev extra, so a
fresh machine with only Python has one), and the system's own PostgreSQL where installed (Debian's
/usr/lib/postgresql/<version>/bin: an older major version, as a managed database may run). Each server is a
throw-away cluster: initdb into a temporary directory, listening on a free TCP port of 127.0.0.1 only (no
Unix socket), trust authentication for the `postgres` role, fsync off (the tests kill clients, never the
server). PostgreSQL refuses to run as root: under root the server runs as a system user of its own.
"""

from __future__ import annotations

import functools
import importlib.util
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

SERVER_USER = "cutover-pg"  # the system user a server started by root runs as
# `make test-postgres`: every test marked both_stores on every server, not only pip's. Read when the tests are
# collected: a fixture clears CUTOVER_* from the environment before each test runs.
EVERYTHING = os.environ.get("CUTOVER_TEST_POSTGRES") == "all"


@dataclass(frozen=True)
class PostgresBinaries:
    name: str  # how a test id names it: "pg16-pip", "pg15-system"
    bin_dir: Path


@functools.cache
def available_binaries() -> tuple[PostgresBinaries, ...]:
    """The PostgreSQL servers this machine can start: the pip-installed one first, then the system's."""
    found: list[PostgresBinaries] = []
    # Found, not imported: importing pgserver sets up its own server management, which these tests do not use.
    spec = importlib.util.find_spec("pgserver")
    if spec is not None and spec.submodule_search_locations:
        pip_bin = Path(next(iter(spec.submodule_search_locations))) / "pginstall" / "bin"
        if (pip_bin / "initdb").exists():
            found.append(PostgresBinaries(f"pg{_major(pip_bin)}-pip", pip_bin))
    system = Path("/usr/lib/postgresql")
    if system.is_dir():
        for version in sorted(system.iterdir(), reverse=True):
            if (version / "bin" / "initdb").exists():
                found.append(PostgresBinaries(f"pg{version.name}-system", version / "bin"))
                break
    return tuple(found)


def _major(bin_dir: Path) -> str:
    out = subprocess.run([str(bin_dir / "postgres"), "--version"], capture_output=True, text=True, check=True)
    return out.stdout.split()[-1].split(".")[0]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _server_user() -> str | None:
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", SERVER_USER], check=True, capture_output=True)
    return SERVER_USER


@contextmanager
def running_postgres(binaries: PostgresBinaries) -> Iterator[str]:
    """Start a throw-away PostgreSQL; yield its URL (database `postgres`, role `postgres`); stop and delete it."""
    user = _server_user()
    data = Path(tempfile.mkdtemp(prefix="cutover-pg-"))
    if user is not None:
        entry = pwd.getpwnam(user)
        os.chown(data, entry.pw_uid, entry.pw_gid)
    port = _free_port()

    def run(program: str, *args: str) -> None:
        done = subprocess.run(
            [str(binaries.bin_dir / program), *args], capture_output=True, text=True, user=user, timeout=60
        )
        if done.returncode != 0:
            log = data / "server.log"
            raise RuntimeError(
                f"{program} failed ({done.returncode}): {done.stderr.strip()}"
                + (f"\n{log.read_text()[-2000:]}" if log.exists() else "")
            )

    try:
        run("initdb", "-D", str(data / "db"), "-U", "postgres", "--auth=trust", "--encoding=UTF8", "--locale=C")
        # No autovacuum: a test's schema lives seconds; the server's background work would only slow the suite.
        options = (
            f"-h 127.0.0.1 -p {port} -k '' -c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c autovacuum=off"
        )
        run("pg_ctl", "-D", str(data / "db"), "-l", str(data / "server.log"), "-o", options, "-w", "-t", "30", "start")
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            run("pg_ctl", "-D", str(data / "db"), "-m", "immediate", "-w", "stop")
    finally:
        shutil.rmtree(data, ignore_errors=True)


def schema_url(server_url: str, schema: str) -> str:
    """The URL of a store in its own schema of that server (the store creates the schema)."""
    return f"{server_url}?options=-csearch_path%3D{schema}"
