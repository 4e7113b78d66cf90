"""Where the local doccano server and client live, and who logs in to them.

doccano 1.8.4 and doccano-client 1.2.8 cannot share the project's environment
(Django 4 with pandas<2; pydantic<2), so each gets a virtualenv of its own,
made by ``scripts/doccano_install.py`` from ``doccano/*-requirements.txt``.
The server keeps everything (SQLite database, SQLite broker, uploads, logs,
PID files) in one data folder, so a test session can run a throwaway server
beside the developer's one.

Credentials come from $DOCCANO_USERNAME and $DOCCANO_PASSWORD, or from an
uncommitted ``.env`` file; they are handed to child processes through their
environment only, never on a command line, where ``ps`` would show them.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = {
    "server": PROJECT_ROOT / "doccano" / "server-requirements.txt",
    "client": PROJECT_ROOT / "doccano" / "client-requirements.txt",
}
CLIENT_SCRIPT = PROJECT_ROOT / "doccano" / "client.py"
DEFAULT_VENVS = Path(".doccano/venvs")
DEFAULT_DATA = Path(".doccano/server")
DEFAULT_URL = "http://127.0.0.1:8000"
# The processes doccano-start runs, each with a PID file and a log of that name.
SERVER_PROCESSES = ("gunicorn", "task")
USERNAME_VARIABLE = "DOCCANO_USERNAME"
PASSWORD_VARIABLE = "DOCCANO_PASSWORD"


class DoccanoError(Exception):
    """Something about the doccano server or its tooling that the user must fix; the message says what."""


@dataclass(frozen=True)
class Credentials:
    username: str
    password: str = field(repr=False)

    def environment(self) -> dict[str, str]:
        return {USERNAME_VARIABLE: self.username, PASSWORD_VARIABLE: self.password}


def read_env_file(path: Path) -> dict[str, str]:
    """``KEY=VALUE`` lines of a .env file; blank lines, comments and surrounding quotes are ignored."""
    if not path.exists():
        return {}
    values = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        values[key.strip()] = value.strip().strip("'\"")
    return values


def load_credentials(env_file: Path = PROJECT_ROOT / ".env") -> Credentials:
    """The doccano login: the environment wins over ``env_file``."""
    values = read_env_file(env_file) | {k: v for k, v in os.environ.items() if k in (USERNAME_VARIABLE, PASSWORD_VARIABLE)}
    missing = [name for name in (USERNAME_VARIABLE, PASSWORD_VARIABLE) if not values.get(name)]
    if missing:
        raise DoccanoError(f"set {' and '.join(missing)} in the environment or in {env_file} (never commit it)")
    return Credentials(values[USERNAME_VARIABLE], values[PASSWORD_VARIABLE])


@dataclass(frozen=True)
class Venvs:
    """The two isolated virtualenvs."""

    root: Path

    def python(self, name: str) -> Path:
        return self.root / name / "bin" / "python"

    def executable(self, name: str, program: str) -> Path:
        return self.root / name / "bin" / program

    def installed_marker(self, name: str) -> Path:
        """A copy of the requirements the venv was last installed from."""
        return self.root / name / "installed-requirements.txt"

    def is_current(self, name: str) -> bool:
        marker = self.installed_marker(name)
        return marker.exists() and marker.read_text(encoding="utf-8") == REQUIREMENTS[name].read_text(encoding="utf-8")

    def require(self, name: str) -> None:
        if not self.python(name).exists():
            raise DoccanoError(f"the doccano {name} virtualenv is missing in {self.root}: run doccano-install first")


@dataclass(frozen=True)
class ServerData:
    """The server's data folder: database, broker, uploads, logs and PID files."""

    root: Path

    @property
    def database(self) -> Path:
        return self.root / "db.sqlite3"

    @property
    def broker(self) -> Path:
        return self.root / "broker.sqlite3"

    @property
    def media(self) -> Path:
        return self.root / "media"

    @property
    def secret_key(self) -> Path:
        return self.root / "secret_key"

    @property
    def logs(self) -> Path:
        return self.root / "logs"

    def pid_file(self, process: str) -> Path:
        return self.root / "run" / f"{process}.pid"

    def environment(self) -> dict[str, str]:
        """The variables doccano's settings (backend/config/settings/base.py) and CLI read.
        Paths are absolute, since gunicorn and the worker run in doccano's own folder."""
        return {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DEBUG": "False",
            # Serves the web UI from gunicorn, as `doccano webserver` does.
            "STANDALONE": "True",
            "DOCCANO_HOME": str(self.root.resolve()),
            "DATABASE_URL": f"sqlite:///{self.database.resolve()}",
            # A broker file of its own keeps the worker's polling off the main database's lock.
            "CELERY_BROKER_URL": f"sqla+sqlite:///{self.broker.resolve()}",
            "MEDIA_ROOT": str(self.media.resolve()),
            "SECRET_KEY": self.secret_key.read_text(encoding="utf-8").strip(),
        }


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def health(url: str, timeout: float = 10) -> str | None:
    """None when the server and its task worker answer, else what is wrong.

    doccano's /v1/health/ checks the database and sends a task through the
    broker to the worker, so a 200 means imports and exports will run."""
    try:
        with urllib.request.urlopen(f"{url.rstrip('/')}/v1/health/?format=json", timeout=timeout) as response:
            response.read()
        return None
    except urllib.error.HTTPError as error:
        failing = json.loads(error.read() or b"{}")
        return "unhealthy: " + ", ".join(f"{check}: {state}" for check, state in failing.items() if state != "OK")
    except (urllib.error.URLError, OSError) as error:
        return f"no answer from {url} ({getattr(error, 'reason', error)})"


def _start_time(pid: int) -> str | None:
    """The kernel's start time of ``pid`` (field 22 of /proc/PID/stat), or None if there is no such process."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    return stat.rsplit(")", 1)[1].split()[19]


def record_process(pid_file: Path, pid: int) -> None:
    pid_file.write_text(json.dumps({"pid": pid, "start_time": _start_time(pid)}) + "\n", encoding="utf-8")


def recorded_pid(pid_file: Path) -> int | None:
    """The PID in ``pid_file`` if that very process still runs (not a later one with a recycled PID)."""
    if not pid_file.exists():
        return None
    recorded = json.loads(pid_file.read_text(encoding="utf-8"))
    return recorded["pid"] if _start_time(recorded["pid"]) == recorded["start_time"] else None


def stop_process(pid_file: Path, wait: float = 30) -> bool:
    """End the process group started with ``pid_file`` (the process leads its own session);
    True if it was running. SIGTERM first, SIGKILL after ``wait`` seconds."""
    pid = recorded_pid(pid_file)
    if pid is not None:
        os.killpg(pid, signal.SIGTERM)
        deadline = time.monotonic() + wait
        while _group_alive(pid) and time.monotonic() < deadline:
            time.sleep(0.2)
        if _group_alive(pid):
            os.killpg(pid, signal.SIGKILL)
    pid_file.unlink(missing_ok=True)
    return pid is not None


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True
