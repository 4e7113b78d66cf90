"""Train on 25, 50 and 75% of the training documents and plot dev scores
against the share of training data, with the full model's scores as 100%."""

import json
import random
import subprocess
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import spacy  # noqa: E402
import typer  # noqa: E402
from spacy.tokens import DocBin  # noqa: E402

FRACTIONS = (0.25, 0.5, 0.75)


def dev_scores(model: Path) -> dict[str, float]:
    performance = json.loads((model / "meta.json").read_text(encoding="utf-8"))["performance"]
    return {"ents_f": performance["ents_f"], "rel_micro_f": performance["rel_micro_f"]}


def main(
    config: Path = typer.Argument(..., help="Training config."),
    train: Path = typer.Argument(..., help="Train DocBin."),
    dev: Path = typer.Argument(..., help="Dev DocBin."),
    full_model: Path = typer.Argument(..., help="The model trained on all of train (its dev scores are the 100% point)."),
    output: Path = typer.Argument(..., help="Folder for the subset models, curve.json and curve.png."),
    seed: int = typer.Option(0, help="Seed for drawing the subsets."),
    vectors: str = typer.Option("null", help="Vectors for [initialize], as in the main training."),
) -> None:
    docs = list(DocBin().from_disk(train).get_docs(spacy.blank("zh").vocab))
    random.Random(seed).shuffle(docs)
    points = {}
    for fraction in FRACTIONS:
        subset = output / f"train-{int(fraction * 100)}.spacy"
        subset.parent.mkdir(parents=True, exist_ok=True)
        DocBin(docs=docs[: int(len(docs) * fraction)], store_user_data=True).to_disk(subset)
        model_dir = output / f"model-{int(fraction * 100)}"
        typer.echo(f"Training on {fraction:.0%} of train")
        subprocess.run(
            [sys.executable, "-m", "spacy", "train", str(config), "--output", str(model_dir),
             "--paths.train", str(subset), "--paths.dev", str(dev), "--paths.vectors", vectors],
            check=True,
        )
        points[fraction] = dev_scores(model_dir / "model-best")
    points[1.0] = dev_scores(full_model)
    (output / "curve.json").write_text(json.dumps(points, indent=2) + "\n", encoding="utf-8")
    shares = [100 * f for f in points]
    figure, axes = plt.subplots(figsize=(6, 4))
    axes.plot(shares, [p["ents_f"] for p in points.values()], marker="o", label="entities F")
    axes.plot(shares, [p["rel_micro_f"] for p in points.values()], marker="o", label="relations F (end-to-end)")
    axes.set_xlabel(f"share of training documents (100% = {len(docs)})")
    axes.set_ylabel("dev F")
    axes.set_ylim(0, 1)
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    figure.savefig(output / "curve.png", dpi=120)
    typer.echo(f"Saved {output / 'curve.png'}")


if __name__ == "__main__":
    typer.run(main)
