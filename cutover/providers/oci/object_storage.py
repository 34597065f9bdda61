"""OCI Object Storage listings with MD5s, for checking a sync object by object against S3."""

from __future__ import annotations

import base64
from typing import Any

from cutover.config.access import OciAccess, RetrySettings
from cutover.providers.listings import ObjectInfo
from cutover.providers.oci.session import OciService
from cutover.providers.ports.errors import ProviderObserver


def md5_hex(md5_base64: str | None) -> str | None:
    """OCI gives the MD5 in base64; multipart uploads give "<base64>-<parts>", which is not an MD5."""
    if not md5_base64 or "-" in md5_base64:
        return None
    try:
        return base64.b64decode(md5_base64).hex()
    except ValueError:
        return None


class ObjectStorageListing:
    def __init__(
        self,
        access: OciAccess,
        namespace: str,
        retry: RetrySettings | None = None,
        *,
        observer: ProviderObserver | None = None,
        source: str = "oci-object-storage",
        requests_per_second: float = 10.0,
    ):
        self.source = source
        self.namespace = namespace
        self.object_storage = OciService(
            access, "object_storage", source, retry=retry, requests_per_second=requests_per_second, observer=observer
        )

    async def aclose(self) -> None:
        await self.object_storage.aclose()

    async def list(self, bucket: str, prefix: str = "") -> dict[str, ObjectInfo]:
        objects: dict[str, ObjectInfo] = {}
        start: str | None = None
        while True:
            kwargs: dict[str, Any] = {"fields": "name,size,md5,etag", "limit": 1000}
            if prefix:
                kwargs["prefix"] = prefix
            if start:
                kwargs["start"] = start
            answer = await self.object_storage.call("list_objects", self.namespace, bucket, **kwargs)
            for item in answer.data.objects:
                objects[item.name] = ObjectInfo(int(item.size or 0), md5_hex(item.md5), str(item.etag or ""))
            start = answer.data.next_start_with
            if not start:
                return objects
