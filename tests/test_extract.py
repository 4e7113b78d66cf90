"""The raw-text call (zh_invest.webtext.extract) and batch extraction (scripts/extract.py)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
import spacy

from scripts.extract import extract_corpus
from tests.tiny_pipeline import train_tiny_pipeline
from zh_invest.corpus import Mirror, read_corpus
from zh_invest.webtext import extract

ROOT = Path(__file__).parent.parent
# The tiny pipeline's first training sentence, as a web page shows it.
WEB_PAGE = (
    "高端海工用钢生产线項(xiàng)目总投资58亿元，建成后可实现年产值120亿元。\n"
    "相关链接：\n"
    "- 曹妃甸区重点项目集中签约\n"
    "责任编辑：张三\n"
)
TRADITIONAL = "湖南振陽紡織項目由振陽集團投資20億元建設。"


@pytest.fixture(scope="module")
def model_path(tmp_path_factory) -> Path:
    return train_tiny_pipeline(tmp_path_factory.mktemp("tiny") / "model")


@pytest.fixture(scope="module")
def nlp(model_path):
    return spacy.load(model_path)


def read_jsonl(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_the_raw_text_call_gives_entities_in_raw_offsets(nlp):
    result = extract(nlp, WEB_PAGE)
    assert result["text"] == WEB_PAGE
    assert [(e["label"], WEB_PAGE[e["start"] : e["end"]], e["text"]) for e in result["entities"]] == [
        ("PROJECT", "高端海工用钢生产线項(xiàng)目", "高端海工用钢生产线項目"),
        ("MONEY", "58亿元", "58亿元"),
        ("MONEY", "120亿元", "120亿元"),
    ]


def test_the_raw_text_call_links_amounts_to_projects_with_scores(nlp):
    result = extract(nlp, WEB_PAGE)
    relations = [(result["entities"][r["head"]]["text"], result["entities"][r["tail"]]["text"], r["label"]) for r in result["relations"]]
    assert relations == [("58亿元", "高端海工用钢生产线項目", "INVESTMENT"), ("120亿元", "高端海工用钢生产线項目", "OUTPUT")]
    assert all(0.5 <= r["score"] <= 1.0 for r in result["relations"])


def test_jsonl_input_becomes_valid_corpus_records_with_ids_raw_text_and_scores(nlp, tmp_path, write_jsonl):
    source = write_jsonl({"id": "page-1", "text": WEB_PAGE}, {"text": TRADITIONAL}, name="pages.jsonl")
    summary = extract_corpus(nlp, source, tmp_path / "out.jsonl", progress=False)
    first, second = read_jsonl(tmp_path / "out.jsonl")
    assert (first["id"], first["text"], second["id"]) == ("page-1", WEB_PAGE, "pages-2")
    assert [(e["label"], WEB_PAGE[e["start_offset"] : e["end_offset"]]) for e in first["entities"]] == [
        ("PROJECT", "高端海工用钢生产线項(xiàng)目"), ("MONEY", "58亿元"), ("MONEY", "120亿元"),
    ]
    assert [(r["from_id"], r["to_id"], r["type"]) for r in second["relations"]] == [(4, 2, "INVESTMENT")]
    assert all(0.5 <= r["score"] <= 1.0 for record in (first, second) for r in record["relations"])
    documents, problems = read_corpus([tmp_path / "out.jsonl"], Mirror(tmp_path), strict=False)
    assert (len(documents), problems) == (2, [])
    assert (summary.documents, summary.entities, summary.relations, summary.bad_records) == (2, 7, 3, 0)


def test_a_text_file_is_one_document_named_after_the_file(nlp, tmp_path):
    (tmp_path / "page.txt").write_text(WEB_PAGE, encoding="utf-8")
    extract_corpus(nlp, tmp_path / "page.txt", tmp_path / "out.jsonl", progress=False)
    [record] = read_jsonl(tmp_path / "out.jsonl")
    assert (record["id"], record["text"], len(record["relations"])) == ("page", WEB_PAGE, 2)


def test_a_folder_of_text_files_gives_one_document_each_with_its_relative_path_as_id(nlp, tmp_path):
    (tmp_path / "news" / "hunan").mkdir(parents=True)
    (tmp_path / "news" / "a.txt").write_text(WEB_PAGE, encoding="utf-8")
    (tmp_path / "news" / "hunan" / "b.txt").write_text(TRADITIONAL, encoding="utf-8")
    extract_corpus(nlp, tmp_path / "news", tmp_path / "out.jsonl", progress=False)
    assert [r["id"] for r in read_jsonl(tmp_path / "out.jsonl")] == ["a", "hunan/b"]


def test_bad_records_are_reported_with_their_line_and_skipped(nlp, tmp_path, capsys):
    source = tmp_path / "pages.jsonl"
    source.write_bytes(
        b'{"id": "good-1", "text": "' + TRADITIONAL.encode() + b'"}\n'
        b'{"id": "broken", "text": \n'
        b'{"id": "empty", "text": ""}\n'
        + json.dumps({"id": "gbk", "text": TRADITIONAL}, ensure_ascii=False).encode("gbk") + b"\n"
        b'{"id": "good-2", "text": "' + TRADITIONAL.encode() + b'"}\n'
    )
    summary = extract_corpus(nlp, source, tmp_path / "out.jsonl", progress=False)
    reported = capsys.readouterr().err.splitlines()
    assert [line.split(": ")[0:2] for line in reported] == [[f"{source}:2", "json"], [f"{source}:3", "text"], [f"{source}:4", "encoding"]]
    assert [r["id"] for r in read_jsonl(tmp_path / "out.jsonl")] == ["good-1", "good-2"]
    assert (summary.documents, summary.bad_records) == (2, 3)


def test_a_text_longer_than_the_pipeline_accepts_is_a_bad_record(nlp, tmp_path, write_jsonl, capsys):
    source = write_jsonl({"id": "long", "text": TRADITIONAL * 10}, {"id": "short", "text": TRADITIONAL})
    nlp.max_length, usual = len(TRADITIONAL) * 5, nlp.max_length
    try:
        summary = extract_corpus(nlp, source, tmp_path / "out.jsonl", progress=False)
    finally:
        nlp.max_length = usual
    assert f"{source}:1: text: " in capsys.readouterr().err
    assert ([r["id"] for r in read_jsonl(tmp_path / "out.jsonl")], summary.bad_records) == (["short"], 1)


def test_the_command_line_shows_progress_in_documents_per_second_and_a_summary(model_path, tmp_path, write_jsonl):
    source = write_jsonl(*({"text": TRADITIONAL} for _ in range(5)), "not json")
    run = subprocess.run(
        [sys.executable, "scripts/extract.py", str(model_path), str(source), str(tmp_path / "out.jsonl"), "--batch-size", "2"],
        cwd=ROOT, capture_output=True, text=True, check=True,
    )
    assert "doc/s" in run.stderr
    assert f"{source}:6: json: " in run.stderr
    assert "5 documents (20 entities, 5 relations)" in run.stdout and "1 bad records skipped" in run.stdout


@pytest.mark.slow
def test_several_processes_give_the_same_records(nlp, tmp_path, write_jsonl):
    source = write_jsonl(*({"id": f"d{i}", "text": [WEB_PAGE, TRADITIONAL][i % 2]} for i in range(8)))
    extract_corpus(nlp, source, tmp_path / "one.jsonl", batch_size=2, progress=False)
    extract_corpus(nlp, source, tmp_path / "two.jsonl", batch_size=2, n_process=2, progress=False)
    assert read_jsonl(tmp_path / "two.jsonl") == read_jsonl(tmp_path / "one.jsonl")


# Runs in its own process so that its peak memory is the extraction's alone.
PEAK_MEMORY = """
import resource, sys
from pathlib import Path
import spacy
from scripts.extract import extract_corpus
extract_corpus(spacy.load(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), progress=False)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
"""


def generate_input(path: Path, size: int) -> int:
    """Write about ``size`` bytes of articles to ``path``; returns how many."""
    article = json.dumps({"text": "\n".join([WEB_PAGE, TRADITIONAL] * 15)}, ensure_ascii=False) + "\n"
    count = size // len(article.encode("utf-8")) + 1
    with path.open("w", encoding="utf-8") as out:
        out.writelines(article for _ in range(count))
    return count


def peak_memory(model: Path, source: Path, output: Path) -> int:
    run = subprocess.run([sys.executable, "-c", PEAK_MEMORY, str(model), str(source), str(output)], cwd=ROOT, capture_output=True, text=True, check=True)
    return int(run.stdout)


@pytest.mark.slow
def test_memory_stays_flat_as_the_input_grows(tmp_path):
    # A fast pipeline of real components, so the input can be tens of MB.
    nlp = spacy.blank("zh")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "MONEY", "pattern": [{"IS_DIGIT": True, "OP": "+"}, {"TEXT": {"IN": ["亿", "億"]}}, {"TEXT": "元"}]}])
    nlp.to_disk(tmp_path / "ruler")
    small, large = 2_000_000, 24_000_000
    generate_input(tmp_path / "small.jsonl", small)
    articles = generate_input(tmp_path / "large.jsonl", large)
    small_peak = peak_memory(tmp_path / "ruler", tmp_path / "small.jsonl", tmp_path / "small-out.jsonl")
    large_peak = peak_memory(tmp_path / "ruler", tmp_path / "large.jsonl", tmp_path / "large-out.jsonl")
    assert sum(1 for _ in (tmp_path / "large-out.jsonl").open(encoding="utf-8")) == articles
    # Holding the input, or the output, would add tens of MB.
    assert large_peak - small_peak < (large - small) / 4
