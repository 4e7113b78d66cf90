"""The annotation round-trip with a real doccano server: push, edit as an annotator, pull.

Tests marked ``doccano`` run against the server the session starts (see
tests/doccano/server.py); the others need no server.
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import pytest
import spacy

from zh_invest.convert import predicted_documents
from zh_invest.corpus import Document, Entity, Mirror, RelationRecord, StandOff, read_corpus, sha256, write_corpus
from zh_invest.doccano_server import DEFAULT_VENVS, PROJECT_ROOT, Credentials, DoccanoError, Venvs, free_port, health, load_credentials
from zh_invest.doccano_sync import (
    KEY_FIELD,
    RELATION_COLOURS,
    SPAN_COLOURS,
    annotation_key,
    check_uploads,
    project_settings,
    run_client,
    with_exported_annotations,
)
from zh_invest.markup import parse

from .doccano.server import Annotator, Server, doccano_server, run_script, start_server  # noqa: F401 (fixture)

GUIDELINES = Path(__file__).resolve().parent.parent.parent / "shared" / "annotation-guidelines.md"

# Sentences written for these tests. news-01 and news-02 put a character outside
# the BMP before their entities, news-03 is traditional Chinese.
AUTHORED = {
    "news-01": "𠀾⟦吉利新能源基地项目|PROJECT#p⟧在邯郸开工，总投资⟦120亿元|MONEY>p:INVESTMENT⟧。",
    "news-02": "😀⟦海泰新能朔州有限公司|ORG⟧的⟦光伏组件项目|PROJECT#p⟧预计年产值⟦30亿元|MONEY>p:OUTPUT⟧。",
    "news-03": "⟦振陽紡織項目|PROJECT#p⟧投資⟦20億元|MONEY>p:INVESTMENT⟧，由⟦祁陽市政府|REGION⟧推動。",
    "news-04": "⟦明睿陶瓷二期项目|PROJECT⟧建成后年产值⟦1.8亿元|MONEY⟧，占全市⟦三成|PERCENT⟧。",
    "news-05": "全区完成投资⟦50亿元|MONEY>p:INVESTMENT⟧，⟦纸面石膏板生产线项目|PROJECT#p⟧已投产。",
    **{
        f"news-{n:02}": f"⟦第{n}号产业园项目|PROJECT#p⟧计划投资⟦{n}亿元|MONEY>p:INVESTMENT⟧，落实⟦“承诺制”改革|POLICY⟧。"
        for n in range(6, 17)
    },
}
# Lines of a third-party story, stood in for by the test's own mirror.
STORY_LINES = {
    1: "😀⟦长三角|REGION⟧示范区签约项目总投资达500亿元。",
    2: "⟦吕梁市|REGION⟧⟦重点项目|PROJECT#p⟧完成投资⟦80亿元|MONEY>p:INVESTMENT⟧。",
    3: "𠀾⟦雄安新区|REGION⟧新开工⟦重点工程项目|PROJECT#p⟧年税金⟦500万元|MONEY>p:OUTPUT⟧。",
}
NEW = {"new-01": "⟦中信重工|ORG⟧⟦智能装备产业园项目|PROJECT#p⟧总投资⟦8.5亿元|MONEY>p:INVESTMENT⟧。"}


def document(doc_id: str, markup: str, standoff: StandOff | None = None) -> Document:
    annotated = parse(markup)
    entities = [Entity(i, label, start, end) for i, (start, end, label) in enumerate(annotated.entities, 1)]
    relations = [RelationRecord(i, head + 1, tail + 1, kind) for i, (head, tail, kind) in enumerate(annotated.relations, 1)]
    return Document(doc_id, annotated.text, entities, relations, {"origin": "test"}, standoff)


def story_excerpt(line: int) -> Document:
    text = parse(STORY_LINES[line]).text
    return document(f"xwlb-t:{line}", STORY_LINES[line], StandOff("xwlb", "xwlb-t", sha256(text), (line, line)))


def offsets(text: str, surface: str) -> tuple[int, int]:
    start = text.index(surface)
    return start, start + len(surface)


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A shared folder with the guidelines and a one-story mirror, a corpus of 18 documents
    (16 authored, 2 stand-off) and a file of 2 documents new to the corpus."""
    root = tmp_path_factory.mktemp("workspace")
    story = "\n".join(["导语。", *(parse(STORY_LINES[n]).text for n in sorted(STORY_LINES))])
    mirror_file = root / "shared" / "corpus" / "xwlb" / "stories.jsonl"
    mirror_file.parent.mkdir(parents=True)
    mirror_file.write_text(json.dumps({"id": "xwlb-t", "text": story}, ensure_ascii=False) + "\n", encoding="utf-8")
    shutil.copyfile(GUIDELINES, root / "shared" / "annotation-guidelines.md")
    write_corpus(root / "corpus" / "authored" / "news.jsonl", [document(k, m) for k, m in AUTHORED.items()])
    write_corpus(root / "corpus" / "standoff" / "xwlb.jsonl", [story_excerpt(1), story_excerpt(2)])
    write_corpus(root / "incoming.jsonl", [document("new-01", NEW["new-01"]), story_excerpt(3)])
    return root


