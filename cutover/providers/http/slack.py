"""Slack incoming webhook as the notifier.

The webhook URL is a credential: it is read from the environment variable the
configuration names, and never written to a log, an error or the audit trail.
"""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping

import httpx

from cutover.config.providers import SlackNotifier
from cutover.providers.calls import Caller
from cutover.providers.http.errors import http_translator, status_error
from cutover.providers.ports.errors import ProviderError, ProviderObserver
from cutover.providers.ports.notify import Notification, Severity
from cutover.providers.redaction import remember_secret

COLOURS = {Severity.INFO: "#2eb886", Severity.WARNING: "#daa038", Severity.CRITICAL: "#a30200"}
ICONS = {Severity.INFO: ":information_source:", Severity.WARNING: ":warning:", Severity.CRITICAL: ":rotating_light:"}


# What Slack says to an empty post on a live webhook.
LIVE_ANSWERS = ("invalid_payload", "no_text", "missing_text_or_fallback_or_attachments")


def payload(notification: Notification) -> dict[str, object]:
    fields = []
    if notification.tenant_id:
        fields.append({"title": "Tenant", "value": notification.tenant_id, "short": True})
    if notification.job_id:
        fields.append({"title": "Job", "value": notification.job_id, "short": True})
    return {
        "text": f"{ICONS[notification.severity]} {notification.text}",
        "attachments": [{"color": COLOURS[notification.severity], "fields": fields}] if fields else [],
    }


class SlackWebhook:
    def __init__(
        self,
        settings: SlackNotifier,
        *,
        environ: Mapping[str, str] | None = None,
        observer: ProviderObserver | None = None,
        source: str = "slack",
    ):
        self.source = source
        self.settings = settings
        self._environ = os.environ if environ is None else environ
        self._client = httpx.AsyncClient(timeout=settings.timeout, follow_redirects=False)
        self.caller = Caller(source, http_translator(source), retry=settings.retry, observer=observer)

    def _url(self) -> str:
        url = self._environ.get(self.settings.webhook_env, "").strip()
        if not url.startswith("https://") and not url.startswith("http://127.0.0.1"):
            raise ProviderError(
                self.source,
                f"${self.settings.webhook_env} is not set to a webhook URL: export it (https://hooks.slack.com/...) "
                "in the console's environment",
            )
        remember_secret(url, urllib.parse.urlsplit(url).path)  # the path is the webhook's token
        return url

    async def post(self, notification: Notification) -> None:
        url = self._url()

        async def send() -> None:
            response = await self._client.post(url, json=payload(notification))
            if response.status_code != 200:
                # Slack answers in plain words: invalid_payload, no_service, channel_is_archived...
                raise status_error(self.source, "post", response, response.text[:100])

        await self.caller.call("post", send)

    async def probe(self) -> str:
        """Whether the webhook exists, without posting anything: Slack answers an empty body with
        400 invalid_payload (or no_text) when the webhook is live, and with 403 invalid_token, 404
        no_service or 410 channel_is_archived when it is not. For `cutover doctor`."""
        url = self._url()

        async def send() -> str:
            response = await self._client.post(url, content=b"", headers={"Content-Type": "application/json"})
            words = response.text[:100].strip()
            if response.status_code == 200 or (response.status_code == 400 and words in LIVE_ANSWERS):
                return f"the webhook in ${self.settings.webhook_env} answers (nothing was posted)"
            raise status_error(self.source, "probe", response, words)

        return await self.caller.call("probe", send)

    async def aclose(self) -> None:
        await self._client.aclose()
