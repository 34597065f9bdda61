"""Paging and routing by severity: PagerDuty (Events v2) for what must wake someone, one incident per job or
tenant problem, resolved when it clears; a JSON webhook and Slack for the rest. Local HTTP servers check
the payloads; the engine drives them on the simulated fleet."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from engine_helpers import Harness, inject

from cutover.actions.plan.plans import PlanRequest
from cutover.actions.wiring.composition import build_providers
from cutover.config.providers import PagerDutyNotifier, RoutedNotifier, SlackNotifier, WebhookNotifier
from cutover.config.settings import ProvidersSettings, Settings
from cutover.lab.local_http import LocalHttpServer, Reply
from cutover.lab.web_server import SlackSink
from cutover.model.jobs import JobState
from cutover.providers.ports.notify import Notification, Severity

# Real servers on 127.0.0.1 (or processes): `make test-fast` leaves these out.
pytestmark = pytest.mark.slow

ROUTING_KEY = "R0UTINGKEY0FAKE0SECRET00000000"


class Sink(LocalHttpServer):
    """An endpoint keeping every JSON document posted to it; PagerDuty answers 202."""

    methods = ("POST",)

    def __init__(self, name: str, status: int) -> None:
        self.posts: list[dict[str, Any]] = []
        self.status = status
        super().__init__(name)

    def answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> Reply:
        self.posts.append(json.loads(body))
        return Reply.json(self.status, {"status": "success", "dedup_key": self.posts[-1].get("dedup_key")})


@pytest.fixture
def sinks(monkeypatch: pytest.MonkeyPatch):
    with Sink("pagerduty", 202) as pagerduty, Sink("webhook", 200) as webhook, SlackSink() as slack:
        monkeypatch.setenv("PAGERDUTY_ROUTING_KEY", ROUTING_KEY)
        monkeypatch.setenv("NOTIFY_WEBHOOK_URL", f"{webhook.url}/hooks/cutover")
        monkeypatch.setenv("SLACK_WEBHOOK_URL", slack.webhook_url)
        routed = RoutedNotifier(
            kind="routed",
            notifiers=[
                SlackNotifier(kind="slack"),
                PagerDutyNotifier(kind="pagerduty", url=f"{pagerduty.url}/v2/enqueue"),
                WebhookNotifier(kind="webhook", min_severity="warning"),
            ],
        )
        yield pagerduty, webhook, slack, routed


@pytest.mark.asyncio
async def test_each_notification_goes_where_its_severity_goes_and_a_resolve_closes_the_page(tmp_path: Path, sinks):
    pagerduty, webhook, slack, routed = sinks
    h = Harness(tmp_path, ready=2, settings=Settings(providers=ProvidersSettings(notifier=routed)))
    notifier = build_providers(h.settings, h.store, h.clock).providers.notifier
    try:
        await notifier.post(Notification("batch-1 started", Severity.INFO, dedup_key="cutover:job:batch-1"))
        await notifier.post(Notification("oci-lb stale", Severity.WARNING, dedup_key="cutover:oci-lb:fleet"))
        await notifier.post(
            Notification("T-0555 rolling back", Severity.CRITICAL, "T-0555", "rollback-3", "cutover:job:rollback-3")
        )
        await notifier.post(Notification("rollback-3 succeeded", dedup_key="cutover:job:rollback-3", resolve=True))
    finally:
        await notifier.aclose()
    assert [post["text"].split(" ", 1)[1] for post in slack.posts] == [
        "batch-1 started",
        "oci-lb stale",
        "T-0555 rolling back",
    ]  # Slack takes everything but resolves
    assert [(p["action"], p["severity"], p["dedup_key"]) for p in webhook.posts] == [
        ("trigger", "warning", "cutover:oci-lb:fleet"),
        ("trigger", "critical", "cutover:job:rollback-3"),
        ("resolve", "info", "cutover:job:rollback-3"),
    ]
    trigger, resolve = pagerduty.posts  # only the critical one pages, and its resolve closes it
    assert trigger["event_action"] == "trigger" and trigger["routing_key"] == ROUTING_KEY
    assert trigger["dedup_key"] == "cutover:job:rollback-3" and trigger["payload"]["severity"] == "critical"
    assert trigger["payload"]["custom_details"] == {"tenant": "T-0555", "job": "rollback-3"}
    assert resolve == {"routing_key": ROUTING_KEY, "event_action": "resolve", "dedup_key": "cutover:job:rollback-3"}


@pytest.mark.asyncio
async def test_an_automatic_rollback_pages_once_and_its_end_resolves_the_incident(tmp_path: Path, sinks):
    pagerduty, webhook, slack, routed = sinks
    h = Harness(tmp_path, ready=2, settings=Settings(providers=ProvidersSettings(notifier=routed)))
    inject(
        h, tmp_path, '[[fault]]\nkind = "error_spike"\ntenants = ["T-0001"]\nafter_cutover = "2m"\nerror_rate = 0.2\n'
    )
    await h.start()
    try:
        flip = h.ops.submit(h.ops.plan(PlanRequest.flip(["T-0001"])), reason="pilot")
        await h.until(h.job_done(flip.job_id), what="the flip taken over by the rollback")
        rollback = next(j for j in h.jobs.find() if j.kind == "rollback")
        await h.until(h.job_done(rollback.job_id), what="the rollback")
        assert h.jobs.get(rollback.job_id).state is JobState.SUCCEEDED
        key = f"cutover:job:{rollback.job_id}"
        await h.until(
            lambda: any(p.get("event_action") == "resolve" and p["dedup_key"] == key for p in pagerduty.posts),
            limit=600,
            what="the page resolved",
        )
        triggers = [p for p in pagerduty.posts if p["event_action"] == "trigger" and p["dedup_key"] == key]
        assert (
            len({p["dedup_key"] for p in triggers}) == 1
            and "rolling back automatically" in triggers[0]["payload"]["summary"]
        )
        shown = json.dumps([pagerduty.posts, webhook.posts, slack.posts])
        assert ROUTING_KEY not in shown.replace(f'"routing_key": "{ROUTING_KEY}"', "")  # only where it belongs
    finally:
        await h.stop()
