"""Print corpus counts: documents, entities per label, relations per type,
by origin, split and script; optionally as JSON for other commands."""

import json
from collections import Counter
from pathlib import Path

import typer

from zh_invest.corpus import Document, Mirror, corpus_files, read_corpus


def origin(document: Document) -> str:
    return document.standoff.source if document.standoff else "authored"


def main(
    corpus: Path = typer.Argument(..., help="Folder of corpus JSONL files."),
    splits: Path = typer.Argument(..., help="The splits file written by split.py."),
    output: Path = typer.Option(None, help="Also write the counts as JSON here."),
    shared: Path = typer.Option(None, help="The shared folder (default: $ZH_INVEST_SHARED or ../shared)."),
) -> None:
    documents, _ = read_corpus(corpus_files(corpus), Mirror(shared))
    assignment = json.loads(splits.read_text(encoding="utf-8"))["documents"] if splits.exists() else {}
    views = {
        "origin": lambda d: origin(d),
        "split": lambda d: assignment.get(d.id, "unassigned"),
        "script": lambda d: d.meta.get("script", "unknown"),
        "scraped": lambda d: "scraped" if d.meta.get("scraped") else "clean",
    }
    counts: dict[str, dict[str, Counter]] = {}
    for view, key in views.items():
        table: dict[str, Counter] = {}
        for document in documents:
            row = table.setdefault(key(document), Counter())
            row["documents"] += 1
            row["characters"] += len(document.text)
            row.update(e.label for e in document.entities)
            row.update(f"rel:{r.type}" for r in document.relations)
        counts[view] = table
    columns = ["documents", "characters", "REGION", "ORG", "MONEY", "PERCENT", "POLICY", "PROJECT", "rel:INVESTMENT", "rel:OUTPUT"]
    total = sum((row for row in counts["origin"].values()), Counter())
    for view, table in counts.items():
        typer.echo(f"\nby {view}")
        typer.echo(f"{'':12}" + "".join(f"{c.removeprefix('rel:'):>12}" for c in columns))
        for name, row in sorted(table.items()) + [("total", total)]:
            typer.echo(f"{name:12}" + "".join(f"{row[c]:>12}" for c in columns))
    entities = sum(total[label] for label in columns[2:8])
    relations = total["rel:INVESTMENT"] + total["rel:OUTPUT"]
    typer.echo(f"\n{total['documents']} documents, {entities} entities, {relations} relations")
    if output:
        output.write_text(json.dumps({v: {k: dict(r) for k, r in t.items()} for v, t in counts.items()}, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    typer.run(main)
