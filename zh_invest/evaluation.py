"""Scoring shared by the evaluation scripts: entities, relations end-to-end and
with gold entities, and an entity confusion matrix."""

from __future__ import annotations

from typing import Iterable

from sklearn.metrics import confusion_matrix
from spacy.language import Language
from spacy.pipeline import TrainablePipe
from spacy.scorer import Scorer
from spacy.tokens import Doc, Span
from spacy.training import Example

from .corpus import LABELS
from .pipeline import RELATIONS_KEY, score_relations

MISSING = "(none)"
# Relation decision thresholds tried on dev, for the trained extractor and the
# scikit-learn baseline alike.
THRESHOLDS = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7)
# The least entity-edge confidence a relation needs, tried on dev end-to-end.
MIN_CONFIDENCES = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6)


def _relation_steps_start(nlp: Language) -> int:
    relation_steps = [name for name in nlp.pipe_names if "doc._.relations" in nlp.get_pipe_meta(name).assigns]
    return nlp.pipe_names.index(relation_steps[0])


def with_predicted_entities(nlp: Language, gold_docs: Iterable[Doc]) -> list[Doc]:
    """Run every component before the relation components on the gold texts."""
    first = _relation_steps_start(nlp)
    docs = []
    for gold in gold_docs:
        doc = nlp.make_doc(gold.text)
        for _, component in nlp.pipeline[:first]:
            doc = component(doc)
        docs.append(doc)
    return docs


def with_gold_entities(nlp: Language, gold_docs: Iterable[Doc]) -> list[Doc]:
    """Run the pipeline on the gold texts, but hand the relation components the
    gold entities: every component before them runs as usual (so features such
    as the rules' spans are what they would be), then the gold entities replace
    whatever was predicted, and count as certain."""
    gold_docs = list(gold_docs)
    first = _relation_steps_start(nlp)
    docs = []
    for doc, gold in zip(with_predicted_entities(nlp, gold_docs), gold_docs):
        doc.ents = [doc.char_span(e.start_char, e.end_char, label=e.label_, alignment_mode="expand") for e in gold.ents]
        if Span.has_extension("confidence"):
            for entity in doc.ents:
                entity._.confidence = None
        for _, component in nlp.pipeline[first:]:
            doc = component(doc)
        docs.append(doc)
    return docs


def entity_scores(examples: Iterable[Example]) -> dict[str, object]:
    scores = Scorer.score_spans(list(examples), "ents")
    return {
        "p": scores["ents_p"],
        "r": scores["ents_r"],
        "f": scores["ents_f"],
        "per_label": scores["ents_per_type"],
    }


def confusion(examples: Iterable[Example]) -> dict[str, object]:
    """Entity-level confusion: each gold span against the label predicted for
    exactly that span (or none); predicted spans no gold span has count as
    (none) → label."""
    gold_labels, predicted_labels = [], []
    for example in examples:
        predicted = {(e.start_char, e.end_char): e.label_ for e in example.predicted.ents}
        gold = {(e.start_char, e.end_char): e.label_ for e in example.reference.ents}
        for span, label in gold.items():
            gold_labels.append(label)
            predicted_labels.append(predicted.get(span, MISSING))
        for span, label in predicted.items():
            if span not in gold:
                gold_labels.append(MISSING)
                predicted_labels.append(label)
    labels = [*LABELS, MISSING]
    matrix = confusion_matrix(gold_labels, predicted_labels, labels=labels)
    return {"labels": labels, "matrix": matrix.tolist()}


def relation_scores(examples: Iterable[Example]) -> dict[str, object]:
    scores = score_relations(examples)
    return {"p": scores["rel_micro_p"], "r": scores["rel_micro_r"], "f": scores["rel_micro_f"], "per_type": scores["rel_per_type"]}


def relation_f_by_setting(extractor: TrainablePipe, docs: list[Doc], gold: list[Doc], setting: str, values: Iterable[float]) -> dict[float, float]:
    """Relation F of ``extractor`` on ``docs`` against ``gold`` with its
    ``cfg[setting]`` at each of ``values``; the setting is left at the last one."""
    scores = {}
    for value in values:
        extractor.cfg[setting] = value
        scores[value] = relation_scores(Example(extractor(doc), reference) for doc, reference in zip(docs, gold))["f"]
    return scores


def gold_relation_count(docs: Iterable[Doc]) -> int:
    return sum(len(doc.user_data.get(RELATIONS_KEY, [])) for doc in docs)
