import json
import subprocess
import sys
from pathlib import Path

from scripts.split import assign, story
from zh_invest.corpus import Document, StandOff

ROOT = Path(__file__).parent.parent


def test_groups_are_split_in_proportion_and_reproducibly():
    groups = [f"story-{i}" for i in range(100)]
    first = assign(groups, dev=0.15, test=0.15, seed=0)
    assert first == assign(groups, dev=0.15, test=0.15, seed=0)
    counts = {name: list(first.values()).count(name) for name in ("train", "dev", "test")}
    assert counts == {"train": 70, "dev": 15, "test": 15}


def test_existing_assignments_stay_and_new_documents_get_one(mirror, tmp_path):
    own = [{"id": f"auth-{i}", "text": f"第{i}篇。", "entities": [], "relations": []} for i in range(20)]
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.jsonl").write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in own) + "\n", encoding="utf-8")
    splits = tmp_path / "splits.json"
    splits.write_text(json.dumps({"seed": 0, "documents": {"auth-3": "test"}}), encoding="utf-8")
    run = [sys.executable, "scripts/split.py", str(corpus), str(splits), "--shared", str(mirror.root)]
    subprocess.run(run, check=True, cwd=ROOT, capture_output=True)
    assignment = json.loads(splits.read_text(encoding="utf-8"))["documents"]
    assert assignment["auth-3"] == "test"
    assert set(assignment) == {r["id"] for r in own}


def test_excerpts_of_one_source_story_form_one_group():
    first = Document("xwlb-1:0", "甲", standoff=StandOff("xwlb", "xwlb-1", "0" * 64, (0, 0)))
    second = Document("xwlb-1:3", "乙", standoff=StandOff("xwlb", "xwlb-1", "0" * 64, (3, 3)))
    own = Document("auth-a-001", "丙")
    assert story(first) == story(second) != story(own)
