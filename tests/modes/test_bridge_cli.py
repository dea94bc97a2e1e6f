"""`bridge --json` says how many memories were withheld and why; the text mode says it on stderr."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from journal_me.cli import main

ROOT = Path(__file__).resolve().parents[2]


def test_bridge_json_and_text_say_what_was_withheld(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    vault = tmp_path / "vault"
    shutil.copytree(ROOT / "vault", vault)
    assert main(["--vault", str(vault), "index"]) == 0
    capsys.readouterr()
    monkeypatch.setattr("sys.stdin", io.StringIO(""))  # nothing piped: the text is the argument
    request = ["help", "me", "plan", "a", "half", "marathon"]
    code = main(["--vault", str(vault), "bridge", "enhance", *request, "--json", "--no-save"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert data["withheld"]["relevance"] > 0  # unrelated passages: counted, not sent
    assert "Can't sleep" not in data["draft"] and "chest thing" not in data["draft"]
    code = main(["--vault", str(vault), "bridge", "enhance", *request, "--no-save"])
    out, err = capsys.readouterr()
    assert code == 0 and "memories withheld:" in err and "not relevant" in err
    assert "withheld" not in out  # the draft itself stays paste-ready
