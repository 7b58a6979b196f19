"""The hospital-group bench's pure parts: institutions, a day re-coded per institution, figures.

One hospital's day (records as the mappings produce them) becomes each institution's day by
``recode``: the organisation code and name it carries, and a tag (``G07-``) before every key
(the table's primary key, its parent keys, ``patient_id`` and ``serial_number``), so the 30
days never share a key in the store or at the front-end, and every request the front-end
answers can be told apart by its key alone (items and ``base_dept`` carry no org_code).
National code-set values (``dept_code`` of a visit) are left as they are.

``tally`` turns the simulator's notes (one per data request: time, table, key, success) into
per-institution counts and completion times; ``fairness`` is their spread; ``summarise`` the
medians of several runs.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from hisbridge.dictionary import load_dictionary

REKEYED = ("patient_id", "serial_number")
"""Reference fields re-keyed besides each table's primary and parent keys."""
ORG_FIELDS = {"org_code": "org_name", "report_org_code": "report_org_name"}
"""The national fields naming the institution a record belongs to, and the name beside each.
Every record also carries ``org_code``, the column a group's intake routes by (for the tables
without that field, the routing column the mapping selects beside the national fields)."""


@dataclass(frozen=True, slots=True)
class Member:
    """One institution of the synthetic group."""

    org_code: str
    name: str
    tag: str  # the key prefix of its records, e.g. "G07-"

    @property
    def licence(self) -> str:
        return f"LIC-{self.org_code}"


def members(count: int) -> list[Member]:
    """``count`` synthetic institutions: a county hospital, then township health centres."""
    out = []
    for n in range(1, count + 1):
        name = "县人民医院" if n == 1 else f"第{n - 1:02d}镇卫生院"
        out.append(Member(f"44189{n:04d}", name, f"G{n:02d}-"))
    return out


def recode(table: str, record: Mapping[str, Any], member: Member) -> dict[str, Any]:
    """``record`` of ``table`` as ``member``'s own: its codes, and its tag before every key."""
    spec = load_dictionary().table(table)
    keys = {spec.primary_key, *(p.field for p in spec.parent_keys), *REKEYED}
    out = dict(record)
    for name in keys & out.keys():
        if out[name] not in (None, ""):
            out[name] = f"{member.tag}{out[name]}"
    out["org_code"] = member.org_code  # a routing column where the table has no such field
    for code, name in ORG_FIELDS.items():
        if spec.field(code) is not None:
            out[code] = member.org_code
            if spec.field(name) is not None:
                out[name] = member.name
    return out


def interleaved(table: str, days: Sequence[Mapping[str, Sequence[Mapping[str, Any]]]],
                group: Sequence[Member]) -> list[dict[str, Any]]:
    """``table``'s rows of every institution's day (``days[i]`` is ``group[i]``'s), re-coded
    and interleaved as one group HIS holds them: each institution's first row, then each one's
    second, and so on (an institution with fewer rows drops out when they run out)."""
    lists = [day.get(table, ()) for day in days]
    longest = max((len(rows) for rows in lists), default=0)
    return [recode(table, rows[i], member) for i in range(longest)
            for member, rows in zip(group, lists, strict=True) if i < len(rows)]


def owner(key: str, tags: Mapping[str, str]) -> str | None:
    """The org_code whose tag ``key`` starts with (tags ``"G07-"`` -> org_code)."""
    return tags.get(key[:key.find("-") + 1]) if "-" in key else None


@dataclass
class Tally:
    """What the front-end received for one institution."""

    requests: int = 0  # data requests answered (a resend counts again)
    stored: int = 0  # distinct (table, key) answered with success
    last_success: float = 0.0  # wall-clock time of its last success


def tally(notes: Iterable[Sequence[Any]], tags: Mapping[str, str]) -> dict[str, Tally]:
    """Per org_code, from the simulator's notes ``(time, table, key, ok)``; a key with no
    institution's tag is counted under ``""`` (it should never happen)."""
    out = {code: Tally() for code in tags.values()}
    seen: set[tuple[str, str]] = set()
    for at, table, key, ok in notes:
        found = out.setdefault(owner(str(key), tags) or "", Tally())
        found.requests += 1
        if ok:
            found.last_success = max(found.last_success, float(at))
            if (table, key) not in seen:
                seen.add((table, key))
                found.stored += 1
    return out


def spread(values: Sequence[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def fairness(completions: Mapping[str, float]) -> dict[str, float]:
    """The spread of per-institution completion times (seconds): min, median, max and
    max/median (1.0 = every institution finished together)."""
    found = spread(list(completions.values()))
    found["max_over_median"] = found["max"] / found["median"] if found["median"] else 0.0
    return found


def once(expected: Mapping[str, int], entries: Mapping[str, int],
         got: Mapping[str, Tally]) -> dict[str, Any]:
    """Every record once, per institution: stored = its records (none missing), requests = its
    queue entries (none twice); the institutions that failed either, and strays (requests
    carrying no institution's key)."""
    missing = {code: n - got[code].stored for code, n in expected.items()
               if got[code].stored != n}
    twice = {code: got[code].requests - entries.get(code, 0) for code in expected
             if got[code].requests > entries.get(code, 0)}
    return {"missing": sum(max(v, 0) for v in missing.values()),
            "sent_twice": sum(twice.values()), "institutions_missing": sorted(missing),
            "institutions_twice": sorted(twice), "strays": got[""].requests if "" in got else 0}


SUMMED = ("missing", "sent_twice", "misrouted", "held", "strays")
SPREAD = ("wall_s", "intake_s", "delivery_s", "rate", "delivery_rate", "peak_rss_mb",
          "cpu_s", "cpu_us_per_record", "records_per_batch", "completion_min_s",
          "completion_median_s", "completion_max_s", "max_over_median", "county_completion_s",
          "centres_max_over_median")


def summarise(runs: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Medians (min-max) of the runs' figures; the every-record-once counts summed."""
    first = runs[0]
    out: dict[str, Any] = {"institutions": first["institutions"], "records": first["records"],
                           "runs": len(runs)}
    out |= {key: spread([float(r[key]) for r in runs]) for key in SPREAD}
    out |= {key: sum(int(r[key]) for r in runs) for key in SUMMED}
    return out
