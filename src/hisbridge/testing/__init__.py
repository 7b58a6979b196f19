"""Fakes that ship with the package (and are tested): clocks, stores, targets."""

from hisbridge._clock import ManualClock
from hisbridge.connectors.frontend.keys import MemoryKeyCache
from hisbridge.connectors.frontend.sso import MemoryDeliveredLookup
from hisbridge.messages.fakes import FakeFrontendState, fake_frontend_app

__all__ = [
    "FakeFrontendState",
    "ManualClock",
    "MemoryDeliveredLookup",
    "MemoryKeyCache",
    "fake_frontend_app",
]
