"""The hash chain as pure code: alteration, deletion, reordering and prune markers."""

from __future__ import annotations

from dataclasses import replace

import pytest

from hisbridge.audit.chain import GENESIS, AuditEntry, entry_hash, verify_chain


def chain(n: int, algorithm: str = "sm3") -> list[AuditEntry]:
    entries, prev = [], GENESIS
    for seq in range(1, n + 1):
        draft = AuditEntry(
            seq=seq,
            id=f"E{seq}",
            occurred_at=f"2026-01-01T08:00:0{seq}",
            action="RECORD_VIEW",
            actor_id="D1",
            doc_id=f"DOC{seq}",
            prev_hash=prev,
        )
        entry = replace(draft, hash=entry_hash(draft, prev, algorithm))
        entries.append(entry)
        prev = entry.hash
    return entries


@pytest.mark.parametrize("algorithm", ["sm3", "sha256"])
def test_intact_chain(algorithm: str) -> None:
    assert verify_chain(chain(5, algorithm), algorithm=algorithm) == (5, None)


def test_each_field_is_covered_by_the_hash() -> None:
    base = chain(1)[0]
    for name in ("action", "actor_id", "doc_id", "occurred_at", "outcome", "detail", "seq"):
        altered = replace(base, **{name: 99 if name == "seq" else "x"})
        assert entry_hash(altered, GENESIS) != base.hash, name


@pytest.mark.parametrize(
    ("mutate", "seq", "reason"),
    [
        (lambda e: [*e[:2], replace(e[2], doc_id="X"), *e[3:]], 3, "altered"),
        (lambda e: e[:2] + e[3:], 4, "missing"),
        (lambda e: [e[0], e[2], e[1], *e[3:]], 3, "missing"),
        (lambda e: e[1:], 2, "pruned-mismatch"),
        (lambda e: [replace(e[0], prev_hash="f" * 64), *e[1:]], 1, "pruned-mismatch"),
    ],
)
def test_breaks_are_named(mutate: object, seq: int, reason: str) -> None:
    _, broken = verify_chain(mutate(chain(5)))  # type: ignore[operator]
    assert broken is not None and (broken.seq, broken.reason) == (seq, reason)
    assert f"seq={seq}" in broken.describe()


def test_prune_marker_lets_a_shortened_chain_verify() -> None:
    entries = chain(5)
    marker = {"throughSeq": 2, "throughHash": entries[1].hash}
    assert verify_chain(entries[2:], prune_marker=marker) == (3, None)
    assert verify_chain(entries[3:], prune_marker=marker)[1] is not None
