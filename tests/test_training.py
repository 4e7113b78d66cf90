"""The project's real training config trains, saves and loads (a short run on a
slice of the corpus; the quality of a full run is measured by `evaluate`)."""

import subprocess
import sys
from pathlib import Path

import pytest
import spacy

from zh_invest.convert import blank_nlp, to_docbin
from zh_invest.corpus import Mirror, read_corpus

ROOT = Path(__file__).parent.parent


@pytest.fixture(scope="module")
def trained(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("training")
    documents, _ = read_corpus([ROOT / "corpus" / "authored" / "batch_a.jsonl"], Mirror())
    nlp = blank_nlp("char")
    for name, part in (("train", documents[:30]), ("dev", documents[30:40])):
        to_docbin(nlp, part)[0].to_disk(work / f"{name}.spacy")
    python = [sys.executable]
    subprocess.run([*python, "scripts/build_rules.py", "patterns", str(work / "rules")], cwd=ROOT, check=True)
    subprocess.run(
        [*python, "-m", "spacy", "train", "configs/char.cfg", "--output", str(work / "model"),
         "--paths.train", str(work / "train.spacy"), "--paths.dev", str(work / "dev.spacy"),
         "--paths.rules", str(work / "rules"), "--components.tok2vec.model.embed.include_static_vectors", "false",
         "--training.max_steps", "200", "--training.eval_frequency", "100"],
        cwd=ROOT, check=True,
    )
    return work / "model" / "model-best"


@pytest.mark.slow
def test_the_training_config_gives_a_pipeline_with_rules_ner_and_relations(trained):
    nlp = spacy.load(trained)
    assert nlp.pipe_names == ["gazetteer", "rule_entities", "rule_spans", "tok2vec", "ner", "region_chains", "relation_extractor"]


@pytest.mark.slow
def test_the_trained_pipeline_finds_amounts_and_sets_relations(trained):
    nlp = spacy.load(trained)
    doc = nlp("邯郸市举行重点项目集中开工活动，总投资20亿元的振阳纺织项目开工。")
    assert "MONEY" in {e.label_ for e in doc.ents}
    assert isinstance(doc._.relations, list)
    assert "zh_invest_rules" in doc.spans
