"""Pre-annotate documents with the rules pipeline for annotation in doccano.

Input is corpus JSONL (records with text, or stand-off records whose text is
read from the shared mirror) or a .txt file with one document per line. Output
is corpus JSONL with the text written out, which doccano imports:
``{"id", "text", "entities": [{"id", "label", "start_offset", "end_offset"}],
"relations": [{"id", "from_id", "to_id", "type"}], "meta"}``. Entities and
relations that the input carries are replaced by those of the rules.
"""

from __future__ import annotations

from pathlib import Path

import spacy
import typer
from tqdm import tqdm

from zh_invest.convert import predicted_documents
from zh_invest.corpus import Document, Mirror, read_corpus, write_corpus


def read_documents(path: Path, shared: Path | None) -> list[Document]:
    if path.suffix == ".txt":
        lines = path.read_text(encoding="utf-8").splitlines()
        return [Document(f"{path.stem}-{number}", line) for number, line in enumerate(lines, 1) if line.strip()]
    documents, problems = read_corpus([path], Mirror(shared), strict=False)
    for problem in problems:
        typer.echo(f"skipped {problem}", err=True)
    return documents


def main(
    input_path: Path = typer.Argument(..., help="Corpus JSONL, or .txt with one document per line."),
    output_path: Path = typer.Argument(..., help="Pre-annotated JSONL for doccano."),
    pipeline: Path = typer.Option(Path("training/rules"), help="The rules pipeline built by build_rules.py."),
    shared: Path = typer.Option(None, help="The shared folder (default: $ZH_INVEST_SHARED or ../shared)."),
    batch_size: int = typer.Option(64),
) -> None:
    nlp = spacy.load(pipeline)
    documents = read_documents(input_path, shared)
    predicted = predicted_documents(nlp, documents, batch_size=batch_size)
    write_corpus(output_path, tqdm(predicted, total=len(documents), desc="pre-annotating", unit="doc"))
    typer.echo(f"Wrote {len(documents)} documents to {output_path}")


if __name__ == "__main__":
    typer.run(main)
