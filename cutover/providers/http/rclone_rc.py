"""rclone's remote control over HTTP: every call is a POST of JSON, answered with JSON.

Failures come back as HTTP 500 (or 400/404) with {"error": "..."} in the body.
Keep the rc port on loopback or behind SSH: the rc API is as powerful as a shell.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any, Protocol

import httpx

from cutover.config.providers import RcSettings
from cutover.providers.calls import Caller
from cutover.providers.http.errors import http_translator, status_error
from cutover.providers.ports.errors import ProviderError, ProviderObserver
from cutover.providers.redaction import redact_json, remember_secret


class RcTransport(Protocol):
    """How rc calls reach rclone: HTTP directly, or `rclone rc` run over SSH on the sync node."""

    source: str

    async def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]: ...

    async def aclose(self) -> None: ...


class HttpRc:
    def __init__(
        self,
        settings: RcSettings,
        *,
        environ: Mapping[str, str] | None = None,
        observer: ProviderObserver | None = None,
        source: str = "rclone",
    ):
        self.source = source
        environ = os.environ if environ is None else environ
        auth = None
        if settings.auth_env:
            user, _, password = environ.get(settings.auth_env, "").partition(":")
            if not user:
                raise ProviderError(source, f"${settings.auth_env} should hold the rc login as user:password")
            remember_secret(password, f"{user}:{password}")  # the pair is what a Basic header encodes
            auth = httpx.BasicAuth(user, password)
        self._client = httpx.AsyncClient(base_url=settings.url.rstrip("/"), auth=auth, timeout=settings.timeout)
        self.caller = Caller(source, http_translator(source), retry=settings.retry, observer=observer)

    async def call(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        async def send() -> dict[str, Any]:
            response = await self._client.post(f"/{method}", json=params)
            if response.status_code != 200:
                try:
                    detail = str(response.json().get("error", ""))
                except ValueError:
                    detail = response.text[:200]
                error = status_error(self.source, method, response, detail)
                # rclone answers 500 for definite failures ("job not found", "directory not found"):
                # only a proxy's 502/503/504 or a 429 is worth another try.
                error.retryable = response.status_code in (429, 502, 503, 504)
                raise error
            # A job's error or a stats line may echo the request's Authorization back: it stops here.
            return redact_json(response.json())

        return await self.caller.call(method, send)

    async def aclose(self) -> None:
        await self._client.aclose()
