"""`journal-me doctor --smoke` is a newcomer's first diagnostic: it needs no journal and shows
one line per model family with its llama.cpp-vs-HF Δlogit."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from trainer.twins import FAMILIES

pytest.importorskip("llama_cpp")

_LINE = re.compile(r"ok\s+family (\w+) \([\d.]+s\) Δlogit (\d\.\de[-+]\d+) ")


@pytest.mark.slow
def test_doctor_smoke_without_a_vault_prints_every_family(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local/share"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "TOKENIZERS_PARALLELISM": "false",
    }  # no JOURNAL_ME_* variable, no config file, no journal anywhere
    run = subprocess.run(
        [sys.executable, "-m", "journal_me.cli", "doctor", "--smoke"],
        cwd=home,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    out = run.stdout + run.stderr
    assert run.returncode == 0, out[-4000:]
    assert "journal:    skipped (no journal at" in out and "journal-me init" in out
    found = {m.group(1): float(m.group(2)) for m in _LINE.finditer(out)}
    assert set(found) == set(FAMILIES), out[-4000:]
    assert all(delta <= 1e-4 for delta in found.values()), found
    assert not (home / "Documents").exists()  # nothing was created for the missing journal


def test_family_check_reports_a_broken_export(monkeypatch: pytest.MonkeyPatch) -> None:
    """A family whose parity fails is a FAIL line with the number, and the others still run."""
    import trainer.smoke as smoke

    deltas = {"qwen2": 2e-6, "qwen3": 0.3}

    def fake(family: str, root: Path, *, seed: int = 1) -> float:
        if family == "llama3":
            raise RuntimeError("llama.cpp refused the adapter")
        return deltas[family]

    monkeypatch.setattr(smoke, "family_delta_logit", fake)
    seen: list[smoke.SmokeStep] = []
    steps = smoke.run_family_checks(seen.append)
    assert seen == steps and [s.name for s in steps] == [f"family {f}" for f in FAMILIES]
    by_name = {s.name: s for s in steps}
    assert by_name["family qwen2"].ok and "Δlogit 2.0e-06" in by_name["family qwen2"].detail
    assert not by_name["family qwen3"].ok and "exceeds 0.0001" in by_name["family qwen3"].detail
    assert not by_name["family llama3"].ok and "refused the adapter" in by_name["family llama3"].detail
