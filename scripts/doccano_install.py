"""Create the isolated virtualenvs of the doccano server and client.

A virtualenv whose requirements file has not changed since its last install
is left as it is, so the command is cheap to repeat.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import typer

from zh_invest.doccano_server import DEFAULT_VENVS, REQUIREMENTS, Venvs


def main(
    venvs: Path = typer.Option(DEFAULT_VENVS, help="Folder for the server and client virtualenvs."),
    force: bool = typer.Option(False, "--force", help="Rebuild the virtualenvs even if they are up to date."),
) -> None:
    layout = Venvs(venvs)
    for name, requirements in REQUIREMENTS.items():
        if layout.is_current(name) and not force:
            typer.echo(f"{name}: {venvs / name} is up to date")
            continue
        typer.echo(f"{name}: installing {requirements.name} into {venvs / name}")
        shutil.rmtree(venvs / name, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venvs / name)], check=True)
        pip = [str(layout.python(name)), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        installed = subprocess.run([*pip, "-r", str(requirements)])
        if installed.returncode != 0:
            typer.echo(f"error: pip could not install {requirements}; see its output above", err=True)
            raise typer.Exit(1)
        shutil.copyfile(requirements, layout.installed_marker(name))
    typer.echo("doccano server and client are installed")


if __name__ == "__main__":
    typer.run(main)
