"""The assembled gateway: a pushed registration reaches the consent service at once."""

from __future__ import annotations

import dataclasses
import time
from pathlib import Path

import httpx
import pytest

from hisbridge.runtime.gateway import assemble
from hisbridge.settings import Settings
from hisbridge.testing import secret_settings, serve_app
from hisbridge.testing.documents import make_id_card, valid_record
from hisbridge.web.services import services_of


def _settings(tmp_path: Path) -> Settings:
    return secret_settings(
        store={"url": f"sqlite:///{tmp_path / 'store.db'}"}, push={"token": "tok"},
        frontend={"base_url": "http://127.0.0.1:9"}, interaction={"poller": {"enabled": False}})


def test_pushed_registration_is_known_to_the_consent_service(tmp_path: Path) -> None:
    import random

    gateway = assemble(_settings(tmp_path))
    consents = gateway.services.consents
    activity = valid_record("emr_activity_info", random.Random(4), activity_type_code="1",
                            serial_number="MZ-TEST-0001", activity_time="2026-03-01 09:00:00",
                            id_card=make_id_card(random.Random(4)), patient_id="P-0001")
    with serve_app(gateway.app) as url:
        reply = httpx.post(f"{url}/api/v1/events/emr_activity_info", json=activity,
                           headers={"Authorization": "Bearer tok"})
        assert reply.status_code == 202 and reply.json()["accepted"] == 1
        deadline = time.monotonic() + 5
        assert consents is not None
    while consents.repo.encounter("OUTPATIENT", "MZ-TEST-0001") is None:
            assert time.monotonic() < deadline, "the consent service never heard of the visit"
            time.sleep(0.05)
    assert gateway.scheduler is None  # no HIS configured: no polling
    gateway.engine.dispose()


def test_the_app_is_given_one_frozen_typed_services_object(tmp_path: Path) -> None:
    """Assembly in one place (issue 18): the runtime builds one ``AppServices``; the web app
    reads that object, not attributes filled from a dict."""
    gateway = assemble(_settings(tmp_path))
    try:
        services = services_of(gateway.app)
        assert services is gateway.services
        assert services.delivery is gateway.delivery
        assert gateway.gdhealth is not None and services.consents is gateway.gdhealth.consents
        assert services.activity is not None and services.project is None  # no project given
        with pytest.raises(dataclasses.FrozenInstanceError):
            services.consents = None  # type: ignore[misc]
    finally:
        gateway.engine.dispose()


@pytest.mark.parametrize(("enabled", "desks"), [((True, True, False), ["H01", "T01"]),
                                                ((False, False, False), None)])
def test_a_group_gateway_reads_the_warnings_of_each_enabled_institution(
        tmp_path: Path, enabled: tuple[bool, ...], desks: list[str] | None) -> None:
    listed = [{"org_code": org, "enabled": on, "frontend": {"license": f"LIC-{org}"}}
              for org, on in zip(("H01", "T01", "T02"), enabled, strict=True)]
    settings = secret_settings(**{**_settings(tmp_path).model_dump(), "institutions": listed})
    gateway = assemble(settings)
    try:
        found = list(gateway.messages.desks) if gateway.messages is not None else None
        assert found == desks
    finally:
        gateway.engine.dispose()
