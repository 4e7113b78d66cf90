"""Talk to a doccano server for doccano-push and doccano-pull.

Runs in the client virtualenv (doccano-client needs pydantic<2, which spaCy
cannot share), so it imports nothing from the project. The project side
writes a job as JSON on stdin and reads one JSON object back on stdout:

    python doccano/client.py push   < job.json   # create/reuse a project, upload records
    python doccano/client.py export < job.json   # download the project's records as JSONL

The answer is ``{"ok": true, ...}``, or ``{"ok": false, "error": "..."}`` with
exit status 1. The login comes from $DOCCANO_USERNAME and $DOCCANO_PASSWORD;
no message ever repeats it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any, Callable

import requests
from doccano_client.exceptions import DoccanoAPIError
from doccano_client.models.label_type import LabelType
from doccano_client.models.project import Project
from doccano_client.repositories.base import BaseRepository
from doccano_client.repositories.data_download import DataDownloadRepository
from doccano_client.repositories.data_upload import DataUploadRepository
from doccano_client.repositories.label_type import RelationTypeRepository, SpanTypeRepository
from doccano_client.repositories.project import ProjectRepository
from doccano_client.repositories.task_status import TaskStatusRepository

# Settings a reused project must share with the one push would create; others
# (name, description, guideline) may have been edited in the web UI.
BINDING_SETTINGS = ("project_type", "use_relation", "allow_overlapping", "grapheme_mode", "collaborative_annotation")
PAGE = 500


class ClientError(Exception):
    """A failure explained in words the user can act on."""


def login(url: str) -> BaseRepository:
    session = BaseRepository(url)
    try:
        session.login(os.environ["DOCCANO_USERNAME"], os.environ["DOCCANO_PASSWORD"])
    except DoccanoAPIError as error:
        if error.response.status_code in (400, 401, 403):
            raise ClientError(f"doccano at {url} refused the login of user {os.environ['DOCCANO_USERNAME']!r}: wrong username or password")
        raise
    return session


def find_project(session: BaseRepository, name: str) -> Project | None:
    return next((p for p in ProjectRepository(session).list() if p.name == name), None)


def example_keys(session: BaseRepository, project_id: int, key_field: str) -> set[str]:
    """The document keys of every example in the project (doccano keeps extra fields in ``meta``)."""
    keys: set[str] = set()
    page = session.get(f"projects/{project_id}/examples", params={"limit": PAGE}).json()
    while True:
        keys.update(e["meta"][key_field] for e in page["results"] if key_field in e["meta"])
        if page["next"] is None:
            return keys
        page = session.get(page["next"]).json()


def label_count(session: BaseRepository, project_id: int, kind: str) -> int:
    """How many spans or relations the project holds, over all users."""
    distribution = session.get(f"projects/{project_id}/metrics/{kind}-distribution").json()
    return sum(count for per_label in distribution.values() for count in per_label.values())


def wait_for(session: BaseRepository, task_id: str, what: str, timeout: float) -> Any:
    """The result of doccano's background task ``task_id``."""
    statuses = TaskStatusRepository(session)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status = statuses.get(task_id)
        if status.ready:
            if status.error:
                raise ClientError(f"doccano's {what} task failed: {status.error}")
            return status.result
        time.sleep(0.5)
    raise ClientError(f"doccano's {what} task did not finish within {timeout:.0f} s; is the worker running? (doccano-start starts it)")


def ensure_project(session: BaseRepository, settings: dict[str, Any]) -> tuple[Project, bool]:
    """The project named in ``settings``, created if missing; True if created."""
    project = find_project(session, settings["name"])
    if project is None:
        return ProjectRepository(session).create(Project(**settings)), True
    wanted = Project(**settings)
    different = [f"{k}={getattr(project, k)!r} (push needs {getattr(wanted, k)!r})" for k in BINDING_SETTINGS if getattr(project, k) != getattr(wanted, k)]
    if different:
        raise ClientError(f"project {settings['name']!r} exists with other settings: {', '.join(different)}; choose another --project name")
    return project, False


def ensure_label_types(session: BaseRepository, project_id: int, span_types: dict[str, str], relation_types: dict[str, str]) -> None:
    for repository, wanted in ((SpanTypeRepository(session), span_types), (RelationTypeRepository(session), relation_types)):
        existing = {t.text for t in repository.list(project_id)}
        for text, colour in wanted.items():
            if text not in existing:
                repository.create(project_id, LabelType(text=text, background_color=colour))


