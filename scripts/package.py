"""Package a trained pipeline as an installable wheel, with its custom code,
its requirements and a model card.

`spacy package` copies the custom code in (--code) and builds the wheel; this
script adds what spaCy cannot know:

* the custom code: every project module that defines one of the pipeline's
  components or registered functions, the modules those import, and
  webtext.py with the raw-text call; each is copied flat into the package;
* the requirements of that code beyond spaCy's own (opencc for the rules'
  script conversion, say), and spacy-pkuseg when the tokenizer segments with
  pkuseg, since the tokenizer's config names no third-party function;
* no requirement on this project's own distribution: spaCy finds the custom
  components through the project's entry points and would require it, but it
  is not on any package index, and the wheel carries the code itself;
* a model card README.md with the scores measured by evaluate.py.
"""

import ast
import json
import shutil
import subprocess
import sys
import tempfile
from importlib.metadata import packages_distributions, requires, version
from pathlib import Path
from typing import Any

import spacy
import typer
from packaging.requirements import Requirement
from spacy.cli.package import package
from spacy.util import get_minor_version_range, registry, split_requirement, walk_dict
from thinc.api import Config

from zh_invest.corpus import LABELS

ROOT = Path(__file__).resolve().parent.parent
PROJECT_PACKAGE = "zh_invest"
RAW_TEXT_CALL = f"{PROJECT_PACKAGE}.webtext"
PROJECT_DISTRIBUTIONS = set(packages_distributions().get(PROJECT_PACKAGE, []))
# Installing spaCy brings these along.
SPACY_DISTRIBUTIONS = {"spacy", *(Requirement(r).name for r in requires("spacy") or [] if "extra ==" not in r)}


def scores_table(rows: list[tuple[str, dict[str, float]]]) -> str:
    lines = ["| | P | R | F |", "| --- | --- | --- | --- |"]
    lines += [f"| {name} | {s['p']:.3f} | {s['r']:.3f} | {s['f']:.3f} |" for name, s in rows]
    return "\n".join(lines)


def model_card(package_name: str, meta: dict[str, Any], metrics: dict[str, Any]) -> str:
    """The package's README: what it does, how to call it, and its measured scores."""
    test = metrics["test"]
    per_label = test["ents"]["per_label"]
    entity_rows = [(label, per_label[label]) for label in LABELS if label in per_label] + [("**all (micro)**", test["ents"])]
    relation_rows = [
        ("end-to-end (the pipeline's own entities)", test["relations_end_to_end"]),
        ("with gold entities", test["relations_gold_entities"]),
    ] + [(f"{kind} end-to-end", s) for kind, s in test["relations_end_to_end"]["per_type"].items()]
    return f"""# {package_name} {meta['version']}

Entities (REGION, ORG, MONEY, PERCENT, POLICY, PROJECT) and the relations of
amounts to projects (INVESTMENT, OUTPUT) in Chinese investment news, simplified
and traditional. Pipeline: {", ".join(meta["pipeline"])}; spaCy {meta["spacy_version"]}.

## Usage

Raw web text, pinyin glosses and boilerplate included; offsets index the raw text:

```python
import spacy
from {package_name}.webtext import extract
nlp = spacy.load("{package_name}")
result = extract(nlp, "唐山瀚海重工投資(tóu zī)建设的高端海工用钢生产线项目总投资58亿元。\\n责任编辑：张三")
print(result["entities"], result["relations"])  # relations: head/tail index result["entities"]
```

Or plain text: `doc = nlp(text)`, then `doc.ents` and `doc._.relations`
(items with `.head` MONEY span, `.tail` PROJECT span, `.label`, `.score`).

## Scores

Measured on the held-out test split ({test["documents"]} documents).

### Entities

{scores_table(entity_rows)}

### Relations

{scores_table(relation_rows)}
"""


