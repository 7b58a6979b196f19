"""The front-end simulator as the 2025 (lenient) and 2026 (strict) front-ends: a datetime in a
yyyy-MM-dd field is taken by the first and refused with a clear error by the second; a child
patient without contacts is refused only by the second."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from hisbridge._clock import ManualClock
from hisbridge.dictionary import load_dictionary
from hisbridge.dictionary.wire import to_wire
from hisbridge.simulators.frontend import FrontendSimConfig, create_frontend_app
from hisbridge.testing.documents import valid_record

D = load_dictionary()


@pytest.fixture(params=["lenient", "strict"])
async def sim(request: pytest.FixtureRequest) -> AsyncIterator[tuple[str, httpx.AsyncClient]]:
    app = create_frontend_app(FrontendSimConfig(mode=request.param), clock=ManualClock())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                 base_url="http://frontend") as client:
        yield request.param, client
    app.sim.close()


async def _post(client: httpx.AsyncClient, table: str, record: dict[str, Any],
                **raw: str) -> dict[str, Any]:
    """POST ``record`` as a client would, with ``raw`` wire keys sent exactly as given."""
    spec = D.table(table)
    reply = await client.post(spec.api_path, json=to_wire(spec, record) | raw)
    return dict(reply.json())


async def test_a_datetime_in_a_date_field(sim: tuple[str, httpx.AsyncClient]) -> None:
    mode, client = sim
    record = valid_record("emr_order")
    reply = await _post(client, "emr_order", record,
                        prescriptionIssuanceDate="2026-12-03 09:53:55")
    if mode == "lenient":
        assert reply["result"] is True, reply["desc"]
    else:
        assert reply["errorCode"] in ("03", "04")
        assert "prescription_issuance_date" in reply["desc"] and "只发送日期" in reply["desc"]


async def test_contacts_for_children(sim: tuple[str, httpx.AsyncClient]) -> None:
    mode, client = sim
    child = valid_record("emr_patient_info", birth_date="2020-05-01",
                         operation_time="2026-03-02 08:00:00")
    child.pop("contacts", None)
    child.pop("contacts_tel", None)
    child["id_card_type_code"] = "99"  # no resident ID: the birth date field alone tells
    adult = valid_record("emr_patient_info", birth_date="1990-05-01",
                         operation_time="2026-03-02 08:00:00")
    adult.pop("contacts", None)
    adult.pop("contacts_tel", None)
    adult["id_card_type_code"] = "99"
    child_reply = await _post(client, "emr_patient_info", child)
    adult_reply = await _post(client, "emr_patient_info", adult)
    assert adult_reply["result"] is True, adult_reply["desc"]
    if mode == "lenient":
        assert child_reply["result"] is True, child_reply["desc"]
    else:
        assert child_reply["errorCode"] == "04" and "contacts" in child_reply["desc"]
