"""Reading records from JSONL and CSV files, in UTF-8 or the GBK family.

Hospital exports come in whatever encoding the HIS used; GB18030 (a superset of GBK and GB2312)
is tried when UTF-8 fails. Every line becomes either a record or a one-line reason; nothing
raises for bad content.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hisbridge import _json
from hisbridge.errors import HisbridgeError

__all__ = ["FileRow", "decode_bytes", "read_records"]

_CANDIDATES = ("utf-8-sig", "gb18030")


@dataclass(frozen=True, slots=True)
class FileRow:
    """One line of input: a record, or why it could not be read."""

    line: int
    record: dict[str, Any] | None
    error: str | None = None


def decode_bytes(data: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Text and the encoding used; undecodable bytes become U+FFFD and are reported later."""
    if encoding:
        try:
            return data.decode(encoding, errors="replace"), encoding
        except LookupError as exc:
            raise HisbridgeError(f"未知的编码 unknown encoding: {encoding}",
                                 hint="例如 utf-8、gbk、gb18030") from exc
    for candidate in _CANDIDATES:
        try:
            return data.decode(candidate), candidate
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", errors="replace"), "utf-8 (with undecodable bytes)"


def _jsonl(text: str) -> Iterator[FileRow]:
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        if "\ufffd" in line:
            yield FileRow(number, None, "含无法解码的字节 undecodable bytes; 请用 --encoding 指定编码")
            continue
        try:
            value = _json.loads(line)
        except _json.JSONDecodeError as exc:
            yield FileRow(number, None, f"不是合法的 JSON invalid JSON: {str(exc)[:120]}")
            continue
        if not isinstance(value, dict):
            yield FileRow(number, None, f"每行应为一个 JSON 对象，实际为 {type(value).__name__}")
            continue
        yield FileRow(number, value)


def _csv(text: str) -> Iterator[FileRow]:
    reader = csv.DictReader(io.StringIO(text))
    for row in reader:
        number = reader.line_num
        if None in row:
            yield FileRow(number, None, "列数多于表头 more columns than the header")
        elif any("\ufffd" in (v or "") for v in row.values()):
            yield FileRow(number, None, "含无法解码的字节 undecodable bytes; 请用 --encoding 指定编码")
        else:
            yield FileRow(number, {k: v for k, v in row.items() if k is not None})


def read_records(path: Path, encoding: str | None = None) -> tuple[str, Iterator[FileRow]]:
    """The encoding used and the rows of a ``.jsonl``/``.json``/``.csv`` file."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise HisbridgeError(f"无法读取文件 cannot read {path}: {exc.strerror}") from exc
    text, used = decode_bytes(data, encoding)
    if path.suffix.lower() == ".csv":
        return used, _csv(text)
    return used, _jsonl(text)
