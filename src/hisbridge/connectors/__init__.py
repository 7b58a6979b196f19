"""Connectors to the systems hisbridge talks to: one package per system."""
