"""Inline annotation markup for authoring documents and writing test fixtures.

An entity is written ``⟦surface|LABEL⟧``. An entity can carry a key
(``⟦振阳纺织项目|PROJECT#p1⟧``) and a MONEY entity can point at a keyed entity
with a relation type (``⟦20亿元|MONEY>p1:INVESTMENT⟧``). Keys are local to one
document. The brackets ⟦⟧ were chosen because they never occur in news text.

Example::

    其中⟦明睿陶瓷二期项目|PROJECT#p1⟧建成投产可实现年产值⟦1.8亿元|MONEY>p1:OUTPUT⟧。
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .corpus import Document, Entity, RelationRecord, StandOff

MARK = re.compile(
    r"⟦(?P<surface>[^⟦⟧|]+)\|(?P<label>[A-Z]+)"
    r"(?:#(?P<key>\w+))?(?:>(?P<target>\w+):(?P<type>[A-Z]+))?⟧"
)


class MarkupError(ValueError):
    """A markup string that cannot be turned into an annotated document."""


@dataclass
class Annotated:
    """Plain text with entities as ``(start, end, label)`` and relations as
    ``(head_index, tail_index, type)``, indices into ``entities``."""

    text: str
    entities: list[tuple[int, int, str]] = field(default_factory=list)
    relations: list[tuple[int, int, str]] = field(default_factory=list)


def parse(markup: str) -> Annotated:
    """Strip the markup from ``markup`` and return the annotated plain text."""
    if "⟦" in MARK.sub("", markup) or "⟧" in MARK.sub("", markup):
        bad = re.search(r"⟦[^⟧]*⟧?", MARK.sub("", markup))
        raise MarkupError(f"malformed mark {bad.group(0)!r}" if bad else "unbalanced ⟦⟧")
    parts: list[str] = []
    result = Annotated(text="")
    keys: dict[str, int] = {}
    links: list[tuple[int, str, str]] = []
    length = 0
    last = 0
    for match in MARK.finditer(markup):
        parts.append(markup[last : match.start()])
        length += match.start() - last
        surface = match["surface"]
        index = len(result.entities)
        result.entities.append((length, length + len(surface), match["label"]))
        if match["key"]:
            if match["key"] in keys:
                raise MarkupError(f"key #{match['key']} is used twice")
            keys[match["key"]] = index
        if match["target"]:
            links.append((index, match["target"], match["type"]))
        parts.append(surface)
        length += len(surface)
        last = match.end()
    parts.append(markup[last:])
    result.text = "".join(parts)
    for head, target, rel_type in links:
        if target not in keys:
            raise MarkupError(f"relation points at unknown key #{target}")
        result.relations.append((head, keys[target], rel_type))
    return result


def render(annotated: Annotated) -> str:
    """Write ``annotated`` back as markup (keys are generated as e0, e1, …)."""
    targets = {tail for _, tail, _ in annotated.relations}
    link_of = {head: (tail, rel_type) for head, tail, rel_type in annotated.relations}
    order = sorted(range(len(annotated.entities)), key=lambda i: annotated.entities[i][0])
    out: list[str] = []
    last = 0
    for i in order:
        start, end, label = annotated.entities[i]
        mark = f"{annotated.text[start:end]}|{label}"
        if i in targets:
            mark += f"#e{i}"
        if i in link_of:
            tail, rel_type = link_of[i]
            mark += f">e{tail}:{rel_type}"
        out.append(annotated.text[last:start] + f"⟦{mark}⟧")
        last = end
    out.append(annotated.text[last:])
    return "".join(out)


def to_document(annotated: Annotated, doc_id: str, meta: dict[str, Any] | None = None, standoff: StandOff | None = None) -> Document:
    """The corpus document of ``annotated``, entities and relations numbered from 1."""
    entities = [Entity(i + 1, label, start, end) for i, (start, end, label) in enumerate(annotated.entities)]
    relations = [RelationRecord(i + 1, head + 1, tail + 1, rel_type) for i, (head, tail, rel_type) in enumerate(annotated.relations)]
    return Document(doc_id, annotated.text, entities, relations, meta or {}, standoff)
