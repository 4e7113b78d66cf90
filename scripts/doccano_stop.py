"""Stop the local doccano server: exactly the processes doccano-start recorded, nothing else."""

from pathlib import Path

import typer

from zh_invest.doccano_server import DEFAULT_DATA, SERVER_PROCESSES, ServerData, stop_process


def main(
    data: Path = typer.Option(DEFAULT_DATA, help="The data folder the server was started with."),
) -> None:
    server = ServerData(data)
    for name in SERVER_PROCESSES:
        state = "stopped" if stop_process(server.pid_file(name)) else "was not running"
        typer.echo(f"{name}: {state}")


if __name__ == "__main__":
    typer.run(main)
