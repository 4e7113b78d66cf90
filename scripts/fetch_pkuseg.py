"""Fetch the CTB8 pkuseg model shipped in the pkuseg 0.0.12 wheel on the package index."""

import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import typer

WHEEL = "pkuseg==0.0.12"
MODEL_DIR = "pkuseg/models/ctb8/"


def main(output: Path = typer.Argument(..., help="Folder to put the CTB8 model files in.")) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        typer.echo(f"Downloading {WHEEL} (about 44 MB) with pip")
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:", "--dest", tmp, WHEEL],
            check=True,
        )
        wheel = next(Path(tmp).glob("pkuseg-*.whl"))
        output.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(wheel) as archive:
            members = [m for m in archive.namelist() if m.startswith(MODEL_DIR) and not m.endswith(("/", ".py"))]
            for member in members:
                (output / Path(member).name).write_bytes(archive.read(member))
    typer.echo(f"{len(members)} model files written to {output}")


if __name__ == "__main__":
    typer.run(main)
