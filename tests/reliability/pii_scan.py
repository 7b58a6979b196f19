"""Scan a running ``hisbridge demo``'s logs and pages for unmasked personal data.

What counts as a leak: an 18-character resident ID number with a valid check digit, a patient's
mobile number from the synthetic HIS (``pat_master_index.phone`` / ``next_of_kin_phone``), or a
patient's full name (``pat_master_index.name``, minus names staff also carry). The pages are
the console (crawled by its own links after logging in), the doctor's widget and viewer URLs
the demo prints, and the front-end and doctor-PC simulators' pages. The provincial simulator's
``/sim/residents`` lists its synthetic residents' numbers by design (it is the rehearsal's
"patient's phone"), so it is not scanned; everything else is.
"""

from __future__ import annotations

import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import httpx

from hisbridge.dictionary.idcard import check_digit

ID_RE = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx])(?![0-9A-Za-z])")
HREF_RE = re.compile(r'href="(/console[^"#]*)"')
SKIP = ("/console/logout", "/console/static", "/console/login")


@dataclass
class Personal:
    """The synthetic HIS's personal values to look for."""

    names: set[str]
    phones: set[str]

    @classmethod
    def from_his(cls, his_db: Path) -> Personal:
        with sqlite3.connect(f"file:{his_db}?mode=ro", uri=True, timeout=10) as db:
            rows = db.execute("SELECT name, phone, next_of_kin, next_of_kin_phone"
                              " FROM pat_master_index").fetchall()
            staff = {r[0] for r in db.execute("SELECT name FROM staff_dict")}
        names = {n for r in rows for n in (r[0], r[2]) if n and len(n) >= 2} - staff
        phones = {p for r in rows for p in (r[1], r[3]) if p and len(p) >= 11}
        return cls(names, phones)


@dataclass
class Findings:
    scanned: dict[str, int] = field(default_factory=dict)  # source -> characters
    leaks: list[str] = field(default_factory=list)

    def scan(self, source: str, text: str, personal: Personal) -> None:
        self.scanned[source] = len(text)
        for match in ID_RE.finditer(text):
            number = match.group(1).upper()
            if check_digit(number[:17]) == number[17]:
                self.leaks.append(f"{source}: ID number {number[:6]}…")
        self.leaks += [f"{source}: phone {p[:3]}…" for p in personal.phones if p in text]
        self.leaks += [f"{source}: name {n[0]}…" for n in personal.names if n in text]


def crawl_console(client: httpx.Client, limit: int = 60) -> dict[str, str]:
    """GET the console's pages by following its own links (bounded by ``limit``)."""
    seen: dict[str, str] = {}
    queue = ["/console/"]
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen or path.startswith(SKIP):
            continue
        reply = client.get(path)
        seen[path] = reply.text
        for link in HREF_RE.findall(reply.text):
            target = urlsplit(urljoin(path, link.replace("&amp;", "&")))
            full = target.path + (f"?{target.query}" if target.query else "")
            if full not in seen and full not in queue:
                queue.append(full)
    return seen


def login(client: httpx.Client, name: str, password: str) -> None:
    form = client.get("/console/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None, form.text[:500]
    reply = client.post("/console/login", data={"user": name, "password": password,
                                                "csrf": csrf.group(1), "next": "/console/"})
    assert reply.status_code == 303, (reply.status_code, reply.text[:300])
