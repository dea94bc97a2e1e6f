"""What ``journal-me train`` checks, in seconds, before any synthesis: can this run finish?

A night of synthesis, SFT and DPO that dies at the GGUF export (an architecture llama.cpp's
LoRA path cannot take), at the first optimizer step (no memory) or at the first checkpoint
(no disk) wastes the night and says nothing useful. So before any work the trainer asks:

- **base**: an active base model whose GGUF file is there (what the gate and chat run);
- **weights**: the Hugging Face weights that train it (``config.json`` + safetensors);
- **export**: their architecture exports to a GGUF LoRA adapter
  (:func:`trainer.gguf_base.export_support`) and the catalogue does not mark it chat-only;
- **chat template**: the tokenizer has one (SFT formats every example with it);
- **disk**, **memory** and, with CUDA, **GPU memory**: estimated from the model's size;
- **lock**: no other training run of this vault is going.

Every check is a :class:`Check` whose ``fix`` says what to do. Nothing is written but the
lock file (taken and released at once); torch is imported only for the GPU probe, once the
weights are found.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from journal_me.config import Settings
from journal_me.models import CATALOG, BaseModel, ModelRegistry, RegistryError
from trainer import guards, state

GIB = 1024**3
NO_BASE = "no base model yet"
SMALLER = "train a smaller base model (`journal-me model pull qwen2.5-1.5b`)"
#: Files that hold Hugging Face weights.
WEIGHT_GLOBS = ("*.safetensors", "pytorch_model*.bin")
_DTYPE_BYTES = {"float32": 4, "float64": 8, "bfloat16": 2, "float16": 2}


@dataclass(frozen=True)
class Check:
    """One preflight finding: ``fix`` says what to do when ``ok`` is False."""

    name: str
    ok: bool
    detail: str
    fix: str = ""

    def line(self) -> str:
        mark = "ok  " if self.ok else "FAIL"
        return f"{mark} {self.name}: {self.detail}" + ("" if self.ok or not self.fix else f" — {self.fix}")

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "ok": self.ok, "detail": self.detail, "fix": self.fix}


@dataclass(frozen=True)
class Needs:
    """Rough resources one training run of a model takes (bytes)."""

    disk: int
    ram: int
    vram: int | None  # None: trains on the CPU


def failures(checks: list[Check]) -> list[Check]:
    return [c for c in checks if not c.ok]


def preflight(settings: Settings, *, base: BaseModel | None = None) -> list[Check]:
    """The checks for training ``base`` (default: the registry's active base) on this vault.

    Checks that depend on a missing base or missing weights are left out (their failure
    says what to fix first); the lock check is always there.
    """
    checks: list[Check] = []
    if base is None:
        found = _active_base(settings)
        if isinstance(found, Check):
            return [found, _lock_check(settings)]
        base = found
    checks.append(_base_check(base))
    hf = _hf_dir(settings, base)
    weights = _weights_check(base, hf)
    checks.append(weights)
    if weights.ok and hf is not None:
        config = _read_config(hf)
        checks.append(_export_check(base, config))
        checks.append(_template_check(hf))
        gpu = guards.gpu_status()
        needs = estimate_needs(_weights_bytes(hf), config, base, cuda=gpu.usable)
        checks.append(_disk_check(settings, needs))
        checks += _memory_checks(needs, gpu)
    checks.append(_lock_check(settings))
    return checks


# --------------------------------------------------------------------------- base + weights


def _active_base(settings: Settings) -> BaseModel | Check:
    try:
        active = ModelRegistry(settings).active()
    except RegistryError as exc:
        return Check("base", False, str(exc), "fix or delete the file named, then `journal-me model use`")
    if active.base is None:
        return Check(
            "base",
            False,
            NO_BASE,
            "run `journal-me model pull qwen2.5-1.5b` (chat model + training weights), or "
            "`journal-me model use PATH.gguf --hf-dir DIR`",
        )
    return active.base


def _base_check(base: BaseModel) -> Check:
    if not base.exists:
        return Check(
            "base",
            False,
            f"{base.name}: {base.gguf} is missing",
            _pull_fix(base) or "`journal-me model use` a GGUF that exists",
        )
    return Check("base", True, f"{base.name} ({base.gguf.stat().st_size / 1e9:.2f} GB GGUF)")


def _pull_fix(base: BaseModel) -> str:
    return f"run `journal-me model pull {base.name}`" if base.name in CATALOG else ""


def _hf_dir(settings: Settings, base: BaseModel) -> Path | None:
    hf = settings.train.hf_base or base.hf_dir
    return Path(hf).expanduser() if hf else None


def _weights_check(base: BaseModel, hf: Path | None) -> Check:
    pull = _pull_fix(base)
    if hf is None:
        repo = base.hf_repo or "the Hugging Face model the GGUF was made from"
        return Check(
            "weights",
            False,
            f"the base {base.name} has no Hugging Face weights to fine-tune",
            (pull + " (it fetches them), or " if pull else "")
            + f"download {repo} and run `journal-me model use {base.gguf} --hf-dir DIR` "
            "(or set train.hf_base = DIR)",
        )
    fix = (pull + " again, or " if pull else "") + "point train.hf_base (or `model use … --hf-dir`) at them"
    if not (hf / "config.json").is_file():
        return Check("weights", False, f"{hf} is not a Hugging Face model directory (no config.json)", fix)
    if not _weight_files(hf):
        return Check("weights", False, f"{hf} has a config.json but no weights (*.safetensors)", fix)
    return Check("weights", True, f"{hf} ({_weights_bytes(hf) / 1e9:.2f} GB)")


def _weight_files(hf: Path) -> list[Path]:
    return sorted({p for pattern in WEIGHT_GLOBS for p in hf.glob(pattern) if p.is_file()})


def _weights_bytes(hf: Path) -> int:
    return sum(p.stat().st_size for p in _weight_files(hf))


def _read_config(hf: Path) -> dict[str, Any]:
    try:
        data = json.loads((hf / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


# --------------------------------------------------------------------------- export + template


def _export_check(base: BaseModel, config: Mapping[str, Any]) -> Check:
    entry = CATALOG.get(base.name)
    if entry is not None and entry.chat_only:
        why = entry.note or "the trainer cannot export an adapter for it"
        return Check(
            "export", False, f"{base.name} is offered for chat only: {why}", _trainable_fix(base.name)
        )
    archs = ", ".join(str(a) for a in config.get("architectures") or []) or "unknown architecture"
    if not config:
        return Check("export", False, "config.json is unreadable", "download the weights again")
    from trainer import gguf_base  # numpy and gguf: only once there is a base to check

    reason = gguf_base.export_support(config)
    if reason is not None:
        return Check("export", False, f"{archs}: {reason}", _trainable_fix(base.name))
    return Check("export", True, f"{archs} exports to a GGUF LoRA adapter")


def _trainable_fix(current: str) -> str:
    keys = [e.key for e in CATALOG.values() if not e.chat_only and e.key != current]
    return (
        "train one of the catalogue models instead (`journal-me model pull "
        + (keys[0] if keys else "NAME")
        + "`"
        + (f"; trainable: {', '.join(keys)})" if keys else ")")
    )


def has_chat_template(hf: Path) -> bool:
    """Whether the tokenizer in ``hf`` carries a chat template (transformers looks for it in
    ``chat_template.jinja``, ``chat_template.json`` or ``tokenizer_config.json``)."""
    if (hf / "chat_template.jinja").is_file():
        return True
    for name in ("chat_template.json", "tokenizer_config.json"):
        try:
            data = json.loads((hf / name).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(data, dict) and data.get("chat_template"):
            return True
    return False


def _template_check(hf: Path) -> Check:
    if has_chat_template(hf):
        return Check("chat template", True, "the tokenizer has a chat template")
    return Check(
        "chat template",
        False,
        f"the tokenizer in {hf} has no chat template (a base, not an instruct model?)",
        "use the instruct/chat version of the model (its tokenizer_config.json has chat_template)",
    )


# --------------------------------------------------------------------------- resources


def estimate_needs(weights_bytes: int, config: Mapping[str, Any], base: BaseModel, *, cuda: bool) -> Needs:
    """What a run takes, from the size of the weights (estimates, on the safe side).

    - disk: run directory (datasets, SFT and DPO adapters with optimizer state, the GGUF
      adapter): 1 GiB + 10% of the weights;
    - CPU training: fp32 weights (×1.3 for activations and the LoRA optimizer) + 1 GiB;
    - GPU training: the weights pass through RAM once (+1 GiB); VRAM: 4-bit with Unsloth
      (~0.6 byte per parameter) or 16-bit with PEFT (×1.2), + 1.5 GiB of activations;
    - synthesis and the eval gate run the GGUF in llama.cpp (its file size + 0.5 GiB).
    """
    dtype = str(config.get("torch_dtype") or config.get("dtype") or "bfloat16")
    params = weights_bytes // _DTYPE_BYTES.get(dtype, 2)
    gguf = base.gguf.stat().st_size if base.exists else 0
    llama_cpp = gguf + GIB // 2
    disk = GIB + weights_bytes // 10
    if cuda:
        unsloth = importlib.util.find_spec("unsloth") is not None
        vram = int(params * 0.6) if unsloth else int(params * 2 * 1.2)
        return Needs(disk, max(params * 2 + GIB, llama_cpp), vram + 3 * GIB // 2)
    return Needs(disk, max(int(params * 4 * 1.3) + GIB, llama_cpp), None)


def free_disk_bytes(path: Path) -> int:
    """Free bytes on the file system that holds ``path`` (or its nearest existing parent)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return shutil.disk_usage(candidate).free
    return shutil.disk_usage(Path.cwd()).free


def available_ram_bytes() -> int | None:
    """RAM available to a new process (Linux ``MemAvailable``; psutil elsewhere), or None."""
    try:
        for line in Path("/proc/meminfo").read_text(encoding="ascii").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        import psutil
    except ImportError:
        return None
    return int(psutil.virtual_memory().available)


def _gb(n: int) -> str:
    return f"{n / GIB:.1f} GiB"


def _disk_check(settings: Settings, needs: Needs) -> Check:
    where = state.train_dir(settings)
    free = free_disk_bytes(where)
    detail = f"{_gb(free)} free for {where}, a run needs about {_gb(needs.disk)}"
    if free < needs.disk:
        return Check(
            "disk", False, detail, "free some space (old runs: train/runs/; or JOURNAL_ME_DATA_DIR elsewhere)"
        )
    return Check("disk", True, detail)


def _memory_checks(needs: Needs, gpu: guards.GpuStatus) -> list[Check]:
    checks: list[Check] = []
    ram = available_ram_bytes()
    where = "GPU training" if needs.vram is not None else "CPU training"
    if ram is None:
        checks.append(
            Check("memory", True, f"cannot tell how much RAM is free ({where} needs ~{_gb(needs.ram)})")
        )
    else:
        detail = f"{_gb(ram)} RAM available, {where} needs about {_gb(needs.ram)}"
        fix = f"close other programs, or {SMALLER}"
        checks.append(Check("memory", ram >= needs.ram, detail, fix))
    if needs.vram is not None and gpu.usable and gpu.free_gb is not None:
        vram = int(gpu.free_gb * GIB)
        detail = f"{_gb(vram)} GPU memory free on {gpu.name}, training needs about {_gb(needs.vram)}"
        fix = f"close programs using the GPU, or {SMALLER}"
        checks.append(Check("gpu memory", vram >= needs.vram, detail, fix))
    return checks


# --------------------------------------------------------------------------- lock


def _lock_check(settings: Settings) -> Check:
    lock = guards.TrainLock(state.train_dir(settings) / "train.lock")
    if not lock.acquire():
        return Check(
            "lock",
            False,
            f"another training run of this vault is going ({lock.holder()})",
            "wait for it to finish, or stop it (Training screen, or `kill` that pid)",
        )
    lock.release()
    return Check("lock", True, "no other training run")


__all__ = ["NO_BASE", "Check", "Needs", "estimate_needs", "failures", "has_chat_template", "preflight"]
