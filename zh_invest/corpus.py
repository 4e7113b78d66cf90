"""The corpus: doccano-style JSONL documents, stand-off records, validation.

One document per line::

    {"id": "auth-a-001", "text": "…",
     "entities": [{"id": 1, "label": "MONEY", "start_offset": 3, "end_offset": 8}],
     "relations": [{"id": 1, "from_id": 1, "to_id": 2, "type": "INVESTMENT"}],
     "meta": {…}}

Offsets are code points, end exclusive. Third-party text is never stored: a
stand-off record has ``source``, ``source_id``, optionally ``lines`` (first
and last line of an excerpt, 0-based, inclusive) and ``sha256`` of the text
instead of ``text``; :class:`Mirror` rebuilds the text from a local copy of
the source and refuses a text whose checksum differs.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterable, Iterator

from .pipeline import RELATION_TYPES, SENTENCE_END

LABELS = ("REGION", "ORG", "MONEY", "PERCENT", "POLICY", "PROJECT")
SPLITS = ("train", "dev", "test")
# Quote marks may open a span ("“承诺制”改革"); % closes a PERCENT.
ALLOWED_FIRST = set("“‘「『\"")
ALLOWED_LAST = set("%％‰")

SHARED_ENV = "ZH_INVEST_SHARED"
DEFAULT_SHARED = Path(__file__).resolve().parent.parent.parent / "shared"


@dataclass(frozen=True)
class Source:
    """A third-party corpus: where its mirror lies and where it comes from."""

    path: str
    upstream: str


SOURCES = {
    "xwlb": Source("corpus/xwlb/stories.jsonl", "DuckBurnIncense/xin-wen-lian-bo news/*.md @ ae8d591 (MIT; transcripts © CCTV)"),
    "thucnews": Source("corpus/thucnews/cnews-val.jsonl", "qianshuang/dl-exp data/cnews/cnews.val.txt @ 0ff7afa (THUCNews subset)"),
    "gov": Source("corpus/gov-work-reports/reports.jsonl", "aldohemsn/chinese-political-corpora @ 99bc4b0 (from Wikisource)"),
}


@dataclass
class Entity:
    id: int
    label: str
    start: int
    end: int


@dataclass
class RelationRecord:
    id: int
    head: int  # entity id of the MONEY span
    tail: int  # entity id of the PROJECT span
    type: str


@dataclass
class StandOff:
    source: str
    source_id: str
    sha256: str
    lines: tuple[int, int] | None = None


@dataclass
class Document:
    id: str
    text: str
    entities: list[Entity] = field(default_factory=list)
    relations: list[RelationRecord] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    standoff: StandOff | None = None

    def entity(self, entity_id: int) -> Entity:
        return next(e for e in self.entities if e.id == entity_id)

    def to_record(self) -> dict[str, Any]:
        """The JSONL record; stand-off documents leave out their text."""
        record: dict[str, Any] = {"id": self.id}
        if self.standoff is None:
            record["text"] = self.text
        else:
            record["source"] = self.standoff.source
            record["source_id"] = self.standoff.source_id
            if self.standoff.lines is not None:
                record["lines"] = list(self.standoff.lines)
            record["sha256"] = self.standoff.sha256
        record["entities"] = [
            {"id": e.id, "label": e.label, "start_offset": e.start, "end_offset": e.end} for e in self.entities
        ]
        record["relations"] = [
            {"id": r.id, "from_id": r.head, "to_id": r.tail, "type": r.type} for r in self.relations
        ]
        record["meta"] = self.meta
        return record


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one record, reported as ``file:line: field: message``."""

    path: str
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.field}: {self.message}"


class CorpusError(Exception):
    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(map(str, problems)))


class MirrorMissing(Exception):
    """The local copy of a third-party corpus is not there."""


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def shared_root(path: str | Path | None = None) -> Path:
    """The shared folder: ``path`` if given, else $ZH_INVEST_SHARED, else ../shared beside the repo."""
    return Path(path or os.environ.get(SHARED_ENV) or DEFAULT_SHARED)


class Mirror:
    """Texts of third-party corpora, read lazily from the shared folder."""

    def __init__(self, root: str | Path | None = None) -> None:
        self.root = shared_root(root)
        self._texts: dict[str, dict[str, str]] = {}

    def texts(self, source: str) -> dict[str, str]:
        if source not in self._texts:
            path = self.root / SOURCES[source].path
            if not path.exists():
                raise MirrorMissing(
                    f"stand-off documents of source '{source}' need {path}, which is missing; "
                    f"upstream: {SOURCES[source].upstream}. Point ${SHARED_ENV} (or the project "
                    f"var 'shared') at a copy of the shared folder."
                )
            with path.open(encoding="utf-8") as lines:
                self._texts[source] = {r["id"]: r["text"] for r in map(json.loads, lines)}
        return self._texts[source]

    def excerpt(self, source: str, source_id: str, lines: tuple[int, int] | None) -> str | None:
        text = self.texts(source).get(source_id)
        if text is None or lines is None:
            return text
        return "\n".join(text.split("\n")[lines[0] : lines[1] + 1])


