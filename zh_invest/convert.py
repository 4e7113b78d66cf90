"""Corpus documents ↔ spaCy Docs, for the char and the pkuseg segmenter.

Entities go into ``doc.ents`` where they align with the tokens; the ones that
do not are returned so the caller can count and report them. Relations are
kept as character offsets (``doc._.relations``), independent of the tokens.
The document id, meta data, stand-off reference and the annotation ids travel
in ``doc.user_data`` so that a Doc can be turned back into the same record.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, replace
from pathlib import Path
from typing import Iterable, Iterator

import spacy
from spacy.language import Language
from spacy.tokens import Doc, DocBin

from .corpus import Document, Entity, RelationRecord, StandOff
from .pipeline import RELATIONS_KEY

RECORD_KEY = "zh_invest_record"
SEGMENTERS = ("char", "pkuseg")


def blank_nlp(segmenter: str = "char", pkuseg_model: Path | None = None) -> Language:
    """A blank Chinese pipeline with the given segmenter (pkuseg needs its model folder)."""
    if segmenter not in SEGMENTERS:
        raise ValueError(f"unknown segmenter {segmenter!r}; use one of {', '.join(SEGMENTERS)}")
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": segmenter}}})
    if segmenter == "pkuseg":
        if pkuseg_model is None:
            raise ValueError("the pkuseg segmenter needs pkuseg_model, the folder of a pkuseg model")
        nlp.tokenizer.initialize(pkuseg_model=str(pkuseg_model))
    return nlp


def to_doc(nlp: Language, document: Document) -> tuple[Doc, list[Entity]]:
    """The Doc for ``document`` and the entities that do not align with its tokens."""
    doc = nlp.make_doc(document.text)
    spans, misaligned = [], []
    for entity in document.entities:
        span = doc.char_span(entity.start, entity.end, label=entity.label)
        if span is None:
            misaligned.append(entity)
        else:
            spans.append(span)
    doc.ents = spans
    by_id = {e.id: e for e in document.entities}
    doc.user_data[RELATIONS_KEY] = [
        (by_id[r.head].start, by_id[r.head].end, by_id[r.tail].start, by_id[r.tail].end, r.type, 1.0)
        for r in document.relations
    ]
    doc.user_data[RECORD_KEY] = {
        "id": document.id,
        "meta": document.meta,
        "standoff": asdict(document.standoff) if document.standoff else None,
        "entity_ids": [(e.start, e.end, e.id) for e in document.entities],
        "relation_ids": [(r.head, r.tail, r.id) for r in document.relations],
    }
    return doc, misaligned


def from_doc(doc: Doc) -> Document:
    """The corpus document for ``doc``: entities from ``doc.ents``, relations
    from ``doc._.relations`` whose both ends are among them."""
    record = doc.user_data.get(RECORD_KEY, {})
    known_ids = {(start, end): i for start, end, i in record.get("entity_ids", [])}
    next_id = max(known_ids.values(), default=0) + 1
    entities = []
    for span in doc.ents:
        entity_id = known_ids.get((span.start_char, span.end_char))
        if entity_id is None:
            entity_id, next_id = next_id, next_id + 1
        entities.append(Entity(entity_id, span.label_, span.start_char, span.end_char))
    id_at = {(e.start, e.end): e.id for e in entities}
    known_relation_ids = {(head, tail): i for head, tail, i in record.get("relation_ids", [])}
    next_relation_id = max(known_relation_ids.values(), default=0) + 1
    relations = []
    for head_start, head_end, tail_start, tail_end, label, _ in doc.user_data.get(RELATIONS_KEY, []):
        head, tail = id_at.get((head_start, head_end)), id_at.get((tail_start, tail_end))
        if head is None or tail is None:
            continue
        relation_id = known_relation_ids.get((head, tail))
        if relation_id is None:
            relation_id, next_relation_id = next_relation_id, next_relation_id + 1
        relations.append(RelationRecord(relation_id, head, tail, label))
    standoff = record.get("standoff")
    if standoff and standoff.get("lines") is not None:
        standoff = {**standoff, "lines": tuple(standoff["lines"])}
    return Document(
        id=record.get("id", ""),
        text=doc.text,
        entities=entities,
        relations=relations,
        meta=record.get("meta", {}),
        standoff=StandOff(**standoff) if standoff else None,
    )


def predicted_documents(nlp: Language, documents: Iterable[Document], batch_size: int = 64) -> Iterator[Document]:
    """``documents`` with the entities and relations ``nlp`` predicts in place of their own."""
    documents = list(documents)
    for document, doc in zip(documents, nlp.pipe((d.text for d in documents), batch_size=batch_size)):
        predicted = from_doc(doc)
        yield replace(document, entities=predicted.entities, relations=predicted.relations)


def to_docbin(nlp: Language, documents: Iterable[Document]) -> tuple[DocBin, Counter[str]]:
    """A DocBin of ``documents`` and the number of misaligned entities per label."""
    docbin = DocBin(store_user_data=True)
    misaligned: Counter[str] = Counter()
    for document in documents:
        doc, lost = to_doc(nlp, document)
        docbin.add(doc)
        misaligned.update(e.label for e in lost)
    return docbin, misaligned


def from_docbin(path: Path, nlp: Language) -> list[Document]:
    return [from_doc(doc) for doc in DocBin().from_disk(path).get_docs(nlp.vocab)]
