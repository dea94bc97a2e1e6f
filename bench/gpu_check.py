"""The GPU check: Unsloth vs plain TRL+PEFT on real-size twins, then `journal-me train` end to end.

Run on a machine with an NVIDIA GPU (see docs/gpu-check.md for the wheels it needs)::

    python bench/gpu_check.py OUT_DIR [--steps 10] [--deadline 470]
    python bench/gpu_check.py OUT_DIR --dry-run     # CPU, tiny twins, < 2 minutes (CI)

Phases, each under its own deadline (a share of ``--deadline`` seconds; time a phase does not
use passes to the next), each in a child process where it imports a training stack, so a
crash, a hang or Unsloth's import-time patching cannot take the others down. A phase that
fails or runs out of time is recorded (status, seconds, the error's last lines) and the rest
still runs. Everything lands in ``OUT_DIR/gpu_check.json``, rewritten after every phase:

1. ``env`` — versions (torch, CUDA, transformers, peft, trl, unsloth, bitsandbytes,
   llama_cpp and whether it can offload to the GPU), the GPU and its memory.
2. ``twins`` — random twins with the published shapes of Qwen2.5-1.5B and Qwen3-1.7B
   (``bench/real_configs.py``: the family's ``transformers`` config class, the real vocabulary
   size) and the family's tokenizer type and chat template (``trainer.twins``); ``--dry-run``:
   the tiny twins.
3. ``sft_peft``, ``sft_unsloth16``, ``sft_unsloth4`` — ``--steps`` SFT steps (LoRA r=16 on the
   project's target modules, ``--seq`` tokens, batch ``--batch``) through the project's own
   ``build_sft_trainer``: transformers+PEFT in bf16 (``trainer.backends``' peft path), Unsloth
   16-bit LoRA, Unsloth 4-bit QLoRA (the project's unsloth path; needs bitsandbytes).
   Tokens/s over the steps after the first two; peak VRAM from the start of loading.
4. ``train`` — ``journal-me train --allow-cpu --max-steps N --synth templates`` on the sample
   vault (``--dry-run``: a 24-file slice of it, as the trainer tests use) with the Qwen2.5
   twin at real width and depth (its small trained vocabulary, so the GGUF conversion is the
   tested one), in a scratch data dir, ``[llm] n_gpu_layers = -1``:
   synthesis → SFT → DPO → export → the gate in llama.cpp → publish; then llama.cpp loads the
   base GGUF + the adapter with ``n_gpu_layers=-1`` and answers (load seconds, tokens/s).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT), str(HERE)]

#: (model key in bench/real_configs.py, trainer.twins family)
MODELS: tuple[tuple[str, str], ...] = (("qwen2.5-1.5b", "qwen2"), ("qwen3-1.7b", "qwen3"))
SFT_PHASES: dict[str, dict[str, Any]] = {
    "sft_peft": {"backend": "peft", "load_in_4bit": False},
    "sft_unsloth16": {"backend": "unsloth", "load_in_4bit": False},
    "sft_unsloth4": {"backend": "unsloth", "load_in_4bit": True},
}
#: share of the whole deadline per phase (unused time passes on)
SHARES: dict[str, float] = {
    "env": 0.03,
    "twins": 0.12,
    "sft_peft": 0.15,
    "sft_unsloth16": 0.15,
    "sft_unsloth4": 0.15,
    "train": 0.40,
}
#: --dry-run: the Unsloth phases skip at once, imports dominate the rest
DRY_SHARES: dict[str, float] = {
    "env": 0.1,
    "twins": 0.2,
    "sft_peft": 0.25,
    "sft_unsloth16": 0.02,
    "sft_unsloth4": 0.02,
    "train": 0.41,
}
LORA_TARGETS = ("q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj")


# --------------------------------------------------------------------------- phases (children)


def phase_env(args: argparse.Namespace) -> dict[str, Any]:
    import importlib.metadata as md

    info: dict[str, Any] = {"python": sys.version.split()[0], "packages": {}}
    for name in (
        "torch",
        "transformers",
        "peft",
        "trl",
        "accelerate",
        "datasets",
        "unsloth",
        "unsloth_zoo",
        "bitsandbytes",
        "xformers",
        "triton",
        "llama_cpp_python",
        "gguf",
    ):
        try:
            info["packages"][name] = md.version(name.replace("_", "-"))
        except md.PackageNotFoundError:
            info["packages"][name] = None
    import torch

    info["cuda"] = torch.version.cuda
    info["cuda_available"] = bool(torch.cuda.is_available())
    if torch.cuda.is_available():
        props = torch.cuda.get_device_properties(0)
        info["gpu"] = props.name
        info["gpu_memory_gb"] = round(props.total_memory / 2**30, 1)
        info["bf16"] = bool(torch.cuda.is_bf16_supported())
    try:
        import llama_cpp

        info["llama_cpp_gpu_offload"] = bool(llama_cpp.llama_supports_gpu_offload())
    except Exception as exc:
        info["llama_cpp_gpu_offload"] = f"{type(exc).__name__}: {exc}"
    return info


def _twin_dir(out: Path, key: str) -> Path:
    return out / "twins" / key


def build_real_twin(key: str, family: str, dest: Path, *, tiny: bool, real_vocab: bool) -> dict[str, Any]:
    """The family's tokenizer and chat template (trainer.twins) with the published model
    shape (bench/real_configs.py); ``real_vocab`` keeps the 151936-row embedding (speed runs),
    else the trained vocabulary padded as the family pads (the GGUF export's tested case)."""
    import torch
    from real_configs import make_config, parameter_count
    from transformers import AutoModelForCausalLM

    from trainer.twins import build_twin, build_twin_tokenizer, twin_spec

    if tiny:
        build_twin(family, dest)
        config = json.loads((dest / "config.json").read_text(encoding="utf-8"))
        return {"dir": str(dest), "params_m": None, "vocab": config["vocab_size"], "tiny": True}
    spec = twin_spec(family)
    tokenizer = build_twin_tokenizer(family, dest)
    config = make_config(key)
    if not real_vocab:
        n = len(tokenizer)
        config.vocab_size = n + (-n % spec.pad_vocab_to)
    config.bos_token_id = tokenizer.bos_token_id
    config.eos_token_id = tokenizer.eos_token_id
    config.pad_token_id = tokenizer.pad_token_id
    config.architectures = [spec.hf_architecture]
    device = "cuda" if torch.cuda.is_available() else "cpu"
    torch.manual_seed(0)
    with torch.device(device):
        model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(str(dest))
    params = parameter_count(model)
    del model
    return {"dir": str(dest), "params_m": round(params / 1e6, 1), "vocab": config.vocab_size, "tiny": False}


def phase_twins(args: argparse.Namespace) -> dict[str, Any]:
    from real_configs import make_config

    out: dict[str, Any] = {"built": {}, "configs": {}}
    for key, _family in MODELS:
        # the published config always instantiates (cheap, also in --dry-run)
        out["configs"][key] = type(make_config(key)).__name__
    for key, family in (*MODELS, ("e2e", "qwen2")):
        real_key = "qwen2.5-1.5b" if key == "e2e" else key
        t = time.perf_counter()
        row = build_real_twin(
            real_key, family, _twin_dir(args.out, key), tiny=args.dry_run, real_vocab=key != "e2e"
        )
        row["seconds"] = round(time.perf_counter() - t, 1)
        out["built"][key] = row
    return out


def _sft_rows(n: int) -> list[dict[str, Any]]:
    """Conversations longer than ``--seq`` tokens (truncated to it): every step is full."""
    from trainer.twins import vault_corpus

    text = " ".join(vault_corpus())[:200_000]
    rows = []
    for i in range(n):
        chunk = text[(i * 5000) % 150_000 :][:6000]
        rows.append(
            {
                "messages": [
                    {"role": "system", "content": "You are me, answering from my journal."},
                    {"role": "user", "content": f"What did I write? ({i})"},
                    {"role": "assistant", "content": chunk},
                ]
            }
        )
    return rows


def _sft_one(key: str, spec: dict[str, Any], args: argparse.Namespace, deadline: float) -> dict[str, Any]:
    import torch
    from datasets import Dataset
    from transformers import TrainerCallback

    from journal_me.config import TrainSettings
    from trainer.backends import LoadedModel, LoraParams, load_for_training
    from trainer.sft import build_sft_trainer

    base = _twin_dir(args.out, key)
    gpu = torch.cuda.is_available()
    if gpu:
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    lora = LoraParams(r=16, alpha=32, target_modules=LORA_TARGETS)
    t0 = time.perf_counter()
    if spec["backend"] == "unsloth" and not spec["load_in_4bit"]:
        from unsloth import FastLanguageModel

        model, tok = FastLanguageModel.from_pretrained(
            model_name=str(base), max_seq_length=args.seq, load_in_4bit=False, dtype=None
        )
        model = FastLanguageModel.get_peft_model(
            model,
            r=lora.r,
            lora_alpha=lora.alpha,
            lora_dropout=0.0,
            target_modules=list(lora.target_modules),
            bias="none",
            use_gradient_checkpointing="unsloth",
            use_rslora=False,
            random_state=0,
        )
        loaded = LoadedModel(model=model, tokenizer=tok, backend="unsloth")
    else:  # the project's own paths: peft (bf16 on a GPU), unsloth (4-bit QLoRA)
        loaded = load_for_training(
            base, lora, max_length=args.seq, batch_size=args.batch, backend=spec["backend"]
        )
    load_s = time.perf_counter() - t0
    train = TrainSettings(
        lora_r=16, lora_alpha=32, learning_rate=1e-4, epochs=1, batch_size=args.batch, max_length=args.seq
    )
    marks: list[float] = []

    class _Clock(TrainerCallback):  # type: ignore[misc]
        def on_step_end(self, a: Any, state: Any, control: Any, **kw: Any) -> None:
            if gpu:
                torch.cuda.synchronize()
            marks.append(time.perf_counter())
            if time.time() > deadline - 5:
                control.should_training_stop = True

    work = Path(tempfile.mkdtemp(prefix="sft-", dir=args.out))
    rows = _sft_rows(args.batch * (args.steps + 2))
    trainer = build_sft_trainer(
        loaded, Dataset.from_list(rows), train, work, max_steps=args.steps + 2, callbacks=[_Clock()]
    )
    lengths = [len(x) for x in trainer.train_dataset["input_ids"]]
    trainer.train()
    shutil.rmtree(work, ignore_errors=True)
    timed = len(marks) - 2
    row: dict[str, Any] = {
        "model": key,
        "backend": spec["backend"],
        "load_in_4bit": spec["load_in_4bit"],
        "seq": args.seq,
        "batch": args.batch,
        "tokens_per_step": args.batch * (sum(lengths) // max(1, len(lengths))),
        "load_s": round(load_s, 1),
        "steps_timed": max(0, timed),
    }
    if timed >= 1:
        seconds = marks[-1] - marks[1]
        row["seconds_per_step"] = round(seconds / timed, 4)
        row["tokens_per_s"] = round(row["tokens_per_step"] * timed / seconds, 1)
    if gpu:
        row["peak_vram_gb"] = round(torch.cuda.max_memory_allocated() / 2**30, 2)
        row["peak_reserved_gb"] = round(torch.cuda.max_memory_reserved() / 2**30, 2)
    del trainer, loaded
    return row


def phase_sft(name: str) -> Callable[[argparse.Namespace], dict[str, Any]]:
    spec = SFT_PHASES[name]

    def run(args: argparse.Namespace) -> dict[str, Any]:
        import importlib.util

        if spec["backend"] == "unsloth":
            if importlib.util.find_spec("unsloth") is None:
                return {"status": "skipped", "why": "unsloth is not installed"}
            if spec["load_in_4bit"] and importlib.util.find_spec("bitsandbytes") is None:
                return {"status": "skipped", "why": "bitsandbytes is not installed (4-bit)"}
            import unsloth  # noqa: F401  # first: it patches transformers/peft/trl
        import torch

        if spec["backend"] == "unsloth" and not torch.cuda.is_available():
            return {"status": "skipped", "why": "Unsloth needs an NVIDIA GPU (CUDA)"}
        deadline = args.phase_deadline
        results: list[dict[str, Any]] = []
        for key, _family in MODELS:
            if time.time() > deadline - 10:
                results.append({"model": key, "status": "skipped", "why": "phase deadline"})
                continue
            try:
                results.append({"status": "ok", **_sft_one(key, spec, args, deadline)})
            except Exception as exc:
                results.append({"model": key, "status": "failed", "error": _tail(traceback.format_exc())})
                if "out of memory" in str(exc).lower() and torch.cuda.is_available():
                    torch.cuda.empty_cache()
            _write_json(args.out / f"{name}.partial.json", results)
        ok = any(r.get("status") == "ok" for r in results)
        return {"status": "ok" if ok else "failed", "runs": results}

    return run


def phase_train(args: argparse.Namespace) -> dict[str, Any]:
    """`journal-me train` on the sample vault with the e2e twin, then llama.cpp load + answer."""
    from journal_me.config import load_settings
    from journal_me.models import ModelRegistry
    from trainer.gguf_base import convert_base_to_gguf

    hf = _twin_dir(args.out, "e2e")
    work = args.out / "train"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    vault = work / "vault"
    if args.dry_run:  # a slice (what the trainer tests use): CI time goes to the code paths
        days = sorted((ROOT / "vault/journal/2025").glob("*.md"))[:20]
        rels = [p.relative_to(ROOT / "vault") for p in days]
        rels += [Path("people") / f"{n}.md" for n in ("Sam", "Dev", "Biscuit", "Graham")]
        for rel in rels:
            (vault / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(ROOT / "vault" / rel, vault / rel)
    else:
        shutil.copytree(ROOT / "vault", vault)
    config = work / "config.toml"
    config.write_text(
        'name = "Elena"\n\n[train]\nepochs = 1\nbatch_size = 2\nmax_length = 1024\n\n'
        f"[llm]\nn_ctx = 2048\nn_gpu_layers = {-1 if not args.dry_run else 0}\nmax_tokens = 48\n",
        encoding="utf-8",
    )
    env = {**os.environ, "JOURNAL_ME_DATA_DIR": str(work / "data"), "JOURNAL_ME_CONFIG": str(config)}
    out: dict[str, Any] = {}
    t = time.perf_counter()
    gguf = convert_base_to_gguf(hf, work / "base.gguf", dtype="f16")
    out["convert_s"] = round(time.perf_counter() - t, 1)
    out["base_gguf_mb"] = round(gguf.stat().st_size / 1e6, 1)
    settings = load_settings(
        vault=vault, env={k: env[k] for k in ("JOURNAL_ME_DATA_DIR", "JOURNAL_ME_CONFIG")}
    )
    registry = ModelRegistry(settings)
    registry.register_base(gguf, name="twin-qwen2.5-1.5b", hf_dir=hf)
    registry.use("twin-qwen2.5-1.5b")
    cmd = [sys.executable, "-m", "journal_me.cli", "--vault", str(vault), "--config", str(config), "train"]
    cmd += ["--allow-cpu", "--max-steps", str(args.train_steps), "--synth", "templates", "--json-progress"]
    t = time.perf_counter()
    left = max(10.0, args.phase_deadline - time.time() - 45)  # keep time for the llama.cpp load
    try:
        done = subprocess.run(
            cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=left, check=False
        )
        events = [json.loads(x) for x in done.stdout.splitlines() if x.startswith("{")]
        out["exit_code"] = done.returncode
        out["stderr_tail"] = _tail(done.stderr)
    except subprocess.TimeoutExpired as exc:
        events = [json.loads(x) for x in (exc.stdout or b"").decode().splitlines() if x.startswith("{")]
        out["exit_code"] = "timeout"
    out["train_s"] = round(time.perf_counter() - t, 1)
    out["steps"] = {
        e["name"]: {"seconds": round(e["seconds"], 1), "summary": e["summary"]}
        for e in events
        if e.get("event") == "done"
    }
    out["notes"] = [e["text"] for e in events if e.get("event") == "note"]
    outcome = next((e for e in events if e.get("event") == "outcome"), None)
    out["outcome"] = outcome
    active = ModelRegistry(settings).active()
    adapter = active.adapter.gguf if active.adapter is not None else None
    if adapter is None and outcome and outcome.get("run_dir"):
        candidate = Path(outcome["run_dir"]) / "adapter.gguf"
        adapter = candidate if candidate.is_file() else None
    out["llama_cpp"] = _llama_load(gguf, adapter, gpu_layers=-1 if not args.dry_run else 0)
    ok = bool(outcome) and outcome.get("status") in ("published", "refused") and out["llama_cpp"].get("ok")
    out["status"] = "ok" if ok else "failed"
    return out


def _llama_load(gguf: Path, adapter: Path | None, *, gpu_layers: int) -> dict[str, Any]:
    from llama_cpp import Llama

    row: dict[str, Any] = {"n_gpu_layers": gpu_layers, "adapter": str(adapter) if adapter else None}
    t = time.perf_counter()
    try:
        llm = Llama(
            model_path=str(gguf),
            lora_path=str(adapter) if adapter else None,
            n_gpu_layers=gpu_layers,
            n_ctx=512,
            verbose=False,
        )
        row["load_s"] = round(time.perf_counter() - t, 2)
        t = time.perf_counter()
        reply: Any = llm.create_completion("Today I walked to the river and", max_tokens=32, temperature=0.0)
        n = int(reply["usage"]["completion_tokens"])
        row["gen_tokens_per_s"] = round(n / (time.perf_counter() - t), 1)
        row["ok"] = n > 0
        llm.close()
    except Exception:
        row["ok"] = False
        row["error"] = _tail(traceback.format_exc())
    return row


PHASES: dict[str, Callable[[argparse.Namespace], dict[str, Any]]] = {
    "env": phase_env,
    "twins": phase_twins,
    **{name: phase_sft(name) for name in SFT_PHASES},
    "train": phase_train,
}


# --------------------------------------------------------------------------- driver


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _write_json(path: Path, data: Any) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


def summarize(phases: dict[str, Any]) -> dict[str, Any]:
    """Unsloth vs PEFT per model: the speed-up and the VRAM, and the goals of issue 11."""
    runs: dict[tuple[str, str], dict[str, Any]] = {}
    for name in SFT_PHASES:
        for row in (phases.get(name) or {}).get("runs", []):
            if row.get("status") == "ok":
                runs[(name, row["model"])] = row
    table: dict[str, Any] = {}
    for key, _family in MODELS:
        peft = runs.get(("sft_peft", key), {})
        row: dict[str, Any] = {}
        for name in SFT_PHASES:
            r = runs.get((name, key), {})
            row[name] = {"tokens_per_s": r.get("tokens_per_s"), "peak_vram_gb": r.get("peak_vram_gb")}
            if peft.get("tokens_per_s") and r.get("tokens_per_s") and name != "sft_peft":
                row[name]["speedup_vs_peft"] = round(r["tokens_per_s"] / peft["tokens_per_s"], 2)
        table[key] = row
    q15 = table.get("qwen2.5-1.5b", {})
    speedups = [v.get("speedup_vs_peft") for v in q15.values() if v.get("speedup_vs_peft")]
    vram4 = q15.get("sft_unsloth4", {}).get("peak_vram_gb")
    return {
        "by_model": table,
        "goal_unsloth_1_5x": (max(speedups) >= 1.5) if speedups else None,
        "goal_qlora_1_5b_in_8gb": (vram4 <= 8.0) if vram4 is not None else None,
    }


def run_phase(name: str, args: argparse.Namespace, deadline: float) -> dict[str, Any]:
    """Run one phase in a child process under ``deadline`` (epoch seconds)."""
    result_file = args.out / f"{name}.json"
    result_file.unlink(missing_ok=True)
    cmd = [sys.executable, __file__, str(args.out), "--phase", name, "--phase-deadline", str(deadline)]
    cmd += ["--steps", str(args.steps), "--seq", str(args.seq), "--batch", str(args.batch)]
    cmd += ["--train-steps", str(args.train_steps)] + (["--dry-run"] if args.dry_run else [])
    started = time.perf_counter()
    row: dict[str, Any]
    with open(args.out / f"{name}.log", "w", encoding="utf-8") as log:
        try:
            proc = subprocess.run(
                cmd,
                stdout=log,
                stderr=subprocess.STDOUT,
                timeout=max(1.0, deadline - time.time()),
                check=False,
            )
            rc: Any = proc.returncode
        except subprocess.TimeoutExpired:
            rc = "timeout"
    log_tail = _tail((args.out / f"{name}.log").read_text(encoding="utf-8", errors="replace"))
    if result_file.is_file():
        row = json.loads(result_file.read_text(encoding="utf-8"))
        row.setdefault("status", "ok" if rc == 0 else "failed")
    else:
        partial = args.out / f"{name}.partial.json"
        row = {"status": "timeout" if rc == "timeout" else "failed", "exit_code": rc, "log_tail": log_tail}
        if partial.is_file():
            row["runs"] = json.loads(partial.read_text(encoding="utf-8"))
    row["seconds"] = round(time.perf_counter() - started, 1)
    return row


def child(args: argparse.Namespace) -> int:
    """Run ``--phase`` here; write its JSON (an exception is recorded as a failure)."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("UNSLOTH_DISABLE_CPU_FALLBACK", "1")
    for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
        os.environ.setdefault(var, "1")  # no network there; fail fast instead of retrying
    try:
        row = PHASES[args.phase](args)
    except Exception:
        row = {"status": "failed", "error": _tail(traceback.format_exc(), 25)}
    _write_json(args.out / f"{args.phase}.json", row)
    return 0 if row.get("status", "ok") in ("ok", "skipped") else 1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("out", type=Path, help="folder for gpu_check.json, the phase logs and the twins")
    ap.add_argument("--dry-run", action="store_true", help="CPU, tiny twins: the CI check (< 2 min)")
    ap.add_argument(
        "--steps", type=int, default=10, help="timed SFT steps per backend and model (+2 warm-up)"
    )
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--batch", type=int, default=2)
    ap.add_argument("--train-steps", type=int, default=10, help="--max-steps of the end-to-end train")
    ap.add_argument("--deadline", type=float, help="seconds for everything (default 470; --dry-run: 120)")
    ap.add_argument("--phases", default=",".join(PHASES), help="comma-separated subset")
    ap.add_argument("--keep-twins", action="store_true", help="keep the twins' weights (GBs)")
    ap.add_argument("--phase", choices=list(PHASES), help=argparse.SUPPRESS)
    ap.add_argument("--phase-deadline", type=float, default=0.0, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    args.out = args.out.resolve()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.phase:
        return child(args)
    if args.dry_run:
        args.steps, args.seq, args.batch, args.train_steps = min(args.steps, 2), min(args.seq, 128), 1, 2
    if args.deadline is None:
        args.deadline = 120.0 if args.dry_run else 470.0
    wanted = [p for p in PHASES if p in args.phases.split(",")]
    start = time.time()
    end = start + args.deadline
    report: dict[str, Any] = {
        "dry_run": args.dry_run,
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(start)),
        "deadline_s": args.deadline,
        "args": {k: str(v) for k, v in vars(args).items()},
        "phases": {},
    }
    share = DRY_SHARES if args.dry_run else SHARES
    for i, name in enumerate(wanted):
        shares = sum(share[p] for p in wanted[i:])
        deadline = time.time() + max(0.0, end - time.time()) * share[name] / shares
        print(f"[{time.time() - start:6.1f}s] {name} (until +{deadline - start:.0f}s)", flush=True)
        report["phases"][name] = run_phase(name, args, deadline)
        report["summary"] = summarize(report["phases"])
        report["elapsed_s"] = round(time.time() - start, 1)
        _write_json(args.out / "gpu_check.json", report)
        print(f"         {name}: {report['phases'][name].get('status', 'ok')}", flush=True)
    if not args.keep_twins:
        shutil.rmtree(args.out / "twins", ignore_errors=True)
        shutil.rmtree(args.out / "train" / "data", ignore_errors=True)
        (args.out / "train" / "base.gguf").unlink(missing_ok=True)
    print(json.dumps(report["summary"], indent=2))
    failed = [n for n, p in report["phases"].items() if p.get("status") not in ("ok", "skipped")]
    print(
        f"done in {time.time() - start:.0f}s; "
        + (f"failed: {', '.join(failed)}" if failed else "all phases ok")
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
