"""Evaluate a pipeline on dev and test: entities per label, relations end-to-end
and with gold entities, an entity confusion matrix, and the same dev set
converted to one script (simplified or traditional) to show that both read alike.

Writes a JSON file of metrics; `report.py` turns them into Markdown.
"""

import json
from pathlib import Path
from typing import Callable

import spacy
import typer
from spacy.tokens import Doc, DocBin
from spacy.training import Example

from zh_invest.chinese import to_simplified, to_traditional
from zh_invest.evaluation import confusion, entity_scores, relation_scores, with_gold_entities

SCRIPT_VIEWS: dict[str, Callable[[str], str]] = {"as written": str, "all simplified": to_simplified, "all traditional": to_traditional}


def evaluate_split(nlp: spacy.language.Language, gold_docs: list[Doc]) -> dict[str, object]:
    predicted = list(nlp.pipe(doc.text for doc in gold_docs))
    examples = [Example(p, g) for p, g in zip(predicted, gold_docs)]
    gold_entity_examples = [Example(p, g) for p, g in zip(with_gold_entities(nlp, gold_docs), gold_docs)]
    return {
        "documents": len(gold_docs),
        "ents": entity_scores(examples),
        "relations_end_to_end": relation_scores(examples),
        "relations_gold_entities": relation_scores(gold_entity_examples),
        "confusion": confusion(examples),
    }


def script_robustness(nlp: spacy.language.Language, gold_docs: list[Doc]) -> dict[str, float]:
    """Entity F on the same documents as written, all simplified and all traditional."""
    result = {}
    for view, convert in SCRIPT_VIEWS.items():
        predicted = list(nlp.pipe(convert(doc.text) for doc in gold_docs))
        examples = []
        for doc, gold in zip(predicted, gold_docs):
            reference = nlp.make_doc(doc.text)
            reference.ents = [reference.char_span(e.start_char, e.end_char, label=e.label_, alignment_mode="expand") for e in gold.ents]
            examples.append(Example(doc, reference))
        result[view] = entity_scores(examples)["f"]
    return result


def main(
    model: Path = typer.Argument(..., help="The pipeline to evaluate."),
    dev: Path = typer.Argument(..., help="Dev DocBin."),
    test: Path = typer.Argument(..., help="Test DocBin."),
    output: Path = typer.Argument(..., help="JSON file for the metrics."),
) -> None:
    nlp = spacy.load(model)
    metrics: dict[str, object] = {"model": str(model), "pipeline": nlp.pipe_names}
    for name, path in (("dev", dev), ("test", test)):
        gold_docs = list(DocBin().from_disk(path).get_docs(nlp.vocab))
        typer.echo(f"Evaluating {model} on {name} ({len(gold_docs)} documents)")
        metrics[name] = evaluate_split(nlp, gold_docs)
        if name == "dev":
            metrics["dev_by_script"] = script_robustness(nlp, gold_docs)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(metrics, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for name in ("dev", "test"):
        split = metrics[name]
        typer.echo(
            f"{name}: ents F {split['ents']['f']:.3f}, relations F {split['relations_end_to_end']['f']:.3f} end-to-end, "
            f"{split['relations_gold_entities']['f']:.3f} with gold entities"
        )


if __name__ == "__main__":
    typer.run(main)