def imported_modules(file: Path) -> set[str]:
    """Dotted names of the modules ``file`` imports; relative imports are the project's."""
    modules = set()
    for node in ast.walk(ast.parse(file.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level:
            modules.update(f"{PROJECT_PACKAGE}.{node.module or alias.name}" for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            modules.add(node.module)
    return modules


def module_file(module: str) -> Path:
    return ROOT.joinpath(*module.split(".")).with_suffix(".py")


def custom_code(config: Config) -> list[Path]:
    """The files of the project modules that the pipeline's components and
    registered functions come from, of the project modules they import, and
    of the raw-text call."""
    references = [("factories", c["factory"]) for c in config["components"].values() if "factory" in c]
    for section in ("nlp", "components"):
        references += [(path[-1][1:], value) for path, value in walk_dict(config[section]) if path[-1].startswith("@")]
    pending = {registry.find(registry_name, function)["module"] for registry_name, function in references} | {RAW_TEXT_CALL}
    shipped: set[str] = set()
    while pending:
        module = pending.pop()
        if module.split(".")[0] == PROJECT_PACKAGE and module not in shipped:
            shipped.add(module)
            pending |= imported_modules(module_file(module))
    return sorted(map(module_file, shipped))


def third_party_requirements(code: list[Path]) -> list[str]:
    """Version ranges of the distributions that ``code`` imports and spaCy does not bring."""
    top_level = {module.split(".")[0] for file in code for module in imported_modules(file)}
    distributions = packages_distributions()
    needed = {dist for name in top_level - sys.stdlib_module_names for dist in distributions.get(name, [])}
    return sorted(f"{dist}{get_minor_version_range(version(dist))}" for dist in needed - SPACY_DISTRIBUTIONS - PROJECT_DISTRIBUTIONS)


def requirements(from_spacy: list[str], config: Config, code: list[Path]) -> list[str]:
    """What the package needs: spaCy's list without this project, the code's
    third-party imports, and spacy-pkuseg for a pkuseg tokenizer."""
    needed = [r for r in from_spacy if split_requirement(r)[0] not in PROJECT_DISTRIBUTIONS]
    named = {split_requirement(r)[0] for r in needed}
    needed += [r for r in third_party_requirements(code) if split_requirement(r)[0] not in named]
    if config["nlp"]["tokenizer"].get("segmenter") == "pkuseg":
        needed.append(f"spacy-pkuseg{get_minor_version_range(version('spacy-pkuseg'))}")
    return needed


def main(
    model: Path = typer.Argument(..., exists=True, help="The trained pipeline folder."),
    output: Path = typer.Argument(..., help="Folder for the package; the wheel lands in <output>/<lang>_<name>-<version>/dist."),
    metrics: Path = typer.Option(..., exists=True, help="The metrics file written by evaluate.py, for the model card."),
    name: str = typer.Option(..., help="Package name without the language prefix, e.g. invest_ie."),
    version_: str = typer.Option(..., "--version", help="Package version."),
) -> None:
    meta = json.loads((model / "meta.json").read_text(encoding="utf-8"))
    # Loading registers every factory, so custom_code can look each one up.
    config = spacy.load(model).config
    code = custom_code(config)
    package_name = name if name.startswith(f"{meta['lang']}_") else f"{meta['lang']}_{name}"
    package_dir = output / f"{package_name}-{version_}"
    output.mkdir(parents=True, exist_ok=True)
    # spaCy takes README.md from the pipeline folder; a staged copy leaves the trained pipeline as it was.
    with tempfile.TemporaryDirectory() as staging:
        staged = Path(staging) / model.name
        shutil.copytree(model, staged)
        card = model_card(package_name, {**meta, "version": version_}, json.loads(metrics.read_text(encoding="utf-8")))
        (staged / "README.md").write_text(card, encoding="utf-8")
        package(staged, output, code_paths=code, name=name, version=version_, create_sdist=False, require_parent=True, force=True, silent=False)
    packaged_meta_path = package_dir / "meta.json"
    packaged_meta = json.loads(packaged_meta_path.read_text(encoding="utf-8"))
    packaged_meta["requirements"] = requirements(packaged_meta["requirements"], config, code)
    packaged_meta_path.write_text(json.dumps(packaged_meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    # A build left from an earlier run could slip removed files into the wheel.
    for stale in ("build", "dist"):
        shutil.rmtree(package_dir / stale, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "build", str(package_dir), "--wheel", "--outdir", str(package_dir / "dist")], check=True)
    typer.echo(f"{package_name} {version_} requires {', '.join(packaged_meta['requirements'])}")
    typer.echo(f"wheel: {next((package_dir / 'dist').glob('*.whl'))}")


if __name__ == "__main__":
    typer.run(main)
