"""aioboto3 clients, opened on first use and kept for the provider's life.

aioboto3 and botocore are imported here, inside functions, so that nothing pays
their import cost until a configured provider makes its first call. botocore's
own retries are turned off: every retry goes through our Caller, where it is
paced by the shared budget and shown in the event log.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from cutover.config.access import AwsAccess, RetrySettings, aws_profile, configured_region
from cutover.providers.aws.errors import aws_translator
from cutover.providers.calls import Caller, RequestBudget
from cutover.providers.client_cache import ClientCache
from cutover.providers.ports.errors import ProviderObserver
from cutover.providers.redaction import remember_secret

T = TypeVar("T")


class AwsClients:
    def __init__(self, access: AwsAccess, *, max_pool_connections: int = 10):
        self.access = access
        self._pool = max_pool_connections
        self._clients: ClientCache[Any] = ClientCache(self._build)
        self._stack = contextlib.AsyncExitStack()

    async def client(self, service: str) -> Any:
        return await self._clients.get(service)

    async def _build(self, service: str) -> Any:
        session = self._session()
        client = await self._stack.enter_async_context(self._open(session, service))
        await _remember_credentials(session)
        return client

    def _session(self) -> Any:
        import aioboto3

        region = configured_region(self.access, os.environ)  # None: botocore's chain, down to the profile
        return aioboto3.Session(profile_name=self.access.profile or None, region_name=region)

    def _open(self, session: Any, service: str) -> Any:
        from botocore.config import Config

        access = self.access
        config = Config(
            retries={"total_max_attempts": 1},
            connect_timeout=access.connect_timeout,
            read_timeout=access.read_timeout,
            max_pool_connections=self._pool,
        )
        region = None
        if service in GLOBAL_SERVICES and not session.region_name:
            region = GLOBAL_SERVICES[service]  # no region anywhere: a global service still signs for its home one
        # With no region anywhere a regional client raises NoRegionError here: errors.py says what to set.
        return session.client(service, endpoint_url=access.endpoint_url or None, config=config, region_name=region)

    async def aclose(self) -> None:
        await self._stack.aclose()
        self._clients.clear()


# Services with one endpoint for the whole partition, and the region their requests are signed for.
GLOBAL_SERVICES = {"route53": "us-east-1"}


async def _remember_credentials(session: Any) -> None:
    """The keys the credential chain found, so that no message shows them (see providers/redaction.py)."""
    credentials = await session.get_credentials()
    if credentials is not None:
        frozen = await credentials.get_frozen_credentials()
        remember_secret(frozen.access_key, frozen.secret_key, frozen.token)


class AwsService:
    """One AWS service as a provider reaches it: its client, and a Caller (budget, retries,
    notices) that every request goes through. Opening the client happens inside the request,
    so a missing profile or bad credentials come back as a ProviderError like any failure."""

    def __init__(
        self,
        access: AwsAccess,
        service: str,
        source: str,
        *,
        retry: RetrySettings | None = None,
        budget: RequestBudget | None = None,
        observer: ProviderObserver | None = None,
    ):
        self.service = service
        self._clients = AwsClients(access)
        profile = aws_profile(access, os.environ)
        self.caller = Caller(source, aws_translator(source, profile), retry=retry, budget=budget, observer=observer)

    async def call(self, operation: str, **params: Any) -> dict[str, Any]:
        """One API call by its AWS name ("ListResourceRecordSets"), with its parameters."""
        from botocore import xform_name

        method = xform_name(operation)
        return await self.send(operation, lambda client: getattr(client, method)(**params))

    async def send(self, operation: str, request: Callable[[Any], Awaitable[T]]) -> T:
        """`request(client)`, for a caller that needs to see each attempt."""

        async def attempt() -> T:
            return await request(await self._clients.client(self.service))

        return await self.caller.call(operation, attempt)

    async def aclose(self) -> None:
        await self._clients.aclose()
