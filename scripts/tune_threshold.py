"""Choose the relation extractor's decision threshold on dev and save it in
the pipeline: the threshold with the best relation F given the gold entities,
as relation_baseline.py chooses the scikit-learn baseline's."""

from pathlib import Path

import spacy
import typer
from spacy.tokens import DocBin
from thinc.api import Config

from zh_invest.evaluation import THRESHOLDS, relation_f_by_threshold, with_gold_entities


def main(
    model: Path = typer.Argument(..., help="The trained pipeline; its relation extractor is updated in place."),
    dev: Path = typer.Argument(..., help="Dev DocBin."),
    component: str = typer.Option("relation_extractor", help="Name of the relation extractor in the pipeline."),
) -> None:
    nlp = spacy.load(model)
    gold = list(DocBin().from_disk(dev).get_docs(nlp.vocab))
    docs = with_gold_entities(nlp, gold)
    extractor = nlp.get_pipe(component)
    f_at = relation_f_by_threshold(extractor, docs, gold)
    for threshold, f in f_at.items():
        typer.echo(f"threshold {threshold}: dev relation F {f:.4f} (gold entities)")
    best = max(THRESHOLDS, key=f_at.get)
    extractor.cfg["threshold"] = best
    extractor.to_disk(model / component, exclude=["vocab"])
    config = Config().from_disk(model / "config.cfg")
    config["components"][component]["threshold"] = best
    config.to_disk(model / "config.cfg")
    typer.echo(f"Saved threshold {best} in {model}")


if __name__ == "__main__":
    typer.run(main)
