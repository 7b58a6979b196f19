"""Fakes that ship with the package (and are tested): clocks, stores, targets."""

from hisbridge._clock import ManualClock
from hisbridge.testing.frontend_fake import FakeFrontendState, fake_frontend_app
from hisbridge.testing.intake import AcceptedVersion, InMemoryIntake, MemoryIntake
from hisbridge.testing.memory import MemoryDeliveredLookup, MemoryKeyCache
from hisbridge.testing.receiver import (
    Received,
    ReceiverState,
    create_receiver_app,
    free_ports,
    serve_app,
    serve_receiver,
)
from hisbridge.testing.samples import sample_record
from hisbridge.testing.secrets import TEST_SECRETS, secret_env, secret_settings, with_test_secrets
from hisbridge.testing.targets import RecordingTarget, Sent

__all__ = [
    "TEST_SECRETS",
    "AcceptedVersion",
    "FakeFrontendState",
    "InMemoryIntake",
    "ManualClock",
    "MemoryDeliveredLookup",
    "MemoryIntake",
    "MemoryKeyCache",
    "Received",
    "ReceiverState",
    "RecordingTarget",
    "Sent",
    "create_receiver_app",
    "fake_frontend_app",
    "free_ports",
    "sample_record",
    "secret_env",
    "secret_settings",
    "serve_app",
    "serve_receiver",
    "with_test_secrets",
]
