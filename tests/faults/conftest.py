"""Fault injection: `kill -9` at random points of the commands that write, in bounded loops.

Every test here drives real subprocesses (``python -m journal_me.cli …`` or a small driver
that calls the same API in a loop and prints ``ok ID`` after each confirmed write), kills
them at a random moment, and checks what is on disk as the next start sees it. Each test
adds a row to the counts table printed at the end of the module (``pytest -s`` shows it):

- attempts: processes killed
- confirmed: writes the process reported done before it died; present: of those, found
- invalid: files that do not parse, hold a torn write, or state that does not load
- leftovers: temp files / unfinished folders still there after the next start

The seed is printed, and ``JOURNAL_ME_FAULT_SEED`` replays a run.
"""

from __future__ import annotations

import dataclasses
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from journal_me.config import Settings, load_settings

REPO_VAULT = Path(__file__).resolve().parents[2] / "vault"


@dataclasses.dataclass
class Counts:
    operation: str
    attempts: int = 0
    confirmed: int = 0
    present: int = 0
    invalid: int = 0
    leftovers: int = 0
    seconds: float = 0.0

    @property
    def lost(self) -> int:
        return self.confirmed - self.present

    def row(self) -> str:
        return (
            f"{self.operation:<16}{self.attempts:>9}{self.confirmed:>11}{self.present:>9}"
            f"{self.lost:>6}{self.invalid:>9}{self.leftovers:>11}{self.seconds:>9.1f}s"
        )


HEADER = (
    f"{'operation':<16}{'attempts':>9}{'confirmed':>11}{'present':>9}{'lost':>6}{'invalid':>9}"
    f"{'leftovers':>11}{'time':>10}"
)
TABLE: list[Counts] = []


def print_table(rows: Sequence[Counts]) -> None:
    total = Counts("total")
    for r in rows:
        for f in ("attempts", "confirmed", "present", "invalid", "leftovers", "seconds"):
            setattr(total, f, getattr(total, f) + getattr(r, f))
    lines = ["", "kill -9 fault injection", HEADER, *(r.row() for r in rows), total.row()]
    print("\n".join(lines), flush=True)


@pytest.fixture(scope="session")
def rng() -> random.Random:
    seed = int(os.environ.get("JOURNAL_ME_FAULT_SEED") or random.SystemRandom().randrange(1 << 30))
    print(f"\nfault injection seed: {seed} (JOURNAL_ME_FAULT_SEED={seed} replays it)")
    return random.Random(seed)


@pytest.fixture(scope="session", autouse=True)
def _counts_table() -> Iterator[None]:
    yield
    if TABLE:
        print_table(TABLE)


@pytest.fixture
def counts(request: pytest.FixtureRequest) -> Iterator[Counts]:
    row = Counts(request.node.name.removeprefix("test_kill_9_"))
    started = time.monotonic()
    yield row
    row.seconds = time.monotonic() - started
    TABLE.append(row)
    print_table([row])


@dataclasses.dataclass
class FaultEnv:
    root: Path

    @property
    def vault(self) -> Path:
        return self.root / "vault"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    def environ(self) -> dict[str, str]:
        env = dict(os.environ)
        env.update(
            JOURNAL_ME_DATA_DIR=str(self.data),
            JOURNAL_ME_CONFIG=str(self.config),
            JOURNAL_ME_VAULT=str(self.vault),
            CUDA_VISIBLE_DEVICES="",
            TOKENIZERS_PARALLELISM="false",
        )
        return env

    def settings(self) -> Settings:

        return load_settings(vault=self.vault, env=self.environ())

    def cli(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "journal_me.cli", "--vault", str(self.vault), *args]

    def driver(self, code: str, *args: str) -> list[str]:
        return [sys.executable, "-c", code, *args]


CONFIG = """\
name = "Elena"

[train]
epochs = 1
batch_size = 2
max_length = 1024

[llm]
n_ctx = 2048
n_threads = 1
"""


@pytest.fixture
def fault_env(tmp_path: Path) -> FaultEnv:
    """A vault of 30 sample entries, its own config and data dir."""
    env = FaultEnv(tmp_path)
    files = sorted((REPO_VAULT / "journal/2025").glob("*.md"))[:24]
    files += sorted((REPO_VAULT / "people").glob("*.md"))[:6]
    for src in files:
        dest = env.vault / src.relative_to(REPO_VAULT)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(src, dest)
    env.config.write_text(CONFIG, encoding="utf-8")
    return env


@dataclasses.dataclass
class Killed:
    confirmed: list[str]
    finished: bool  # it ended by itself before the kill
    returncode: int
    output: str


def run_and_kill(
    cmd: list[str], env: dict[str, str], *, delay: float, after_ready: bool, timeout: float = 60
) -> Killed:
    """Start ``cmd``; ``delay`` seconds after it starts (or after it prints ``ready``),
    SIGKILL it. Returns the ``ok ID`` lines it printed before dying."""
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    assert proc.stdout is not None
    out = b""
    if after_ready:
        deadline = time.monotonic() + timeout
        while b"ready\n" not in out:
            left = deadline - time.monotonic()
            chunk = b""
            if left > 0 and select.select([proc.stdout], [], [], min(left, 0.5))[0]:
                chunk = os.read(proc.stdout.fileno(), 65536)
                if chunk:
                    out += chunk
                    continue
            if left <= 0 or (not chunk and proc.poll() is not None):
                proc.kill()
                rest = proc.communicate()[0]
                raise AssertionError(f"driver never got ready:\n{(out + rest).decode(errors='replace')}")
    time.sleep(delay)
    finished = proc.poll() is not None
    if not finished:
        os.kill(proc.pid, signal.SIGKILL)
    rest = proc.communicate(timeout=timeout)[0]
    text = (out + rest).decode(errors="replace")
    confirmed = [line[3:].strip() for line in text.splitlines() if line.startswith("ok ")]
    return Killed(confirmed, finished, proc.returncode, text)


def leftover_files(*roots: Path) -> list[Path]:
    """Temp files of atomic writes (``.NAME.*.tmp``) and partial downloads anywhere below."""
    found: list[Path] = []
    for root in roots:
        if root.is_dir():
            found += [p for p in root.rglob(".*.tmp") if p.is_file()]
    return found


def invalid_json(root: Path) -> list[Path]:
    """JSON files below ``root`` that do not parse."""
    import json

    bad = []
    for path in root.rglob("*.json"):
        try:
            json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            bad.append(path)
    return bad
