"""Extract entities and relations from raw web text in bulk, as corpus JSONL.

The input is a .txt file, a folder of .txt files (one document each), or JSONL
with a ``text`` field and optionally ``id`` and ``meta``. Each document becomes
one corpus record (doccano-compatible, so it can be pushed for correction):
its raw text, the document's id, entities and relations in offsets into that
raw text, and the pipeline's ``score`` on each relation.

Input and output are streamed, so memory stays flat however large the input.
A bad record (invalid JSON, no text, not UTF-8, too long for the pipeline) is
reported as ``file:line: field: message`` and skipped; the summary counts it.
"""

import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

import spacy
import typer
from spacy.language import Language
from tqdm import tqdm

from zh_invest.corpus import Document, Entity, Problem, RelationRecord, write_corpus
from zh_invest.webtext import extract_stream


@dataclass
class RawDocument:
    """A document as read from the input; ``path`` and ``line`` say where, for problems."""

    id: str
    text: str
    meta: dict[str, Any]
    path: Path
    line: int

    def problem(self, field: str, message: str) -> Problem:
        return Problem(str(self.path), self.line, field, message)


@dataclass
class ScoredDocument(Document):
    """A corpus document whose relations carry the pipeline's score."""

    scores: list[float] = field(default_factory=list)

    def to_record(self) -> dict[str, Any]:
        record = super().to_record()
        for relation, score in zip(record["relations"], self.scores):
            relation["score"] = score
        return record


@dataclass
class Summary:
    documents: int = 0
    entities: int = 0
    relations: int = 0
    bad_records: int = 0
    seconds: float = 0.0

    def __str__(self) -> str:
        rate = self.documents / self.seconds if self.seconds else 0.0
        return (
            f"{self.documents} documents ({self.entities} entities, {self.relations} relations) "
            f"in {self.seconds:.1f} s ({rate:.1f} documents/s); {self.bad_records} bad records skipped"
        )


def read_text_file(path: Path, doc_id: str) -> RawDocument | Problem:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        return Problem(str(path), line, "encoding", f"not UTF-8 (byte {error.start})")
    if not text.strip():
        return Problem(str(path), 1, "text", "empty")
    return RawDocument(doc_id, text, {"input": str(path)}, path, 1)


def read_jsonl(path: Path) -> Iterator[RawDocument | Problem]:
    """One document or problem per non-blank line, read one line at a time."""
    with path.open("rb") as lines:
        for number, line in enumerate(lines, 1):
            try:
                decoded = line.decode("utf-8")
            except UnicodeDecodeError as error:
                yield Problem(str(path), number, "encoding", f"not UTF-8 (byte {error.start} of the line)")
                continue
            if not decoded.strip():
                continue
            try:
                record = json.loads(decoded)
            except json.JSONDecodeError as error:
                yield Problem(str(path), number, "json", error.msg)
                continue
            if not isinstance(record, dict):
                yield Problem(str(path), number, "record", "is not a JSON object")
                continue
            text = record.get("text")
            if not isinstance(text, str) or not text.strip():
                yield Problem(str(path), number, "text", "missing, not a string or empty")
                continue
            doc_id = record.get("id")
            meta = record.get("meta") if isinstance(record.get("meta"), dict) else {}
            yield RawDocument(
                doc_id if isinstance(doc_id, str) and doc_id else f"{path.stem}-{number}",
                text,
                {**meta, "input": f"{path}:{number}"},
                path,
                number,
            )


def read_input(path: Path) -> Iterator[RawDocument | Problem]:
    if path.is_dir():
        for file in sorted(path.rglob("*.txt")):
            yield read_text_file(file, file.relative_to(path).with_suffix("").as_posix())
    elif path.suffix == ".jsonl":
        yield from read_jsonl(path)
    elif path.suffix == ".txt":
        yield read_text_file(path, path.stem)
    else:
        raise typer.BadParameter(f"{path} is neither a folder, a .txt file nor a .jsonl file")


def to_document(raw: RawDocument, extraction: dict[str, Any]) -> ScoredDocument:
    entities = [Entity(i + 1, e["label"], e["start"], e["end"]) for i, e in enumerate(extraction["entities"])]
    relations = [RelationRecord(i + 1, r["head"] + 1, r["tail"] + 1, r["label"]) for i, r in enumerate(extraction["relations"])]
    scores = [r["score"] for r in extraction["relations"]]
    return ScoredDocument(raw.id, raw.text, entities, relations, raw.meta, scores=scores)


def extract_corpus(
    nlp: Language,
    source: Path,
    output: Path,
    *,
    batch_size: int | None = None,
    n_process: int = 1,
    progress: bool = True,
) -> Summary:
    """Extract every document of ``source`` into the corpus file ``output``."""
    summary = Summary()
    started = time.perf_counter()

    def good_documents() -> Iterator[tuple[str, RawDocument]]:
        # Bad records are reported as they are read, and never reach the pipeline.
        for item in read_input(source):
            if isinstance(item, RawDocument) and len(item.text) > nlp.max_length:
                item = item.problem("text", f"{len(item.text)} characters, more than the pipeline's max_length {nlp.max_length}")
            if isinstance(item, Problem):
                summary.bad_records += 1
                tqdm.write(str(item), file=sys.stderr)
                continue
            yield item.text, item

    def documents() -> Iterable[ScoredDocument]:
        extractions = extract_stream(nlp, good_documents(), batch_size=batch_size, n_process=n_process)
        for extraction, raw in tqdm(extractions, unit="doc", desc="extracting", disable=not progress, file=sys.stderr):
            document = to_document(raw, extraction)
            summary.documents += 1
            summary.entities += len(document.entities)
            summary.relations += len(document.relations)
            yield document

    write_corpus(output, documents())
    summary.seconds = time.perf_counter() - started
    return summary


def main(
    model: str = typer.Argument(..., help="The pipeline: a folder or an installed package such as zh_invest_ie."),
    source: Path = typer.Argument(..., exists=True, help="A .txt file, a folder of .txt files, or JSONL with a 'text' field."),
    output: Path = typer.Argument(..., help="The corpus JSONL file to write."),
    batch_size: int = typer.Option(None, help="Documents per batch (default: the pipeline's)."),
    n_process: int = typer.Option(1, help="Worker processes."),
    progress: bool = typer.Option(True, help="Show a progress bar with documents/s on stderr."),
) -> None:
    summary = extract_corpus(spacy.load(model), source, output, batch_size=batch_size, n_process=n_process, progress=progress)
    typer.echo(f"{output}: {summary}")


if __name__ == "__main__":
    typer.run(main)