def sync_args(workspace: Path, server_url: str, project: str) -> list[str]:
    return [
        "--corpus", str(workspace / "corpus"), "--project", project, "--url", server_url,
        "--manifest", str(workspace / f"{project}.manifest.json"), "--shared", str(workspace / "shared"),
    ]


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*.jsonl"))}


def corpus_documents(workspace: Path) -> dict[str, Document]:
    files = sorted((workspace / "corpus").rglob("*.jsonl"))
    documents, _ = read_corpus(files, Mirror(workspace / "shared"))
    return {d.id: d for d in documents}


EDITED = ("news-01", "news-02", "news-03", "news-04", "news-05", "xwlb-t:1", "new-01", "xwlb-t:3")


@pytest.fixture(scope="module")
def round_trip(workspace: Path, doccano_server: Server):
    """Push 20 documents, edit them as an annotator, pull. Gives the corpus files before,
    the pull's output and the workspace."""
    args = sync_args(workspace, doccano_server.url, "round-trip")
    pushed = run_script("doccano_push", str(workspace / "corpus"), str(workspace / "incoming.jsonl"), "--gold", *args, env=doccano_server.env)
    assert pushed.returncode == 0, pushed.stderr
    before = snapshot(workspace / "corpus")
    text = {key: parse(markup).text for key, markup in {**AUTHORED, **NEW}.items()}
    text |= {f"xwlb-t:{n}": parse(STORY_LINES[n]).text for n in STORY_LINES}
    annotator = Annotator(doccano_server, "round-trip")
    annotator.add_span("news-01", *offsets(text["news-01"], "邯郸"), "REGION")
    annotator.delete_span("news-02", *offsets(text["news-02"], "海泰新能朔州有限公司"))
    annotator.relabel_span("news-03", *offsets(text["news-03"], "祁陽市政府"), "ORG")
    annotator.add_relation("news-04", offsets(text["news-04"], "1.8亿元"), offsets(text["news-04"], "明睿陶瓷二期项目"), "OUTPUT")
    annotator.delete_relation("news-05", offsets(text["news-05"], "50亿元"))
    annotator.add_span("xwlb-t:1", *offsets(text["xwlb-t:1"], "500亿元"), "MONEY")
    annotator.add_span("xwlb-t:3", *offsets(text["xwlb-t:3"], "新开工"), "POLICY")
    annotator.delete_span("xwlb-t:3", *offsets(text["xwlb-t:3"], "新开工"))
    annotator.delete_span("news-07", *offsets(text["news-07"], "“承诺制”改革"))  # not marked done
    for key in (*EDITED, "news-06"):
        annotator.mark_done(key)
    pulled = run_script("doccano_pull", *args, env=doccano_server.env)
    assert pulled.returncode == 0, pulled.stderr
    return before, pulled.stdout, workspace


def assert_annotated_as(actual: Document, markup: str) -> None:
    expected = document(actual.id, markup)
    assert actual.text == expected.text
    assert annotation_key(actual) == annotation_key(expected)


@pytest.mark.doccano
def test_a_span_added_after_a_character_outside_the_bmp_lands_on_the_same_characters(round_trip):
    _, _, workspace = round_trip
    assert_annotated_as(
        corpus_documents(workspace)["news-01"],
        "𠀾⟦吉利新能源基地项目|PROJECT#p⟧在⟦邯郸|REGION⟧开工，总投资⟦120亿元|MONEY>p:INVESTMENT⟧。",
    )


@pytest.mark.doccano
def test_a_span_deleted_after_an_emoji_is_deleted(round_trip):
    _, _, workspace = round_trip
    assert_annotated_as(corpus_documents(workspace)["news-02"], "😀海泰新能朔州有限公司的⟦光伏组件项目|PROJECT#p⟧预计年产值⟦30亿元|MONEY>p:OUTPUT⟧。")


