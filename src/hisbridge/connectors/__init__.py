"""Connectors to the systems hisbridge talks to; each looks the same (config, client, mapping,
errors). ``make_target`` builds the front-end delivery target the settings ask for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hisbridge._clock import Clock, system_clock

if TYPE_CHECKING:
    from hisbridge.connectors.frontend.config import FrontendSettings
    from hisbridge.delivery.ports import Target

__all__ = ["make_target"]


def make_target(settings: FrontendSettings, clock: Clock = system_clock) -> Target:
    """The data-API client (``frontend.mode: api``) or the database sink (``db``)."""
    from hisbridge.connectors.frontend.config import api_config, db_config

    if settings.mode == "db":
        from hisbridge.connectors.frontend.db_sink import FrontendDbSink

        return FrontendDbSink(db_config(settings))
    from hisbridge.connectors.frontend.client import FrontendApiClient

    return FrontendApiClient(api_config(settings), clock)
