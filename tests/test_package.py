"""The installable pipeline package (scripts/package.py): built from a tiny
trained pipeline, installed into a brand-new virtualenv and loaded there, away
from the repository."""

import json
import os
import subprocess
import sys
import zipfile
from email.parser import Parser
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from thinc.api import Config

from scripts.package import custom_code, model_card, requirements
from tests.tiny_pipeline import train_tiny_pipeline

ROOT = Path(__file__).parent.parent
PACKAGE = "zh_invest_ie"
VERSION = "0.1.0"
TRADITIONAL = "湖南振陽紡織項目由振陽集團投資20億元建設。"
WEB_PAGE = "湖南振陽紡織項(xiàng)目由振陽集團投資20億元建設。\n责任编辑：张三\n"


def run(*command: str | Path, cwd: Path = ROOT, env: dict[str, str] | None = None) -> str:
    result = subprocess.run([str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True)
    assert result.returncode == 0, f"{command[:2]} failed:\n{result.stderr[-3000:]}"
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """The wheel of the tiny pipeline, built as the project builds it: evaluate, then package."""
    work = tmp_path_factory.mktemp("package")
    model = train_tiny_pipeline(work / "model")
    train = work / "model-train.spacy"
    run(sys.executable, "scripts/evaluate.py", model, train, train, work / "metrics.json")
    run(sys.executable, "scripts/package.py", model, work / "packages", "--metrics", work / "metrics.json", "--name", "invest_ie", "--version", VERSION)
    [built] = (work / "packages" / f"{PACKAGE}-{VERSION}" / "dist").glob("*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> Path:
    """The python of a brand-new virtualenv with only the wheel (and what it requires) installed."""
    venv = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", venv)
    run(venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheel)
    return venv / "bin" / "python"


def run_outside_the_repo(python: Path, code: str, tmp_path: Path) -> object:
    """Run ``code`` in the virtualenv from a folder outside the repository; it prints JSON."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    return json.loads(run(python, "-c", code, cwd=tmp_path, env=env))


def wheel_metadata(wheel: Path):
    with zipfile.ZipFile(wheel) as archive:
        [name] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        return Parser().parsestr(archive.read(name).decode("utf-8"))


@pytest.mark.slow
def test_the_installed_package_gives_entities_and_relations(installed, tmp_path):
    code = f"""
import json, spacy
doc = spacy.load("{PACKAGE}")("{TRADITIONAL}")
print(json.dumps({{"ents": [(e.text, e.label_) for e in doc.ents],
                  "relations": [(r.head.text, r.tail.text, r.label) for r in doc._.relations]}}, ensure_ascii=False))
"""
    assert run_outside_the_repo(installed, code, tmp_path) == {
        "ents": [["湖南", "REGION"], ["振陽紡織項目", "PROJECT"], ["振陽集團", "ORG"], ["20億元", "MONEY"]],
        "relations": [["20億元", "振陽紡織項目", "INVESTMENT"]],
    }


@pytest.mark.slow
def test_the_installed_package_reads_raw_web_text_with_offsets_into_it(installed, tmp_path):
    code = f"""
import json, spacy
from {PACKAGE}.webtext import extract
print(json.dumps(extract(spacy.load("{PACKAGE}"), {WEB_PAGE!r}), ensure_ascii=False))
"""
    result = run_outside_the_repo(installed, code, tmp_path)
    assert [(e["label"], WEB_PAGE[e["start"] : e["end"]]) for e in result["entities"]] == [
        ("REGION", "湖南"), ("PROJECT", "振陽紡織項(xiàng)目"), ("ORG", "振陽集團"), ("MONEY", "20億元"),
    ]
    assert [(r["head"], r["tail"], r["label"]) for r in result["relations"]] == [(3, 1, "INVESTMENT")]


@pytest.mark.slow
def test_the_wheel_requires_spacy_but_not_this_project(wheel):
    required = {Requirement(r).name for r in wheel_metadata(wheel).get_all("Requires-Dist")}
    assert "spacy" in required and "zh-invest" not in required


@pytest.mark.slow
def test_the_wheel_describes_itself_with_the_model_card(wheel):
    description = wheel_metadata(wheel).get_payload()
    assert description.startswith(f"# {PACKAGE} {VERSION}")
    assert "| MONEY | 1.000 | 1.000 | 1.000 |" in description


def test_requirements_add_spacy_pkuseg_for_the_pkuseg_tokenizer():
    config = Config({"nlp": {"tokenizer": {"segmenter": "pkuseg"}}})
    assert [Requirement(r).name for r in requirements(["spacy>=3.8.18,<3.9.0"], config, [])] == ["spacy", "spacy-pkuseg"]


def test_requirements_leave_out_this_project_which_the_package_carries():
    config = Config({"nlp": {"tokenizer": {"segmenter": "char"}}})
    assert requirements(["zh-invest>=0.1.0,<0.2.0", "spacy>=3.8.18,<3.9.0"], config, []) == ["spacy>=3.8.18,<3.9.0"]


def test_requirements_add_what_the_code_imports_beyond_spacy_and_the_standard_library(tmp_path):
    module = tmp_path / "module.py"
    module.write_text("import json\nimport numpy\nimport opencc\nfrom spacy.tokens import Doc\n", encoding="utf-8")
    config = Config({"nlp": {"tokenizer": {"segmenter": "char"}}})
    assert [Requirement(r).name for r in requirements(["spacy>=3.8.18,<3.9.0"], config, [module])] == ["spacy", "OpenCC"]


def test_the_custom_code_is_the_components_modules_what_they_import_and_the_raw_text_call():
    config = Config({"nlp": {"tokenizer": {"segmenter": "char"}}, "components": {"rule_entities": {"factory": "zh_invest_regex_entities"}}})
    assert [path.relative_to(ROOT).as_posix() for path in custom_code(config)] == [
        "zh_invest/chinese.py", "zh_invest/pipeline.py", "zh_invest/rules.py", "zh_invest/webtext.py",
    ]


def test_the_model_card_gives_the_test_scores_per_label_and_relation_type():
    scores = {"p": 0.9, "r": 0.6, "f": 0.72}
    metrics = {
        "test": {
            "documents": 40,
            "ents": {**scores, "per_label": {"MONEY": scores}},
            "relations_end_to_end": {**scores, "per_type": {"OUTPUT": scores}},
            "relations_gold_entities": scores,
        }
    }
    card = model_card(PACKAGE, {"version": VERSION, "pipeline": ["tok2vec", "ner"], "spacy_version": ">=3.8"}, metrics)
    assert "test split (40 documents)" in card
    assert "| MONEY | 0.900 | 0.600 | 0.720 |" in card
    assert "| OUTPUT end-to-end | 0.900 | 0.600 | 0.720 |" in card
    assert f"from {PACKAGE}.webtext import extract" in card
