"""Start the local doccano server: gunicorn on 127.0.0.1 only, plus the task worker.

`doccano webserver` binds 0.0.0.0, so gunicorn is run directly. Each process
starts in a session of its own; its PID file records the PID and the process's
start time, so doccano-stop ends exactly this process group and never a
stranger that was handed a recycled PID.
"""

import os
import secrets
import socket
import subprocess
import time
from pathlib import Path

import typer

from zh_invest.doccano_server import (
    DEFAULT_DATA,
    DEFAULT_VENVS,
    PROJECT_ROOT,
    SERVER_PROCESSES,
    DoccanoError,
    ServerData,
    Venvs,
    health,
    load_credentials,
    record_process,
    recorded_pid,
    stop_process,
)


def backend_folder(venvs: Venvs) -> Path:
    """doccano's Django project inside the server venv (gunicorn's --chdir)."""
    found = subprocess.run(
        [str(venvs.python("server")), "-c", "import backend, os; print(os.path.dirname(backend.__file__))"],
        capture_output=True, text=True, check=True,
    )
    return Path(found.stdout.strip())


def port_is_free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


def run_logged(command: list[str], log: Path, environment: dict[str, str]) -> None:
    with log.open("a", encoding="utf-8") as out:
        finished = subprocess.run(command, stdout=out, stderr=subprocess.STDOUT, env=environment)
    if finished.returncode != 0:
        raise DoccanoError(f"{Path(command[0]).name} {command[1]} failed; see {log}")


def spawn(name: str, command: list[str], data: ServerData, environment: dict[str, str], cwd: Path) -> None:
    log = (data.logs / f"{name}.log").open("a", encoding="utf-8")
    process = subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, env=environment, cwd=cwd, start_new_session=True
    )
    record_process(data.pid_file(name), process.pid)


def main(
    port: int = typer.Option(8000, help="Port on 127.0.0.1 to serve doccano on."),
    data: Path = typer.Option(DEFAULT_DATA, help="The server's data folder (database, broker, uploads, logs, PID files)."),
    venvs: Path = typer.Option(DEFAULT_VENVS, help="Folder of the virtualenvs made by doccano-install."),
    workers: int = typer.Option(2, help="gunicorn worker processes."),
    wait: float = typer.Option(120, help="Seconds to wait for the health check to pass."),
) -> None:
    server, layout = ServerData(data.resolve()), Venvs(venvs.resolve())
    try:
        layout.require("server")
        credentials = load_credentials()
        if any(recorded_pid(server.pid_file(name)) for name in SERVER_PROCESSES):
            raise DoccanoError(f"a doccano server with data in {data} is already running: run doccano-stop first")
        if not port_is_free(port):
            raise DoccanoError(f"port {port} on 127.0.0.1 is taken: choose another with --port")
        for folder in (server.root, server.logs, server.media, server.pid_file("gunicorn").parent):
            folder.mkdir(parents=True, exist_ok=True)
        if not server.secret_key.exists():
            server.secret_key.touch(mode=0o600)
            server.secret_key.write_text(secrets.token_urlsafe(50), encoding="utf-8")
        # Only create_admin.py sees the login; the long-running processes never hold it.
        environment = {k: v for k, v in os.environ.items() if k not in credentials.environment()} | server.environment()
        backend = backend_folder(layout)
        init_log = server.logs / "init.log"
        # `doccano init` migrates the database and creates the roles; both are idempotent.
        run_logged([str(layout.executable("server", "doccano")), "init"], init_log, environment)
        create_admin = [str(layout.python("server")), str(PROJECT_ROOT / "doccano" / "create_admin.py")]
        run_logged(create_admin, init_log, environment | credentials.environment() | {"PYTHONPATH": str(backend)})
        gunicorn = [
            str(layout.executable("server", "gunicorn")), "--bind", f"127.0.0.1:{port}", "--chdir", str(backend),
            "--workers", str(workers), "--timeout", "300", "--access-logfile", "-", "config.wsgi:application",
        ]
        spawn("gunicorn", gunicorn, server, environment, backend)
        spawn("task", [str(layout.executable("server", "doccano")), "task", "--concurrency", "1"], server, environment, backend)
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + wait
        while (problem := health(url)) is not None and time.monotonic() < deadline:
            time.sleep(1)
        if problem is not None:
            for name in SERVER_PROCESSES:
                stop_process(server.pid_file(name))
            raise DoccanoError(f"doccano did not become healthy within {wait:.0f} s ({problem}); logs in {server.logs}")
    except DoccanoError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1)
    typer.echo(f"doccano is running at {url} (logs in {server.logs}); stop it with doccano-stop")


if __name__ == "__main__":
    typer.run(main)
