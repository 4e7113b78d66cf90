"""Assemble the rule-based pipeline from the pattern files and save it.

The saved pipeline loads with ``spacy.load`` once ``zh_invest.rules`` is
imported (``--code zh_invest/rules.py`` on the spaCy CLI, or through the
package's entry points).
"""

from __future__ import annotations

from pathlib import Path

import srsly
import typer

from zh_invest.convert import SEGMENTERS, blank_nlp
from zh_invest.rules import add_rules


def main(
    patterns_dir: Path = typer.Argument(Path("patterns"), help="Folder with regions.jsonl, orgs.jsonl, org_suffixes.txt."),
    output_dir: Path = typer.Argument(Path("training/rules"), help="Where the pipeline is saved."),
    segmenter: str = typer.Option("char", help=f"One of {', '.join(SEGMENTERS)}."),
    pkuseg_model: Path = typer.Option(None, help="The pkuseg model folder (for --segmenter pkuseg)."),
) -> None:
    patterns = [
        *srsly.read_jsonl(patterns_dir / "regions.jsonl"),
        *srsly.read_jsonl(patterns_dir / "orgs.jsonl"),
    ]
    org_suffixes = (patterns_dir / "org_suffixes.txt").read_text(encoding="utf-8").split()
    nlp = add_rules(blank_nlp(segmenter, pkuseg_model), patterns, org_suffixes)
    nlp.meta["name"] = "zh_invest_rules"
    nlp.meta["description"] = "Rule-based pre-annotator and baseline for Chinese investment-project news."
    output_dir.parent.mkdir(parents=True, exist_ok=True)
    nlp.to_disk(output_dir)
    typer.echo(f"Saved {nlp.pipe_names} to {output_dir}")


if __name__ == "__main__":
    typer.run(main)
