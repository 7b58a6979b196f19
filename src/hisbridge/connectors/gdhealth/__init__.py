"""Connector to the Guangdong health-record interoperability platform (广东健康档案互通系统).

``config`` (settings), ``signing`` and ``crypto`` (pure), ``mapping`` (pure wire translation),
``errors`` (platform codes to our errors), ``client`` (the only I/O: ``JsonSignedAdapter``).
"""
