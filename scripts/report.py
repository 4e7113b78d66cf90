"""Turn the JSON results of evaluate, relation_baseline, benchmark and the
experiments into a Markdown report, and write it into the README between
the results markers. Every number in the README comes from here."""

import json
import shutil
from pathlib import Path

import typer

from zh_invest.corpus import LABELS

START, END = "<!-- results:start -->", "<!-- results:end -->"


def load(path: Path | None) -> dict | None:
    return json.loads(path.read_text(encoding="utf-8")) if path and path.exists() else None


def table(header: list[str], rows: list[list[object]]) -> str:
    def cell(value: object) -> str:
        return f"{value:.3f}" if isinstance(value, float) else str(value)

    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join("---" for _ in header) + " |"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def entity_section(metrics: dict, rules: dict | None) -> str:
    rows = []
    for label in LABELS:
        model = metrics["test"]["ents"]["per_label"].get(label, {"p": 0.0, "r": 0.0, "f": 0.0})
        rule = rules["test"]["ents"]["per_label"].get(label, {}).get("f", 0.0) if rules else "—"
        rows.append([label, model["p"], model["r"], model["f"], rule])
    overall = metrics["test"]["ents"]
    rows.append(["**all (micro)**", overall["p"], overall["r"], overall["f"], rules["test"]["ents"]["f"] if rules else "—"])
    return "### Entities (test split)\n\n" + table(["label", "P", "R", "F", "rules F"], rows)


def relation_section(metrics: dict, rules: dict | None, baseline: dict | None) -> str:
    def scores(source: dict | None, key: str) -> list[object]:
        if source is None or key not in source["test"]:
            return ["—", "—", "—"]
        s = source["test"][key]
        return [s["p"], s["r"], s["f"]]

    rows = [
        ["trained relation extractor", *scores(metrics, "relations_end_to_end"), *scores(metrics, "relations_gold_entities")],
        ["rule linker", *scores(rules, "relations_end_to_end"), *scores(rules, "relations_gold_entities")],
        ["scikit-learn baseline", *scores(baseline, "relations_end_to_end"), *scores(baseline, "relations_gold_entities")],
    ]
    per_type = metrics["test"]["relations_end_to_end"]["per_type"]
    types = ", ".join(f"{name} F {s['f']:.3f}" for name, s in per_type.items())
    return (
        "### Relations (test split)\n\nEnd-to-end uses the pipeline's own entities; the gold columns give every method the gold entities.\n\n"
        + table(["method", "P", "R", "F", "P (gold ents)", "R (gold ents)", "F (gold ents)"], rows)
        + f"\n\nTrained extractor end-to-end by type: {types}."
    )


def script_section(metrics: dict) -> str:
    rows = [[view, f] for view, f in metrics["dev_by_script"].items()]
    return "### Traditional and simplified script (dev, entity F)\n\nThe same dev documents, as written and converted character by character.\n\n" + table(["dev text", "F"], rows)


def confusion_section(metrics: dict) -> str:
    confusion = metrics["test"]["confusion"]
    rows = [[f"**{gold}**", *counts] for gold, counts in zip(confusion["labels"], confusion["matrix"])]
    return "### Entity confusion (test; rows gold, columns predicted, exact spans)\n\n" + table(["gold \\ predicted", *confusion["labels"]], rows)


def misalignment_section(report: dict) -> str:
    rows = []
    for split, counts in report.items():
        total = sum(counts["entities"].values())
        lost = sum(counts["misaligned"].values())
        by_label = ", ".join(f"{label} {n}" for label, n in sorted(counts["misaligned"].items()))
        rows.append([split, total, lost, f"{lost / max(total, 1):.1%}", by_label])
    return "### pkuseg (CTB8) tokens vs gold entities\n\nEntities whose boundaries fall inside a pkuseg word cannot be learned or predicted by a pkuseg pipeline.\n\n" + table(
        ["split", "entities", "misaligned", "rate", "by label"], rows
    )


