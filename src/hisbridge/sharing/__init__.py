"""Guangdong health-record sharing (广东健康档案互通): the patient's consent and the documents of
other institutions that a consent lets a doctor view.

``sharing.consent`` records and runs authorizations (粤健通, SMS code, pushed code) against the
provincial platform's port; ``sharing.documents`` serves the authorized index and documents
within the viewer's scope. The platform's HTTP adapter is ``hisbridge.connectors.gdhealth``; the
HTTP APIs and the viewer pages are in ``hisbridge.web``.
"""
