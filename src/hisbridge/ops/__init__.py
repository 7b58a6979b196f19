"""The operations console's logic; its pages are ``hisbridge.web.console``, one module per page.

Each page ``web/console/<page>.py`` has its logic in ``ops/<page>.py`` (or package):

==================  ==========================================================================
page                logic
==================  ==========================================================================
``actions``         ``actions`` — the console's action log
``alerts``          ``alerts/`` — operators' health alerts: rules, cool-down, store, webhook
``audit``           ``audit`` — the audit log by filter, CSV export, hash-chain check
``config``          ``config`` — the settings in force, secrets masked
``consents``        ``consents`` — patients' authorizations
``dashboard``       ``dashboard`` (+ ``chart``, its SVG)
``dead``            ``dead`` — dead letters by filter, counts per error code
``quality``         ``quality`` — quarantined records, unmapped codes
``reconcile``       ``reconcile`` — one day per table: accepted vs delivered
``records``         ``records`` — our outgoing records and one record's story
``users``           ``users`` (+ ``passwords``, ``roles``)
``warnings``        ``warnings`` — the front-end's warning messages, the poller's state
``auth`` (login)    ``sessions``, ``users``, ``attempts``, ``lockout``
==================  ==========================================================================

Support modules serving several pages: ``access`` (the gate's pure rule: which path needs
what), ``sessions``, ``roles`` (who may do what), ``i18n`` (UI strings), ``optional`` (tables
of other concepts, when installed), ``settings`` (``console:`` in the settings file).

Pure parts (``roles``, ``lockout``, ``access``, ``i18n``, ``config``, ``chart``,
``alerts.rules``, ``alerts.cooldown``) take values and return values; the stores and readers
(``users``, ``sessions``, ``attempts``, ``actions``, ``alerts.store`` and the page readers) and
the alert webhook are the only I/O.
"""
