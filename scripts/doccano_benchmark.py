"""Time doccano-push and doccano-pull of many documents on a throwaway local doccano server.

The documents are made up from a few sentence patterns written for this
benchmark, imported with import_markup.py and pushed as documents new to an
empty corpus, so the pull adds every one of them. Each command is timed as a
user runs it (wall clock, process start included). The numbers are written
as JSON and as a Markdown snippet for the README.
"""

import json
import os
import platform
import secrets
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import typer

from zh_invest.corpus import shared_root
from zh_invest.doccano_server import DEFAULT_VENVS, PROJECT_ROOT, free_port

PATTERNS = (
    "⟦第{n}号产业园项目|PROJECT#p⟧计划投资⟦{n}亿元|MONEY>p:INVESTMENT⟧，落实⟦“承诺制”改革|POLICY⟧。",
    "𠀾⟦第{n}号新能源基地项目|PROJECT#p⟧在⟦邯郸|REGION⟧开工，预计年产值⟦{n}.5亿元|MONEY>p:OUTPUT⟧。",
    "⟦第{n}號紡織項目|PROJECT#p⟧投資⟦{n}億元|MONEY>p:INVESTMENT⟧，由⟦祁陽市政府|ORG⟧推動，佔全市⟦{n}%|PERCENT⟧。",
)


def authoring_file(path: Path, count: int) -> None:
    """``count`` documents in the authoring notation of import_markup.py."""
    blocks = [f"### bench-{n:05}\n{PATTERNS[n % len(PATTERNS)].format(n=n)}\n" for n in range(1, count + 1)]
    path.write_text("\n".join(blocks), encoding="utf-8")


def run(script: str, *args: str, env: dict[str, str]) -> float:
    """Run scripts/<script>.py and return its wall-clock seconds."""
    started = time.perf_counter()
    finished = subprocess.run([sys.executable, f"scripts/{script}.py", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True)
    if finished.returncode != 0:
        typer.echo(finished.stdout + finished.stderr, err=True)
        raise typer.Exit(1)
    return time.perf_counter() - started


def main(
    documents: int = typer.Option(1000, help="How many documents to push and pull."),
    output: Path = typer.Option(Path("doccano/benchmark.md"), help="The Markdown snippet; the JSON goes beside it."),
    venvs: Path = typer.Option(DEFAULT_VENVS, help="Folder of the virtualenvs made by doccano-install."),
    shared: Path = typer.Option(None, help="The shared folder (default: $ZH_INVEST_SHARED or ../shared)."),
) -> None:
    # The throwaway server gets a throwaway login: the user's doccano is not touched.
    env = os.environ | {"DOCCANO_USERNAME": "benchmark", "DOCCANO_PASSWORD": secrets.token_urlsafe(16)}
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        authoring_file(work / "bench.txt", documents)
        run("import_markup", str(work / "bench.txt"), str(work / "incoming.jsonl"), env=env)
        (work / "corpus").mkdir()
        url = f"http://127.0.0.1:{free_port()}"
        run("doccano_start", "--port", url.rsplit(":", 1)[1], "--data", str(work / "server"), "--venvs", str(venvs.resolve()), env=env)
        try:
            common = [
                "--corpus", str(work / "corpus"), "--url", url, "--project", "benchmark", "--manifest", str(work / "manifest.json"),
                "--venvs", str(venvs.resolve()), "--shared", str(shared_root(shared).resolve()),
            ]
            push_seconds = run("doccano_push", str(work / "incoming.jsonl"), "--gold", *common, env=env)
            pull_seconds = run("doccano_pull", "--all", *common, env=env)
        finally:
            run("doccano_stop", "--data", str(work / "server"), env=env)
        pulled = sum(1 for _ in (work / "corpus" / "authored" / "doccano.jsonl").open(encoding="utf-8"))
    if pulled != documents:
        typer.echo(f"error: the pull added {pulled} of {documents} documents", err=True)
        raise typer.Exit(1)
    results = {
        "documents": documents,
        "push_seconds": round(push_seconds, 1),
        "pull_seconds": round(pull_seconds, 1),
        "machine": f"{os.cpu_count()} cores, {platform.python_implementation()} {platform.python_version()}",
        "date": date.today().isoformat(),
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.with_suffix(".json").write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    output.write_text(
        f"| documents | doccano-push | doccano-pull | machine | measured |\n| --- | --- | --- | --- | --- |\n"
        f"| {documents:,} | {results['push_seconds']} s | {results['pull_seconds']} s | {results['machine']} | {results['date']} |\n",
        encoding="utf-8",
    )
    typer.echo(output.read_text(encoding="utf-8"), nl=False)


if __name__ == "__main__":
    typer.run(main)