def benchmark_section(benchmark: dict) -> str:
    rows = [
        [name, " ".join(r["pipeline"]), f"{r['chars_per_second']:,.0f}", f"{r['chars_per_second_2_processes']:,.0f}", f"{r['load_seconds']:.2f}", f"{r['size_mb']:.1f}"]
        for name, r in benchmark["pipelines"].items()
    ]
    section = f"### Speed (CPU, {benchmark['characters']:,} characters of held-out text)\n\n" + table(
        ["pipeline", "components", "chars/s (1 process)", "chars/s (2 processes)", "load s", "size MB"], rows
    )
    # Results of benchmark.py before it timed each step have no such table.
    steps = [
        [name, " · ".join(f"{step} {seconds:.2f}" for step, seconds in r["seconds_per_step"].items())]
        for name, r in benchmark["pipelines"].items()
        if "seconds_per_step" in r
    ]
    if steps:
        section += "\n\nSeconds spent in each step on the same text (one process):\n\n" + table(["pipeline", "seconds per step"], steps)
    return section


def variants_section(variants: list[str]) -> str | None:
    """Dev scores that training recorded in each variant's meta.json; variants not trained yet are left out."""
    rows = []
    for variant in variants:
        name, _, path = variant.partition("=")
        meta = load(Path(path) / "meta.json")
        if meta is not None:
            performance = meta["performance"]
            rows.append([name, performance["ents_f"], performance.get("rel_micro_f", "—")])
    if not rows:
        return None
    return "### Variants (dev, as recorded by training)\n\n" + table(["variant", "entity F", "relation F (end-to-end)"], rows)


def main(
    metrics: Path = typer.Option(Path("training/metrics.json"), help="evaluate.py output for the trained pipeline."),
    rules: Path = typer.Option(Path("training/rules-metrics.json"), help="evaluate.py output for the rules."),
    baseline: Path = typer.Option(Path("training/baseline.json"), help="relation_baseline.py output."),
    benchmark: Path = typer.Option(Path("training/benchmark.json"), help="benchmark.py output."),
    variant: list[str] = typer.Option([], help="NAME=MODEL_DIR of a trained variant to compare on dev (repeatable)."),
    curve: Path = typer.Option(Path("training/curve"), help="learning_curve.py output folder."),
    readme: Path = typer.Option(Path("README.md"), help="README to update between the results markers."),
    figures: Path = typer.Option(Path("docs"), help="Committed folder for the figures the README shows."),
    doccano_benchmark: Path = typer.Option(Path("doccano/benchmark.md"), help="Table written by doccano_benchmark.py."),
    misaligned: Path = typer.Option(Path("corpus/pkuseg/misaligned.json"), help="convert.py's report for the pkuseg segmenter."),
    output: Path = typer.Option(Path("training/report.md"), help="The Markdown report."),
) -> None:
    model_metrics = load(metrics)
    if model_metrics is None:
        typer.echo(f"error: {metrics} is missing: run `spacy project run evaluate` first", err=True)
        raise typer.Exit(1)
    rule_metrics = load(rules)
    sections = [
        entity_section(model_metrics, rule_metrics),
        relation_section(model_metrics, rule_metrics, load(baseline)),
        script_section(model_metrics),
        confusion_section(model_metrics),
    ]
    if (variants := variants_section(variant)) is not None:
        sections.append(variants)
    if (pkuseg_report := load(misaligned)) is not None:
        sections.append(misalignment_section(pkuseg_report))
    if (curve / "curve.png").exists():
        # The README is committed and training/ is not: keep a copy of the plot beside the README.
        figures.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(curve / "curve.png", figures / "learning_curve.png")
        sections.append(f"### Learning curve (dev)\n\n![learning curve]({figures / 'learning_curve.png'})")
    if (speed := load(benchmark)) is not None:
        sections.append(benchmark_section(speed))
    if doccano_benchmark.exists():
        sections.append("### doccano round trip (`spacy project run doccano-benchmark`)\n\n" + doccano_benchmark.read_text(encoding="utf-8").strip())
    body = "\n\n".join(sections)
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(f"# zh-invest-ie evaluation\n\nModel: `{model_metrics['model']}`\n\n{body}\n", encoding="utf-8")
    text = readme.read_text(encoding="utf-8")
    if START not in text or END not in text:
        typer.echo(f"error: {readme} has no {START} … {END} markers", err=True)
        raise typer.Exit(1)
    before, rest = text.split(START, 1)
    after = rest.split(END, 1)[1]
    note = "<!-- Generated by `spacy project run report`; edits here are overwritten. -->"
    readme.write_text(f"{before}{START}\n{note}\n\n{body}\n\n{END}{after}", encoding="utf-8")
    typer.echo(f"Wrote {output} and the results section of {readme}")


if __name__ == "__main__":
    typer.run(main)
