"""Per-institution message parts (issue 21, item 2): names, where messages are read, which
institution a link's orgCode selects (pure)."""

from __future__ import annotations

import pytest

from hisbridge.connectors.frontend.config import FrontendSettings
from hisbridge.connectors.frontend.interaction_config import InteractionSettings
from hisbridge.runtime.gateway import message_settings
from hisbridge.settings import Settings
from hisbridge.testing.warnings import group_settings
from hisbridge.warnings.institution import message_url, names


def test_a_single_hospital_keeps_its_names_and_a_group_names_each_institution() -> None:
    assert names(None) == ("frontend-messages", "message")
    assert names("T01") == ("messages:T01", "message:T01")
    longest = "9" * 50  # InstitutionSettings.org_code's limit fits the 64-character columns
    assert all(len(name) <= 64 for name in names(longest))


@pytest.mark.parametrize(("server_url", "own_url", "expected"), [
    (None, "http://county-fe", "http://county-fe"),
    ("http://county-fe:9000", "http://county-fe", "http://county-fe:9000"),  # inherits both
    ("http://county-fe:9000", "http://h01-fe", "http://h01-fe"),  # its own front-end
])
def test_where_an_institutions_messages_are_read(server_url: str | None, own_url: str,
                                                 expected: str) -> None:
    interaction = InteractionSettings.model_validate({"server": {"base_url": server_url}})
    top = FrontendSettings(base_url="http://county-fe")
    own = FrontendSettings(base_url=own_url, org_code="H01")
    assert message_url(interaction, top, own) == expected


@pytest.mark.parametrize(("org", "expected"), [("H01", "H01"), ("T01", "T01"), (None, None),
                                               ("T09", None), ("T02", None)])
def test_a_group_link_must_name_a_served_institution(org: str | None,
                                                     expected: str | None) -> None:
    settings = group_settings({"H01": "http://h", "T01": "http://t"})
    disabled = {"org_code": "T02", "enabled": False}
    settings = Settings(**{**settings.model_dump(), "institutions": [
        *settings.model_dump()["institutions"], disabled]})
    front = message_settings(settings).frontend_of(org)
    assert (front.org_code if front else None) == expected


@pytest.mark.parametrize(("org", "found"), [(None, True), ("440100001", True), ("H01", False)])
def test_a_single_hospital_takes_its_own_org_code_or_none(org: str | None, found: bool) -> None:
    assert (message_settings(Settings()).frontend_of(org) is not None) is found
