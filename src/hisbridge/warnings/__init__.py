"""Warnings read back from the front-end: store, single poller, live fan-out, HIS webhook."""