def push(session: BaseRepository, job: dict[str, Any]) -> dict[str, Any]:
    project, created = ensure_project(session, job["project"])
    ensure_label_types(session, project.id, job["span_types"], job["relation_types"])
    key_field = job["key_field"]
    present = example_keys(session, project.id, key_field)
    lines = Path(job["records"]).read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    new = [r for r in records if r[key_field] not in present]
    if new:
        spans_before, relations_before = label_count(session, project.id, "span"), label_count(session, project.id, "relation")
        with tempfile.TemporaryDirectory() as folder:
            upload = Path(folder) / "documents.jsonl"
            upload.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in new), encoding="utf-8")
            uploads = DataUploadRepository(session)
            upload_id = uploads.upload(str(upload))
            # encoding is given: doccano's chardet guess misreads small UTF-8 files.
            task_id = uploads.ingest(project.id, [upload_id], "RelationExtraction", "JSONL", encoding="utf_8")
        result = wait_for(session, task_id, "import", job["timeout"])
        if result and result.get("error"):
            raise ClientError(f"doccano rejected parts of the upload: {json.dumps(result['error'][:5], ensure_ascii=False)}")
        check_complete(session, project.id, key_field, new, spans_before, relations_before)
    return {"project_id": project.id, "created": created, "uploaded": [r[key_field] for r in new], "already_present": sorted(present & {r[key_field] for r in records})}


def check_complete(session: BaseRepository, project_id: int, key_field: str, new: list[dict], spans_before: int, relations_before: int) -> None:
    """Every uploaded document, span and relation arrived: doccano drops what it cannot store without saying so."""
    arrived = example_keys(session, project_id, key_field)
    missing = [r[key_field] for r in new if r[key_field] not in arrived]
    if missing:
        raise ClientError(
            f"half-finished import: {len(missing)} of {len(new)} documents did not arrive (first: {missing[:5]}); "
            "run doccano-push again to upload the missing ones (documents already there are skipped)"
        )
    for kind, field, before in (("span", "entities", spans_before), ("relation", "relations", relations_before)):
        expected = before + sum(len(r[field]) for r in new)
        found = label_count(session, project_id, kind)
        if found != expected:
            raise ClientError(f"doccano stored {found - before} of {expected - before} uploaded {kind}s: some were dropped on import")


def export(session: BaseRepository, job: dict[str, Any]) -> dict[str, Any]:
    project = find_project(session, job["project_name"])
    if project is None:
        raise ClientError(f"there is no project {job['project_name']!r} on {job['url']}; push to it first")
    downloads = DataDownloadRepository(session)
    option = downloads.find_option_by_name(project.id, "JSONL")
    task_id = downloads.schedule_download(project.id, option, only_approved=job["only_done"])
    wait_for(session, task_id, "export", job["timeout"])
    with tempfile.TemporaryDirectory() as folder:
        archive = downloads.download(project.id, task_id, folder)
        with zipfile.ZipFile(archive) as members:
            # A collaborative project exports one file, all.jsonl, with everyone's annotations.
            exported = members.read("all.jsonl").decode("utf-8")
    Path(job["output"]).write_text(exported, encoding="utf-8")
    return {"project_id": project.id, "records": sum(1 for line in exported.splitlines() if line.strip())}


OPERATIONS: dict[str, Callable[[BaseRepository, dict[str, Any]], dict[str, Any]]] = {"push": push, "export": export}


def run(operation: str, job: dict[str, Any]) -> dict[str, Any]:
    url = job["url"]
    try:
        return {"ok": True, **OPERATIONS[operation](login(url), job)}
    except ClientError as error:
        return {"ok": False, "error": str(error)}
    except requests.ConnectionError:
        return {"ok": False, "error": f"cannot reach doccano at {url}: is it running? (doccano-start)"}
    except DoccanoAPIError as error:
        request = error.response.request
        return {"ok": False, "error": f"doccano answered {error.response.status_code} to {request.method} {request.path_url}: {error}"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("operation", choices=OPERATIONS)
    answer = run(parser.parse_args().operation, json.load(sys.stdin))
    json.dump(answer, sys.stdout, ensure_ascii=False)
    sys.exit(0 if answer["ok"] else 1)


if __name__ == "__main__":
    main()
