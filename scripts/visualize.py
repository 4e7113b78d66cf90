"""Render documents as one self-contained HTML page: entities coloured by
label (displaCy), and under each sentence that has relations, an arc from
every amount to its project, labelled with the relation type and score.

The input is corpus JSONL (the gold corpus or the output of extract.py), or a
raw .txt document, which the pipeline given with --model reads first. The page
loads nothing from the network.
"""

import html
import json
from pathlib import Path
from typing import Any, Iterator

import spacy
import typer
from spacy import displacy

from zh_invest.pipeline import SENTENCE_END
from zh_invest.webtext import extract

COLORS = {
    "REGION": "#7aecec",
    "ORG": "#aa9cfc",
    "MONEY": "#e4e7d2",
    "PERCENT": "#c887fb",
    "POLICY": "#feca74",
    "PROJECT": "#bfeeb7",
}
# Text between entities is shortened in the arc diagrams, whose words all get
# the same width; the full text stands in the coloured view above them.
LONGEST_FILLER = 8
CHARACTER_WIDTH = 18
PAGE = """<!DOCTYPE html>
<html lang="zh">
<head>
<meta charset="utf-8">
<title>{title}</title>
<style>
body {{ font-family: "Noto Sans CJK SC", "Source Han Sans", sans-serif; margin: 2rem; }}
.document {{ border-top: 1px solid #ccc; padding-top: 1rem; margin-bottom: 2rem; }}
.relations {{ overflow-x: auto; }}
</style>
</head>
<body>
<h1>{title}</h1>
<p class="legend">{legend}</p>
{documents}
</body>
</html>
"""


def from_record(record: dict[str, Any]) -> dict[str, Any]:
    """A corpus record in the form of :func:`zh_invest.webtext.extract`'s result."""
    index_of = {e["id"]: i for i, e in enumerate(record.get("entities", []))}
    text = record["text"]
    return {
        "id": record.get("id", ""),
        "text": text,
        "entities": [
            {"label": e["label"], "start": e["start_offset"], "end": e["end_offset"], "text": text[e["start_offset"] : e["end_offset"]]}
            for e in record.get("entities", [])
        ],
        "relations": [
            {"head": index_of[r["from_id"]], "tail": index_of[r["to_id"]], "label": r["type"], "score": r.get("score")}
            for r in record.get("relations", [])
        ],
    }


def read_records(path: Path, limit: int) -> Iterator[dict[str, Any]]:
    """The first ``limit`` records of ``path`` that carry their text (stand-off records do not)."""
    shown = 0
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if shown == limit:
                typer.echo(f"{path}: showing the first {limit} documents (--limit)", err=True)
                return
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                typer.echo(f"{path}:{number}: json: {error.msg}, left out", err=True)
                continue
            if "text" not in record:
                typer.echo(f"{path}:{number}: text: stand-off record without its text, left out", err=True)
                continue
            shown += 1
            yield from_record(record)


def entity_view(document: dict[str, Any]) -> str:
    ents = [{"start": e["start"], "end": e["end"], "label": e["label"]} for e in document["entities"]]
    parsed = {"text": document["text"], "ents": sorted(ents, key=lambda e: e["start"]), "title": None}
    return displacy.render(parsed, style="ent", manual=True, options={"colors": COLORS})


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence ranges, cut where the relation extractor cuts them."""
    ends = [m.end() for m in SENTENCE_END.finditer(text)]
    starts = [0] + ends
    return [(start, end) for start, end in zip(starts, ends + [len(text)]) if end > start]


def shorten(filler: str) -> str:
    filler = filler.strip()
    if len(filler) <= LONGEST_FILLER:
        return filler
    half = LONGEST_FILLER // 2
    return f"{filler[:half]}…{filler[-half:]}"


def arc_diagram(document: dict[str, Any], start: int, end: int) -> str | None:
    """The relations of the sentence ``[start, end)`` as an arc from each amount
    to its project over the entities between them (and the text between those,
    shortened), or None if the sentence has no relation."""
    entities = document["entities"]
    relations = [r for r in document["relations"] if start <= entities[r["head"]]["start"] < end]
    if not relations:
        return None
    ends = [entities[i] for r in relations for i in (r["head"], r["tail"])]
    left, right = min(e["start"] for e in ends), max(e["end"] for e in ends)
    shown = sorted((i for i, e in enumerate(entities) if left <= e["start"] and e["end"] <= right), key=lambda i: entities[i]["start"])
    words, word_of = [], {}
    for previous, i in zip([None, *shown], shown):
        if previous is not None and (filler := shorten(document["text"][entities[previous]["end"] : entities[i]["start"]])):
            words.append({"text": filler, "tag": ""})
        word_of[i] = len(words)
        words.append({"text": entities[i]["text"], "tag": entities[i]["label"]})
    arcs = []
    for relation in relations:
        amount, project = word_of[relation["head"]], word_of[relation["tail"]]
        label = relation["label"] if relation["score"] is None else f"{relation['label']} {relation['score']:.2f}"
        # displaCy draws from the left word to the right one; "dir" puts the arrowhead on the project.
        arcs.append({"start": min(amount, project), "end": max(amount, project), "label": label, "dir": "right" if amount < project else "left"})
    distance = max(120, max(len(w["text"]) for w in words) * CHARACTER_WIDTH + 30)
    # Words are centred on their place, so the first needs half a distance of room on its left.
    options = {"distance": distance, "offset_x": distance // 2, "font": "inherit"}
    return displacy.render({"words": words, "arcs": arcs}, style="dep", manual=True, options=options)


def document_section(document: dict[str, Any]) -> str:
    diagrams = [d for s, e in sentences(document["text"]) if (d := arc_diagram(document, s, e))]
    return (
        f'<section class="document">\n<h2>{html.escape(document["id"])}</h2>\n'
        f"{entity_view(document)}\n"
        f'<div class="relations">{"".join(diagrams)}</div>\n</section>'
    )


def render_page(documents: list[dict[str, Any]], title: str) -> str:
    legend = " ".join(f'<mark style="background: {color}; padding: 0.2em 0.5em">{label}</mark>' for label, color in COLORS.items())
    return PAGE.format(title=html.escape(title), legend=legend, documents="\n".join(map(document_section, documents)))


def main(
    source: Path = typer.Argument(..., exists=True, help="Corpus JSONL (gold or from extract.py), or a raw .txt document."),
    output: Path = typer.Argument(..., help="The HTML page to write."),
    model: str = typer.Option(None, help="The pipeline that reads a .txt document (a folder or an installed package)."),
    limit: int = typer.Option(100, help="Render at most this many documents of a JSONL file."),
) -> None:
    if source.suffix == ".txt":
        if model is None:
            raise typer.BadParameter("a .txt document needs --model, the pipeline that reads it")
        documents = [{"id": source.stem, **extract(spacy.load(model), source.read_text(encoding="utf-8"))}]
    else:
        documents = list(read_records(source, limit))
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(render_page(documents, source.name), encoding="utf-8")
    relations = sum(len(d["relations"]) for d in documents)
    typer.echo(f"{output}: {len(documents)} documents, {sum(len(d['entities']) for d in documents)} entities, {relations} relations")


if __name__ == "__main__":
    typer.run(main)
