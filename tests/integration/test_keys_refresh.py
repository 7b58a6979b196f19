"""The secret key: cached sealed, renewed on day 7 and on errorCode 02, one renewal at a time."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from hisbridge._clock import ManualClock
from hisbridge.connectors.frontend.keys import (
    LicenseRejected,
    SecretKey,
    parse_expire_time,
)
from hisbridge.runtime.gateway import message_settings
from hisbridge.settings import Settings
from hisbridge.store.engine import make_engine
from hisbridge.store.migrate import upgrade
from hisbridge.store.schema.warnings import frontend_secret_keys
from hisbridge.testing.frontend_fake import FakeFrontendState, fake_frontend_app
from hisbridge.warnings.services import MessageServices, build_message_services

DAY = 86_400.0


def _services(tmp_path: Path, clock: ManualClock, state: FakeFrontendState,
              licence: str = "SIM-LICENSE-0001") -> MessageServices:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    settings = Settings(frontend={"license": licence, "base_url": "http://fe"})
    transport = httpx.ASGITransport(app=fake_frontend_app(state))
    return build_message_services(message_settings(settings), engine, clock, transport=transport)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def state(clock: ManualClock) -> FakeFrontendState:
    return FakeFrontendState(clock=clock)


async def test_key_is_reused_then_renewed_in_its_last_day(
    tmp_path: Path, clock: ManualClock, state: FakeFrontendState
) -> None:
    services = _services(tmp_path, clock, state)
    first = await services.keys.current()
    clock.advance(days=5)
    assert await services.keys.current() == first
    clock.advance(days=1, hours=1)  # day 6 + 1 h: inside the one-day refresh margin
    second = await services.keys.current()
    assert second.value != first.value and services.keys.renewals == 2
    clock.advance(days=7)  # day 7 of the second key passed entirely
    third = await services.keys.current()
    assert third.value not in (first.value, second.value)
    await services.aclose()


async def test_poll_renews_key_on_error_code_02(
    tmp_path: Path, clock: ManualClock, state: FakeFrontendState
) -> None:
    services = _services(tmp_path, clock, state)
    await services.poller.step()  # holds the lease and a key from now on
    first = await services.keys.current()
    state.add_message()
    state.keys.clear()  # the front-end forgot every key (restart, revocation)
    result = await services.poller.step()
    assert result.error is None and result.stored == 1
    assert (await services.keys.current()).value != first.value
    assert services.keys.renewals == 2
    await services.aclose()


async def test_concurrent_callers_share_one_renewal(
    tmp_path: Path, clock: ManualClock, state: FakeFrontendState
) -> None:
    services = _services(tmp_path, clock, state)
    keys = await asyncio.gather(*(services.keys.current() for _ in range(8)))
    assert len({k.value for k in keys}) == 1 and services.keys.renewals == 1
    stale = keys[0]
    renewed = await asyncio.gather(*(services.keys.rejected(stale) for _ in range(5)))
    assert len({k.value for k in renewed}) == 1 and services.keys.renewals == 2
    await services.aclose()


async def test_key_is_stored_sealed_and_never_in_repr(
    tmp_path: Path, clock: ManualClock, state: FakeFrontendState
) -> None:
    services = _services(tmp_path, clock, state)
    key = await services.keys.current()
    with services.store._engine.connect() as conn:
        sealed = conn.execute(select(frontend_secret_keys.c.sealed)).scalar_one()
    assert key.value not in sealed and key.value not in repr(key)
    await services.aclose()


async def test_wrong_licence_is_terminal_with_a_hint(
    tmp_path: Path, clock: ManualClock, state: FakeFrontendState
) -> None:
    services = _services(tmp_path, clock, state, licence="WRONG")
    with pytest.raises(LicenseRejected) as caught:
        await services.keys.current()
    assert "frontend.license" in caught.value.hint
    result = await services.poller.step()
    assert result.error and "授权码" in result.error
    await services.aclose()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1_767_225_600, 1_767_225_600.0),
        (1_767_225_600_000, 1_767_225_600.0),
        ("1767225600", 1_767_225_600.0),
        ("2026-01-01 08:00:00", 1_767_225_600.0),
        ("2026-01-01T08:00:00", 1_767_225_600.0),
        (None, -1.0),
        ("", -1.0),
        ("next week", -1.0),
        (True, -1.0),
    ],
)
def test_parse_expire_time(value: object, expected: float) -> None:
    assert parse_expire_time(value, fallback=-1.0) == expected


def test_due_uses_the_margin() -> None:
    key = SecretKey(value="k", obtained_at=0.0, expires_at=7 * DAY)
    assert not key.due(6 * DAY - 1, DAY)
    assert key.due(6 * DAY, DAY)
    assert key.due(8 * DAY, 0.0)

