"""Every signed route (``/ws/...`` pages and APIs, messages, SSO): no, tampered or expired
signature -> 401/403, never data. Complements the console's route walker
(``tests/integration/test_console_route_guard.py``), which leaves these routes to their modules.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import pytest

from hisbridge.runtime.gateway import assemble
from hisbridge.testing import secret_settings
from hisbridge.web.signing import signed_query

SIGNED = [("GET", "/ws/warnings"), ("GET", "/ws/shared"), ("GET", "/ws/shared/doc/d1"),
          ("GET", "/ws/shared/api/state"), ("POST", "/ws/shared/api/apply"),
          ("GET", "/ws/shared/api/timeline"), ("GET", "/ws/shared/api/doc/d1"),
          ("GET", "/api/v1/warnings"), ("POST", "/api/v1/warnings/m1/read"),
          ("GET", "/api/v1/warnings/stream"), ("POST", "/api/v1/sso/prepare"),
          ("POST", "/api/v1/sso/launch")]
PARAMS = {"userId": "D0001", "deptCode": "0301", "userName": "张医生", "patientId": "P1",
          "encounterType": "OUTPATIENT", "encounterId": "MZ1"}


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Any:
    store = tmp_path_factory.mktemp("signed") / "store.db"
    built = assemble(secret_settings(store={"url": f"sqlite:///{store}"}, push={"token": "t"},
                              web={"secret_key": "signed-routes-secret"}))
    yield built
    built.engine.dispose()


def queries() -> dict[str, str]:
    secret = "signed-routes-secret"
    good = signed_query(PARAMS, secret, now=time.time())
    return {
        "missing": "userId=D0001&deptCode=0301",
        "tampered-param": good.replace("userId=D0001", "userId=D0002"),
        "tampered-sig": good[:-4] + ("0000" if not good.endswith("0000") else "1111"),
        "wrong-secret": signed_query(PARAMS, "another-secret", now=time.time()),
        "expired": signed_query(PARAMS, secret, now=time.time() - 7200, ttl_s=60),
    }


@pytest.mark.parametrize(("method", "path"), SIGNED)
def test_signed_routes_refuse_bad_signatures(gateway: Any, method: str, path: str) -> None:
    async def go() -> dict[str, httpx.Response]:
        transport = httpx.ASGITransport(gateway.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            out = {}
            for name, query in queries().items():
                out[name] = await asyncio.wait_for(
                    client.request(method, f"{path}?{query}", json={} if method == "POST" else None),
                    10)
            return out
    for name, reply in asyncio.run(go()).items():
        assert reply.status_code in (401, 403), (name, method, path, reply.status_code,
                                                 reply.text[:200])
        assert "PATIENT" not in reply.text and "MZ1" not in reply.text.replace(path, "")
