import json
import subprocess
import sys
from pathlib import Path

import pytest

from zh_invest.corpus import Mirror

# Sentences written for the tests; the mirror fixture stands in for a third-party corpus.
STORY = "首段是导语。\n吉利新能源乘用车基地项目总投资120亿元。\n末段。"


@pytest.fixture
def mirror(tmp_path: Path) -> Mirror:
    source = tmp_path / "shared" / "corpus" / "xwlb" / "stories.jsonl"
    source.parent.mkdir(parents=True)
    source.write_text(json.dumps({"id": "xwlb-1", "text": STORY}, ensure_ascii=False) + "\n", encoding="utf-8")
    return Mirror(tmp_path / "shared")


@pytest.fixture
def write_jsonl(tmp_path: Path):
    def write(*records: dict | str, name: str = "docs.jsonl") -> Path:
        path = tmp_path / name
        lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in records]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    return write


@pytest.fixture(scope="session")
def pkuseg_model() -> Path:
    """The real CTB8 pkuseg model, fetched with the project's own command if missing."""
    folder = Path(__file__).parent.parent / "assets" / "pkuseg_ctb8"
    if not (folder / "model.txt").exists():
        subprocess.run([sys.executable, "scripts/fetch_pkuseg.py", str(folder)], check=True, cwd=folder.parent.parent)
    return folder
