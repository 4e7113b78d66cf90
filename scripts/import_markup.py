"""Import documents written in the authoring notation into corpus JSONL.

An authoring file holds documents, each opened by a header line:

* ``### <doc-id> [scraped]`` then text in inline markup (``zh_invest.markup``).
  A ``scraped`` document is raw web text: it is cleaned with
  ``zh_invest.webtext`` and its annotations move to the cleaned text; the raw
  text is kept in ``meta.raw``.
* ``### <source> <source-id> <first>[-<last>]`` for an excerpt (0-based lines)
  of third-party text, then one entity per line in text order:
  ``LABEL[#key][>key:TYPE] surface``. The result is a stand-off record.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

import typer

from zh_invest.chinese import script_of
from zh_invest.corpus import SOURCES, Document, Mirror, Problem, StandOff, parse_record, sha256, write_corpus
from zh_invest.markup import Annotated, MarkupError, parse, to_document
from zh_invest.webtext import clean_text

SPAN_LINE = re.compile(r"(?P<label>[A-Z]+)(?:#(?P<key>\w+))?(?:>(?P<target>\w+):(?P<type>[A-Z]+))?\s+(?P<surface>\S.*?)\s*")


class AuthoringError(ValueError):
    pass


def blocks(path: Path) -> Iterator[tuple[int, list[str], list[str]]]:
    """(line number of the header, header words, body lines) for each document."""
    header, body, start = None, [], 0
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            line = line.rstrip("\n")
            if line.startswith("### "):
                if header:
                    yield start, header, body
                header, body, start = line[4:].split(), [], number
            elif header is not None:
                body.append(line)
    if header:
        yield start, header, body


def with_script(doc_id: str, annotated: Annotated, meta: dict, standoff: StandOff | None = None) -> Document:
    return to_document(annotated, doc_id, {**meta, "script": script_of(annotated.text)}, standoff)


def authored(doc_id: str, flags: list[str], body: list[str]) -> Document:
    annotated = parse("\n".join(body).strip("\n"))
    if "scraped" not in flags:
        return with_script(doc_id, annotated, {"origin": "authored"})
    cleaned = clean_text(annotated.text)
    entities = []
    for start, end, label in annotated.entities:
        clean_start, clean_end = cleaned.to_clean(start, end)
        if clean_start == clean_end:
            raise AuthoringError(f"entity {annotated.text[start:end]!r} lies in text the cleaner removes")
        entities.append((clean_start, clean_end, label))
    moved = Annotated(cleaned.text, entities, annotated.relations)
    return with_script(doc_id, moved, {"origin": "authored", "scraped": True, "raw": annotated.text})


def excerpt(header: list[str], body: list[str], first_line: int, mirror: Mirror) -> Document:
    source, source_id, line_range = header
    if source not in SOURCES:
        raise AuthoringError(f"unknown source {source!r}")
    first, _, last = line_range.partition("-")
    lines = (int(first), int(last or first))
    text = mirror.excerpt(source, source_id, lines)
    if text is None:
        raise AuthoringError(f"{source_id!r} is not in the {source} mirror")
    annotated = Annotated(text)
    keys: dict[str, int] = {}
    links: list[tuple[int, str, str]] = []
    position = 0
    for number, line in enumerate(body, first_line + 1):
        if not line.strip():
            continue
        match = SPAN_LINE.fullmatch(line)
        if not match:
            raise AuthoringError(f"line {number}: cannot read {line!r}")
        found = text.find(match["surface"], position)
        if found < 0:
            raise AuthoringError(f"line {number}: {match['surface']!r} is not in the excerpt after offset {position}")
        position = found + len(match["surface"])
        if match["key"]:
            keys[match["key"]] = len(annotated.entities)
        if match["target"]:
            links.append((len(annotated.entities), match["target"], match["type"]))
        annotated.entities.append((found, position, match["label"]))
    for head, target, rel_type in links:
        if target not in keys:
            raise AuthoringError(f"relation points at unknown key #{target}")
        annotated.relations.append((head, keys[target], rel_type))
    doc_id = f"{source_id}:{line_range}"
    return with_script(doc_id, annotated, {"origin": source}, StandOff(source, source_id, sha256(text), lines))


def main(
    source: Path = typer.Argument(..., help="An authoring file."),
    output: Path = typer.Argument(..., help="The corpus JSONL file to write."),
    shared: Path = typer.Option(None, help="The shared folder (default: $ZH_INVEST_SHARED or ../shared)."),
) -> None:
    mirror = Mirror(shared)
    documents, problems = [], []
    for number, header, body in blocks(source):
        try:
            document = excerpt(header, body, number, mirror) if header[0] in SOURCES else authored(header[0], header[1:], body)
        except (AuthoringError, MarkupError, ValueError) as error:
            problems.append(Problem(str(source), number, "document", str(error)))
            continue
        _, record_problems = parse_record(document.to_record(), mirror)
        problems += [Problem(str(source), number, f"{document.id}.{field}", message) for field, message in record_problems]
        documents.append(document)
    for problem in problems:
        typer.echo(str(problem), err=True)
    if problems:
        typer.echo(f"{len(problems)} documents could not be imported; nothing written", err=True)
        raise typer.Exit(1)
    write_corpus(output, documents)
    typer.echo(f"{len(documents)} documents written to {output}")


if __name__ == "__main__":
    typer.run(main)
