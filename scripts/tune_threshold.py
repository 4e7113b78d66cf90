"""Choose the relation extractor's decision settings on dev and save them in
the pipeline: the threshold with the best relation F given the gold entities
(as relation_baseline.py chooses the scikit-learn baseline's), then the least
entity-edge confidence with the best relation F end-to-end."""

from pathlib import Path

import spacy
import typer
from spacy.tokens import DocBin
from thinc.api import Config

from zh_invest.evaluation import MIN_CONFIDENCES, THRESHOLDS, relation_f_by_setting, with_gold_entities, with_predicted_entities


def main(
    model: Path = typer.Argument(..., help="The trained pipeline; its relation extractor is updated in place."),
    dev: Path = typer.Argument(..., help="Dev DocBin."),
    component: str = typer.Option("relation_extractor", help="Name of the relation extractor in the pipeline."),
) -> None:
    nlp = spacy.load(model)
    gold = list(DocBin().from_disk(dev).get_docs(nlp.vocab))
    extractor = nlp.get_pipe(component)
    chosen = {}
    for setting, values, docs, entities in (
        ("threshold", THRESHOLDS, with_gold_entities(nlp, gold), "gold entities"),
        ("min_confidence", MIN_CONFIDENCES, with_predicted_entities(nlp, gold), "end-to-end"),
    ):
        f_at = relation_f_by_setting(extractor, docs, gold, setting, values)
        for value, f in f_at.items():
            typer.echo(f"{setting} {value}: dev relation F {f:.4f} ({entities})")
        chosen[setting] = extractor.cfg[setting] = max(values, key=f_at.get)
    extractor.to_disk(model / component, exclude=["vocab"])
    config = Config().from_disk(model / "config.cfg")
    config["components"][component].update(chosen)
    config.to_disk(model / "config.cfg")
    typer.echo(f"Saved {chosen} in {model}")


if __name__ == "__main__":
    typer.run(main)
