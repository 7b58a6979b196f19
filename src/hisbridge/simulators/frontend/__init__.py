"""The national front-end software and its doctor-PC client, simulated, with seeded faults.

``create_frontend_app`` builds the server (data API for the 20 tables, secret key, message
query, ``/sim`` inspection and faults); ``create_client_app`` the doctor-PC client (secret key
and SSO for the HIS page). See docs/frontend-simulator.md.
"""

from hisbridge.simulators.frontend.app import FrontendApp, create_frontend_app
from hisbridge.simulators.frontend.config import ClientSimConfig, FaultSettings, FrontendSimConfig
from hisbridge.simulators.frontend.state import FrontendState

__all__ = [
    "ClientSimConfig",
    "FaultSettings",
    "FrontendApp",
    "FrontendSimConfig",
    "FrontendState",
    "create_frontend_app",
]
