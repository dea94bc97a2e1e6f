"""bench/gpu_check.py cannot rot: its --dry-run runs every phase on CPU with tiny twins."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "bench" / "gpu_check.py"


def _load() -> Any:
    spec = importlib.util.spec_from_file_location("gpu_check", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(out: Path, *args: str, timeout: float = 900) -> tuple[int, dict[str, Any]]:
    env = {**os.environ, "CUDA_VISIBLE_DEVICES": ""}
    done = subprocess.run(
        [sys.executable, str(SCRIPT), str(out), "--dry-run", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    report = json.loads((out / "gpu_check.json").read_text(encoding="utf-8"))
    return done.returncode, report


def test_dry_run_runs_every_phase_on_cpu(tmp_path: Path) -> None:
    # a generous deadline (an upper bound: each phase ends when done) for shared CI machines;
    # idle, the dry run takes a minute or two
    rc, report = _run(tmp_path / "out", "--deadline", "1500", timeout=1800)
    phases = report["phases"]
    assert list(phases) == ["env", "twins", "sft_peft", "sft_unsloth16", "sft_unsloth4", "train"]
    assert rc == 0, json.dumps(phases, indent=1)[-3000:]
    assert report["dry_run"] is True
    assert phases["env"]["packages"]["torch"] and phases["env"]["cuda_available"] is False
    assert set(phases["twins"]["built"]) == {"qwen2.5-1.5b", "qwen3-1.7b", "e2e"}
    assert phases["twins"]["configs"] == {"qwen2.5-1.5b": "Qwen2Config", "qwen3-1.7b": "Qwen3Config"}
    runs = phases["sft_peft"]["runs"]
    assert [r["model"] for r in runs] == ["qwen2.5-1.5b", "qwen3-1.7b"]
    assert all(r["status"] == "ok" and r["tokens_per_s"] > 0 and r["backend"] == "peft" for r in runs)
    for name in ("sft_unsloth16", "sft_unsloth4"):  # no CUDA here: recorded, not fatal
        assert phases[name]["status"] == "skipped" and phases[name]["why"]
    train = phases["train"]
    assert train["status"] == "ok", train
    assert train["outcome"]["status"] in ("published", "refused")
    assert {"synthesis", "filter", "sft", "dpo", "export", "gate"} <= set(train["steps"])
    assert train["llama_cpp"]["ok"] and train["llama_cpp"]["adapter"]
    by_model = report["summary"]["by_model"]
    assert by_model["qwen2.5-1.5b"]["sft_peft"]["tokens_per_s"] > 0
    assert not (tmp_path / "out" / "twins").exists()  # the weights are cleaned up


def test_a_failing_phase_is_recorded_and_the_rest_still_runs(tmp_path: Path) -> None:
    # no twins phase: `train` has no model and fails; env (before it) is unaffected and the
    # driver still writes the report and exits 1
    rc, report = _run(tmp_path / "out", "--phases", "env,train", "--deadline", "300", timeout=600)
    assert rc == 1
    assert report["phases"]["env"]["status"] == "ok"
    failed = report["phases"]["train"]
    assert failed["status"] == "failed" and "config.json" in failed["error"]


def test_summary_compares_unsloth_with_peft() -> None:
    gpu_check = _load()
    phases = {
        "sft_peft": {
            "runs": [{"status": "ok", "model": "qwen2.5-1.5b", "tokens_per_s": 1000.0, "peak_vram_gb": 9.0}]
        },
        "sft_unsloth16": {
            "runs": [{"status": "ok", "model": "qwen2.5-1.5b", "tokens_per_s": 1800.0, "peak_vram_gb": 7.0}]
        },
        "sft_unsloth4": {
            "runs": [{"status": "ok", "model": "qwen2.5-1.5b", "tokens_per_s": 1400.0, "peak_vram_gb": 4.5}]
        },
    }
    summary = gpu_check.summarize(phases)
    row = summary["by_model"]["qwen2.5-1.5b"]
    assert row["sft_unsloth16"]["speedup_vs_peft"] == 1.8 and row["sft_unsloth4"]["speedup_vs_peft"] == 1.4
    assert summary["goal_unsloth_1_5x"] is True and summary["goal_qlora_1_5b_in_8gb"] is True
    assert gpu_check.summarize({})["goal_unsloth_1_5x"] is None
