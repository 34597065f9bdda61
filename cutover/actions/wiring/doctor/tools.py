"""The tools beside the clouds: rclone (version and the features verification needs), SSH (reachable,
host key trusted, login accepted) and the notifier endpoints (answering, nothing posted)."""

from __future__ import annotations

from typing import Any

from cutover.actions.wiring.doctor.common import Probe, from_error
from cutover.actions.wiring.doctor.results import Check, failed, ok, warn
from cutover.config.access import SshTarget
from cutover.config.providers import RcloneSync

UPGRADE = "upgrade rclone on the sync node to 1.65 or newer (rclone selfupdate, or the rclone.org package)"


async def check_rclone(probe: Probe, sync: Any) -> list[Check]:
    settings = probe.settings.providers.sync
    if not isinstance(settings, RcloneSync):
        return []  # the simulated fleet's sync has nothing to reach
    over = f" over SSH ({settings.rc.ssh.user}@{settings.rc.ssh.host})" if settings.rc.ssh else ""
    name = f"sync: rclone rc {settings.rc.url}{over}"
    try:
        features = await sync.features()
    except Exception as error:
        if settings.rc.ssh is not None and any(
            words in str(error) for words in ("host key", "login refused", "SSH connection")
        ):
            return [failed(name, str(error), ssh_fix(str(error), settings.rc.ssh))]
        unreachable = (
            f"start rclone's remote control on the sync node (rclone rcd --rc-addr {settings.rc.url.split('//')[-1]}) "
            "or fix [providers.sync.rc] url"
        )
        return [
            from_error(
                name,
                error,
                unreachable=unreachable,
                denied="put the rc login (user:password) in the variable named by rc.auth_env",
                otherwise=unreachable,
            )
        ]
    try:
        features.refuse_if_untested(sync.source)
    except Exception as error:
        return [failed(name, str(error), UPGRADE)]
    checks = []
    if settings.verify == "rclone" and not features.has_check:
        checks.append(
            warn(
                name,
                f"rclone {features.version}: no operations/check; lag 0 is proven by {features.verification}",
                f'{UPGRADE}, or set verify = "listings" in [providers.sync] to compare bucket listings',
            )
        )
    else:
        checks.append(ok(name, f"rclone {features.version}: verifies with {features.verification}"))
    checks.extend(await _remotes(sync, settings, name))
    return checks


async def _remotes(sync: Any, settings: Any, name: str) -> list[Check]:
    """Both remotes exist on the sync node and share a hash to compare."""
    hashes: dict[str, set[str]] = {}
    for remote in (settings.aws_remote, settings.oci_remote):
        try:
            info = await sync.rc.call("operations/fsinfo", {"fs": f"{remote}:"})
        except Exception as error:
            return [
                from_error(
                    f"sync: rclone remote {remote}",
                    error,
                    unreachable=f"check {name}",
                    denied=f"check {name}",
                    otherwise=f"configure the remote {remote!r} on the sync node (rclone config), or fix "
                    "aws_remote / oci_remote in [providers.sync]",
                )
            ]
        hashes[remote] = {str(h).lower() for h in info.get("Hashes") or []}
    common = sorted(hashes[settings.aws_remote] & hashes[settings.oci_remote])
    remotes = f"sync: rclone remotes {settings.aws_remote}, {settings.oci_remote}"
    if not common:
        return [
            warn(
                remotes,
                "no hash both remotes support: verification can compare sizes only",
                "use remotes that give MD5 (S3 and OCI Object Storage both do; a crypt or union remote may not)",
            )
        ]
    return [ok(remotes, f"configured; common hash {'md5' if 'md5' in common else common[0]}")]


def ssh_fix(text: str, target: SshTarget) -> str:
    if "host key not trusted" in text:
        return (
            f"add the host's key to {target.known_hosts} after checking its fingerprint: "
            f"ssh-keyscan -p {target.port} {target.host} >> {target.known_hosts}"
        )
    if "login refused" in text:
        return "check user, client_keys or the SSH agent (use_agent), and the key in the host's authorized_keys"
    return f"check that {target.host}:{target.port} is reachable from this host and sshd runs there"


async def check_ssh(runner: Any, target: SshTarget, role: str) -> Check:
    """Connects (host key checked against known_hosts, login with the configured keys) and runs `true`;
    whatever `true` exits with, the connection is what was checked."""
    name = f"{role}: ssh {target.user}@{target.host}:{target.port}"
    try:
        await runner.run(["true"], operation="doctor")
    except Exception as error:
        return failed(name, str(error), ssh_fix(str(error), target))
    finally:
        await runner.aclose()
    return ok(name, f"connected; host key in {target.known_hosts}; login accepted")


async def check_notifier(probe: Probe, notifier: Any) -> list[Check]:
    settings = probe.settings.providers.notifier
    if settings.kind == "routed":
        pairs = [(route[0], one) for route, one in zip(notifier.routes, settings.notifiers, strict=True)]
    else:
        pairs = [(notifier, settings)] if settings.kind != "simulated" else []
    checks = []
    for index, (one, its) in enumerate(pairs):
        name = f"notifier: {its.kind}" + (f" #{index + 1}" if len(pairs) > 1 else "")
        variable = (
            getattr(its, "webhook_env", None) or getattr(its, "url_env", None) or getattr(its, "routing_key_env", "")
        )
        try:
            checks.append(ok(name, await one.probe()))
        except Exception as error:
            checks.append(
                from_error(
                    name,
                    error,
                    unreachable=f"check that the endpoint in ${variable} is reachable from this host (proxy, firewall)",
                    denied=f"the endpoint refuses it: put a current webhook URL or key in ${variable}",
                    otherwise=f"put a working URL or key in ${variable} (in the engine's and consoles' environment)",
                )
            )
    return checks
