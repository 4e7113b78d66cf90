"""Pre-annotate documents with the rules pipeline for annotation in doccano.

Input is corpus JSONL (records with text, or stand-off records whose text is
read from the shared mirror) or a .txt file with one document per line. Output
is corpus JSONL with the text written out, which doccano imports:
``{"id", "text", "entities": [{"id", "label", "start_offset", "end_offset"}],
"relations": [{"id", "from_id", "to_id", "type"}], "meta"}``. Entities and
relations that the input carries are replaced by those of the rules.
"""

from __future__ import annotations

from itertools import count
from pathlib import Path
from typing import Iterator

import spacy
import typer
from spacy.tokens import Doc
from tqdm import tqdm

import zh_invest.rules  # noqa: F401  (registers the rule components)
from zh_invest.corpus import Document, Entity, Mirror, RelationRecord, read_corpus, write_corpus


def read_documents(path: Path, shared: Path | None) -> list[Document]:
    if path.suffix == ".txt":
        lines = path.read_text(encoding="utf-8").splitlines()
        return [Document(f"{path.stem}-{number}", line) for number, line in enumerate(lines, 1) if line.strip()]
    documents, problems = read_corpus([path], Mirror(shared), strict=False)
    for problem in problems:
        typer.echo(f"skipped {problem}", err=True)
    return documents


def pre_annotated(document: Document, doc: Doc, ids: Iterator[int]) -> Document:
    """``document`` with the entities and relations of ``doc``, its text written
    out; ``ids`` numbers entities and relations across the whole output."""
    entities = {(ent.start_char, ent.end_char): Entity(next(ids), ent.label_, ent.start_char, ent.end_char) for ent in doc.ents}
    relations = [
        RelationRecord(
            next(ids),
            entities[rel.head.start_char, rel.head.end_char].id,
            entities[rel.tail.start_char, rel.tail.end_char].id,
            rel.label,
        )
        for rel in doc._.relations
    ]
    return Document(document.id, document.text, list(entities.values()), relations, document.meta)


def main(
    input_path: Path = typer.Argument(..., help="Corpus JSONL, or .txt with one document per line."),
    output_path: Path = typer.Argument(..., help="Pre-annotated JSONL for doccano."),
    pipeline: Path = typer.Option(Path("training/rules"), help="The rules pipeline built by build_rules.py."),
    shared: Path = typer.Option(None, help="The shared folder (default: $ZH_INVEST_SHARED or ../shared)."),
    batch_size: int = typer.Option(64),
) -> None:
    nlp = spacy.load(pipeline)
    documents = read_documents(input_path, shared)
    docs = nlp.pipe((document.text for document in documents), batch_size=batch_size)
    ids = count(1)
    progress = tqdm(zip(documents, docs), total=len(documents), desc="pre-annotating", unit="doc")
    write_corpus(output_path, (pre_annotated(document, doc, ids) for document, doc in progress))
    typer.echo(f"Wrote {len(documents)} documents to {output_path}")


if __name__ == "__main__":
    typer.run(main)
