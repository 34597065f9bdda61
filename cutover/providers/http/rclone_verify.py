"""The proof that lag is 0, from rclone: operations/check, or hash listings of both sides compared here."""

from __future__ import annotations

from typing import Any

from cutover.providers.http.rclone_features import RcCaller
from cutover.providers.listings import ObjectInfo, compare_listings
from cutover.providers.ports.sync import Verification

# The first hash both remotes support is compared; S3 and OCI Object Storage both give MD5.
HASH_PREFERENCE = ("md5", "sha1", "sha256", "crc32", "quickxor", "dropbox", "whirlpool")


async def verify_with_check(rc: RcCaller, tenant_id: str, src: str, dst: str, *, at: float) -> Verification:
    answer = await rc.call("operations/check", {"srcFs": src, "dstFs": dst, "combined": True, "oneWay": False})
    differ = len(answer.get("differ") or [])
    missing_dst = len(answer.get("missingOnDst") or [])
    missing_src = len(answer.get("missingOnSrc") or [])
    errors = len(answer.get("error") or [])
    # rclone lists matching objects only in `combined`, as "= name".
    matched = sum(1 for line in answer.get("combined") or [] if str(line).startswith("= "))
    return Verification(
        tenant_id, matched + differ + missing_dst + errors, differ + errors, missing_dst, missing_src, at, rc.source
    )


async def _hashes(rc: RcCaller, fs: str) -> list[str]:
    info = await rc.call("operations/fsinfo", {"fs": fs})
    return [str(h) for h in info.get("Hashes") or []]


async def _listing(rc: RcCaller, fs: str, hash_type: str | None) -> dict[str, ObjectInfo]:
    opt: dict[str, Any] = {"recurse": True, "filesOnly": True, "noModTime": True, "noMimeType": True}
    if hash_type:
        opt |= {"showHash": True, "hashTypes": [hash_type]}
    answer = await rc.call("operations/list", {"fs": fs, "remote": "", "opt": opt})
    objects: dict[str, ObjectInfo] = {}
    for item in answer.get("list") or []:
        digest = str((item.get("Hashes") or {}).get(hash_type, "")) if hash_type else ""
        # An empty hash is rclone saying it has none for this object (an S3 multipart upload):
        # compare_listings then compares sizes and counts the object unverified.
        objects[str(item["Path"])] = ObjectInfo(size=int(item.get("Size", -1)), md5=digest or None, etag="")
    return objects


async def list_side(rc: RcCaller, src: str, dst: str) -> tuple[dict[str, ObjectInfo], dict[str, ObjectInfo]]:
    """Both sides listed with the first hash they share (sizes only when they share none)."""
    src_hashes, dst_hashes = await _hashes(rc, src), await _hashes(rc, dst)
    common = next((h for h in HASH_PREFERENCE if h in src_hashes and h in dst_hashes), None)
    return await _listing(rc, src, common), await _listing(rc, dst, common)


async def verify_with_listings(rc: RcCaller, tenant_id: str, src: str, dst: str, *, at: float) -> Verification:
    """What operations/check does, for an rclone without it: both sides listed with a common hash."""
    source, destination = await list_side(rc, src, dst)
    return compare_listings(tenant_id, source, destination, at=at, by=rc.source)
