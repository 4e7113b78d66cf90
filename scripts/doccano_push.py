"""Upload corpus documents to a doccano project for annotators to correct.

The annotations uploaded are a spaCy pipeline's predictions (--model: the
rule-based pre-annotator or a trained pipeline) or, with --gold, the corpus's
own. Documents the project already holds (same document key) are skipped, so
an interrupted push can simply be run again.
"""

from pathlib import Path

import spacy
import typer

from zh_invest.convert import predicted_documents
from zh_invest.corpus import Mirror, MirrorMissing
from zh_invest.doccano_server import DEFAULT_URL, DEFAULT_VENVS, DoccanoError, Venvs, load_credentials
from zh_invest.doccano_sync import OVERLAP_POLICY, project_settings, push, select_documents


def main(
    inputs: list[Path] = typer.Argument(..., help="Corpus JSONL files or folders to push; files outside --corpus hold documents new to it."),
    corpus: Path = typer.Option(Path("corpus"), help="The corpus folder pulled annotations go back to."),
    project: str = typer.Option("zh-invest-ie", help="The doccano project, created if missing."),
    url: str = typer.Option(DEFAULT_URL, help="The doccano server."),
    model: Path = typer.Option(Path("training/rules"), help="spaCy pipeline whose predictions are uploaded (training/rules or training/model-best)."),
    gold: bool = typer.Option(False, "--gold", help="Upload the corpus's own annotations instead of --model's predictions."),
    manifest: Path = typer.Option(None, help="The push manifest (default: .doccano/manifests/PROJECT.json)."),
    venvs: Path = typer.Option(DEFAULT_VENVS, help="Folder of the virtualenvs made by doccano-install."),
    shared: Path = typer.Option(None, help="The shared folder (default: $ZH_INVEST_SHARED or ../shared)."),
    timeout: float = typer.Option(600, help="Seconds to wait for doccano."),
) -> None:
    mirror = Mirror(shared)
    try:
        credentials = load_credentials()
        selected = select_documents(inputs, corpus, mirror)
        documents = [document for document, _ in selected]
        if gold:
            annotated = documents
        elif not (model / "config.cfg").exists():
            raise DoccanoError(f"no spaCy pipeline in {model}: build it, choose another with --model, or push the corpus's annotations with --gold")
        else:
            annotated = list(predicted_documents(spacy.load(model), documents))
        report = push(
            selected, annotated, url=url, settings=project_settings(project, shared),
            manifest_path=manifest or Path(f".doccano/manifests/{project}.json"),
            mirror=mirror, venvs=Venvs(venvs), credentials=credentials, timeout=timeout,
        )
    except (DoccanoError, MirrorMissing) as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1)
    source = "the corpus's annotations" if gold else f"predictions of {model}"
    state = "created" if report.project_created else "reused"
    typer.echo(f"project {project!r} ({state}) at {url}: {len(report.uploaded)} documents uploaded with {source}, {len(report.already_present)} already there")
    typer.echo(OVERLAP_POLICY)


if __name__ == "__main__":
    typer.run(main)
