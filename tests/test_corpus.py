import hashlib

import pytest

from zh_invest.corpus import CorpusError, Mirror, MirrorMissing, read_corpus, write_corpus

from .conftest import STORY

TEXT = "吉利新能源商用车基地项目总投资120亿元。"


def doc(**changes) -> dict:
    record = {
        "id": "doc-1",
        "text": TEXT,
        "entities": [
            {"id": 1, "label": "PROJECT", "start_offset": 0, "end_offset": 12},
            {"id": 2, "label": "MONEY", "start_offset": 15, "end_offset": 20},
        ],
        "relations": [{"id": 1, "from_id": 2, "to_id": 1, "type": "INVESTMENT"}],
        "meta": {},
    }
    return record | changes


def problems_of(path, mirror):
    with pytest.raises(CorpusError) as error:
        read_corpus([path], mirror)
    return [str(p) for p in error.value.problems]


def test_a_valid_document_is_read_with_its_annotations(write_jsonl, mirror):
    documents, problems = read_corpus([write_jsonl(doc())], mirror)
    assert problems == []
    [document] = documents
    assert [TEXT[e.start : e.end] for e in document.entities] == ["吉利新能源商用车基地项目", "120亿元"]
    assert [(r.head, r.tail, r.type) for r in document.relations] == [(2, 1, "INVESTMENT")]


@pytest.mark.parametrize(
    "record, expected",
    [
        (doc(entities=[{"id": 1, "label": "GPE", "start_offset": 0, "end_offset": 2}], relations=[]), ":1: entities[0].label: unknown label 'GPE'"),
        (doc(entities=[{"id": 1, "label": "MONEY", "start_offset": 15, "end_offset": 99}], relations=[]), ":1: entities[0].start_offset: offsets [15, 99) are not inside the text"),
        (doc(text=" 吉利项目", entities=[{"id": 1, "label": "PROJECT", "start_offset": 0, "end_offset": 5}], relations=[]), ":1: entities[0]: span ' 吉利项目' starts or ends with whitespace"),
        (doc(entities=[{"id": 1, "label": "MONEY", "start_offset": 15, "end_offset": 21}], relations=[]), "ends with punctuation '。'"),
        (doc(entities=doc()["entities"] + [{"id": 3, "label": "ORG", "start_offset": 0, "end_offset": 2}]), ":1: entities: spans '吉利' (id 3) and '吉利新能源商用车基地项目' (id 1) overlap"),
        (doc(relations=[{"id": 1, "from_id": 1, "to_id": 2, "type": "INVESTMENT"}]), "relations run from MONEY to PROJECT, not PROJECT to MONEY"),
        (doc(relations=[{"id": 1, "from_id": 2, "to_id": 7, "type": "INVESTMENT"}]), ":1: relations[0].to_id: no entity with id 7"),
        (doc(relations=[{"id": 1, "from_id": 2, "to_id": 1, "type": "LOAN"}]), ":1: relations[0].type: unknown relation type 'LOAN'"),
        (doc(text="吉利新能源商用车基地项目开工。总投资120亿元。"), "are in different sentences"),
        (doc(text=""), ":1: text: missing or empty"),
        ("{not json", ":1: json: Expecting property name"),
    ],
)
def test_bad_input_is_reported_with_file_line_and_field(write_jsonl, mirror, record, expected):
    path = write_jsonl(record)
    problems = problems_of(path, mirror)
    assert any(p.startswith(str(path)) and expected in p for p in problems), problems


def test_duplicate_ids_and_texts_are_reported_across_files(write_jsonl, mirror):
    first = write_jsonl(doc(), name="a.jsonl")
    second = write_jsonl(doc(), name="b.jsonl")
    problems = problems_of_many([first, second], mirror)
    assert f"{second}:1: id: duplicate id, first seen at {first}:1" in problems
    assert f"{second}:1: text: duplicate text, first seen at {first}:1" in problems


def problems_of_many(paths, mirror):
    _, problems = read_corpus(paths, mirror, strict=False)
    return [str(p) for p in problems]


def test_lenient_reading_skips_bad_records_and_lists_every_one(write_jsonl, mirror):
    path = write_jsonl(doc(), doc(id="doc-2", text="第二篇。", entities=[{"id": 1, "label": "X", "start_offset": 0, "end_offset": 2}], relations=[]), "{")
    documents, problems = read_corpus([path], mirror, strict=False)
    assert [d.id for d in documents] == ["doc-1"]
    assert sorted({p.line for p in problems}) == [2, 3]


def standoff(**changes) -> dict:
    excerpt = STORY.split("\n")[1]
    record = {
        "id": "xwlb-1:1",
        "source": "xwlb",
        "source_id": "xwlb-1",
        "lines": [1, 1],
        "sha256": hashlib.sha256(excerpt.encode()).hexdigest(),
        "entities": [{"id": 1, "label": "MONEY", "start_offset": 15, "end_offset": 20}],
        "relations": [],
    }
    return record | changes


def test_a_standoff_record_gets_its_text_from_the_mirror(write_jsonl, mirror):
    [document], _ = read_corpus([write_jsonl(standoff())], mirror)
    assert document.text == STORY.split("\n")[1]
    assert document.text[15:20] == "120亿元"


def test_a_standoff_record_whose_text_changed_is_refused(write_jsonl, mirror):
    problems = problems_of(write_jsonl(standoff(sha256="0" * 64)), mirror)
    assert any(":1: sha256: the text of xwlb:xwlb-1 in the mirror does not match" in p for p in problems)


def test_a_missing_mirror_names_the_asset_and_its_upstream(write_jsonl, tmp_path):
    with pytest.raises(MirrorMissing, match=r"corpus/xwlb/stories.jsonl.*upstream: DuckBurnIncense/xin-wen-lian-bo"):
        read_corpus([write_jsonl(standoff())], Mirror(tmp_path / "nowhere"))


def test_written_documents_read_back_unchanged_and_standoff_stays_without_text(write_jsonl, mirror, tmp_path):
    documents, _ = read_corpus([write_jsonl(doc(), standoff())], mirror)
    out = tmp_path / "out" / "corpus.jsonl"
    write_corpus(out, documents)
    again, _ = read_corpus([out], mirror)
    assert again == documents
    assert '"text"' not in out.read_text(encoding="utf-8").splitlines()[1]
