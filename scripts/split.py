"""Assign every corpus document to train, dev or test, grouped by source story.

Assignments already in the splits file are kept, so adding documents never
moves old ones; only new groups are split, with scikit-learn and a fixed seed.
"""

import json
from pathlib import Path

import typer
from sklearn.model_selection import GroupShuffleSplit

from zh_invest.corpus import SPLITS, Document, Mirror, corpus_files, read_corpus



def story(document: Document) -> str:
    """Documents from one source story share a group: they must not straddle splits."""
    if document.standoff is None:
        return document.id
    return f"{document.standoff.source}:{document.standoff.source_id}"


def assign(groups: list[str], dev: float, test: float, seed: int) -> dict[str, str]:
    """Split distinct ``groups`` into train/dev/test in the given proportions."""
    if len(groups) < 3:
        return {group: "train" for group in groups}
    holdout = GroupShuffleSplit(n_splits=1, test_size=dev + test, random_state=seed)
    train_idx, rest_idx = next(holdout.split(groups, groups=groups))
    rest = [groups[i] for i in rest_idx]
    result = {groups[i]: "train" for i in train_idx}
    if len(rest) < 2:
        return result | {group: "test" for group in rest}
    second = GroupShuffleSplit(n_splits=1, test_size=test / (dev + test), random_state=seed)
    dev_idx, test_idx = next(second.split(rest, groups=rest))
    return result | {rest[i]: "dev" for i in dev_idx} | {rest[i]: "test" for i in test_idx}


def main(
    corpus: Path = typer.Argument(..., help="Folder of corpus JSONL files."),
    output: Path = typer.Argument(..., help="The splits file (JSON), read first if it exists."),
    dev: float = typer.Option(0.15, help="Share of new story groups for dev."),
    test: float = typer.Option(0.15, help="Share of new story groups for test."),
    seed: int = typer.Option(0, help="Random seed."),
    shared: Path = typer.Option(None, help="The shared folder (default: $ZH_INVEST_SHARED or ../shared)."),
) -> None:
    documents, _ = read_corpus(corpus_files(corpus), Mirror(shared))
    known: dict[str, str] = json.loads(output.read_text(encoding="utf-8"))["documents"] if output.exists() else {}
    group_split = {story(d): known[d.id] for d in documents if d.id in known}
    new_groups = sorted({story(d) for d in documents} - group_split.keys())
    group_split |= assign(new_groups, dev, test, seed)
    assignment = {d.id: group_split[story(d)] for d in sorted(documents, key=lambda d: d.id)}
    output.write_text(json.dumps({"seed": seed, "documents": assignment}, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    counts = {name: sum(1 for s in assignment.values() if s == name) for name in SPLITS}
    typer.echo(f"{len(new_groups)} new story groups split; documents per split: {counts}")


if __name__ == "__main__":
    typer.run(main)
