"""Builders of the real providers, one per configured `kind`, and the retry notices they report.

The composition root calls these; each imports its provider's module only when
that kind is configured, so a console on the simulated fleet never loads
aioboto3, oci or asyncssh. Every retry a provider makes is written to the event
log as a `provider.retry` event (its reason already stripped of credentials).
"""

from __future__ import annotations

import logging
from typing import Any

from cutover.providers.ports.errors import ProviderObserver, RetryNotice
from cutover.state.events import EventLog
from cutover.state.identity import Actor

log = logging.getLogger(__name__)


class RetriesToEventLog:
    """A ProviderObserver writing each retry to the audit trail."""

    def __init__(self, events: EventLog):
        self.events = events

    def retrying(self, notice: RetryNotice) -> None:
        log.info(
            "%s: %s failed (attempt %d), retrying in %.2f s: %s",
            notice.source,
            notice.operation,
            notice.attempt,
            notice.wait_s,
            notice.reason,
        )
        try:
            self.events.append(
                "provider.retry",
                f"{notice.source}: {notice.operation} failed (attempt {notice.attempt}); "
                f"retrying in {notice.wait_s:.2f} s",
                why=notice.reason,
                detail={
                    "source": notice.source,
                    "operation": notice.operation,
                    "attempt": notice.attempt,
                    "wait_s": notice.wait_s,
                },
            )
        except Exception:  # a busy store must not turn a retry into a failure
            log.exception("could not record a provider retry")


def observer(composition: Any) -> ProviderObserver:
    if "observer" not in composition.cache:
        actor = composition.actor or Actor.current()
        composition.cache["observer"] = RetriesToEventLog(EventLog(composition.store, actor, composition.clock))
    observer: ProviderObserver = composition.cache["observer"]
    return observer


def _settings(composition: Any, role: str) -> Any:
    return getattr(composition.settings.providers, role)


def route53(composition: Any, role: str) -> Any:
    from cutover.providers.aws.route53 import Route53Dns

    return Route53Dns(_settings(composition, role), observer=observer(composition), clock=composition.clock)


def oci_dns(composition: Any, role: str) -> Any:
    from cutover.providers.oci.dns import OciDns

    return OciDns(_settings(composition, role), observer=observer(composition), clock=composition.clock)


def split_dns(composition: Any, role: str) -> Any:
    from cutover.providers.aws.route53 import Route53Dns
    from cutover.providers.oci.dns import OciDns
    from cutover.providers.split_dns import SplitDns

    settings = _settings(composition, role)
    watch, clock = observer(composition), composition.clock
    return SplitDns(
        Route53Dns(settings.route53, observer=watch, clock=clock),
        OciDns(settings.oci, observer=watch, clock=clock),
        settings.oci_zones,
    )


def cloud_metrics(composition: Any, role: str) -> Any:
    from cutover.providers.fleet_metrics import FleetMetrics

    settings = _settings(composition, role)
    watch, clock = observer(composition), composition.clock
    aws = oci = None
    if settings.aws is not None:
        from cutover.providers.aws.cloudwatch import CloudWatchSide

        aws = CloudWatchSide(settings.aws, observer=watch, clock=clock)
    if settings.oci is not None:
        from cutover.providers.oci.monitoring import OciMonitoringSide

        oci = OciMonitoringSide(settings.oci, observer=watch, clock=clock)
    return FleetMetrics(aws, oci, clock=clock)


def rclone(composition: Any, role: str) -> Any:
    from cutover.providers.http.rclone_sync import RcloneSync

    settings = _settings(composition, role)
    watch = observer(composition)
    if settings.rc.ssh is not None:
        from cutover.providers.ssh.rclone import SshRc

        transport: Any = SshRc(settings.rc, observer=watch)
    else:
        from cutover.providers.http.rclone_rc import HttpRc

        transport = HttpRc(settings.rc, observer=watch)
    listings = None
    if settings.listings is not None:
        from cutover.providers.aws.s3 import S3Listing
        from cutover.providers.oci.object_storage import ObjectStorageListing

        found = settings.listings
        listings = (
            S3Listing(found.s3, found.retry, observer=watch),
            ObjectStorageListing(found.oci, found.namespace, found.retry, observer=watch),
        )
    return RcloneSync(settings, transport, clock=composition.clock, listings=listings)


def oci_lb(composition: Any, role: str) -> Any:
    from cutover.providers.cloud_health import CloudHealth
    from cutover.providers.http.validation import HttpValidation
    from cutover.providers.oci.lb_health import OciBackendHealth

    settings = _settings(composition, role)
    clock = composition.clock
    hydration = None
    if settings.hydration is not None:
        from cutover.providers.ssh.hydration import SshHydration

        hydration = SshHydration(settings.hydration, clock=clock)
    aws_targets = None
    if settings.aws_targets is not None:
        from cutover.providers.aws.elbv2 import Elbv2Targets

        aws_targets = Elbv2Targets(settings.aws_targets, observer=observer(composition), clock=clock)
    return CloudHealth(
        OciBackendHealth(settings, observer=observer(composition), clock=clock),
        HttpValidation(settings.validation, clock=clock),
        hydration,
        aws_targets,
    )


def slack(composition: Any, role: str) -> Any:
    from cutover.providers.http.slack import SlackWebhook

    return SlackWebhook(_settings(composition, role), observer=observer(composition))


def pagerduty(composition: Any, role: str) -> Any:
    from cutover.providers.http.paging import PagerDutyEvents

    return PagerDutyEvents(_settings(composition, role), observer=observer(composition))


def webhook(composition: Any, role: str) -> Any:
    from cutover.providers.http.paging import JsonWebhook

    return JsonWebhook(_settings(composition, role), observer=observer(composition))


def routed(composition: Any, role: str) -> Any:
    """Several notifiers, each with the severities it takes; PagerDuty and webhooks take resolves too."""
    from cutover.providers.http.paging import JsonWebhook, PagerDutyEvents, RoutedNotifier
    from cutover.providers.http.slack import SlackWebhook
    from cutover.providers.ports.notify import Notifier, Severity

    watch = observer(composition)
    routes: list[tuple[Notifier, Severity, bool]] = []
    for index, one in enumerate(_settings(composition, role).notifiers):
        source = f"{one.kind}-{index + 1}"
        if one.kind == "slack":
            routes.append((SlackWebhook(one, observer=watch, source=source), Severity(one.min_severity), False))
        elif one.kind == "pagerduty":
            routes.append((PagerDutyEvents(one, observer=watch, source=source), Severity(one.min_severity), True))
        else:
            routes.append((JsonWebhook(one, observer=watch, source=source), Severity(one.min_severity), True))
    return RoutedNotifier(routes)


BUILDERS = {
    "route53": route53,
    "oci_dns": oci_dns,
    "split": split_dns,
    "cloud": cloud_metrics,
    "rclone": rclone,
    "oci_lb": oci_lb,
    "slack": slack,
    "pagerduty": pagerduty,
    "webhook": webhook,
    "routed": routed,
}
