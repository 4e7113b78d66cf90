"""Merge the annotators' work from a doccano project back into the corpus.

Only documents marked done are taken unless --all. Each is found by its
document key, validated like any corpus record, and written back to the
corpus file it came from (documents new to the corpus go to
authored/doccano.jsonl or, for third-party text, stand-off to
standoff/doccano.jsonl). A document that changed in the corpus since it was
pushed is a conflict: nothing is written unless --force. Any problem leaves
the corpus untouched.
"""

from pathlib import Path

import typer

from zh_invest.corpus import Mirror, MirrorMissing
from zh_invest.doccano_server import DEFAULT_URL, DEFAULT_VENVS, DoccanoError, Venvs, load_credentials
from zh_invest.doccano_sync import KEY_FIELD, Manifest, apply_pull, describe, export_records, plan_pull


def main(
    corpus: Path = typer.Option(Path("corpus"), help="The corpus folder to merge into."),
    project: str = typer.Option("zh-invest-ie", help="The doccano project."),
    url: str = typer.Option(DEFAULT_URL, help="The doccano server."),
    all_documents: bool = typer.Option(False, "--all", help="Also take documents not marked done."),
    force: bool = typer.Option(False, "--force", help="Overwrite documents that changed in the corpus since the push."),
    manifest: Path = typer.Option(None, help="The push manifest (default: .doccano/manifests/PROJECT.json)."),
    report: Path = typer.Option(None, help="Also write the diff report to this file."),
    venvs: Path = typer.Option(DEFAULT_VENVS, help="Folder of the virtualenvs made by doccano-install."),
    shared: Path = typer.Option(None, help="The shared folder (default: $ZH_INVEST_SHARED or ../shared)."),
    timeout: float = typer.Option(600, help="Seconds to wait for doccano."),
) -> None:
    corpus, mirror = corpus.resolve(), Mirror(shared)
    manifest_path = manifest or Path(f".doccano/manifests/{project}.json")
    try:
        if not manifest_path.exists():
            raise DoccanoError(f"no push manifest at {manifest_path}: pull takes back what doccano-push sent (or pass --manifest)")
        pushed = Manifest.load(manifest_path, project)
        exported = export_records(url, project, not all_documents, Venvs(venvs), load_credentials(), timeout)
        plan = plan_pull(exported, pushed, corpus, mirror, force)
    except (DoccanoError, MirrorMissing) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1)
    for key in plan.unknown:
        typer.echo(f"skipped {key}: not in the push manifest", err=True)
    for conflict in plan.conflicts:
        typer.echo(f"conflict: {conflict}", err=True)
    for problem in plan.problems:
        typer.echo(str(problem), err=True)
    if plan.problems or (plan.conflicts and not force):
        why = f"{len(plan.problems)} problems" if plan.problems else f"{len(plan.conflicts)} conflicts (--force takes doccano's version)"
        typer.echo(f"error: {why}; the corpus was not changed", err=True)
        raise typer.Exit(1)
    apply_pull(plan, corpus, pushed, manifest_path)
    lines = [line for change in plan.changes for line in describe(change, corpus)]
    added = sum(1 for change in plan.changes if change.old is None)
    summary = f"{added} documents added, {len(plan.changes) - added} updated, {len(plan.unchanged)} unchanged"
    if not all_documents:
        waiting = pushed.documents.keys() - {record.get(KEY_FIELD) for record in exported}
        summary += f"; {len(waiting)} pushed documents are not marked done yet (--all takes them too)"
    lines.append(summary)
    typer.echo("\n".join(lines))
    if report:
        report.write_text("\n".join(lines) + "\n", encoding="utf-8")


if __name__ == "__main__":
    typer.run(main)