def _check_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _bad_edge(span: str) -> str | None:
    if span != span.strip():
        return "starts or ends with whitespace"
    first, last = span[0], span[-1]
    if unicodedata.category(first).startswith("P") and first not in ALLOWED_FIRST:
        return f"starts with punctuation {first!r}"
    if unicodedata.category(last).startswith("P") and last not in ALLOWED_LAST:
        return f"ends with punctuation {last!r}"
    return None


def parse_record(record: Any, mirror: Mirror) -> tuple[Document | None, list[tuple[str, str]]]:
    """Turn one JSON value into a Document, or report (field, message) problems."""
    if not isinstance(record, dict):
        return None, [("record", "is not a JSON object")]
    problems: list[tuple[str, str]] = []
    doc_id = record.get("id")
    if not isinstance(doc_id, str) or not doc_id:
        problems.append(("id", "missing or not a non-empty string"))
    standoff = None
    if "source" in record:
        standoff, text, standoff_problems = _resolve_standoff(record, mirror)
        problems += standoff_problems
    else:
        text = record.get("text")
        if not isinstance(text, str) or not text:
            problems.append(("text", "missing or empty (a stand-off record needs 'source', 'source_id' and 'sha256')"))
    meta = record.get("meta", {})
    if not isinstance(meta, dict):
        problems.append(("meta", "is not an object"))
    if problems:
        return None, problems
    entities, entity_problems = _parse_entities(record.get("entities", []), text)
    relations, relation_problems = _parse_relations(record.get("relations", []), entities, text)
    problems += entity_problems + relation_problems
    if problems:
        return None, problems
    return Document(doc_id, text, entities, relations, meta, standoff), []


def _resolve_standoff(record: dict, mirror: Mirror) -> tuple[StandOff | None, str | None, list[tuple[str, str]]]:
    source, source_id, checksum = record.get("source"), record.get("source_id"), record.get("sha256")
    if source not in SOURCES:
        return None, None, [("source", f"unknown source {source!r}; known: {', '.join(SOURCES)}")]
    if not isinstance(source_id, str):
        return None, None, [("source_id", "missing or not a string")]
    if not isinstance(checksum, str):
        return None, None, [("sha256", "missing or not a string")]
    lines = record.get("lines")
    if lines is not None:
        if not (isinstance(lines, list) and len(lines) == 2 and all(map(_check_int, lines)) and 0 <= lines[0] <= lines[1]):
            return None, None, [("lines", f"must be [first, last] line numbers, got {lines!r}")]
        lines = (lines[0], lines[1])
    text = mirror.excerpt(source, source_id, lines)
    if text is None:
        return None, None, [("source_id", f"{source_id!r} is not in {mirror.root / SOURCES[source].path}")]
    if sha256(text) != checksum:
        return None, None, [("sha256", f"the text of {source}:{source_id} in the mirror does not match the checksum")]
    return StandOff(source, source_id, checksum, lines), text, []


def _parse_entities(raw: Any, text: str) -> tuple[list[Entity], list[tuple[str, str]]]:
    if not isinstance(raw, list):
        return [], [("entities", "is not a list")]
    entities, problems, seen = [], [], set()
    for i, item in enumerate(raw):
        where = f"entities[{i}]"
        if not isinstance(item, dict):
            problems.append((where, "is not an object"))
            continue
        entity_id, label = item.get("id"), item.get("label")
        start, end = item.get("start_offset"), item.get("end_offset")
        if not _check_int(entity_id):
            problems.append((f"{where}.id", "missing or not an integer"))
        elif entity_id in seen:
            problems.append((f"{where}.id", f"duplicate entity id {entity_id}"))
        seen.add(entity_id)
        if label not in LABELS:
            problems.append((f"{where}.label", f"unknown label {label!r}; known: {', '.join(LABELS)}"))
        if not (_check_int(start) and _check_int(end) and 0 <= start < end <= len(text)):
            problems.append((f"{where}.start_offset", f"offsets [{start}, {end}) are not inside the text of length {len(text)}"))
            continue
        edge = _bad_edge(text[start:end])
        if edge:
            problems.append((where, f"span {text[start:end]!r} {edge}"))
        entities.append(Entity(entity_id, label, start, end))
    ordered = sorted(entities, key=lambda e: (e.start, e.end))
    for left, right in zip(ordered, ordered[1:]):
        if right.start < left.end:
            problems.append(("entities", f"spans {text[left.start:left.end]!r} (id {left.id}) and {text[right.start:right.end]!r} (id {right.id}) overlap"))
    return entities, problems


