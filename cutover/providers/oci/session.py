"""OCI clients built from the standard credential chains: a config-file profile (an API key, or the session
token `oci session authenticate` leaves), instance principals or resource principals."""

from __future__ import annotations

import asyncio
import configparser
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, Protocol

from cutover.config.access import OciAccess, RetrySettings
from cutover.providers.calls import Caller, RequestBudget, unexpected_error
from cutover.providers.client_cache import ClientCache
from cutover.providers.ports.errors import ProviderError, ProviderObserver
from cutover.providers.redaction import remember_secret


class OciClients:
    """Builds each SDK client once, in a worker thread (loading the SDK and the key takes a while)."""

    def __init__(self, access: OciAccess, source: str):
        self.access = access
        self.source = source
        self._clients: ClientCache[Any] = ClientCache(lambda kind: asyncio.to_thread(self._build, kind))
        self.session_expires: float | None = None  # when the session token the clients sign with expires
        self.session_remedy: str | None = None  # what to do when OCI refuses that token

    async def client(self, kind: str) -> Any:
        if self.session_expires is not None and time.time() > self.session_expires:
            # The session token expired: read the profile again (`oci session refresh` may have renewed it).
            self._clients.clear()
            self.session_expires = None
        return await self._clients.get(kind)

    def _build(self, kind: str) -> Any:
        import oci

        classes = {
            "dns": oci.dns.DnsClient,
            "load_balancer": oci.load_balancer.LoadBalancerClient,
            "monitoring": oci.monitoring.MonitoringClient,
            "object_storage": oci.object_storage.ObjectStorageClient,
        }
        config, signer = self._credentials()
        kwargs: dict[str, Any] = {
            "retry_strategy": oci.retry.NoneRetryStrategy(),  # ours retry, visibly; the SDK's would retry silently
            "timeout": (min(self.access.timeout, 10.0), self.access.timeout),
        }
        if signer is not None:
            kwargs["signer"] = signer
        if self.access.endpoint:
            kwargs["service_endpoint"] = self.access.endpoint
        try:
            return classes[kind](config, **kwargs)
        except (oci.exceptions.InvalidPrivateKey, OSError) as exc:  # the API key, read when the client is built
            where = f"{Path(self.access.config_file).expanduser()} [{self.access.profile}]"
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ProviderError(
                self.source,
                f"{where}: cannot load the API key {config.get('key_file', '')}: {reason}; "
                "check key_file and pass_phrase in that profile",
            ) from None

    def _credentials(self) -> tuple[dict[str, Any], Any]:
        import oci

        access = self.access
        if access.auth == "instance_principal":
            try:
                signer = oci.auth.signers.InstancePrincipalsSecurityTokenSigner()
            except Exception as exc:
                raise ProviderError(
                    self.source,
                    f"instance principals are not available here ({type(exc).__name__}): "
                    'run on an OCI instance in a dynamic group, or use auth = "config_file"',
                ) from None
            return {"region": access.region or signer.region}, signer
        if access.auth == "resource_principal":
            return self._resource_principal()
        path = Path(access.config_file).expanduser()
        try:
            config = oci.config.from_file(str(path), access.profile)
        except oci.exceptions.ConfigFileNotFound:
            raise ProviderError(
                self.source, f"{path}: no OCI config file; run `oci setup config` or set config_file"
            ) from None
        except oci.exceptions.ProfileNotFound:
            raise ProviderError(
                self.source, f"{path}: no profile [{access.profile}]; set profile to one in that file"
            ) from None
        except (oci.exceptions.InvalidConfig, oci.exceptions.InvalidKeyFilePath) as exc:
            raise ProviderError(self.source, f"{path} [{access.profile}]: {exc}") from None
        except configparser.Error as exc:
            raise ProviderError(self.source, f"{path}: not a valid OCI config file: {exc.message}") from None
        remember_secret(config.get("pass_phrase"), config.get("key_content"))
        if access.region:
            config["region"] = access.region
        # A profile written by `oci session authenticate` has a session token and no user: it signs with the token.
        if access.auth == "security_token" or (config.get("security_token_file") and not config.get("user")):
            return config, self._session_signer(config, path)
        return config, None

    def _session_signer(self, config: dict[str, Any], path: Path) -> Any:
        """oci.auth.signers.SecurityTokenSigner from the profile's token file and session key, as the OCI CLI
        builds it; an expired token says how to renew it instead of failing every call with 401."""
        import oci
        from oci.auth.security_token_container import SecurityTokenContainer

        profile = self.access.profile
        where = f"{path} [{profile}]"
        renew = (
            f"run `oci session refresh --profile {profile}` (or `oci session authenticate --profile-name {profile}`)"
        )
        token_file = config.get("security_token_file")
        if not token_file:
            raise ProviderError(
                self.source,
                f'{where}: no security_token_file for auth = "security_token": '
                f"run `oci session authenticate --profile-name {profile}`",
            )
        token_path = Path(token_file).expanduser()
        try:
            token = token_path.read_text().strip()
        except OSError as exc:
            raise ProviderError(
                self.source, f"{where}: cannot read security_token_file {token_path}: {exc.strerror}; {renew}"
            ) from None
        remember_secret(token)
        try:
            key = oci.signer.load_private_key_from_file(config.get("key_file") or "", config.get("pass_phrase"))
        except (oci.exceptions.InvalidPrivateKey, OSError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
            raise ProviderError(
                self.source,
                f"{where}: cannot load the session key {config.get('key_file', '')}: {reason}; {renew}",
            ) from None
        try:
            container = SecurityTokenContainer(None, token)
            expires = float(container.get_jwt()["exp"])
        except Exception:
            raise ProviderError(self.source, f"{where}: {token_path} does not hold a session token; {renew}") from None
        if not container.valid():
            ended = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(expires))
            raise ProviderError(self.source, f"{where}: the session token expired at {ended}: {renew}")
        self.session_expires = expires
        self.session_remedy = f"{where}: the session token was refused (expired or revoked?): {renew}"
        return oci.auth.signers.SecurityTokenSigner(token, key)

    def _resource_principal(self) -> tuple[dict[str, Any], Any]:
        import oci

        if not os.environ.get("OCI_RESOURCE_PRINCIPAL_VERSION"):
            raise ProviderError(
                self.source,
                "resource principals are not available here: OCI_RESOURCE_PRINCIPAL_VERSION and the other "
                "OCI_RESOURCE_PRINCIPAL_* variables are not set (OCI Functions, Data Science and other resources "
                'set them); use auth = "config_file" or "instance_principal"',
            )
        try:
            signer = oci.auth.signers.get_resource_principals_signer()
        except Exception as exc:  # its messages may quote the variables: name the kind only
            raise ProviderError(
                self.source,
                f"resource principals could not be loaded ({type(exc).__name__}): check the "
                "OCI_RESOURCE_PRINCIPAL_* variables (version, session token, private key, region)",
            ) from None
        token = getattr(getattr(signer, "security_token", None), "security_token", None)
        remember_secret(token)
        region = self.access.region or getattr(signer, "region", None)
        if not region:
            raise ProviderError(
                self.source, "resource principals name no region: set OCI_RESOURCE_PRINCIPAL_REGION or region"
            )
        return {"region": region}, signer

    async def aclose(self) -> None:
        self._clients.clear()


