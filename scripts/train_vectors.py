"""Train character vectors with floret on the raw third-party text in the
shared folder, for the pipeline's character tokens.

The text is converted to simplified characters (the pipeline's NORM) and split
into characters. Source stories that have an excerpt in dev or test are left
out, so the vectors never saw held-out text.
"""

import json
import tempfile
from pathlib import Path

import floret
import typer

from zh_invest.chinese import to_simplified
from zh_invest.corpus import Mirror, corpus_files, read_corpus

RAW_SOURCES = ("xwlb", "thucnews", "gov")


def held_out_stories(corpus: Path, splits: Path, mirror: Mirror) -> set[tuple[str, str]]:
    assignment = json.loads(splits.read_text(encoding="utf-8"))["documents"]
    documents, _ = read_corpus(corpus_files(corpus), mirror)
    return {
        (d.standoff.source, d.standoff.source_id)
        for d in documents
        if d.standoff is not None and assignment.get(d.id) in ("dev", "test")
    }


def main(
    corpus: Path = typer.Argument(..., help="Folder of corpus JSONL files."),
    splits: Path = typer.Argument(..., help="The splits file."),
    output: Path = typer.Argument(..., help="The floret vectors file to write (.floret)."),
    dim: int = typer.Option(64, help="Vector width."),
    epochs: int = typer.Option(5, help="Training epochs over the raw text."),
    bucket: int = typer.Option(20000, help="Rows of the floret hash table."),
    threads: int = typer.Option(1, help="Training threads; more than one is faster but not reproducible."),
    shared: Path = typer.Option(None, help="The shared folder (default: $ZH_INVEST_SHARED or ../shared)."),
) -> None:
    mirror = Mirror(shared)
    excluded = held_out_stories(corpus, splits, mirror)
    characters = 0
    with tempfile.NamedTemporaryFile("w", encoding="utf-8", suffix=".txt", delete=False) as raw:
        for source in RAW_SOURCES:
            for story_id, text in mirror.texts(source).items():
                if (source, story_id) in excluded:
                    continue
                for line in to_simplified(text).split("\n"):
                    if line.strip():
                        raw.write(" ".join(line.replace(" ", "")) + "\n")
                        characters += len(line)
    typer.echo(f"Training {dim}-dimensional floret vectors on {characters:,} characters ({len(excluded)} held-out stories left out)")
    model = floret.train_unsupervised(
        raw.name, model="cbow", mode="floret", dim=dim, epoch=epochs, minCount=3, minn=1, maxn=1,
        hashCount=2, bucket=bucket, thread=threads, verbose=0,
    )
    Path(raw.name).unlink()
    output.parent.mkdir(parents=True, exist_ok=True)
    model.save_floret_vectors(str(output))
    typer.echo(f"Saved {output}")


if __name__ == "__main__":
    typer.run(main)
