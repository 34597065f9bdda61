"""SSH through a bastion, as war rooms reach their hosts: `proxy_jump`, or ProxyJump in an ssh
config that the target asks to be read; two in-process asyncssh servers on 127.0.0.1, the host
reachable only through the bastion (its name resolves nowhere but on the bastion)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import ValidationError

from cutover.config.access import SshTarget
from cutover.lab.ssh_server import LabSsh
from cutover.providers.ports.errors import ProviderError
from cutover.providers.ssh.connection import SshRunner

# Real servers on 127.0.0.1 (or processes): `make test-fast` leaves these out.
pytestmark = pytest.mark.slow

HIDDEN = "sync-1.lab.invalid"  # .invalid never resolves: only the bastion knows where it is


@dataclass
class Hosts:
    target: LabSsh
    bastion: LabSsh
    key: Path
    known_hosts: Path
    home: Path

    @property
    def jump(self) -> str:
        return f"jump@127.0.0.1:{self.bastion.port}"


@pytest.fixture
def hosts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Hosts]:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))  # nothing of the machine's own ~/.ssh is read
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    with LabSsh(hydrate_seconds=0.3) as target:
        routes = {(HIDDEN, 22): ("127.0.0.1", target.port)}
        with LabSsh(user="jump", forwarding=True, routes=routes, client_key=target.client_key) as bastion:
            key, _ = target.target_files(tmp_path / "keys")
            known = tmp_path / "known_hosts"
            known.write_text(bastion.known_hosts_line() + target.known_hosts_line(HIDDEN, 22))
            yield Hosts(target, bastion, key, known, home)


async def run(target: SshTarget, *argv: str) -> tuple[int, str]:
    runner = SshRunner(target, source="hydration")
    try:
        result = await runner.run(list(argv), operation="hydrate")
    finally:
        await runner.aclose()
    return result.exit_status, result.stdout


def through(hosts: Hosts, **options) -> SshTarget:
    settings = {
        "host": HIDDEN,
        "user": "cutover",
        "known_hosts": hosts.known_hosts,
        "client_keys": (hosts.key,),
        "use_agent": False,
        "connect_timeout": 5,
        "command_timeout": 10,
        **options,
    }
    return SshTarget(**settings)


@pytest.mark.asyncio
async def test_proxy_jump_reaches_a_host_only_the_bastion_can(hosts):
    with pytest.raises(ProviderError) as direct:
        await run(through(hosts), "cutover-hydrate", "start", "T-0001")
    assert direct.value.retryable and f"cutover@{HIDDEN}:22" in str(direct.value)
    assert hosts.target.commands == []

    status, out = await run(through(hosts, proxy_jump=hosts.jump), "cutover-hydrate", "start", "T-0001")
    assert status == 0 and "hydrate-T-0001-" in out
    assert hosts.bastion.forwarded == [(HIDDEN, 22, True)]  # through the bastion, and nowhere else
    assert hosts.bastion.logins == ["jump"] and hosts.bastion.commands == []
    assert hosts.target.logins == ["cutover"] and hosts.target.commands == ["cutover-hydrate start T-0001"]


@pytest.mark.asyncio
async def test_proxy_jump_from_an_ssh_config_the_target_asks_for(hosts, tmp_path):
    config = tmp_path / "ssh_config"
    config.write_text(
        f"Host sync-1\n    HostName {HIDDEN}\n    User cutover\n    ProxyJump jump@bastion-lab\n\n"
        f"Host bastion-lab\n    HostName 127.0.0.1\n    Port {hosts.bastion.port}\n\n"
        f"Host *\n    IdentityFile {hosts.key}\n"
    )
    # No user, no keys, no port in cutover's configuration: Host, HostName, User, Port, IdentityFile
    # and ProxyJump all come from the ssh config.
    target = SshTarget(host="sync-1", ssh_config=config, known_hosts=hosts.known_hosts, use_agent=False)
    status, _ = await run(target, "cutover-hydrate", "start", "T-0002")
    assert status == 0
    assert hosts.bastion.forwarded == [(HIDDEN, 22, True)] and hosts.bastion.logins == ["jump"]
    assert hosts.target.commands == ["cutover-hydrate start T-0002"]

    # The same file as ~/.ssh/config is read only when the target says so.
    (hosts.home / ".ssh" / "config").write_text(config.read_text())
    assert (await run(target.model_copy(update={"ssh_config": True}), "cutover-hydrate", "start", "T-3"))[0] == 0
    hosts.bastion.forwarded.clear()
    with pytest.raises(ProviderError):
        await run(SshTarget(host="sync-1", user="cutover", known_hosts=hosts.known_hosts, client_keys=(hosts.key,)))
    assert hosts.bastion.forwarded == []


@pytest.mark.asyncio
async def test_a_bastion_that_refuses_to_forward_says_so(hosts):
    hosts.bastion.forwarding = False  # AllowTcpForwarding no
    with pytest.raises(ProviderError) as refused:
        await run(through(hosts, proxy_jump=hosts.jump), "cutover-hydrate", "start", "T-0001")
    assert str(refused.value) == (
        f"hydration: cutover@{HIDDEN}:22: the bastion {hosts.jump} refused to forward the connection "
        "(Connection refused): it must allow TCP forwarding (AllowTcpForwarding) to this host and port"
    )
    assert hosts.bastion.forwarded == [(HIDDEN, 22, False)] and hosts.target.logins == []


@pytest.mark.asyncio
async def test_both_hops_host_keys_come_from_known_hosts(hosts):
    lines = hosts.known_hosts.read_text().splitlines(keepends=True)
    hosts.known_hosts.write_text(lines[1])  # the target's key only: the bastion is unknown
    with pytest.raises(ProviderError) as unknown_bastion:
        await run(through(hosts, proxy_jump=hosts.jump), "cutover-hydrate", "start", "T-0001")
    assert f"via bastion {hosts.jump}: host key not trusted" in str(unknown_bastion.value)
    assert str(hosts.known_hosts) in str(unknown_bastion.value) and hosts.bastion.forwarded == []

    hosts.known_hosts.write_text(lines[0])  # the bastion's only: the target is unknown
    with pytest.raises(ProviderError) as unknown_target:
        await run(through(hosts, proxy_jump=hosts.jump), "cutover-hydrate", "start", "T-0001")
    assert f"cutover@{HIDDEN}:22 via {hosts.jump}: host key not trusted" in str(unknown_target.value)
    assert hosts.target.commands == []


@pytest.mark.asyncio
async def test_a_login_the_bastion_refuses_names_the_bastion(hosts):
    with pytest.raises(ProviderError) as refused:
        await run(through(hosts, proxy_jump=f"nobody@127.0.0.1:{hosts.bastion.port}"), "cutover-hydrate", "start")
    assert str(refused.value) == (
        f"hydration: cutover@{HIDDEN}:22 via bastion nobody@127.0.0.1:{hosts.bastion.port}: "
        "SSH login refused by the bastion: check user, agent or client_keys"
    )


def test_the_settings_say_what_they_need():
    with pytest.raises(ValidationError, match="set the SSH user, or ssh_config = true"):
        SshTarget(host="sync-1")
    with pytest.raises(ValidationError, match=r"a bastion is written \[user@\]host\[:port\]"):
        SshTarget(host="sync-1", user="m", proxy_jump="ssh://bastion")
    assert SshTarget(host="sync-1", user="m", proxy_jump="a@b:2222,c").proxy_jump == "a@b:2222,c"
    assert SshTarget(host="sync-1", ssh_config=True).ssh_config_path == Path("~/.ssh/config")
    assert SshTarget(host="sync-1", user="m").ssh_config_path is None


@pytest.mark.asyncio
async def test_with_no_client_keys_the_usual_keys_are_offered(hosts):
    # No client_keys: the agent's keys and ~/.ssh/id_* (here an id_ed25519), as ssh offers them.
    # (Public-key authentication used to be switched off altogether then.)
    (hosts.home / ".ssh" / "id_ed25519").write_bytes(hosts.key.read_bytes())
    (hosts.home / ".ssh" / "id_ed25519").chmod(0o600)
    with hosts.known_hosts.open("a") as known:
        known.write(hosts.target.known_hosts_line())
    target = through(hosts, host="127.0.0.1", port=hosts.target.port, client_keys=(), use_agent=True)
    status, _ = await run(target, "cutover-hydrate", "start", "T-0004")
    assert status == 0 and hosts.target.logins == ["cutover"]
