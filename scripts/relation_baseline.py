"""A scikit-learn relation baseline: logistic regression over the hand-made
features of each (MONEY, PROJECT) pair that the relation extractor also reads
(order, distance, entities between, trigger words between the spans and just
before the amount), without the extractor's pooled token vectors.

Trained on the gold entities of train; scored on dev and test with gold
entities and, given a pipeline, with the entities that pipeline predicts.
"""

import json
from pathlib import Path

import spacy
import typer
from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from spacy.tokens import Doc, DocBin
from spacy.training import Example

from zh_invest.evaluation import THRESHOLDS, relation_scores
from zh_invest.pipeline import (
    PAIR_FEATURES,
    RELATION_TYPES,
    RELATIONS_KEY,
    Candidates,
    candidate_pairs,
    decode,
)


def pair_features(candidates: Candidates) -> list[dict[str, float]]:
    """The extractor's own pair features, named."""
    return [dict(zip(PAIR_FEATURES, features)) for features in candidates.features]


def gold_class(doc: Doc, head, tail) -> str:
    gold = {(hs, he, ts, te): label for hs, he, ts, te, label, _ in doc.user_data.get(RELATIONS_KEY, [])}
    return gold.get((head.start_char, head.end_char, tail.start_char, tail.end_char), "NONE")


def training_data(docs: list[Doc]) -> tuple[list[dict], list[str]]:
    features, classes = [], []
    for doc in docs:
        candidates = candidate_pairs(doc)
        features += pair_features(candidates)
        classes += [gold_class(doc, head, tail) for head, tail in candidates.pairs]
    return features, classes


def predict(classifier, doc: Doc, threshold: float) -> Doc:
    """Set ``doc._.relations`` from the classifier's scores over ``doc.ents``."""
    candidates = candidate_pairs(doc)
    doc._.relations = []
    if candidates.pairs:
        probabilities = classifier.predict_proba(pair_features(candidates))
        order = [list(classifier.classes_).index(c) for c in ("NONE", *RELATION_TYPES)]
        doc._.relations = decode(candidates, probabilities[:, order], RELATION_TYPES, threshold)
    return doc


def evaluate(classifier, gold_docs: list[Doc], predicted_docs: list[Doc], threshold: float) -> dict[str, object]:
    gold_entities = [Example(predict(classifier, gold.copy(), threshold), gold) for gold in gold_docs]
    result = {"threshold": threshold, "relations_gold_entities": relation_scores(gold_entities)}
    if predicted_docs:
        end_to_end = (Example(predict(classifier, p, threshold), g) for p, g in zip(predicted_docs, gold_docs))
        result["relations_end_to_end"] = relation_scores(end_to_end)
    return result


def best_threshold(classifier, dev_docs: list[Doc]) -> float:
    """The decision threshold with the best dev F (gold entities), as
    tune_threshold.py chooses the trained extractor's."""
    return max(THRESHOLDS, key=lambda t: evaluate(classifier, dev_docs, [], t)["relations_gold_entities"]["f"])


def main(
    train: Path = typer.Argument(..., help="Train DocBin."),
    dev: Path = typer.Argument(..., help="Dev DocBin."),
    test: Path = typer.Argument(..., help="Test DocBin."),
    output: Path = typer.Argument(..., help="JSON file for the scores."),
    model: Path = typer.Option(None, help="A pipeline whose predicted entities the baseline links end-to-end."),
) -> None:
    nlp = spacy.load(model) if model else spacy.blank("zh")

    def load(path: Path) -> list[Doc]:
        return list(DocBin().from_disk(path).get_docs(nlp.vocab))

    features, classes = training_data(load(train))
    classifier = make_pipeline(DictVectorizer(), LogisticRegression(max_iter=2000, class_weight="balanced"))
    classifier.fit(features, classes)
    threshold = best_threshold(classifier, load(dev))
    scores = {}
    for name, path in (("dev", dev), ("test", test)):
        gold_docs = load(path)
        predicted = []
        if model:
            with nlp.select_pipes(disable=[n for n in nlp.pipe_names if "relation" in n]):
                predicted = list(nlp.pipe(doc.text for doc in gold_docs))
        scores[name] = evaluate(classifier, gold_docs, predicted, threshold)
        typer.echo(f"{name}: relations F {scores[name]['relations_gold_entities']['f']:.3f} with gold entities (threshold {threshold} chosen on dev)")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(scores, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    typer.run(main)
