"""`journal-me metrics` on the sample vault: the list, a series with its summary, --from/--to,
--public-only, and the text view."""

from __future__ import annotations

import json

import pytest

from journal_me.cli import main
from journal_me.config import Settings


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(list(args)) == 0
    return capsys.readouterr().out


def test_metrics_on_the_sample_vault(sample_settings: Settings, capsys: pytest.CaptureFixture[str]) -> None:
    vault = str(sample_settings.vault)
    listed = json.loads(_run(capsys, "--vault", vault, "metrics", "--json"))
    assert [m["name"] for m in listed] == ["bp", "exercise", "mood", "sleep"]
    november = ("metrics", "sleep", "--from", "2025-11-01", "--to", "2025-11-30", "--json")
    nov = json.loads(_run(capsys, "--vault", vault, *november))
    assert (nov["n_days"], nov["min"], nov["median"], nov["max"]) == (11, 3.0, 5.5, 9.0)
    assert nov["points"][5]["sources"][0]["path"] == "journal/2025/2025-11-15.md"
    public = json.loads(_run(capsys, "--vault", vault, *november, "--public-only"))
    assert public["n_days"] == 9  # the two therapy entries (7 and 21 Nov) are private
    text = _run(capsys, "--vault", vault, "metrics", "bp")
    assert "two numbers each (e.g. 131/84 on 2025-12-09)" in text
    assert main(["--vault", vault, "metrics", "nosuch"]) == 1
