"""Choosing the relation extractor's threshold on dev (scripts/tune_threshold.py)."""

import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin

from tests.tiny_pipeline import train_tiny_pipeline
from zh_invest.evaluation import THRESHOLDS, relation_f_by_threshold, with_gold_entities

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def tuned(tmp_path_factory) -> Path:
    # Few updates: the pairs' scores stay low enough that the highest thresholds lose relations.
    model = train_tiny_pipeline(tmp_path_factory.mktemp("tiny") / "model", steps=10)
    dev = model.parent / f"{model.name}-train.spacy"
    subprocess.run([sys.executable, "scripts/tune_threshold.py", str(model), str(dev)], check=True, cwd=ROOT)
    return model


def test_the_pipeline_reloads_with_the_chosen_threshold_in_config_and_component(tuned):
    nlp = spacy.load(tuned)
    assert nlp.get_pipe("relation_extractor").cfg["threshold"] == nlp.config["components"]["relation_extractor"]["threshold"]
    assert nlp.get_pipe("relation_extractor").cfg["threshold"] in THRESHOLDS


def test_no_other_threshold_scores_better_on_dev(tuned):
    nlp = spacy.load(tuned)
    gold = list(DocBin().from_disk(tuned.parent / f"{tuned.name}-train.spacy").get_docs(nlp.vocab))
    docs = with_gold_entities(nlp, gold)
    extractor = nlp.get_pipe("relation_extractor")
    chosen = extractor.cfg["threshold"]
    f_at = relation_f_by_threshold(extractor, docs, gold)
    assert all(f <= f_at[chosen] for f in f_at.values())
