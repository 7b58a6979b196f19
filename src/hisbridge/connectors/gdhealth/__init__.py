"""Connector to the Guangdong health-record interoperability platform (广东健康档案互通系统).

``signing`` (pure), ``client`` (the only I/O: ``JsonSignedAdapter``). The port it implements
lives with the consent service that uses it: ``hisbridge.sharing.consent.platform`` (the port),
``consent.platform_errors`` (platform codes to our errors), ``consent.platform_wire`` (pure
wire translation) and ``consent.config`` (the platform's settings); SM3/SM4 are in
``hisbridge._gm``.
"""
