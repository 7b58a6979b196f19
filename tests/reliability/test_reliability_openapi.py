"""schemathesis against the gateway's own OpenAPI: every GET/POST operation, bounded, no 5xx.

The gateway is ``assemble``d as ``hisbridge run`` builds it (SQLite store, push token), and the
push token goes with every call, so the API's real handlers are reached, not only the 401s.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from hisbridge.runtime.gateway import assemble
from hisbridge.testing import secret_settings

TOKEN = "openapi-token"
EXAMPLES = 20


def call_app(app: Any, case: schemathesis.Case) -> httpx.Response:
    """Send one generated case in-process; a crash in the app comes back as a 500 to count."""
    headers = {**(case.headers or {}), "Authorization": f"Bearer {TOKEN}"}
    body: dict[str, Any] = {}
    if case.body is not None and not isinstance(case.body, schemathesis.core.NotSet):
        body = {"json": case.body}

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1",
                                     cookies=case.cookies or {}) as client:
            reply = await client.request(case.method, case.formatted_path, params=case.query,
                                         headers=headers, **body)
            await reply.aread()
            return reply
    return asyncio.run(go())


def crashed(reply: httpx.Response) -> bool:
    """A server error that is not a documented one: 502/503/504 with a JSON ``error`` saying
    which upstream (the provincial platform, the front-end) is unavailable are answers, and so
    is ``/readyz``'s 503 ``{"status": "not_ready", ...}``."""
    if reply.status_code < 500:
        return False
    if reply.status_code in (502, 503, 504):
        try:
            body = reply.json()
        except ValueError:
            return True
        # /readyz's documented "not ready" (docs/deploy.md): the front-end here is unreachable
        return not (body.get("error") or body.get("status") == "not_ready")
    return True


@pytest.fixture
def gateway_app(tmp_path: Path) -> object:
    settings = secret_settings(store={"url": f"sqlite:///{tmp_path / 'store.db'}"},
                               push={"token": TOKEN}, frontend={"base_url": "http://127.0.0.1:9"})
    gateway = assemble(settings)
    yield gateway.app
    gateway.engine.dispose()


def test_no_operation_answers_a_server_error(gateway_app: object) -> None:
    # /openapi.json itself is behind the console's login; the app builds the same document.
    schema = schemathesis.openapi.from_dict(gateway_app.openapi())  # type: ignore[attr-defined]
    failures: list[str] = []
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.method.upper() not in ("GET", "POST"):
            continue
        checked += 1

        @settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                  suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy())
        def call(case: schemathesis.Case) -> None:
            reply = call_app(gateway_app, case)
            if crashed(reply):
                failures.append(f"{case.method} {case.operation.path} -> {reply.status_code}: "
                                f"{reply.text[:120]} | {case.query} {str(case.body)[:120]}")

        call()
    assert checked > 10
    assert failures == [], "\n".join(sorted(set(failures))[:30])


@pytest.mark.parametrize("kind", ["", "viewer_url", "门诊", "OUTPATIENTX"])
def test_an_unknown_encounter_type_is_422_not_500(gateway_app: object, kind: str) -> None:
    """Found by the walk above: ``EncounterType.parse`` raised ValueError -> 500."""
    case_query = {"hisPatientId": "P1", "encounterType": kind, "encounterId": "MZ1"}

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(gateway_app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.get("/api/v1/consents", params=case_query,
                                    headers={"Authorization": f"Bearer {TOKEN}"})
    reply = asyncio.run(go())
    assert reply.status_code == 422, reply.text
