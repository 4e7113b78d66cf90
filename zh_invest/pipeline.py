"""Everything the zh-invest-ie pipeline needs at load time.

This module ships inside the packaged pipeline (``spacy package --code``), so it
imports nothing from the rest of the project.

Relations between a MONEY span and a PROJECT span are kept in
``doc.user_data`` as character offsets, which survive DocBin, ``to_disk`` and
any re-segmentation; ``doc._.relations`` turns them into :class:`Relation`
items with spans.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from spacy.tokens import Doc, Span

RELATIONS_KEY = "zh_invest_relations"
RELATION_TYPES = ("INVESTMENT", "OUTPUT")
HEAD_LABEL = "MONEY"
TAIL_LABEL = "PROJECT"


@dataclass(frozen=True)
class Relation:
    """A MONEY span (``head``) that belongs to a PROJECT span (``tail``)."""

    head: Span
    tail: Span
    label: str
    score: float = 1.0


def _span(doc: Doc, start: int, end: int, label: str) -> Span:
    # "expand" keeps a relation whose entity does not align with the tokens
    # (pkuseg) visible instead of dropping it; conversion counts those cases.
    return doc.char_span(start, end, label=label, alignment_mode="expand")


def get_relations(doc: Doc) -> list[Relation]:
    return [
        Relation(
            head=_span(doc, head_start, head_end, HEAD_LABEL),
            tail=_span(doc, tail_start, tail_end, TAIL_LABEL),
            label=label,
            score=score,
        )
        for head_start, head_end, tail_start, tail_end, label, score in doc.user_data.get(
            RELATIONS_KEY, []
        )
    ]


def set_relations(doc: Doc, relations: Iterable[Relation]) -> None:
    doc.user_data[RELATIONS_KEY] = [
        (r.head.start_char, r.head.end_char, r.tail.start_char, r.tail.end_char, r.label, float(r.score))
        for r in relations
    ]


if not Doc.has_extension("relations"):
    Doc.set_extension("relations", getter=get_relations, setter=set_relations)


def _relation_keys(doc: Doc) -> set[tuple[int, int, int, int, str]]:
    return {
        (head_start, head_end, tail_start, tail_end, label)
        for head_start, head_end, tail_start, tail_end, label, _ in doc.user_data.get(RELATIONS_KEY, [])
    }


def _prf(tp: int, n_pred: int, n_gold: int) -> tuple[float, float, float]:
    p = tp / n_pred if n_pred else 0.0
    r = tp / n_gold if n_gold else 0.0
    return p, r, (2 * p * r / (p + r) if p + r else 0.0)


def score_relations(examples: Iterable) -> dict[str, object]:
    """Relation P/R/F over ``examples``, matching predicted and gold relations
    by the character offsets of both spans and the label, so the score does not
    depend on the segmentation and counts an entity error as a relation error."""
    counts = {label: [0, 0, 0] for label in RELATION_TYPES}  # tp, predicted, gold
    for example in examples:
        predicted, gold = _relation_keys(example.predicted), _relation_keys(example.reference)
        for key in predicted:
            counts.setdefault(key[-1], [0, 0, 0])[1] += 1
        for key in gold:
            counts.setdefault(key[-1], [0, 0, 0])[2] += 1
        for key in predicted & gold:
            counts[key[-1]][0] += 1
    tp, n_pred, n_gold = (sum(c[i] for c in counts.values()) for i in range(3))
    p, r, f = _prf(tp, n_pred, n_gold)
    per_type = {}
    for label, (t, np_, ng) in counts.items():
        lp, lr, lf = _prf(t, np_, ng)
        per_type[label] = {"p": lp, "r": lr, "f": lf}
    return {"rel_micro_p": p, "rel_micro_r": r, "rel_micro_f": f, "rel_per_type": per_type}
