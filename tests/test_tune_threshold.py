"""Choosing the relation extractor's threshold on dev (scripts/tune_threshold.py)."""

import subprocess
import sys
from pathlib import Path

import pytest
import spacy
from spacy.tokens import DocBin

from tests.tiny_pipeline import train_tiny_pipeline
from zh_invest.evaluation import MIN_CONFIDENCES, THRESHOLDS, relation_f_by_setting, with_gold_entities, with_predicted_entities

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def tuned(tmp_path_factory) -> Path:
    # Few updates: the pairs' scores stay low enough that the highest thresholds lose relations.
    model = train_tiny_pipeline(tmp_path_factory.mktemp("tiny") / "model", steps=10)
    dev = model.parent / f"{model.name}-train.spacy"
    subprocess.run([sys.executable, "scripts/tune_threshold.py", str(model), str(dev)], check=True, cwd=ROOT)
    return model


@pytest.mark.parametrize("setting, values", [("threshold", THRESHOLDS), ("min_confidence", MIN_CONFIDENCES)])
def test_the_pipeline_reloads_with_the_chosen_settings_in_config_and_component(tuned, setting, values):
    nlp = spacy.load(tuned)
    assert nlp.get_pipe("relation_extractor").cfg[setting] == nlp.config["components"]["relation_extractor"][setting]
    assert nlp.get_pipe("relation_extractor").cfg[setting] in values


@pytest.mark.parametrize(
    "setting, values, entities",
    [("threshold", THRESHOLDS, with_gold_entities), ("min_confidence", MIN_CONFIDENCES, with_predicted_entities)],
)
def test_no_other_value_scores_better_on_dev(tuned, setting, values, entities):
    nlp = spacy.load(tuned)
    gold = list(DocBin().from_disk(tuned.parent / f"{tuned.name}-train.spacy").get_docs(nlp.vocab))
    extractor = nlp.get_pipe("relation_extractor")
    chosen = extractor.cfg[setting]
    f_at = relation_f_by_setting(extractor, entities(nlp, gold), gold, setting, values)
    assert all(f <= f_at[chosen] for f in f_at.values())
