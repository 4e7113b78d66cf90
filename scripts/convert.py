"""Convert the corpus into train/dev/test DocBins for one segmenter.

Entities that do not align with the segmenter's tokens are counted per label,
printed, and written to a JSON report next to the DocBins.
"""

import json
from collections import Counter
from pathlib import Path

import typer

from zh_invest.convert import SEGMENTERS, blank_nlp, to_docbin
from zh_invest.corpus import SPLITS, Mirror, corpus_files, read_corpus



def main(
    corpus: Path = typer.Argument(..., help="Folder of corpus JSONL files."),
    splits: Path = typer.Argument(..., help="The splits file written by split.py."),
    output: Path = typer.Argument(..., help="Folder for train.spacy, dev.spacy, test.spacy and misaligned.json."),
    segmenter: str = typer.Option("char", help=f"One of {', '.join(SEGMENTERS)}."),
    pkuseg_model: Path = typer.Option(None, help="The pkuseg model folder (for --segmenter pkuseg)."),
    shared: Path = typer.Option(None, help="The shared folder (default: $ZH_INVEST_SHARED or ../shared)."),
) -> None:
    documents, _ = read_corpus(corpus_files(corpus), Mirror(shared))
    assignment = json.loads(splits.read_text(encoding="utf-8"))["documents"]
    unassigned = [d.id for d in documents if d.id not in assignment]
    if unassigned:
        typer.echo(f"error: {len(unassigned)} documents have no split in {splits} (run split first): {unassigned[:5]}", err=True)
        raise typer.Exit(1)
    nlp = blank_nlp(segmenter, pkuseg_model)
    output.mkdir(parents=True, exist_ok=True)
    report: dict[str, dict] = {}
    for split in SPLITS:
        chosen = [d for d in documents if assignment[d.id] == split]
        docbin, misaligned = to_docbin(nlp, chosen)
        docbin.to_disk(output / f"{split}.spacy")
        total = Counter(e.label for d in chosen for e in d.entities)
        report[split] = {"documents": len(chosen), "entities": dict(total), "misaligned": dict(misaligned)}
        lost = sum(misaligned.values())
        rate = lost / max(sum(total.values()), 1)
        typer.echo(f"{split}: {len(chosen)} documents, {sum(total.values())} entities, {lost} misaligned ({rate:.1%})")
        for label, count in sorted(misaligned.items()):
            typer.echo(f"  {label}: {count} of {total[label]} misaligned")
    (output / "misaligned.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    typer.run(main)
