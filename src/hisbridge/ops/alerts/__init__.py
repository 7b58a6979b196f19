"""Alert rules over a snapshot of the gateway's health, de-duplicated with a cool-down.

``rules.evaluate`` (pure) turns a ``Snapshot`` into the alerts that fire now; ``cooldown.plan``
(pure) decides which to send, which to only count, which are resolved; ``store`` keeps that
state; ``webhook`` sends signed JSON; ``service.AlertService`` wires them and ``snapshot``
reads the store to build the snapshot.
"""
