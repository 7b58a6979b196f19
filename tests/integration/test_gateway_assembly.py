"""The assembled gateway: a pushed registration reaches the consent service at once."""

from __future__ import annotations

import time
from pathlib import Path

import httpx

from hisbridge.runtime.gateway import assemble
from hisbridge.settings import Settings
from hisbridge.testing import secret_settings, serve_app
from hisbridge.testing.documents import make_id_card, valid_record


def _settings(tmp_path: Path) -> Settings:
    return secret_settings(
        store={"url": f"sqlite:///{tmp_path / 'store.db'}"}, push={"token": "tok"},
        frontend={"base_url": "http://127.0.0.1:9"}, interaction={"poller": {"enabled": False}})


def test_pushed_registration_is_known_to_the_consent_service(tmp_path: Path) -> None:
    import random

    gateway = assemble(_settings(tmp_path))
    consents = gateway.services["consents"]
    activity = valid_record("emr_activity_info", random.Random(4), activity_type_code="1",
                            serial_number="MZ-TEST-0001", activity_time="2026-03-01 09:00:00",
                            id_card=make_id_card(random.Random(4)), patient_id="P-0001")
    with serve_app(gateway.app) as url:
        reply = httpx.post(f"{url}/api/v1/events/emr_activity_info", json=activity,
                           headers={"Authorization": "Bearer tok"})
        assert reply.status_code == 202 and reply.json()["accepted"] == 1
        deadline = time.monotonic() + 5
        while consents.repo.encounter("OUTPATIENT", "MZ-TEST-0001") is None:
            assert time.monotonic() < deadline, "the consent service never heard of the visit"
            time.sleep(0.05)
    assert gateway.scheduler is None  # no HIS configured: no polling
    gateway.engine.dispose()
