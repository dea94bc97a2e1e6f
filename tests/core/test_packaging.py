"""Every data file the package reads at run time is declared as package data, so a wheel (not
only an editable install) carries it: the entity word lists were missing from wheels."""

from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _declared_globs() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return list(config["tool"]["setuptools"]["package-data"]["journal_me"])


def _matches(rel: str, pattern: str) -> bool:
    if pattern.startswith("**/"):
        return fnmatch.fnmatch(Path(rel).name, pattern[3:])
    return fnmatch.fnmatch(rel, pattern)


def test_every_data_file_in_the_package_is_package_data() -> None:
    package = ROOT / "journal_me"
    data = [
        p.relative_to(package).as_posix()
        for p in package.rglob("*")
        if p.is_file() and p.suffix not in {".py", ".pyc"} and "__pycache__" not in p.parts
    ]
    assert any(d.endswith(".txt") for d in data)  # the word lists exist to be checked
    globs = _declared_globs()
    missing = [d for d in data if not any(_matches(d, g) for g in globs)]
    assert missing == [], f"not declared as package data in pyproject.toml: {missing}"