@pytest.mark.doccano
def test_a_relabelled_span_in_traditional_chinese_gets_its_new_label(round_trip):
    _, _, workspace = round_trip
    assert_annotated_as(corpus_documents(workspace)["news-03"], "⟦振陽紡織項目|PROJECT#p⟧投資⟦20億元|MONEY>p:INVESTMENT⟧，由⟦祁陽市政府|ORG⟧推動。")


@pytest.mark.doccano
def test_an_added_relation_is_added(round_trip):
    _, _, workspace = round_trip
    assert_annotated_as(corpus_documents(workspace)["news-04"], "⟦明睿陶瓷二期项目|PROJECT#p⟧建成后年产值⟦1.8亿元|MONEY>p:OUTPUT⟧，占全市⟦三成|PERCENT⟧。")


@pytest.mark.doccano
def test_a_removed_relation_is_removed(round_trip):
    _, _, workspace = round_trip
    assert_annotated_as(corpus_documents(workspace)["news-05"], "全区完成投资⟦50亿元|MONEY⟧，⟦纸面石膏板生产线项目|PROJECT⟧已投产。")


@pytest.mark.doccano
def test_a_third_party_document_comes_back_stand_off(round_trip):
    _, _, workspace = round_trip
    [line] = (workspace / "corpus" / "standoff" / "xwlb.jsonl").read_text(encoding="utf-8").splitlines()[:1]
    assert "text" not in json.loads(line)
    assert_annotated_as(corpus_documents(workspace)["xwlb-t:1"], "😀⟦长三角|REGION⟧示范区签约项目总投资达⟦500亿元|MONEY⟧。")


@pytest.mark.doccano
def test_documents_new_to_the_corpus_are_added_authored_or_stand_off(round_trip):
    _, _, workspace = round_trip
    authored = [json.loads(line) for line in (workspace / "corpus" / "authored" / "doccano.jsonl").read_text(encoding="utf-8").splitlines()]
    standoff = [json.loads(line) for line in (workspace / "corpus" / "standoff" / "doccano.jsonl").read_text(encoding="utf-8").splitlines()]
    assert [r["id"] for r in authored] == ["new-01"]
    assert [(r["id"], "text" in r) for r in standoff] == [("xwlb-t:3", False)]
    assert_annotated_as(corpus_documents(workspace)["xwlb-t:3"], STORY_LINES[3])


@pytest.mark.doccano
def test_an_edit_not_marked_done_is_not_taken(round_trip):
    _, _, workspace = round_trip
    assert_annotated_as(corpus_documents(workspace)["news-07"], AUTHORED["news-07"])


@pytest.mark.doccano
def test_every_line_of_a_document_not_edited_is_byte_identical(round_trip):
    before, _, workspace = round_trip
    after = snapshot(workspace / "corpus")
    for name, content in before.items():
        old_lines = content.decode("utf-8").splitlines()
        new_lines = after[name].decode("utf-8").splitlines()
        assert len(new_lines) == len(old_lines)
        for old, new in zip(old_lines, new_lines):
            if json.loads(old)["id"] not in EDITED:
                assert new == old


@pytest.mark.doccano
def test_the_pull_reports_each_change_readably(round_trip):
    _, report, _ = round_trip
    assert "+ REGION '邯郸' [11, 13)" in report
    assert "- ORG '海泰新能朔州有限公司' [1, 11)" in report
    assert "~ '祁陽市政府' [14, 19) REGION → ORG" in report
    assert "+ OUTPUT '1.8亿元' [14, 19) → '明睿陶瓷二期项目' [0, 8)" in report
    assert "2 documents added, 6 updated, 1 unchanged; 11 pushed documents are not marked done yet" in report


@pytest.mark.doccano
def test_pulling_again_changes_nothing(round_trip, doccano_server):
    _, _, workspace = round_trip
    before = snapshot(workspace / "corpus")
    again = run_script("doccano_pull", *sync_args(workspace, doccano_server.url, "round-trip"), env=doccano_server.env)
    assert again.returncode == 0, again.stderr
    assert "0 documents added, 0 updated, 9 unchanged" in again.stdout
    assert snapshot(workspace / "corpus") == before


@pytest.fixture
def one_document_corpus(tmp_path: Path) -> Path:
    (tmp_path / "shared").mkdir()
    shutil.copyfile(GUIDELINES, tmp_path / "shared" / "annotation-guidelines.md")
    write_corpus(tmp_path / "corpus" / "authored" / "news.jsonl", [document("news-01", AUTHORED["news-01"])])
    return tmp_path


