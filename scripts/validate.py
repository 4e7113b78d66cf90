"""Validate corpus files: every problem is printed as file:line: field: message."""

from pathlib import Path

import typer

from zh_invest.corpus import Mirror, MirrorMissing, corpus_files, read_corpus


def main(
    paths: list[Path] = typer.Argument(..., help="Corpus JSONL files or folders of them."),
    lenient: bool = typer.Option(False, "--lenient", help="Report bad records and skip them instead of failing."),
    shared: Path = typer.Option(None, help="The shared folder with third-party corpora (default: $ZH_INVEST_SHARED or ../shared)."),
) -> None:
    files = [f for p in paths for f in (corpus_files(p) if p.is_dir() else [p])]
    try:
        documents, problems = read_corpus(files, Mirror(shared), strict=False)
    except MirrorMissing as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(2)
    for problem in problems:
        typer.echo(str(problem), err=True)
    bad = len({(p.path, p.line) for p in problems})
    typer.echo(f"{len(files)} files, {len(documents)} valid documents, {bad} bad records, {len(problems)} problems")
    if problems and not lenient:
        raise typer.Exit(1)


if __name__ == "__main__":
    typer.run(main)
