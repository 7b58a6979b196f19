"""The operations console's logic: users and roles, sessions, lock-out, CSRF, UI strings, alerts.

Pure parts (``roles``, ``lockout``, ``access``, ``i18n``, ``masking``, ``alerts.rules``,
``alerts.cooldown``) take values and return values; the stores (``users``, ``sessions``,
``actions``, ``alerts.store``) and the webhook are the only I/O. The pages live in
``hisbridge.web.console``.
"""
