"""Fixtures for chat/bridge: a copy of the sample vault indexed once, fake and real engines."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from journal_me.api import Journal, open_vault
from journal_me.config import load_settings
from journal_me.llm.reasoning import ReasoningEvent, ReasoningSplitter

ROOT = Path(__file__).resolve().parents[2]
SECRET = "ZEBRA-PLUM-7731"


@pytest.fixture(scope="session")
def sample_journal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Journal]:
    """The sample vault plus one planted private entry holding a secret about running."""
    base = tmp_path_factory.mktemp("sample")
    vault = base / "vault"
    shutil.copytree(ROOT / "vault", vault)
    (vault / "journal" / "2026" / "2026-09-14.md").write_text(
        "---\nprivate: true\ntitle: the 10K, honestly\n---\n"
        f"After the Leith 10K I told nobody that my running watch code is {SECRET}. "
        "The 10K medal is in the drawer with the running watch.\n",
        encoding="utf-8",
    )
    settings = load_settings(
        vault=vault,
        env={"JOURNAL_ME_DATA_DIR": str(base / "data"), "JOURNAL_ME_CONFIG": str(base / "none.toml")},
    )
    journal = open_vault(settings=settings)
    journal.reindex()
    yield journal
    journal.close()


class FakeEngine:
    """Streams a scripted reply through the real reasoning splitter; records prompts."""

    def __init__(
        self,
        reply: str = "<think>I remember the run.</think>It was hard but good.",
        n_ctx: int = 100_000,
        chunk: int = 3,
        start_in_reasoning: bool = False,
    ) -> None:
        self.reply = reply
        self.n_ctx = n_ctx
        self.chunk = chunk
        self.start_in_reasoning = start_in_reasoning
        self.prompts: list[list[dict[str, str]]] = []

    def count_prompt_tokens(self, messages: Sequence[Any]) -> int:
        return sum(len(m["content"]) for m in messages) // 4 + 4 * len(messages)

    def stream_events(self, messages: Sequence[Any], **options: Any) -> Iterator[ReasoningEvent]:
        self.prompts.append([dict(m) for m in messages])
        cancel: threading.Event | None = options.get("cancel")
        splitter = ReasoningSplitter(start_in_reasoning=self.start_in_reasoning)
        for i in range(0, len(self.reply), self.chunk):
            if cancel is not None and cancel.is_set():
                break
            yield from splitter.feed(self.reply[i : i + self.chunk])
        yield from splitter.flush()


@pytest.fixture
def fake_engine() -> FakeEngine:
    return FakeEngine()
