"""Simulator of the Guangdong health-record interoperability platform (广东健康档案互通系统)."""

from hisbridge.simulators.gdhealth.app import create_gdhealth_sim_app

__all__ = ["create_gdhealth_sim_app"]
