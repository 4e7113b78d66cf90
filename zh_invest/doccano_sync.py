"""Push corpus documents to doccano and merge the annotators' work back into the corpus.

Every uploaded record carries the corpus document id as ``zh_invest_id``
(doccano renumbers its own ids). A push manifest keeps, per document, the
corpus record as it was pushed and the corpus file it came from; a pull uses
it to find where each document goes back and to notice documents that
changed in the corpus since the push, which are not overwritten unless
forced. A pull is all or nothing: any problem or conflict leaves the corpus
as it was.

The doccano project has ``allow_overlapping=False``, as the guidelines
require; doccano would drop an overlapping span silently, so every record is
checked with the corpus validator before upload, and the client checks that
doccano stored every span and relation that was sent.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tempfile
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Iterable

from zh_invest.corpus import (
    Document,
    Entity,
    Mirror,
    Problem,
    RelationRecord,
    CorpusError,
    corpus_files,
    parse_record,
    read_corpus,
    shared_root,
    write_corpus,
    write_text_atomically,
)
from zh_invest.doccano_server import CLIENT_SCRIPT, Credentials, DoccanoError, Venvs

KEY_FIELD = "zh_invest_id"
SPAN_COLOURS = {
    "REGION": "#1f77b4",
    "ORG": "#ff7f0e",
    "MONEY": "#2ca02c",
    "PERCENT": "#17becf",
    "POLICY": "#9467bd",
    "PROJECT": "#d62728",
}
RELATION_COLOURS = {"INVESTMENT": "#8c564b", "OUTPUT": "#e377c2"}
OVERLAP_POLICY = (
    "overlapping spans: not allowed (project allow_overlapping=False, as the guidelines require); "
    "every record passed the corpus validator before upload and doccano stored every span sent"
)
# Where documents that were not in the corpus before go, by kind.
NEW_DOCUMENT_FILES = {"authored": Path("authored/doccano.jsonl"), "standoff": Path("standoff/doccano.jsonl")}


def project_settings(name: str, shared: Path | None) -> dict[str, Any]:
    """The doccano project: sequence labelling with relations, the guidelines as its guideline text.

    grapheme_mode makes the web UI count a character outside the BMP (𠀾, emoji)
    as one, like the corpus's code-point offsets; collaborative annotation lets
    annotators see and correct the pre-annotations uploaded by the pushing user."""
    return {
        "name": name,
        "description": "zh-invest-ie: entities and MONEY→PROJECT relations in Chinese investment news",
        "guideline": (shared_root(shared) / "annotation-guidelines.md").read_text(encoding="utf-8"),
        "project_type": "SequenceLabeling",
        "use_relation": True,
        "grapheme_mode": True,
        "allow_overlapping": False,
        "collaborative_annotation": True,
    }


def run_client(operation: str, job: dict[str, Any], venvs: Venvs, credentials: Credentials, timeout: float) -> dict[str, Any]:
    """Run doccano/client.py in the client venv; its answer, or a DoccanoError saying what went wrong."""
    venvs.require("client")
    command = [str(venvs.python("client")), str(CLIENT_SCRIPT), operation]
    try:
        finished = subprocess.run(
            command, input=json.dumps(job, ensure_ascii=False), capture_output=True, text=True,
            env=os.environ | credentials.environment(), timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        raise DoccanoError(f"doccano did not finish the {operation} within {timeout:.0f} s (see --timeout)") from None
    try:
        answer = json.loads(finished.stdout)
    except json.JSONDecodeError:
        last_line = (finished.stderr.strip().splitlines() or ["no output"])[-1]
        raise DoccanoError(f"the doccano client failed: {last_line}") from None
    if not answer["ok"]:
        raise DoccanoError(answer["error"])
    return answer


def record_checksum(record: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(record, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


@dataclass
class PushedDocument:
    """One document as it was pushed: the corpus file it belongs to (None: new to the corpus) and its record."""

    file: str | None
    record: dict[str, Any]

    @property
    def checksum(self) -> str:
        return record_checksum(self.record)


@dataclass
class Manifest:
    project: str
    documents: dict[str, PushedDocument] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, project: str) -> Manifest:
        if not path.exists():
            return cls(project)
        data = json.loads(path.read_text(encoding="utf-8"))
        if data["project"] != project:
            raise DoccanoError(f"{path} is the push manifest of project {data['project']!r}, not {project!r}; pass --manifest")
        return cls(project, {key: PushedDocument(**entry) for key, entry in data["documents"].items()})

    def save(self, path: Path) -> None:
        documents = {key: {"file": d.file, "record": d.record} for key, d in sorted(self.documents.items())}
        write_text_atomically(path, [json.dumps({"project": self.project, "documents": documents}, ensure_ascii=False, indent=1) + "\n"])


def read_corpus_by_file(corpus: Path, mirror: Mirror) -> dict[Path, list[Document]]:
    """The valid corpus, file by file; a corpus with problems is refused, since a merge would rewrite them."""
    try:
        return {path: read_corpus([path], mirror)[0] for path in corpus_files(corpus)}
    except CorpusError as error:
        raise DoccanoError(f"the corpus has problems; fix them first (see `validate`):\n{error}") from None


# Push ----------------------------------------------------------------------


def select_documents(inputs: Iterable[Path], corpus: Path, mirror: Mirror) -> list[tuple[Document, str | None]]:
    """The documents in ``inputs`` (files or folders), each with its corpus file relative to
    ``corpus``, or None for a document that is new to the corpus."""
    corpus = corpus.resolve()
    by_file = read_corpus_by_file(corpus, mirror)
    in_corpus = {d.id for documents in by_file.values() for d in documents}
    files = dict.fromkeys(f.resolve() for p in inputs for f in (corpus_files(p) if p.is_dir() else [p]))
    selected = [(d, str(path.relative_to(corpus))) for path in files if path.is_relative_to(corpus) for d in by_file[path]]
    outside = [path for path in files if not path.is_relative_to(corpus)]
    try:
        new_documents, _ = read_corpus(outside, mirror)
    except CorpusError as error:
        raise DoccanoError(f"the documents to push have problems:\n{error}") from None
    clashes = [d.id for d in new_documents if d.id in in_corpus]
    if clashes:
        raise DoccanoError(f"ids already in the corpus: {', '.join(clashes[:5])}; documents new to it need new ids")
    return selected + [(d, None) for d in new_documents]


def upload_record(document: Document) -> dict[str, Any]:
    """The doccano JSONL record (task RelationExtraction) of a document and its annotations."""
    record = replace(document, standoff=None).to_record()
    return {"text": document.text, "entities": record["entities"], "relations": record["relations"], KEY_FIELD: document.id}


def check_uploads(annotated: list[Document], mirror: Mirror) -> None:
    """Refuse annotations the corpus would refuse (overlaps, broken relations) before doccano drops them silently."""
    problems = []
    for document in annotated:
        _, found = parse_record(replace(document, standoff=None).to_record(), mirror)
        problems += [f"{document.id}: {field}: {message}" for field, message in found]
    if problems:
        raise DoccanoError("the annotations to upload break the guidelines; nothing was uploaded:\n" + "\n".join(problems))


@dataclass
class PushReport:
    project_created: bool
    uploaded: list[str]
    already_present: list[str]


def push(
    selected: list[tuple[Document, str | None]],
    annotated: list[Document],
    *,
    url: str,
    settings: dict[str, Any],
    manifest_path: Path,
    mirror: Mirror,
    venvs: Venvs,
    credentials: Credentials,
    timeout: float,
) -> PushReport:
    """Upload ``annotated`` (the selected documents with the annotations to correct) and note them in the manifest."""
    check_uploads(annotated, mirror)
    manifest = Manifest.load(manifest_path, settings["name"])
    with tempfile.TemporaryDirectory() as folder:
        records = Path(folder) / "upload.jsonl"
        records.write_text("".join(json.dumps(upload_record(d), ensure_ascii=False) + "\n" for d in annotated), encoding="utf-8")
        job = {
            "url": url, "project": settings, "span_types": SPAN_COLOURS, "relation_types": RELATION_COLOURS,
            "records": str(records), "key_field": KEY_FIELD, "timeout": timeout,
        }
        # The extra minute covers login, listing and checking around the waited-for import.
        answer = run_client("push", job, venvs, credentials, timeout + 60)
    uploaded = set(answer["uploaded"])
    for document, file in selected:
        # A document doccano already held keeps the entry of the push that put it there.
        if document.id in uploaded or document.id not in manifest.documents:
            manifest.documents[document.id] = PushedDocument(file, document.to_record())
    manifest.save(manifest_path)
    return PushReport(answer["created"], answer["uploaded"], answer["already_present"])


# Pull ----------------------------------------------------------------------


def export_records(url: str, project: str, only_done: bool, venvs: Venvs, credentials: Credentials, timeout: float) -> list[dict[str, Any]]:
    """The project's records as doccano exports them (JSONL, everyone's annotations)."""
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "export.jsonl"
        job = {"url": url, "project_name": project, "only_done": only_done, "output": str(output), "timeout": timeout}
        run_client("export", job, venvs, credentials, timeout + 60)  # + login and download
        return [json.loads(line) for line in output.read_text(encoding="utf-8").splitlines() if line.strip()]


def annotation_key(document: Document) -> tuple[frozenset, frozenset]:
    """What an annotator can change, independent of ids."""
    spans = {e.id: (e.start, e.end) for e in document.entities}
    return (
        frozenset((e.start, e.end, e.label) for e in document.entities),
        frozenset((spans[r.head], spans[r.tail], r.type) for r in document.relations),
    )


def with_exported_annotations(base: Document, record: dict[str, Any]) -> Document:
    """``base`` with the spans and relations of a doccano export record.

    Ids are the corpus's own: a span at the same offsets keeps its id, a
    relation between the same spans keeps its id, new ones are numbered on,
    so the diff of a corrected document stays small."""
    old_span_ids = {(e.start, e.end): e.id for e in base.entities}
    next_span_id = max(old_span_ids.values(), default=0) + 1
    span_id: dict[int, int] = {}
    entities = []
    for span in sorted(record["entities"], key=lambda s: (s["start_offset"], s["end_offset"])):
        offsets = (span["start_offset"], span["end_offset"])
        if offsets not in old_span_ids:
            old_span_ids[offsets], next_span_id = next_span_id, next_span_id + 1
        span_id[span["id"]] = old_span_ids[offsets]
        entities.append(Entity(old_span_ids[offsets], span["label"], *offsets))
    old_relation_ids = {(r.head, r.tail): r.id for r in base.relations}
    next_relation_id = max(old_relation_ids.values(), default=0) + 1
    relations = []
    for relation in record["relations"]:
        ends = (span_id[relation["from_id"]], span_id[relation["to_id"]])
        if ends not in old_relation_ids:
            old_relation_ids[ends], next_relation_id = next_relation_id, next_relation_id + 1
        relations.append(RelationRecord(old_relation_ids[ends], *ends, relation["type"]))
    return replace(base, entities=entities, relations=sorted(relations, key=lambda r: r.id))


@dataclass
class Change:
    key: str
    file: Path
    old: Document | None  # None: a document new to the corpus
    new: Document


@dataclass
class PullPlan:
    corpus: dict[Path, list[Document]]
    changes: list[Change] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    conflicts: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)


def plan_pull(exported: list[dict[str, Any]], manifest: Manifest, corpus: Path, mirror: Mirror, force: bool) -> PullPlan:
    """What merging the exported records would change; nothing is written."""
    plan = PullPlan(read_corpus_by_file(corpus, mirror))
    current = {d.id: (path, d) for path, documents in plan.corpus.items() for d in documents}
    copies = Counter(record.get(KEY_FIELD) for record in exported)
    where = f"doccano:{manifest.project}"
    for line, record in enumerate(exported, 1):
        key = record.get(KEY_FIELD)
        pushed = manifest.documents.get(key)
        if pushed is None:
            plan.unknown.append(str(key) if key else f"export line {line} (no {KEY_FIELD})")
            continue
        if copies[key] > 1:
            plan.problems.append(Problem(where, line, KEY_FIELD, f"{key} is in the project {copies[key]} times; delete the extra copies in doccano"))
            continue
        base, file, conflict = _base_document(key, pushed, current, corpus, mirror)
        if conflict:
            plan.conflicts.append(f"{key}: {conflict}")
            if not force:
                continue
        if record["text"] != base.text:
            plan.problems.append(Problem(where, line, f"{key}.text", "differs from the corpus text; the annotations cannot be placed"))
            continue
        merged = with_exported_annotations(base, record)
        _, found = parse_record(merged.to_record(), mirror)
        plan.problems += [Problem(where, line, f"{key}.{f}", message) for f, message in found]
        old = current.get(key, (None, None))[1]
        if old is not None and annotation_key(old) == annotation_key(merged):
            plan.unchanged.append(key)
        elif not found:
            plan.changes.append(Change(key, file, old, merged))
    return plan


def _base_document(
    key: str, pushed: PushedDocument, current: dict[str, tuple[Path, Document]], corpus: Path, mirror: Mirror
) -> tuple[Document, Path, str | None]:
    """The document the exported annotations go onto, the file it goes to, and why that clashes with local changes, if it does."""
    if key in current:
        path, document = current[key]
        if pushed.file is None:
            return document, path, "a document with this id was added to the corpus since the push"
        changed = record_checksum(document.to_record()) != pushed.checksum
        return document, path, "changed in the corpus since the push" if changed else None
    pushed_document, problems = parse_record(pushed.record, mirror)
    if pushed_document is None:
        raise DoccanoError(f"the push manifest's record of {key} no longer reads: {problems}")
    if pushed.file is not None:
        return pushed_document, corpus / pushed.file, "removed from the corpus since the push"
    kind = "authored" if pushed_document.standoff is None else "standoff"
    return pushed_document, corpus / NEW_DOCUMENT_FILES[kind], None


def apply_pull(plan: PullPlan, corpus: Path, manifest: Manifest, manifest_path: Path) -> None:
    """Write the corpus files the plan changes (each atomically, other lines as they were) and
    note the merged records in the manifest, so the next pull compares against them."""
    by_file: dict[Path, list[Change]] = {}
    for change in plan.changes:
        by_file.setdefault(change.file, []).append(change)
    for path, changes in by_file.items():
        documents = list(plan.corpus.get(path, []))
        position = {d.id: i for i, d in enumerate(documents)}
        for change in changes:
            if change.key in position:
                documents[position[change.key]] = change.new
            else:
                documents.append(change.new)
            manifest.documents[change.key] = PushedDocument(str(path.relative_to(corpus)), change.new.to_record())
        write_corpus(path, documents)
    manifest.save(manifest_path)


def _shown(document: Document, entity: Entity) -> str:
    return f"{document.text[entity.start:entity.end]!r} [{entity.start}, {entity.end})"


def _relations_shown(document: Document) -> dict[tuple[str, str], str]:
    """Relation type by (head span, tail span), as shown in a diff."""
    spans = {e.id: e for e in document.entities}
    return {(_shown(document, spans[r.head]), _shown(document, spans[r.tail])): r.type for r in document.relations}


def describe(change: Change, corpus: Path) -> list[str]:
    """A readable diff of one document's annotations: + added, - removed, ~ relabelled."""
    new, old = change.new, change.old
    file = change.file.relative_to(corpus)
    if old is None:
        return [f"+ {change.key} (new in {file}): {len(new.entities)} spans, {len(new.relations)} relations"]
    lines = [f"~ {change.key} ({file})"]
    old_spans = {(e.start, e.end): e for e in old.entities}
    new_spans = {(e.start, e.end): e for e in new.entities}
    for offsets in sorted(old_spans.keys() | new_spans.keys()):
        before, after = old_spans.get(offsets), new_spans.get(offsets)
        if after is None:
            lines.append(f"    - {before.label} {_shown(old, before)}")
        elif before is None:
            lines.append(f"    + {after.label} {_shown(new, after)}")
        elif before.label != after.label:
            lines.append(f"    ~ {_shown(new, after)} {before.label} → {after.label}")
    old_relations, new_relations = _relations_shown(old), _relations_shown(new)
    for head, tail in sorted(old_relations.keys() | new_relations.keys()):
        before, after = old_relations.get((head, tail)), new_relations.get((head, tail))
        if after is None:
            lines.append(f"    - {before} {head} → {tail}")
        elif before is None:
            lines.append(f"    + {after} {head} → {tail}")
        elif before != after:
            lines.append(f"    ~ {head} → {tail} {before} → {after}")
    return lines