class OciProviderSettings(Protocol):
    """What a provider's settings section says about reaching an OCI service."""

    @property
    def oci(self) -> OciAccess: ...
    @property
    def retry(self) -> RetrySettings: ...
    @property
    def requests_per_second(self) -> float: ...


class OciService:
    """One OCI service as a provider reaches it: its SDK client, and a Caller (budget, retries,
    notices) that every request goes through, run in a worker thread as the SDK is synchronous.
    Building the client happens inside the request, so a bad config file or key comes back as a
    ProviderError like any failure."""

    def __init__(
        self,
        access: OciAccess,
        kind: str,
        source: str,
        *,
        retry: RetrySettings | None = None,
        requests_per_second: float,
        observer: ProviderObserver | None = None,
    ):
        self.kind = kind
        self._clients = OciClients(access, source)
        translate = oci_translator(source)

        def translated(exc: BaseException, operation: str) -> ProviderError:
            error = translate(exc, operation)
            if error.code == "NotAuthenticated" and self._clients.session_remedy:
                self._clients.session_expires = 0.0  # read the token file again before the next call
                return ProviderError(source, f"{operation}: {self._clients.session_remedy}", code=error.code)
            return error

        self.caller = Caller(
            source,
            translated,
            retry=retry,
            budget=RequestBudget(requests_per_second),
            observer=observer,
        )

    @classmethod
    def of(cls, settings: OciProviderSettings, kind: str, source: str, observer: ProviderObserver | None) -> OciService:
        """The service as a provider's settings section configures it."""
        return cls(
            settings.oci,
            kind,
            source,
            retry=settings.retry,
            requests_per_second=settings.requests_per_second,
            observer=observer,
        )

    async def call(self, method: str, *args: Any, **kwargs: Any) -> Any:
        """One SDK call by its method name ("get_zone_records"); events name it as OCI does ("GetZoneRecords")."""

        async def attempt() -> Any:
            client = await self._clients.client(self.kind)
            return await asyncio.to_thread(getattr(client, method), *args, **kwargs)

        return await self.caller.call(operation_name(method), attempt)

    async def pages(self, method: str, *args: Any, **kwargs: Any) -> AsyncIterator[Any]:
        """Every page of a listing that pages with opc-next-page, one call each."""
        page: str | None = None
        while True:
            answer = await self.call(method, *args, **kwargs, **({"page": page} if page else {}))
            yield answer
            page = answer.headers.get("opc-next-page")
            if not page:
                return

    async def aclose(self) -> None:
        await self._clients.aclose()


def operation_name(method: str) -> str:
    """The SDK's method name as OCI's API reference names the operation: get_zone_records -> GetZoneRecords."""
    return "".join(word.capitalize() for word in method.split("_"))


def translate_oci_error(exc: BaseException, operation: str, source: str) -> ProviderError:
    import oci

    if isinstance(exc, oci.exceptions.ServiceError):
        code, status = str(exc.code), int(exc.status)
        text = f"{operation}: {status} {code}: {exc.message}"
        retryable = status == 429 or status >= 500 or (status == 409 and code == "IncorrectState")
        return ProviderError(source, text, retryable=retryable, request_id=str(exc.request_id or ""), code=code)
    if isinstance(exc, (oci.exceptions.RequestException, oci.exceptions.ConnectTimeout, TimeoutError, OSError)):
        return ProviderError(source, f"{operation}: {type(exc).__name__}: {exc}", retryable=True)
    if isinstance(exc, ProviderError):
        return exc
    return unexpected_error(exc, operation, source)


def oci_translator(source: str) -> Callable[[BaseException, str], ProviderError]:
    return lambda exc, operation: translate_oci_error(exc, operation, source)
