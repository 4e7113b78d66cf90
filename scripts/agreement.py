"""Inter-annotator agreement between two annotations of the same documents:
entity F1 per label and relation F1 per type, over the documents both have
(matched by id; their texts must be identical)."""

import json
from collections import Counter
from pathlib import Path

import typer

from zh_invest.corpus import Document, Mirror, read_corpus


def spans(document: Document) -> set[tuple[int, int, str]]:
    return {(e.start, e.end, e.label) for e in document.entities}


def links(document: Document) -> set[tuple[int, int, int, int, str]]:
    by_id = {e.id: e for e in document.entities}
    return {(by_id[r.head].start, by_id[r.head].end, by_id[r.tail].start, by_id[r.tail].end, r.type) for r in document.relations}


def f1(counts: Counter) -> float:
    return 2 * counts["both"] / (2 * counts["both"] + counts["first"] + counts["second"]) if counts["both"] + counts["first"] + counts["second"] else 1.0


def agreement(first: list[Document], second: list[Document]) -> dict[str, object]:
    others = {d.id: d for d in second}
    pairs = [(d, others[d.id]) for d in first if d.id in others]
    for a, b in pairs:
        if a.text != b.text:
            raise ValueError(f"document {a.id} has different texts in the two annotations")
    per_key: dict[str, Counter] = {}
    for a, b in pairs:
        for items_of in (spans, links):
            items_a, items_b = items_of(a), items_of(b)
            for item in items_a | items_b:
                side = "both" if item in items_a and item in items_b else "first" if item in items_a else "second"
                per_key.setdefault(item[-1], Counter())[side] += 1
    entity_total = sum((c for k, c in per_key.items() if k not in ("INVESTMENT", "OUTPUT")), Counter())
    relation_total = sum((c for k, c in per_key.items() if k in ("INVESTMENT", "OUTPUT")), Counter())
    return {
        "documents": len(pairs),
        "entity_f1": f1(entity_total),
        "relation_f1": f1(relation_total),
        "per_key": {key: {"f1": f1(c), **c} for key, c in sorted(per_key.items())},
    }


def main(
    first: list[Path] = typer.Option(..., help="Corpus files of the first annotation."),
    second: list[Path] = typer.Option(..., help="Corpus files of the second annotation."),
    output: Path = typer.Option(None, help="Also write the scores as JSON here."),
    shared: Path = typer.Option(None, help="The shared folder (default: $ZH_INVEST_SHARED or ../shared)."),
) -> None:
    mirror = Mirror(shared)
    scores = agreement(read_corpus(first, mirror)[0], read_corpus(second, mirror)[0])
    typer.echo(f"{scores['documents']} documents: entity F1 {scores['entity_f1']:.3f}, relation F1 {scores['relation_f1']:.3f}")
    for key, row in scores["per_key"].items():
        typer.echo(f"  {key:12} F1 {row['f1']:.3f}  (both {row.get('both', 0)}, first only {row.get('first', 0)}, second only {row.get('second', 0)})")
    if output:
        output.write_text(json.dumps(scores, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    typer.run(main)