@pytest.mark.doccano
def test_a_document_changed_locally_since_the_push_is_a_conflict_and_nothing_is_written(one_document_corpus, doccano_server):
    args = sync_args(one_document_corpus, doccano_server.url, "conflict")
    corpus = one_document_corpus / "corpus"
    assert run_script("doccano_push", str(corpus), "--gold", *args, env=doccano_server.env).returncode == 0
    annotator = Annotator(doccano_server, "conflict")
    annotator.add_span("news-01", *offsets(parse(AUTHORED["news-01"]).text, "邯郸"), "REGION")
    annotator.mark_done("news-01")
    write_corpus(corpus / "authored" / "news.jsonl", [document("news-01", AUTHORED["news-01"].replace("⟦120亿元|MONEY>p:INVESTMENT⟧", "120亿元"))])
    local = snapshot(corpus)

    refused = run_script("doccano_pull", *args, env=doccano_server.env)
    assert refused.returncode == 1
    assert "conflict: news-01: changed in the corpus since the push" in refused.stderr
    assert snapshot(corpus) == local

    forced = run_script("doccano_pull", *args, "--force", env=doccano_server.env)
    assert forced.returncode == 0, forced.stderr
    assert_annotated_as(corpus_documents(one_document_corpus)["news-01"], AUTHORED["news-01"].replace("在邯郸", "在⟦邯郸|REGION⟧"))


@pytest.mark.doccano
@pytest.mark.parametrize("command", ["doccano_push", "doccano_pull"])
def test_a_wrong_password_fails_clearly_and_leaves_the_corpus_untouched(one_document_corpus, doccano_server, command):
    corpus = one_document_corpus / "corpus"
    before = snapshot(corpus)
    wrong = doccano_server.env | {"DOCCANO_PASSWORD": "not-the-password-" + doccano_server.password[:4]}
    args = sync_args(one_document_corpus, doccano_server.url, "wrong-password")
    (one_document_corpus / "wrong-password.manifest.json").write_text('{"project": "wrong-password", "documents": {}}', encoding="utf-8")
    result = run_script(command, *([str(corpus), "--gold"] if command == "doccano_push" else []), *args, env=wrong)
    assert result.returncode == 1
    assert "wrong username or password" in result.stderr
    assert wrong["DOCCANO_PASSWORD"] not in result.stdout + result.stderr
    assert snapshot(corpus) == before


@pytest.mark.doccano
@pytest.mark.parametrize("command", ["doccano_push", "doccano_pull"])
def test_a_stopped_server_fails_clearly_and_leaves_the_corpus_untouched(one_document_corpus, doccano_server, command):
    corpus = one_document_corpus / "corpus"
    before = snapshot(corpus)
    nowhere = f"http://127.0.0.1:{free_port()}"
    args = sync_args(one_document_corpus, nowhere, "stopped")
    (one_document_corpus / "stopped.manifest.json").write_text('{"project": "stopped", "documents": {}}', encoding="utf-8")
    result = run_script(command, *([str(corpus), "--gold"] if command == "doccano_push" else []), *args, env=doccano_server.env)
    assert result.returncode == 1
    assert f"cannot reach doccano at {nowhere}" in result.stderr
    assert snapshot(corpus) == before


@pytest.mark.doccano
def test_a_push_that_times_out_fails_clearly_and_can_simply_be_run_again(one_document_corpus, doccano_server):
    corpus = one_document_corpus / "corpus"
    args = sync_args(one_document_corpus, doccano_server.url, "timeout")
    timed_out = run_script("doccano_push", str(corpus), "--gold", *args, "--timeout", "0", env=doccano_server.env)
    assert timed_out.returncode == 1
    assert "doccano's import task did not finish within 0 s" in timed_out.stderr
    assert not (one_document_corpus / "timeout.manifest.json").exists()
    deadline = time.monotonic() + 30
    while "news-01" not in Annotator(doccano_server, "timeout").examples and time.monotonic() < deadline:
        time.sleep(0.5)  # doccano goes on importing after the client gave up

    again = run_script("doccano_push", str(corpus), "--gold", *args, env=doccano_server.env)
    assert again.returncode == 0, again.stderr
    assert "0 documents uploaded with the corpus's annotations, 1 already there" in again.stdout
    assert "news-01" in json.loads((one_document_corpus / "timeout.manifest.json").read_text(encoding="utf-8"))["documents"]


