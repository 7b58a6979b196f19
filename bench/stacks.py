"""Summarise a py-spy collapsed-stack file (``py-spy record --format raw``) as inclusive shares.

    py-spy record -r 500 --threads --format raw -o bench/results/X.collapsed -- \\
        python bench/delivery.py --parts db --db-records 20000
    python bench/stacks.py bench/results/X.collapsed [--top 40] [--under 'drain ('] > X.txt

pyinstrument samples the main thread only; the gateway's store and DB-sink work runs in worker
threads, which py-spy sees. Shares are of all samples in all threads, idle waits left out.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

IDLE = re.compile(r"\b(_worker|wait|select|poll|epoll|_run_once|sleep|acquire)\b \(")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("path")
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--out", help="write here instead of printing")
    parser.add_argument("--under", help="main-thread samples only below this frame (e.g. "
                        "'drain (') plus every other thread: the timed stretch, not set-up")
    args = parser.parse_args()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in Path(args.path).read_text("utf-8").splitlines():
        stack, _, count = line.rpartition(" ")
        frames = stack.split(";")
        if not count.isdigit() or IDLE.search(frames[-1]):
            continue  # a thread parked in a wait is not work
        if args.under and "MainThread" in frames[0] and args.under not in stack:
            continue
        total += int(count)
        for frame in set(frames):
            inclusive[frame] += int(count)
    lines = [f"{total} busy samples (all threads); inclusive share per frame"]
    lines += [f"{n / total:6.1%}  {frame[:160]}" for frame, n in inclusive.most_common(args.top)]
    if args.out:
        Path(args.out).write_text("\n".join(lines) + "\n", "utf-8")
    else:
        print("\n".join(lines))


if __name__ == "__main__":
    main()
