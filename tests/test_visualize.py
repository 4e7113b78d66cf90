"""The HTML page of scripts/visualize.py: entities coloured by label, relations
as labelled arcs from amount to project, nothing loaded from the network."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scripts.visualize import COLORS, from_record, render_page
from tests.tiny_pipeline import train_tiny_pipeline
from zh_invest.markup import parse

ROOT = Path(__file__).parent.parent
# The project comes after its amount in the second sentence, so arcs run both ways.
MARKUP = (
    "⟦高端海工用钢生产线项目|PROJECT#p1⟧总投资⟦58亿元|MONEY>p1:INVESTMENT⟧，建成后可实现年产值⟦120亿元|MONEY>p1:OUTPUT⟧。\n"
    "⟦湖南|REGION⟧投资⟦20亿元|MONEY>p2:INVESTMENT⟧建设⟦振阳纺织项目|PROJECT#p2⟧，⟦承诺制|POLICY⟧全面推行。"
)
SCORES = (0.93, 0.81, 0.77)


def corpus_record(markup: str = MARKUP, scores: tuple[float, ...] = SCORES) -> dict:
    annotated = parse(markup)
    return {
        "id": "doc-1",
        "text": annotated.text,
        "entities": [{"id": i + 1, "label": label, "start_offset": s, "end_offset": e} for i, (s, e, label) in enumerate(annotated.entities)],
        "relations": [
            {"id": i + 1, "from_id": head + 1, "to_id": tail + 1, "type": kind, "score": score}
            for i, ((head, tail, kind), score) in enumerate(zip(annotated.relations, scores))
        ],
    }


def marks(page: str) -> list[tuple[str, str, str]]:
    """(background colour, text, label) of every entity displaCy marked."""
    found = re.findall(r'<mark class="entity" style="background: ([^;]+);.*?>\s*(.*?)\s*<span[^>]*>(\w+)', page, re.DOTALL)
    return [(colour, text, label) for colour, text, label in found]


def test_every_entity_is_marked_in_the_colour_of_its_label():
    page = render_page([from_record(corpus_record())], "news")
    assert marks(page) == [
        (COLORS["PROJECT"], "高端海工用钢生产线项目", "PROJECT"), (COLORS["MONEY"], "58亿元", "MONEY"),
        (COLORS["MONEY"], "120亿元", "MONEY"), (COLORS["REGION"], "湖南", "REGION"),
        (COLORS["MONEY"], "20亿元", "MONEY"), (COLORS["PROJECT"], "振阳纺织项目", "PROJECT"),
        (COLORS["POLICY"], "承诺制", "POLICY"),
    ]


def test_every_relation_is_an_arc_labelled_with_its_type_and_score():
    page = render_page([from_record(corpus_record())], "news")
    assert re.findall(r'class="displacy-label"[^>]*>([^<]+)<', page) == ["INVESTMENT 0.93", "OUTPUT 0.81", "INVESTMENT 0.77"]


def test_gold_relations_without_a_score_are_labelled_with_their_type_only():
    record = corpus_record()
    for relation in record["relations"]:
        del relation["score"]
    page = render_page([from_record(record)], "gold")
    assert re.findall(r'class="displacy-label"[^>]*>([^<]+)<', page) == ["INVESTMENT", "OUTPUT", "INVESTMENT"]


def test_a_sentence_without_relations_gets_no_arc_diagram():
    page = render_page([from_record(corpus_record("⟦湖南|REGION⟧全面推行⟦承诺制|POLICY⟧。", ()))], "news")
    assert len(marks(page)) == 2 and "displacy-arc" not in page


def test_the_page_loads_nothing_from_elsewhere():
    page = render_page([from_record(corpus_record())], "news")
    assert '<meta charset="utf-8">' in page
    assert re.findall(r'(?:src|href)\s*=\s*"(?!#)[^"]*"', page) == []


def test_the_command_renders_a_jsonl_file_and_leaves_out_stand_off_records(tmp_path, write_jsonl):
    source = write_jsonl(corpus_record(), {"id": "so-1", "source": "xwlb", "source_id": "x", "sha256": "0"})
    run = subprocess.run([sys.executable, "scripts/visualize.py", str(source), str(tmp_path / "page.html")], cwd=ROOT, capture_output=True, text=True, check=True)
    assert f"{source}:2: text: stand-off record" in run.stderr
    assert "1 documents, 7 entities, 3 relations" in run.stdout
    assert len(marks((tmp_path / "page.html").read_text(encoding="utf-8"))) == 7


@pytest.mark.slow
def test_the_command_renders_a_raw_text_document_read_by_the_pipeline(tmp_path):
    model = train_tiny_pipeline(tmp_path / "model")
    (tmp_path / "page.txt").write_text("湖南振陽紡織項(xiàng)目由振陽集團投資20億元建設。\n责任编辑：张三\n", encoding="utf-8")
    subprocess.run([sys.executable, "scripts/visualize.py", str(tmp_path / "page.txt"), str(tmp_path / "page.html"), "--model", str(model)], cwd=ROOT, check=True)
    page = (tmp_path / "page.html").read_text(encoding="utf-8")
    assert [(text, label) for _, text, label in marks(page)] == [("湖南", "REGION"), ("振陽紡織項(xiàng)目", "PROJECT"), ("振陽集團", "ORG"), ("20億元", "MONEY")]
    assert len(re.findall(r'class="displacy-label"', page)) == 1


# Loads the page in a frame and reports, as JSON in #report, the box of every
# entity mark and arc, and where each arrowhead points.
PROBE = """<!DOCTYPE html>
<html><head><meta charset="utf-8"></head><body>
<iframe id="page" src="{page}" style="width: 1400px; height: 3000px"></iframe>
<pre id="report"></pre>
<script>
document.getElementById("page").addEventListener("load", () => {{
  const page = document.getElementById("page").contentDocument;
  const box = (element) => {{ const r = element.getBoundingClientRect(); return {{x: r.x, y: r.y, width: r.width, height: r.height}}; }};
  const report = {{
    marks: [...page.querySelectorAll("mark.entity")].map((m) => ({{text: m.firstChild.textContent.trim(), box: box(m)}})),
    arcs: [...page.querySelectorAll("g.displacy-arrow")].map((g) => ({{
      label: g.querySelector(".displacy-label").textContent,
      arc: box(g.querySelector(".displacy-arc")),
      head: box(g.querySelector(".displacy-arrowhead")),
    }})),
    words: [...page.querySelectorAll("text.displacy-token")].map((t) => ({{text: t.querySelector(".displacy-word").textContent, box: box(t)}})),
  }};
  document.getElementById("report").textContent = JSON.stringify(report);
}});
</script>
</body></html>
"""
CHROMIUM = [
    "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]


def chromium(tmp_path: Path, *arguments: str) -> str:
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}"
    run = subprocess.run([*CHROMIUM, f"--user-data-dir={profile}", *arguments], capture_output=True, text=True, timeout=120, check=True)
    return run.stdout


@pytest.mark.browser
def test_chromium_renders_the_entities_and_the_arcs_from_amount_to_project(tmp_path):
    page = tmp_path / "page.html"
    page.write_text(render_page([from_record(corpus_record())], "news"), encoding="utf-8")
    probe = tmp_path / "probe.html"
    probe.write_text(PROBE.format(page=page.as_uri()), encoding="utf-8")
    dom = chromium(tmp_path, "--allow-file-access-from-files", "--virtual-time-budget=5000", "--dump-dom", probe.as_uri())
    report = json.loads(re.search(r'<pre id="report">(.*?)</pre>', dom, re.DOTALL).group(1).replace("&quot;", '"').replace("&amp;", "&"))
    chromium(tmp_path, f"--screenshot={tmp_path / 'page.png'}", "--window-size=1400,1200", page.as_uri())

    assert [m["text"] for m in report["marks"]] == ["高端海工用钢生产线项目", "58亿元", "120亿元", "湖南", "20亿元", "振阳纺织项目", "承诺制"]
    assert all(m["box"]["width"] > 0 and m["box"]["height"] > 0 for m in report["marks"])
    assert [a["label"] for a in report["arcs"]] == ["INVESTMENT 0.93", "OUTPUT 0.81", "INVESTMENT 0.77"]
    assert all(a["arc"]["width"] > 0 and a["arc"]["height"] > 0 for a in report["arcs"])
    # Each arrowhead points at the project: it stands over the project's word, not the amount's.
    centre = {w["text"]: w["box"]["x"] + w["box"]["width"] / 2 for w in report["words"]}
    for arc, (amount, project) in zip(report["arcs"], [("58亿元", "高端海工用钢生产线项目"), ("120亿元", "高端海工用钢生产线项目"), ("20亿元", "振阳纺织项目")]):
        head = arc["head"]["x"] + arc["head"]["width"] / 2
        assert abs(head - centre[project]) < abs(head - centre[amount])
    assert (tmp_path / "page.png").stat().st_size > 10_000
