"""`journal-me doctor --smoke`: prove this machine can run the model path end to end.

Builds a tiny random model in a temp dir (no download), loads it in llama.cpp with and
without a LoRA adapter, and streams a chat answer through the real chat mode on a scratch
vault. Each step reports its time; a failure names the step and the error. The trainer adds
its own steps (a few real SFT/DPO steps) through the same doctor hook.
"""

from __future__ import annotations

import datetime as dt
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class StepResult:
    name: str
    ok: bool
    seconds: float
    detail: str = ""


def run_steps(steps: list[tuple[str, Callable[[], str]]], report: Callable[[StepResult], None]) -> bool:
    """Run steps in order, stop at the first failure; report each."""
    for name, step in steps:
        start = time.perf_counter()
        try:
            detail = step()
        except Exception as exc:  # the point is to report any failure, clearly
            report(StepResult(name, False, time.perf_counter() - start, f"{type(exc).__name__}: {exc}"))
            return False
        report(StepResult(name, True, time.perf_counter() - start, detail))
    return True


def chat_smoke(report: Callable[[StepResult], None]) -> bool:
    """Tiny GGUF → llama.cpp → (adapter) → chat mode streaming, on a scratch vault."""
    from journal_me.offline import enforce_offline

    enforce_offline()
    with tempfile.TemporaryDirectory(prefix="journal-me-smoke-") as tmp:
        root = Path(tmp)
        state: dict[str, object] = {}

        def build() -> str:
            from trainer.tiny_gguf import build_tiny_adapter, build_tiny_gguf

            state["gguf"] = build_tiny_gguf(root / "tiny.gguf")
            state["lora"] = build_tiny_adapter(root / "tiny-lora.gguf")
            return f"{Path(state['gguf']).stat().st_size // 1024} KiB model + adapter"  # type: ignore[arg-type]

        def load() -> str:
            from journal_me.llm.engine import Engine

            # one thread: a tiny model gains nothing from more, and on a busy machine llama.cpp's
            # spinning worker threads make it ten times slower
            engine = Engine(state["gguf"], lora_path=state["lora"], n_ctx=2048, n_threads=1)  # type: ignore[arg-type]
            state["engine"] = engine
            return f"{engine.architecture}, n_ctx {engine.n_ctx}, with LoRA adapter"

        def chat() -> str:
            from journal_me.api import open_vault
            from journal_me.config import load_settings
            from journal_me.conversations import ConversationStore
            from journal_me.modes.chat import ChatOptions, ChatSession

            vault = root / "vault"
            vault.mkdir()
            (vault / "2026-01-02.md").write_text("Ran 5K by the river with Sam. #running\n", encoding="utf-8")
            settings = load_settings(
                vault=vault,
                env={"JOURNAL_ME_DATA_DIR": str(root / "data"), "JOURNAL_ME_CONFIG": str(root / "none.toml")},
            )
            journal = open_vault(settings=settings)
            journal.reindex()
            store = ConversationStore(root / "chats.sqlite3")
            session = ChatSession(
                journal,
                state["engine"],  # type: ignore[arg-type]
                store,
                options=ChatOptions(limit=2, max_tokens=16),
                today=dt.date.today,
            )
            start = time.perf_counter()
            first: float | None = None
            pieces = 0
            for ev in session.ask("who did I run with?"):
                if ev.kind in {"answer", "reasoning"} and ev.text:
                    pieces += 1
                    if first is None:
                        first = time.perf_counter() - start
            journal.close()
            store.close()
            state["engine"].close()  # type: ignore[attr-defined]
            if pieces == 0:
                raise RuntimeError("the model streamed nothing")
            return f"{pieces} chunks streamed, first after {1000 * (first or 0):.0f} ms"

        return run_steps(
            [("build tiny model", build), ("load in llama.cpp", load), ("stream a chat answer", chat)], report
        )
