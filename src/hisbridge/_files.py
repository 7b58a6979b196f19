"""Private files: what hisbridge creates that may hold secrets or patient data is 0600 in 0700
folders, whatever the umask (the store, generated configs, key files, the demo's password).

SQLite creates its ``-wal`` and ``-shm`` files with the mode of the database file, so creating
that file 0600 before the first connection is enough for all three.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

__all__ = ["FILE_MODE", "FOLDER_MODE", "open_to_others", "private_folder", "touch_private",
           "write_private"]

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def private_folder(path: Path) -> Path:
    """Create ``path`` and its missing parents 0700; folders that already exist are left alone."""
    missing = []
    for folder in (path, *path.parents):
        if folder.exists():
            break
        missing.append(folder)
    for folder in reversed(missing):
        folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
        folder.chmod(FOLDER_MODE)  # mkdir's mode passes through the umask
    return path


def _open_private(path: Path, flags: int) -> int:
    private_folder(path.parent)
    fd = os.open(path, flags | os.O_CREAT, FILE_MODE)
    os.fchmod(fd, FILE_MODE)  # an older file may have been wider
    return fd


def write_private(path: Path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path``, created 0600 before a byte is written."""
    fd = _open_private(path, os.O_WRONLY | os.O_TRUNC)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)
    return path


def touch_private(path: Path) -> Path:
    """Create ``path`` empty and 0600 if it does not exist (an existing file is left alone)."""
    if not path.exists():
        os.close(_open_private(path, os.O_WRONLY))
    return path


def open_to_others(path: Path) -> bool:
    """True when a user other than the owner (group or others) may read or write ``path``."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return False
    return bool(mode & (stat.S_IRWXG | stat.S_IRWXO))
