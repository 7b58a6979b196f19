"""The suite's Markdown report: figures as median (min–max), ratios, targets met or missed."""

from __future__ import annotations

from typing import Any

Spread = dict[str, float]


def fmt(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def span(found: Spread | None, digits: int = 0, unit: str = "") -> str:
    """``median (min–max)``; just the median when there was one run."""
    if not found:
        return "—"
    med, lo, hi = (fmt(found[k], digits) for k in ("median", "min", "max"))
    return f"{med}{unit}" if lo == hi else f"{med}{unit} ({lo}–{hi})"


def get(report: dict[str, Any], *path: str) -> Any:
    node: Any = report["parts"]
    for key in path:
        if not isinstance(node, dict) or key not in node:
            return None
        node = node[key]
    return node


def med(report: dict[str, Any], *path: str) -> float | None:
    found = get(report, *path)
    return None if found is None else float(found["median"])


def render(report: dict[str, Any]) -> str:
    lines = header(report)
    for section in (workload, speed, api, http_clients, db, realtime, scale, group, live, soak,
                    targets, failures):
        lines += section(report)
    return "\n".join(lines) + "\n"


def header(report: dict[str, Any]) -> list[str]:
    m = report["machine"]
    return [f"## Suite results {report['started'][:10]} ({report['mode']}, {report['runs']} "
            f"run(s) per figure, {report.get('wall_s', 0):.0f} s)", "",
            f"Machine: {m['nproc']} cores ({m['cpu']}), {m['memory_gib']} GiB, Python "
            f"{m['python']}, {m['platform']}; load average before {m['load_before']}, after "
            f"{m.get('load_after')} (the cores are shared with other work: medians of several "
            "runs, min–max in brackets).", ""]


def workload(report: dict[str, Any]) -> list[str]:
    large = get(report, "growth", "data", "growth", "large")
    if not large:
        return []
    rows = sorted(large["per_table_rows"].items(), key=lambda kv: -kv[1])
    out = ["### Workload: the synthetic hospital's `large` day (seed 1, SQLite HIS)", "",
           f"{large['rows_read']:,} rows read, {large['accepted']:,} records accepted "
           "(the rest filtered by the mappings, e.g. non-notifiable lab items).", "",
           "| table | rows | table | rows |", "|---|---:|---|---:|"]
    half = (len(rows) + 1) // 2
    for left, right in zip(rows[:half], [*rows[half:], ("", 0)], strict=False):
        out.append(f"| {left[0]} | {left[1]:,} | {right[0]} | "
                   f"{f'{right[1]:,}' if right[0] else ''} |")
    return [*out, ""]


def speed(report: dict[str, Any]) -> list[str]:
    valid = get(report, "validate", "data")
    growth = get(report, "growth", "data", "growth")
    if not valid and not growth:
        return []
    out = ["### Pure speed (one core)", "", "| what | records/s |", "|---|---:|"]
    if valid:
        out += [f"| validation, lenient | {span(valid['lenient'])} |",
                f"| validation, strict | {span(valid['strict'])} |"]
        if "intake" in valid:
            out.append(f"| intake before SQL: validate, normalise, JSON, hash | "
                       f"{span(valid['intake'])} |")
    if growth:
        out.append("| HIS rows -> mappings -> validation (large day, SQLite HIS) | "
                   f"{span(growth['large']['records_per_s'])} |")
    return [*out, ""]


def api(report: dict[str, Any]) -> list[str]:
    table = get(report, "api", "data", "api")
    if not table:
        return []
    out = ["### API mode (store -> hisbridge -> front-end simulator on loopback)", "",
           "| concurrency | wrk ceiling req/s | hisbridge rec/s | hisbridge/ceiling | p50 ms "
           "| p99 ms | gateway CPU µs/record | peak RSS MB |",
           "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for conc, row in table.items():
        out.append(f"| {conc} | {span(row['ceiling'])} | {span(row['rate'])} | "
                   f"{span(_pct(row['ratio']), unit=' %')} | {span(row['p50_ms'], 1)} | "
                   f"{span(row['p99_ms'], 1)} | {span(row['cpu_us_per_record'])} | "
                   f"{span(row['peak_rss_mb'])} |")
    slow = get(report, "api", "data", "slow")
    for conc, row in (slow or {}).items():
        out += ["", f"Simulator at 5 ms per request: hisbridge (concurrency {conc}) "
                f"{span(row['rate'])} rec/s vs the integrators' pattern (sequential, a new "
                f"connection per record) {span(row['pattern'])} rec/s = "
                f"**{span(row['ratio'], 1)}x**; wrk at the same latency {span(row['ceiling'])}."]
    return [*out, ""]


def _pct(found: Spread) -> Spread:
    return {k: v * 100 for k, v in found.items()}


def db(report: dict[str, Any]) -> list[str]:
    found = get(report, "db", "data", "db")
    peer = get(report, "dlt", "data")
    if not found and not peer:
        return []
    out = ["### DB mode into PostgreSQL (same emr_patient_info rows)", "",
           "| loader | rows/s | hisbridge / it |", "|---|---:|---:|"]
    ours = med(report, "db", "data", "db", "rate")
    if found:
        out += [f"| hisbridge DB sink | {span(found['rate'])} | |",
                f"| PostgreSQL COPY (ceiling) | {span(found['copy_rate'])} | "
                f"{span(_pct(found['ratio']))} % |"]
    if peer and "rate" in peer:
        ratio = ours / peer["rate"]["median"] if ours else None
        out.append(f"| dlt {peer.get('version', '')} (peer) | {span(peer['rate'])} | "
                   f"{fmt(ratio, 2)}x |")
    elif peer:
        out.append(f"| dlt (peer) | failed: `{peer.get('error', '?')[:200]}` | |")
    return [*out, ""]


def realtime(report: dict[str, Any]) -> list[str]:
    found = get(report, "realtime", "data")
    if not found:
        return []
    out = ["### Real-time: diagnosis saved in the HIS -> front-end success reply", "",
           f"Background T+0 load {found['load_sent_per_s']:.0f} records/s through the push API; "
           f"polling path with `his.realtime_interval_s: {found['interval_s']:g}`.", "",
           "| path | samples | p50 ms | p99 ms |", "|---|---:|---:|---:|"]
    for path in ("push", "polling"):
        row = found[path]
        out.append(f"| {path} | {row['samples']} ({row['missing']} missing) | "
                   f"{fmt(row.get('p50_ms'), 1)} | {fmt(row.get('p99_ms'), 1)} |")
    return [*out, ""]


def scale(report: dict[str, Any]) -> list[str]:
    workers = get(report, "workers", "data", "workers")
    growth = get(report, "growth", "data", "growth")
    out = []
    if workers:
        bound = (f", the front-end simulator answering in {workers['latency_ms']:g} ms, "
                 f"{workers['concurrency']} requests in flight per process"
                 if "latency_ms" in workers else "")
        out += ["### Scale: gateway processes on one PostgreSQL store", "",
                f"{workers['records']:,} records each run{bound}.", "",
                "| processes | rec/s | duplicates | missing |", "|---:|---:|---:|---:|"]
        for n in ("1", "2"):
            row = workers[n]
            out.append(f"| {n} | {span(row['rate'])} | {row['duplicates']} | {row['missing']} |")
        out += ["", f"2 processes / 1 process = **{workers['ratio']:.2f}x**.", ""]
    if growth:
        out += ["### Growth: medium vs large day (extraction, counting intake)", "",
                "| day | rows | wall s | rows/s | peak RSS MB |", "|---|---:|---:|---:|---:|"]
        for day in ("medium", "large"):
            row = growth[day]
            out.append(f"| {day} | {row['rows_read']:,} | {span(row['wall_s'], 1)} | "
                       f"{span(row['records_per_s'])} | {span(row['peak_rss_mb'])} |")
        out += ["", f"Rows x{growth['rows_ratio']:.2f}, time x{growth['time_ratio']:.2f}, "
                f"peak RSS x{growth['rss_ratio']:.2f}.", ""]
    return out


def group(report: dict[str, Any]) -> list[str]:
    """Issue 21: a hospital group's institutions on one gateway (and, when measured, the same
    records as one institution: one queue, one worker)."""
    found = get(report, "group", "data")
    if not found:
        return []
    single = found.get("single")
    county = found.get("county_scale", found["scale"])
    bigger = f", the first `{county}`" if county != found["scale"] else ""
    out = [f"### Hospital group: {found['institutions']} institutions on one gateway "
           f"(`{found['scale']}` day each{bigger})", "",
           f"{found['records']:,} records ({_days(found)}), PostgreSQL "
           f"store, one `hisbridge run`, one simulator answering in {found['latency_ms']:g} ms, "
           f"`frontend.concurrency: {found['concurrency']}`; {_once(found)} ({found['runs']} "
           "run(s): misrouted, held, missing, sent twice, strays summed).", ""]
    if single:
        out += [f"Beside it, the same records on a gateway with no `institutions` list (one "
                f"queue, one worker): {_once(single)}.", "",
                "| figure | group: one lane per institution | the same records, one queue |",
                "|---|---:|---:|"]
    else:
        out += ["| figure | median (min–max) |", "|---|---:|"]
    for label, key, digits in GROUP_ROWS:
        cells = [span(found.get(key), digits)] + ([span(single.get(key), digits)]
                                                  if single else [])
        out.append(f"| {label} | {' | '.join(cells)} |")
    return [*out, ""]


GROUP_FAULTS = ("misrouted", "held", "missing", "sent_twice", "strays")
GROUP_ROWS = (("wall s, first accept -> last success", "wall_s", 1),
              ("of which intake s", "intake_s", 1),
              ("rec/s end to end", "rate", 0),
              ("rec/s over delivery (gateway start -> last success)", "delivery_rate", 0),
              ("institution completion s: min", "completion_min_s", 1),
              ("institution completion s: median", "completion_median_s", 1),
              ("institution completion s: max", "completion_max_s", 1),
              ("fairness: max / median completion", "max_over_median", 2),
              ("the county hospital's (first institution's) completion s",
               "county_completion_s", 1),
              ("fairness among the other institutions: max / median", "centres_max_over_median",
               2),
              ("gateway peak RSS MB", "peak_rss_mb", 0),
              ("gateway CPU s", "cpu_s", 1),
              ("gateway CPU µs per record", "cpu_us_per_record", 0),
              ("records per delivered batch recorded (one store transaction each)",
               "records_per_batch", 1))


def _days(found: dict[str, Any]) -> str:
    if found.get("county_scale", found["scale"]) == found["scale"]:
        return f"{found['per_day']:,} per institution"
    return (f"the county hospital a `{found['county_scale']}` day of "
            f"{found['county_records']:,}, each centre {found['per_day']:,}")


def _once(found: dict[str, Any]) -> str:
    bad = [f"{k} {found[k]:,}" for k in GROUP_FAULTS if found[k]]
    return "**not** once: " + ", ".join(bad) if bad else "every record once"


def http_clients(report: dict[str, Any]) -> list[str]:
    found = get(report, "http_clients", "data")
    if not found:
        return []
    base = found["clients"].get("aiohttp", {}).get("cpu_us", {}).get("median")
    out = [f"### HTTP clients: one request shape, concurrency {found['concurrency']}, "
           f"{found['requests']:,} requests per run", "",
           "| client | gateway CPU µs/request | requests/s | CPU vs aiohttp |",
           "|---|---:|---:|---:|"]
    for kind, row in found["clients"].items():
        ratio = f"{row['cpu_us']['median'] / base - 1:+.0%}" if base else ""
        out.append(f"| {kind} | {span(row['cpu_us'])} | {span(row['rate'])} | {ratio} |")
    return [*out, ""]


def live(report: dict[str, Any]) -> list[str]:
    found = get(report, "live", "data")
    if not found:
        return []
    out = [f"### Live day: HIS -> `hisbridge run` -> front-end simulator (`{found['scale']}` day)",
           "", f"The synthetic HIS's `{found['scale']}` day (seed 1, SQLite HIS, corrections "
           f"{found['corrections']:g}): {found['expected']:,} records through the mappings and "
           "validation. Wall time from starting the gateway until the simulator holds every "
           "record.", "",
           "| store | records at the simulator | requests | missing | sent twice | wall s "
           "| rec/s end to end | gateway peak RSS MB |",
           "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for store in ("postgresql", "sqlite"):
        for run in found.get(store, []):
            out.append(f"| {store} | {run['rows']:,} / {run['expected']:,} | "
                       f"{run['requests']:,} | {run['missing']} | {run['sent_twice']} | "
                       f"{run['wall_s']:.1f} | {run['rate']:,} | {run['peak_rss_mb']} |")
    return [*out, ""]


def soak(report: dict[str, Any]) -> list[str]:
    found = get(report, "soak", "data")
    if not found:
        return []
    return ["### Soak: the whole demo", "",
            f"{found.get('minutes', '?')} min at speed {found.get('speed', '?')}: RSS "
            f"{found['rss_mb_first_last'][0]} -> {found['rss_mb_first_last'][1]} MB, growth "
            f"{found['rss_mb_growth'] * 100:.1f} % (fds {found['fds_growth'] * 100:.1f} %, "
            f"sockets {found['sockets_growth'] * 100:.1f} %); backlog drained: "
            f"{found['drained']}.", ""]


def targets(report: dict[str, Any]) -> list[str]:
    rows = [row for row in target_rows(report) if row is not None]
    if not rows:
        return []
    out = ["### Targets (reported, not asserted)", "", "| target | measured | |", "|---|---|---|"]
    for name, value, met in rows:
        out.append(f"| {name} | {value} | {'met' if met else '**missed**'} |")
    return [*out, ""]


def target_rows(report: dict[str, Any]) -> list[tuple[str, str, bool] | None]:
    """Issue 19's targets (and the earlier ones it keeps)."""
    ratio = med(report, "api", "data", "api", "16", "ratio")
    slow = get(report, "api", "data", "slow") or {}
    best = max(slow, key=lambda c: slow[c]["ratio"]["median"], default=None)
    pattern = best and slow[best]["ratio"]["median"]
    cpu = med(report, "api", "data", "api", "16", "cpu_us_per_record")
    copy = med(report, "db", "data", "db", "ratio")
    ours, dlt = med(report, "db", "data", "db", "rate"), med(report, "dlt", "data", "rate")
    rt = get(report, "realtime", "data")
    workers = get(report, "workers", "data", "workers")
    lenient = med(report, "validate", "data", "lenient")
    soaked = get(report, "soak", "data")
    return [
        _row("validation ≥ 100,000 rec/s (lenient)", lenient, lambda v: v >= 100_000,
             "{:,.0f}"),
        _row("API mode ≥ 60% of wrk ceiling at concurrency 16", ratio and ratio * 100,
             lambda v: v >= 60, "{:.0f} %"),
        _row("gateway CPU ≤ 100 µs per delivered record (c16)", cpu, lambda v: v <= 100,
             "{:.0f} µs"),
        _row(f"API mode ≥ 12x the integrators' pattern at 5 ms (best: c{best})", pattern,
             lambda v: v >= 12, "{:.1f}x"),
        _row("DB mode ≥ 50% of COPY", copy and copy * 100, lambda v: v >= 50, "{:.0f} %"),
        _row("DB mode ≥ 5x dlt", ours and dlt and ours / dlt, lambda v: v >= 5, "{:.2f}x"),
        _row("real-time p99 < 1 s, push", rt and rt["push"].get("p99_ms"), lambda v: v < 1000,
             "{:.0f} ms"),
        _row("real-time p99 < 1 s, polling", rt and rt["polling"].get("p99_ms"),
             lambda v: v < 1000, "{:.0f} ms"),
        _row("2 processes ≥ 1.8x one at 5 ms", workers and workers["ratio"],
             lambda v: v >= 1.8, "{:.2f}x"),
        *live_day(report),
        _row(f"whole demo soak < 10 % RSS growth in 10 min (this run: "
             f"{soaked and soaked.get('minutes')} min)", soaked and
             soaked["rss_mb_growth"] * 100, lambda v: v < 10, "{:.1f} %"),
    ]


def live_day(report: dict[str, Any]) -> list[tuple[str, str, bool] | None]:
    """Live day < 5 min with peak RSS < 250 MB and every record once, per store (measured)."""
    found = get(report, "live", "data")
    if not found:
        return []
    rows: list[tuple[str, str, bool] | None] = []
    for store in ("postgresql", "sqlite"):
        for run in found.get(store, []):
            minutes = run["wall_s"] / 60
            once = run["missing"] == 0 and run["sent_twice"] == 0
            rows.append((f"live {found['scale']} day < 5 min, peak RSS < 250 MB, every record "
                         f"once ({store} store)",
                         f"{minutes:.1f} min, {run['peak_rss_mb']} MB, "
                         f"{'once' if once else 'NOT once'}",
                         minutes < 5 and run["peak_rss_mb"] < 250 and once))
    return rows


def _row(name: str, value: Any, test: Any, form: str) -> tuple[str, str, bool] | None:
    if value is None or value is False:
        return None
    return name, form.format(value), bool(test(value))


def failures(report: dict[str, Any]) -> list[str]:
    bad = [(name, part) for name, part in report["parts"].items() if part["exit"] != 0]
    if not bad:
        return []
    out = ["### Parts that failed", ""]
    for name, part in bad:
        tail = part.get("error", "").strip().splitlines()[-1:] or ["?"]
        out.append(f"- {name}: exit {part['exit']}: `{tail[0][:300]}`")
    return [*out, ""]
