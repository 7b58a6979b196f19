"""``hisbridge demo``: the gateway, a synthetic hospital and the platform simulators in one process.

``run`` writes a throw-away project and starts everything on loopback ports; ``view`` is the live
terminal view of its counters.
"""
