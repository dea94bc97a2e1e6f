"""The Training screen shows the trainer's preflight before any step: each check, and a
refusal as "Training failed at preflight" with the fix (a fake trainer, no torch)."""

from __future__ import annotations

import sys
from pathlib import Path

from textual.widgets import Static

from journal_me.config import Settings
from journal_me.tui.app import JournalMeApp

from .conftest import SIZE, settle, wait_until
from .test_training_screen import app, log_text, open_training, plain, trained, training_mode

__all__ = ["app", "trained", "training_mode"]  # fixtures shared with test_training_screen

REFUSING_TRAINER = r"""
import json, sys

def emit(**event):
    print(json.dumps(event), flush=True)

emit(event="preflight", ok=False, checks=[
    {"name": "base", "ok": True, "detail": "qwen3-4b (2.50 GB GGUF)", "fix": ""},
    {"name": "export", "ok": False, "detail": "Qwen3ForCausalLM: cannot be exported",
     "fix": "pull qwen2.5-1.5b"},
])
emit(event="outcome", status="failed", reason="export: Qwen3ForCausalLM: cannot be exported",
     step="preflight", hint="pull qwen2.5-1.5b", run_dir=None)
sys.exit(2)
"""


async def test_a_refused_preflight_is_shown_with_its_checks_and_fix(
    app: JournalMeApp, trained: Settings, tmp_path: Path
) -> None:
    script = tmp_path / "refusing_trainer.py"
    script.write_text(REFUSING_TRAINER, encoding="utf-8")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_training(pilot, command=[sys.executable, str(script)], gpu_probe=lambda: True)
        await pilot.press("f5")
        await wait_until(pilot, lambda: not screen.running, timeout=20, what="the run to end")
        await settle(pilot)
        log = log_text(screen)
        assert "✓ preflight base: qwen3-4b" in log
        assert "✗ preflight export: Qwen3ForCausalLM" in log
        status = plain(screen.query_one("#training-status", Static))
        assert "Training failed at preflight" in status and "What to do: pull qwen2.5-1.5b" in status
