"""Measure pipelines on the same texts: load time, characters per second with
one and two processes (best of several interleaved rounds), the time spent in
each component, and size on disk. Writes a JSON file for report.py."""

import json
import time
from pathlib import Path

import spacy
import typer
from spacy.language import Language
from spacy.tokens import DocBin

MIN_CHARACTERS = 200_000
# Speeds are the best of several rounds, and each round times every pipeline
# in turn: on a shared machine the slower runs measure the neighbours, and
# interleaving keeps a slow spell from favouring one pipeline over another.
ROUNDS = 3


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def benchmark_texts(docbins: list[Path]) -> list[str]:
    """The held-out texts, repeated until there are enough characters to time."""
    vocab = spacy.blank("zh").vocab
    texts = [doc.text for path in docbins for doc in DocBin().from_disk(path).get_docs(vocab)]
    repeated = list(texts)
    while sum(map(len, repeated)) < MIN_CHARACTERS:
        repeated += texts
    return repeated


def seconds(nlp: Language, texts: list[str], n_process: int, batch_size: int) -> float:
    start = time.perf_counter()
    for _ in nlp.pipe(texts, n_process=n_process, batch_size=batch_size):
        pass
    return time.perf_counter() - start


def component_seconds(nlp: Language, texts: list[str], batch_size: int) -> dict[str, float]:
    """Seconds spent in the tokenizer and in each component, passing the
    whole sample through one step at a time."""
    start = time.perf_counter()
    docs = [nlp.make_doc(text) for text in texts]
    spent = {"tokenizer": time.perf_counter() - start}
    for name, component in nlp.pipeline:
        start = time.perf_counter()
        if hasattr(component, "pipe"):
            docs = list(component.pipe(docs, batch_size=batch_size))
        else:
            docs = [component(doc) for doc in docs]
        spent[name] = time.perf_counter() - start
    return spent


def main(
    pipelines: list[str] = typer.Argument(..., help="NAME=PATH pairs of pipelines to measure."),
    texts: list[Path] = typer.Option(..., "--texts", help="DocBins whose texts are used."),
    output: Path = typer.Option(..., help="JSON file for the results."),
    batch_size: int = typer.Option(64, help="Batch size for nlp.pipe."),
) -> None:
    sample = benchmark_texts(texts)
    typer.echo(f"{len(sample)} texts, {sum(map(len, sample)):,} characters")
    loaded: dict[str, tuple[Language, str, float]] = {}
    for pair in pipelines:
        name, _, path = pair.partition("=")
        start = time.perf_counter()
        nlp = spacy.load(path)
        loaded[name] = nlp, path, time.perf_counter() - start
        list(nlp.pipe(sample[:20]))  # warm up caches outside the timing
    best = {(name, n): float("inf") for name in loaded for n in (1, 2)}
    steps: dict[str, dict[str, float]] = {name: {} for name in loaded}
    for round_number in range(1, ROUNDS + 1):
        for name, (nlp, _, _) in loaded.items():
            for n_process in (1, 2):
                best[name, n_process] = min(best[name, n_process], seconds(nlp, sample, n_process, batch_size))
            for step, spent in component_seconds(nlp, sample, batch_size).items():
                steps[name][step] = min(steps[name].get(step, float("inf")), spent)
        typer.echo(f"round {round_number}/{ROUNDS} done")
    characters = sum(map(len, sample))
    results = {}
    for name, (nlp, path, load_seconds) in loaded.items():
        speeds = {n: characters / best[name, n] for n in (1, 2)}
        results[name] = {
            "path": path,
            "pipeline": nlp.pipe_names,
            "load_seconds": load_seconds,
            "chars_per_second": speeds[1],
            "chars_per_second_2_processes": speeds[2],
            "size_mb": folder_size(Path(path)) / 1e6,
            "seconds_per_step": steps[name],
        }
        typer.echo(f"{name}: {speeds[1]:,.0f} chars/s (1 process), {speeds[2]:,.0f} (2 processes), loads in {load_seconds:.1f} s")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps({"characters": characters, "pipelines": results}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    typer.run(main)