@pytest.mark.doccano
def test_the_client_notices_spans_doccano_dropped_on_import(tmp_path, doccano_server):
    overlapping = {
        "text": "吉利新能源基地项目总投资120亿元。",
        "entities": [
            {"id": 1, "label": "PROJECT", "start_offset": 0, "end_offset": 9},
            {"id": 2, "label": "ORG", "start_offset": 0, "end_offset": 2},
        ],
        "relations": [],
        KEY_FIELD: "overlap-1",
    }
    records = tmp_path / "upload.jsonl"
    records.write_text(json.dumps(overlapping, ensure_ascii=False) + "\n", encoding="utf-8")
    job = {
        "url": doccano_server.url, "project": project_settings("dropped-spans", GUIDELINES.parent), "span_types": SPAN_COLOURS,
        "relation_types": RELATION_COLOURS, "records": str(records), "key_field": KEY_FIELD, "timeout": 60,
    }
    credentials = Credentials(doccano_server.username, doccano_server.password)
    with pytest.raises(DoccanoError, match="doccano stored 1 of 2 uploaded spans"):
        run_client("push", job, Venvs(PROJECT_ROOT / DEFAULT_VENVS), credentials, timeout=120)


@pytest.mark.doccano
def test_the_password_appears_in_no_server_log(round_trip, doccano_server):
    logs = sorted((doccano_server.data / "logs").glob("*.log"))
    assert logs
    assert not [log.name for log in logs if doccano_server.password in log.read_text(encoding="utf-8")]


@pytest.mark.doccano
def test_doccano_stop_ends_exactly_the_processes_doccano_start_started(tmp_path, doccano_server):
    other = start_server(tmp_path / "other")
    pids = [json.loads((other.data / "run" / f"{name}.pid").read_text())["pid"] for name in ("gunicorn", "task")]
    stopped = run_script("doccano_stop", "--data", str(other.data))
    assert stopped.returncode == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in pids)
    assert run_script("doccano_stop", "--data", str(other.data)).stdout.count("was not running") == 2
    assert health(doccano_server.url) is None


def test_the_environment_overrides_the_env_file(tmp_path, monkeypatch):
    env_file = tmp_path / ".env"
    env_file.write_text("DOCCANO_USERNAME=from-file\nDOCCANO_PASSWORD='file secret'\n", encoding="utf-8")
    monkeypatch.setenv("DOCCANO_USERNAME", "from-environment")
    monkeypatch.delenv("DOCCANO_PASSWORD", raising=False)
    credentials = load_credentials(env_file)
    assert (credentials.username, credentials.password) == ("from-environment", "file secret")
    assert "file secret" not in repr(credentials)


def test_missing_credentials_name_the_variables_to_set(tmp_path, monkeypatch):
    monkeypatch.delenv("DOCCANO_USERNAME", raising=False)
    monkeypatch.delenv("DOCCANO_PASSWORD", raising=False)
    with pytest.raises(DoccanoError, match="set DOCCANO_USERNAME and DOCCANO_PASSWORD"):
        load_credentials(tmp_path / ".env")


def test_overlapping_annotations_are_refused_before_anything_is_uploaded():
    overlapping = document("news-01", AUTHORED["news-01"])
    overlapping.entities.append(Entity(9, "ORG", 1, 3))
    with pytest.raises(DoccanoError, match="overlap"):
        check_uploads([overlapping], Mirror())


def test_a_pipeline_s_predictions_replace_the_corpus_annotations_for_upload():
    nlp = spacy.blank("zh")
    nlp.add_pipe("entity_ruler").add_patterns([{"label": "REGION", "pattern": "邯郸"}])
    [predicted] = predicted_documents(nlp, [document("news-01", AUTHORED["news-01"])])
    assert [(predicted.text[e.start : e.end], e.label) for e in predicted.entities] == [("邯郸", "REGION")]
    assert predicted.relations == []


def test_exported_spans_at_the_same_offsets_keep_their_corpus_ids():
    base = document("news-01", AUTHORED["news-01"])
    money = next(e for e in base.entities if e.label == "MONEY")
    project = next(e for e in base.entities if e.label == "PROJECT")
    exported = {
        "entities": [
            {"id": 901, "label": "MONEY", "start_offset": money.start, "end_offset": money.end},
            {"id": 902, "label": "REGION", "start_offset": 12, "end_offset": 14},
            {"id": 903, "label": "PROJECT", "start_offset": project.start, "end_offset": project.end},
        ],
        "relations": [{"id": 77, "from_id": 901, "to_id": 903, "type": "INVESTMENT"}],
    }
    merged = with_exported_annotations(base, exported)
    assert [(e.id, e.label) for e in merged.entities] == [(project.id, "PROJECT"), (3, "REGION"), (money.id, "MONEY")]
    assert [(r.id, r.head, r.tail) for r in merged.relations] == [(1, money.id, project.id)]
