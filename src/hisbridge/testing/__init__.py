"""Fakes that ship with the package (and are tested): clocks, stores, targets."""

from hisbridge._clock import ManualClock
from hisbridge.testing.memory_intake import MemoryIntake

__all__ = ["ManualClock", "MemoryIntake"]
