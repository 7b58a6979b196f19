"""Delivery to the front-end: the port a target implements (``ports``), what a reply means
(``outcome``), the retry policy (``retry``), the circuit breaker and the metrics: pure rules
and values. The workers that run them are in ``hisbridge.runtime`` (``worker``, ``delivery``).
"""
