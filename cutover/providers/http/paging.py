"""Paging and webhooks beside Slack, and the router that sends each notification where its severity goes.

PagerDuty (Events API v2) gets one incident per dedup key (a job, or a tenant's drift or sync problem)
and a resolve when it clears; a generic webhook gets a `cutover.notification/1` document. Their
credentials (the routing key, the webhook URL) come from environment variables the configuration
names, and are never written to a log, an error or the audit trail.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from cutover.config.providers import PagerDutyNotifier, WebhookNotifier
from cutover.providers.calls import Caller
from cutover.providers.http.errors import http_translator, status_error
from cutover.providers.ports.errors import ProviderError, ProviderObserver
from cutover.providers.ports.notify import Notification, Notifier, Severity
from cutover.providers.redaction import remember_secret

RANK = {Severity.INFO: 0, Severity.WARNING: 1, Severity.CRITICAL: 2}


def _from_environment(environ: Mapping[str, str], name: str, source: str, what: str) -> str:
    value = environ.get(name, "").strip()
    if not value:
        raise ProviderError(source, f"${name} is not set: export the {what} in the engine's environment")
    remember_secret(value)
    return value


class PagerDutyEvents:
    source: str

    def __init__(
        self,
        settings: PagerDutyNotifier,
        *,
        environ: Mapping[str, str] | None = None,
        observer: ProviderObserver | None = None,
        source: str = "pagerduty",
    ):
        self.source = source
        self.settings = settings
        self._environ = os.environ if environ is None else environ
        self._client = httpx.AsyncClient(timeout=settings.timeout, follow_redirects=False)
        self.caller = Caller(source, http_translator(source), retry=settings.retry, observer=observer)

    def event(self, notification: Notification, routing_key: str) -> dict[str, Any]:
        if notification.resolve:
            return {"routing_key": routing_key, "event_action": "resolve", "dedup_key": notification.dedup_key}
        details = {
            key: value for key, value in (("tenant", notification.tenant_id), ("job", notification.job_id)) if value
        }
        return {
            "routing_key": routing_key,
            "event_action": "trigger",
            "dedup_key": notification.dedup_key or None,
            "payload": {
                "summary": notification.text[:1024],
                "source": "cutover",
                "severity": notification.severity.value,
                "custom_details": details,
            },
        }

    async def post(self, notification: Notification) -> None:
        routing_key = _from_environment(self._environ, self.settings.routing_key_env, self.source, "routing key")
        body = self.event(notification, routing_key)

        async def send() -> None:
            response = await self._client.post(self.settings.url, json=body)
            if response.status_code not in (200, 201, 202):
                raise status_error(self.source, "enqueue", response, response.text[:200])

        await self.caller.call("enqueue", send)

    async def probe(self) -> str:
        """The routing key is set and the Events API answers, without paging anyone: an empty event is
        refused (400) by a live endpoint. The key itself is only proven by a real event."""
        routing_key = _from_environment(self._environ, self.settings.routing_key_env, self.source, "routing key")

        async def send() -> str:
            response = await self._client.post(self.settings.url, json={})
            if response.status_code in (200, 202, 400):
                return (
                    f"the Events API answers and ${self.settings.routing_key_env} is set "
                    f"({len(routing_key)} characters); nothing was paged"
                )
            raise status_error(self.source, "probe", response, response.text[:200])

        return await self.caller.call("probe", send)

    async def aclose(self) -> None:
        await self._client.aclose()


class JsonWebhook:
    source: str

    def __init__(
        self,
        settings: WebhookNotifier,
        *,
        environ: Mapping[str, str] | None = None,
        observer: ProviderObserver | None = None,
        source: str = "webhook",
    ):
        self.source = source
        self.settings = settings
        self._environ = os.environ if environ is None else environ
        self._client = httpx.AsyncClient(timeout=settings.timeout, follow_redirects=False)
        self.caller = Caller(source, http_translator(source), retry=settings.retry, observer=observer)

    async def post(self, notification: Notification) -> None:
        url = _from_environment(self._environ, self.settings.url_env, self.source, "webhook URL")
        remember_secret(urllib.parse.urlsplit(url).path)
        body = {
            "schema": "cutover.notification/1",
            "action": "resolve" if notification.resolve else "trigger",
            "text": notification.text,
            "severity": notification.severity.value,
            "tenant": notification.tenant_id,
            "job": notification.job_id,
            "dedup_key": notification.dedup_key,
        }

        async def send() -> None:
            response = await self._client.post(url, json=body)
            if not 200 <= response.status_code < 300:
                raise status_error(self.source, "post", response, response.text[:200])

        await self.caller.call("post", send)

    async def probe(self) -> str:
        """The URL is set and its server answers a HEAD (nothing is posted); a 404 or 410 says the endpoint
        is gone, a 5xx that it is failing."""
        url = _from_environment(self._environ, self.settings.url_env, self.source, "webhook URL")
        remember_secret(urllib.parse.urlsplit(url).path)

        async def send() -> str:
            response = await self._client.head(url)
            if response.status_code in (404, 410) or response.status_code >= 500:
                raise status_error(self.source, "probe", response, response.reason_phrase)
            return (
                f"the URL in ${self.settings.url_env} answers (HTTP {response.status_code} to a HEAD; nothing posted)"
            )

        return await self.caller.call("probe", send)

    async def aclose(self) -> None:
        await self._client.aclose()


class RoutedNotifier:
    """Each notifier gets what is at least its minimum severity; a resolve goes to every notifier that
    keeps incidents (PagerDuty, webhooks), so a cleared page is closed whatever its severity was."""

    def __init__(self, routes: Sequence[tuple[Notifier, Severity, bool]]):
        """`routes`: (notifier, minimum severity, whether it takes resolves)."""
        self.routes = list(routes)
        self.source = "+".join(notifier.source for notifier, _, _ in self.routes)

    def wants(self, notification: Notification, minimum: Severity, takes_resolves: bool) -> bool:
        if notification.resolve:
            return takes_resolves
        return RANK[notification.severity] >= RANK[minimum]

    async def post(self, notification: Notification) -> None:
        failed: list[str] = []
        for notifier, minimum, takes_resolves in self.routes:
            if not self.wants(notification, minimum, takes_resolves):
                continue
            try:
                await notifier.post(notification)
            except ProviderError as error:
                failed.append(str(error))
        if failed:
            # Delivery is at least once: the outbox retries; PagerDuty's dedup key keeps one incident.
            raise ProviderError(self.source, "; ".join(failed), retryable=True)

    async def aclose(self) -> None:
        for notifier, _, _ in self.routes:
            close = getattr(notifier, "aclose", None)
            if close is not None:
                await close()
