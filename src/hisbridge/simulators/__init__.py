"""Simulators that ship as product features: hospitals rehearse acceptance against them.

``frontend``: the national front-end software and its doctor-PC client; ``gdhealth``: the
Guangdong provincial platform; ``his``: a synthetic hospital database with live activity.
"""
