"""The validation suite against a tenant's OCI endpoint, before DNS points there.

Requests go to the OCI load balancer's address with the tenant's own Host header
(and, over HTTPS, its name as SNI, so the certificate is checked against it):
exactly what customers will reach once DNS moves. Each check is a list of steps
(health, login, dashboard, a query under 2 s...); a step passes on an expected
status, within its time limit, and unless its JSON answer says "passed": false.
"""

from __future__ import annotations

import json
import os
import ssl
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import httpx

from cutover.config.providers import HttpStep, ValidationSettings
from cutover.model.clock import Clock, SystemClock
from cutover.model.tenant import Tenant
from cutover.providers.ports.health import VALIDATION_CHECKS, CheckResult, ValidationResult
from cutover.providers.redaction import redact, remember_secret, remember_secrets_in


class HttpValidation:
    def __init__(
        self,
        settings: ValidationSettings,
        *,
        clock: Clock | None = None,
        environ: Mapping[str, str] | None = None,
        source: str = "validation",
    ):
        self.source = source
        self.settings = settings
        self.clock = clock or SystemClock()
        self._environ = os.environ if environ is None else environ

    def _verify(self) -> bool | ssl.SSLContext:
        if not self.settings.verify_tls:
            return False
        if self.settings.ca_bundle is not None:
            return ssl.create_default_context(cafile=str(Path(self.settings.ca_bundle).expanduser()))
        return True

    def base_url(self, tenant: Tenant) -> str:
        host = tenant.oci_target or tenant.dns_name
        if ":" in host:
            host = f"[{host}]"  # IPv6
        port = f":{self.settings.port}" if self.settings.port else ""
        return f"{self.settings.scheme}://{host}{port}"

    async def validate(self, tenant: Tenant) -> ValidationResult:
        results: list[CheckResult] = []
        async with httpx.AsyncClient(
            base_url=self.base_url(tenant),
            headers={"Host": tenant.dns_name, "User-Agent": "cutover-validation"},
            timeout=self.settings.timeout,
            verify=self._verify(),
            follow_redirects=False,
        ) as client:
            for name in VALIDATION_CHECKS:
                steps = self.settings.checks.get(name)
                if steps:
                    results.append(await self._check(client, tenant, name, steps))
        return ValidationResult(tenant.tenant_id, tuple(results), self.clock.now(), self.source)

    async def _check(
        self, client: httpx.AsyncClient, tenant: Tenant, name: str, steps: tuple[HttpStep, ...]
    ) -> CheckResult:
        evidence: list[str] = []
        for step in steps:
            passed, said = await self._step(client, tenant, step)
            evidence.append(said)
            if not passed:
                return CheckResult(name, False, redact("; ".join(evidence)), self.clock.now())
        return CheckResult(name, True, redact("; ".join(evidence)), self.clock.now())

    async def _step(self, client: httpx.AsyncClient, tenant: Tenant, step: HttpStep) -> tuple[bool, str]:
        what = f"{step.method} {step.path}"
        body: Any = step.json_body
        if step.body_env:
            raw = self._environ.get(step.body_env)
            if raw is None:
                return False, f"{what}: ${step.body_env} is not set (the test login); export it as JSON"
            remember_secret(raw)
            try:
                body = json.loads(raw)
            except ValueError:
                return False, f"{what}: ${step.body_env} is not JSON"
            if isinstance(body, dict):
                remember_secrets_in(body.items())
        extensions = {"sni_hostname": tenant.dns_name} if self.settings.scheme == "https" else {}
        started = time.perf_counter()
        try:
            response = await client.request(step.method, step.path, json=body, extensions=extensions)
        except httpx.TimeoutException:
            return False, f"{what}: no answer within {self.settings.timeout:.0f} s"
        except httpx.HTTPError as exc:
            return False, f"{what}: {type(exc).__name__}: {redact(str(exc))}"
        elapsed_ms = (time.perf_counter() - started) * 1000
        said = f"{what} {response.status_code} in {elapsed_ms:.0f} ms"
        if response.status_code not in step.expect_status:
            expected = "/".join(str(s) for s in step.expect_status)
            return False, f"{said} (expected {expected})"
        if step.max_ms is not None and elapsed_ms > step.max_ms:
            return False, f"{said}, over the {step.max_ms:.0f} ms limit"
        verdict = _verdict(response)
        if verdict is not None:
            passed, detail = verdict
            return passed, f"{said}: {detail}" if detail else said
        return True, said


def _verdict(response: httpx.Response) -> tuple[bool, str] | None:
    """A JSON answer may carry its own verdict: {"passed": false, "evidence": "row counts differ by 2%"}."""
    if "json" not in response.headers.get("content-type", ""):
        return None
    try:
        data = response.json()
    except ValueError:
        return None
    if isinstance(data, dict) and "passed" in data:
        return bool(data["passed"]), str(data.get("evidence", ""))[:200]
    return None
