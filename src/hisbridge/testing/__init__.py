"""Fakes that ship with the package (and are tested): clocks, stores, targets."""

from hisbridge._clock import ManualClock

__all__ = ["ManualClock"]
