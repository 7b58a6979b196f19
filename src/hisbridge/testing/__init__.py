"""Fakes that ship with the package (and are tested): clocks, stores, targets."""

from hisbridge._clock import ManualClock
from hisbridge.testing.intake import AcceptedVersion, InMemoryIntake
from hisbridge.testing.memory_intake import MemoryIntake
from hisbridge.testing.receiver import (
    Received,
    ReceiverState,
    create_receiver_app,
    serve_app,
    serve_receiver,
)
from hisbridge.testing.samples import sample_record
from hisbridge.testing.targets import RecordingTarget, Sent

__all__ = [
    "AcceptedVersion",
    "InMemoryIntake",
    "ManualClock",
    "MemoryIntake",
    "Received",
    "ReceiverState",
    "RecordingTarget",
    "Sent",
    "create_receiver_app",
    "sample_record",
    "serve_app",
    "serve_receiver",
]
