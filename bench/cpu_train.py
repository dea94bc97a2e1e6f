"""What LoRA training costs on this CPU, with real-size random twins (no download).

Run: ``python bench/cpu_train.py [--models qwen2.5-0.5b qwen2.5-1.5b] [--steps 3]
[--dtype float32|bfloat16] [--targets attn|all] [--seq 512] [--json OUT]``

Each model runs in its own process (so its peak RSS is its own): the family's real
``transformers`` config class with the published sizes (``bench/real_configs.py``), random
weights, a PEFT LoRA (r=16, alpha=32 on q,k,v,o by default — ``--targets all`` adds the MLP
projections as ``trainer.backends.TARGET_MODULES`` does), batch 1 of ``--seq`` tokens,
AdamW on the LoRA weights — the same forward/backward/optimizer step TRL's ``SFTTrainer``
runs for one example (TRL's own bookkeeping is small next to a 0.5B model on two cores).
One warm-up step, then ``--steps`` timed ones. Reported: seconds per step, tokens/s, peak
RSS, build time, and the load average before and after (the machine may be shared: read the
figures with it).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ATTN = ("q_proj", "k_proj", "v_proj", "o_proj")
ALL = (*ATTN, "gate_proj", "up_proj", "down_proj")


def matmul_gflops(dtype: Any, n: int = 1024, reps: int = 8) -> float:
    """What this CPU does right now on a plain matmul: the yardstick to read the steps with."""
    import torch

    a, b = torch.randn(n, n, dtype=dtype), torch.randn(n, n, dtype=dtype)
    a @ b
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    return 2 * n**3 * reps / (time.perf_counter() - t) / 1e9


def measure(
    name: str, *, steps: int, warmup: int, seq: int, dtype_name: str, targets: str, r: int
) -> dict[str, Any]:
    """Train ``warmup`` + ``steps`` LoRA steps on a random twin of ``name`` in this process."""
    import torch
    from peft import LoraConfig, get_peft_model

    sys.path.insert(0, str(HERE))
    from real_configs import parameter_count, random_model

    torch.set_num_threads(os.cpu_count() or 1)
    dtype = getattr(torch, dtype_name)
    load_before = os.getloadavg()
    gflops = matmul_gflops(dtype, reps=8 if dtype_name == "float32" else 1)
    t0 = time.perf_counter()
    model = random_model(name, dtype=dtype)
    params = parameter_count(model)
    lora = LoraConfig(
        r=r,
        lora_alpha=2 * r,
        lora_dropout=0.0,
        target_modules=list(ATTN if targets == "attn" else ALL),
        bias="none",
        task_type="CAUSAL_LM",
    )
    model = get_peft_model(model, lora)
    model.train()
    build_s = time.perf_counter() - t0
    trainable = [p for p in model.parameters() if p.requires_grad]
    optim = torch.optim.AdamW(trainable, lr=1e-4)
    vocab = model.config.vocab_size
    gen = torch.Generator().manual_seed(0)
    times: list[float] = []
    losses: list[float] = []
    for i in range(steps + warmup):
        ids = torch.randint(0, vocab, (1, seq), generator=gen)
        t = time.perf_counter()
        out = model(input_ids=ids, labels=ids)
        out.loss.backward()
        optim.step()
        optim.zero_grad(set_to_none=True)
        dt = time.perf_counter() - t
        losses.append(float(out.loss.detach()))
        if i >= warmup:  # a first step pays for allocations and kernel choice
            times.append(dt)
        print(
            f"  {name} step {i}{' (warm-up)' if i < warmup else ''}: {dt:.1f} s", file=sys.stderr, flush=True
        )
    s_step = statistics.median(times)
    return {
        "model": name,
        "params_m": round(params / 1e6, 1),
        "trainable_m": round(sum(p.numel() for p in trainable) / 1e6, 2),
        "dtype": dtype_name,
        "targets": list(lora.target_modules),
        "lora_r": r,
        "seq": seq,
        "batch": 1,
        "steps_timed": len(times),
        "seconds_per_step": round(s_step, 2),
        "seconds_per_step_all": [round(x, 2) for x in times],
        "tokens_per_s": round(seq / s_step, 1),
        "build_s": round(build_s, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "threads": torch.get_num_threads(),
        "matmul_gflops": round(gflops, 1),
        "load_before": [round(x, 2) for x in load_before],
        "load_after": [round(x, 2) for x in os.getloadavg()],
        "loss_first_last": [round(losses[0], 3), round(losses[-1], 3)],
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--models", nargs="+", default=["qwen2.5-0.5b", "qwen2.5-1.5b"])
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--warmup", type=int, default=1)
    ap.add_argument("--seq", type=int, default=512)
    ap.add_argument("--dtype", default="float32", choices=["float32", "bfloat16"])
    ap.add_argument("--targets", default="attn", choices=["attn", "all"])
    ap.add_argument("--r", type=int, default=16)
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--one", help=argparse.SUPPRESS)  # child mode: measure one model, print JSON
    args = ap.parse_args(argv)
    opts = {
        "steps": args.steps,
        "warmup": args.warmup,
        "seq": args.seq,
        "dtype_name": args.dtype,
        "targets": args.targets,
        "r": args.r,
    }
    if args.one:
        print(json.dumps(measure(args.one, **opts)))
        return 0
    results: list[dict[str, Any]] = []
    for name in args.models:
        cmd = [sys.executable, __file__, "--one", name, "--steps", str(args.steps), "--seq", str(args.seq)]
        cmd += ["--warmup", str(args.warmup)]
        cmd += ["--dtype", args.dtype, "--targets", args.targets, "--r", str(args.r)]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        sys.stderr.write(done.stderr[-2000:])
        if done.returncode != 0:
            results.append({"model": name, "error": done.stderr.strip().splitlines()[-1:]})
            continue
        row = json.loads(done.stdout.strip().splitlines()[-1])
        results.append(row)
        print(
            f"{name:14} {row['dtype']:8} {row['seconds_per_step']:7.1f} s/step "
            f"{row['tokens_per_s']:7.1f} tok/s  peak RSS {row['peak_rss_mb']} MB "
            f"(load {row['load_before'][0]} → {row['load_after'][0]})"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0 if all("error" not in r for r in results) else 1


if __name__ == "__main__":
    raise SystemExit(main())
