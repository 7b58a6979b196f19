"""Putting the pieces together at run time: extraction passes, schedules, the whole gateway."""
