"""A real doccano server for the test session, and an annotator who edits through its REST API.

The server runs from the project's own virtualenvs (doccano-install makes
them if they are missing or out of date) with a throwaway data folder and a
free port, and is stopped with doccano-stop when the session ends.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from zh_invest.doccano_server import DEFAULT_VENVS, PROJECT_ROOT, REQUIREMENTS, Venvs, free_port


def run_script(name: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run scripts/<name>.py in the project venv as a user would, from the project folder."""
    return subprocess.run(
        [sys.executable, f"scripts/{name}.py", *args], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True
    )


@dataclass(frozen=True)
class Server:
    url: str
    data: Path
    env: dict[str, str]  # the environment with the admin's login
    username: str
    password: str


def start_server(data: Path) -> Server:
    username, password = "zh-invest-admin", secrets.token_urlsafe(16)
    env = os.environ | {"DOCCANO_USERNAME": username, "DOCCANO_PASSWORD": password}
    port = free_port()
    started = run_script("doccano_start", "--port", str(port), "--data", str(data), env=env)
    assert started.returncode == 0, started.stderr
    return Server(f"http://127.0.0.1:{port}", data, env, username, password)


@pytest.fixture(scope="session")
def doccano_server(tmp_path_factory: pytest.TempPathFactory):
    if not all(Venvs(PROJECT_ROOT / DEFAULT_VENVS).is_current(name) for name in REQUIREMENTS):
        installed = run_script("doccano_install")
        assert installed.returncode == 0, installed.stdout + installed.stderr
    server = start_server(tmp_path_factory.mktemp("doccano-server"))
    yield server
    run_script("doccano_stop", "--data", str(server.data))


class Annotator:
    """Does what an annotator does in the web UI, through the same REST API."""

    def __init__(self, server: Server, project_name: str) -> None:
        self.api = f"{server.url}/v1"
        self.session = requests.Session()
        self.session.post(f"{self.api}/auth/login/", json={"username": server.username, "password": server.password}).raise_for_status()
        self.session.headers["X-CSRFToken"] = self.session.cookies["csrftoken"]
        projects = self.get("projects", limit=100)["results"]
        self.project = f"projects/{next(p['id'] for p in projects if p['name'] == project_name)}"
        examples = self.get(f"{self.project}/examples", limit=1000)["results"]
        self.examples = {e["meta"]["zh_invest_id"]: e["id"] for e in examples}
        self.span_types = {t["text"]: t["id"] for t in self.get(f"{self.project}/span-types")}
        self.relation_types = {t["text"]: t["id"] for t in self.get(f"{self.project}/relation-types")}

    def get(self, resource: str, **params: Any) -> Any:
        response = self.session.get(f"{self.api}/{resource}", params=params)
        response.raise_for_status()
        return response.json()

    def send(self, method: str, resource: str, payload: dict | None = None) -> None:
        self.session.request(method, f"{self.api}/{resource}", json=payload).raise_for_status()

    def _example(self, key: str) -> str:
        return f"{self.project}/examples/{self.examples[key]}"

    def _span_id(self, key: str, start: int, end: int) -> int:
        spans = self.get(f"{self._example(key)}/spans")
        return next(s["id"] for s in spans if (s["start_offset"], s["end_offset"]) == (start, end))

    def add_span(self, key: str, start: int, end: int, label: str) -> None:
        self.send("POST", f"{self._example(key)}/spans", {"label": self.span_types[label], "start_offset": start, "end_offset": end})

    def delete_span(self, key: str, start: int, end: int) -> None:
        self.send("DELETE", f"{self._example(key)}/spans/{self._span_id(key, start, end)}")

    def relabel_span(self, key: str, start: int, end: int, label: str) -> None:
        self.send("PATCH", f"{self._example(key)}/spans/{self._span_id(key, start, end)}", {"label": self.span_types[label]})

    def add_relation(self, key: str, head: tuple[int, int], tail: tuple[int, int], label: str) -> None:
        payload = {"from_id": self._span_id(key, *head), "to_id": self._span_id(key, *tail), "type": self.relation_types[label]}
        self.send("POST", f"{self._example(key)}/relations", payload)

    def delete_relation(self, key: str, head: tuple[int, int]) -> None:
        head_id = self._span_id(key, *head)
        relation = next(r for r in self.get(f"{self._example(key)}/relations") if r["from_id"] == head_id)
        self.send("DELETE", f"{self._example(key)}/relations/{relation['id']}")

    def mark_done(self, key: str) -> None:
        self.send("POST", f"{self._example(key)}/states")