def _parse_relations(raw: Any, entities: list[Entity], text: str) -> tuple[list[RelationRecord], list[tuple[str, str]]]:
    if not isinstance(raw, list):
        return [], [("relations", "is not a list")]
    by_id = {e.id: e for e in entities}
    relations, problems, seen, heads = [], [], set(), set()
    for i, item in enumerate(raw):
        where = f"relations[{i}]"
        if not isinstance(item, dict):
            problems.append((where, "is not an object"))
            continue
        relation_id, head_id, tail_id, rel_type = (item.get(k) for k in ("id", "from_id", "to_id", "type"))
        if not _check_int(relation_id) or relation_id in seen:
            problems.append((f"{where}.id", f"missing, not an integer or duplicate: {relation_id!r}"))
        seen.add(relation_id)
        if rel_type not in RELATION_TYPES:
            problems.append((f"{where}.type", f"unknown relation type {rel_type!r}; known: {', '.join(RELATION_TYPES)}"))
        head, tail = by_id.get(head_id), by_id.get(tail_id)
        if head is None or tail is None:
            missing = "from_id" if head is None else "to_id"
            problems.append((f"{where}.{missing}", f"no entity with id {item.get(missing)!r}"))
            continue
        if head.label != "MONEY" or tail.label != "PROJECT":
            problems.append((where, f"relations run from MONEY to PROJECT, not {head.label} to {tail.label}"))
        if head_id in heads:
            problems.append((f"{where}.from_id", f"MONEY {text[head.start:head.end]!r} has more than one relation"))
        heads.add(head_id)
        between = text[min(head.end, tail.end) : max(head.start, tail.start)]
        if SENTENCE_END.search(between):
            problems.append((where, f"{text[head.start:head.end]!r} and {text[tail.start:tail.end]!r} are in different sentences"))
        relations.append(RelationRecord(relation_id, head_id, tail_id, rel_type))
    return relations, problems


def read_records(path: Path, mirror: Mirror) -> Iterator[tuple[int, Document | None, list[Problem]]]:
    """Yield (line number, document or None, problems) for every non-blank line of ``path``."""
    with Path(path).open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                yield number, None, [Problem(str(path), number, "json", error.msg)]
                continue
            document, problems = parse_record(record, mirror)
            yield number, document, [Problem(str(path), number, f, m) for f, m in problems]


def read_corpus(paths: Iterable[Path], mirror: Mirror | None = None, strict: bool = True) -> tuple[list[Document], list[Problem]]:
    """Read and validate corpus files, including duplicate ids and texts across them.

    Strict: any problem raises :class:`CorpusError` listing all of them.
    Lenient: bad records are left out and every problem is returned."""
    mirror = mirror or Mirror()
    documents: list[Document] = []
    problems: list[Problem] = []
    first_seen: dict[tuple[str, str], str] = {}
    for path in paths:
        for number, document, record_problems in read_records(path, mirror):
            if document is not None:
                for kind, key in (("id", document.id), ("text", document.text)):
                    where = f"{path}:{number}"
                    if (kind, key) in first_seen:
                        record_problems.append(Problem(str(path), number, kind, f"duplicate {kind}, first seen at {first_seen[kind, key]}"))
                    else:
                        first_seen[kind, key] = where
            problems += record_problems
            if document is not None and not record_problems:
                documents.append(document)
    if strict and problems:
        raise CorpusError(problems)
    return documents, problems


def write_text_atomically(path: Path, chunks: Iterable[str]) -> None:
    """Write ``chunks`` of text to ``path`` as they come, so memory stays flat,
    into a temporary file that then replaces ``path``: the file is either old
    or new, never half written, and keeps the permissions a new file gets."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.writelines(chunks)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp, 0o666 & ~umask)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write_corpus(path: Path, documents: Iterable[Document]) -> None:
    """Write documents as JSONL, atomically and one line at a time."""
    write_text_atomically(path, (json.dumps(d.to_record(), ensure_ascii=False) + "\n" for d in documents))


def corpus_files(folder: Path) -> list[Path]:
    """The corpus files under ``folder``, in a stable order."""
    return sorted(Path(folder).rglob("*.jsonl"))
