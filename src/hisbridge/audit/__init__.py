"""Tamper-evident audit log of every authorization step and every record view."""

from hisbridge.audit.chain import GENESIS, AuditEntry, ChainBreak, entry_hash, verify_chain
from hisbridge.audit.log import AuditLog, AuditRecorder

__all__ = [
    "GENESIS",
    "AuditEntry",
    "AuditLog",
    "AuditRecorder",
    "ChainBreak",
    "entry_hash",
    "verify_chain",
]
