"""Fixtures for the training pipeline tests: offline, quiet, tiny models built once.

``JOURNAL_ME_DATA_DIR`` / ``JOURNAL_ME_CONFIG`` are pointed at tmp dirs by tests/conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("trl", reason="training extra not installed")


@pytest.fixture(scope="session", autouse=True)
def _offline_and_quiet() -> Iterator[None]:
    """No network (session-wide, so session fixtures are covered too) and no tqdm noise."""
    import datasets
    from transformers.utils import logging as hf_logging

    with pytest.MonkeyPatch.context() as mp:
        for var in ("HF_HUB_OFFLINE", "TRANSFORMERS_OFFLINE", "HF_DATASETS_OFFLINE"):
            mp.setenv(var, "1")
        mp.setenv("TOKENIZERS_PARALLELISM", "false")
        datasets.disable_progress_bars()
        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        yield


@pytest.fixture(scope="session")
def tiny_models(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Both tiny HF models, built once per session."""
    from trainer.tiny import ARCHS, build_tiny_model

    root = tmp_path_factory.mktemp("tiny")
    return {arch: build_tiny_model(root / arch, arch) for arch in ARCHS}


def _conversations() -> list[dict[str, Any]]:
    from trainer.sft import format_reasoning

    qa = [
        ("Where did I walk with Anna?", "The June entry mentions the river.", "By the river."),
        ("How was work last week?", "Three reviews and a long call.", "Busy, but fine."),
        ("Who got a job in Berlin?", "My sister Lena wrote about it.", "Lena did."),
        ("What do I grow in the garden?", "Entries mention red tomatoes.", "Tomatoes."),
    ]
    rows: list[dict[str, Any]] = []
    for question, thought, answer in qa:
        rows.append(
            {
                "messages": [
                    {"role": "system", "content": "You are me, answering from my journal."},
                    {"role": "user", "content": question},
                    {"role": "assistant", "content": format_reasoning(thought, answer)},
                ]
            }
        )
    return rows


@pytest.fixture(scope="session")
def sft_rows() -> list[dict[str, Any]]:
    return _conversations()


@pytest.fixture(scope="session")
def preference_rows() -> list[dict[str, Any]]:
    from trainer.sft import format_reasoning

    rows: list[dict[str, Any]] = []
    for conv in _conversations():
        *prompt, answer = conv["messages"]
        rows.append(
            {
                "prompt": prompt,
                "chosen": [answer],
                "rejected": [{"role": "assistant", "content": format_reasoning("I guess.", "In Paris.")}],
            }
        )
    return rows


@pytest.fixture(scope="session")
def fast_train() -> Any:
    """Settings that make a handful of CPU steps visibly move the loss."""
    from journal_me.config import TrainSettings

    return TrainSettings(
        lora_r=8,
        lora_alpha=16,
        learning_rate=5e-3,
        dpo_learning_rate=5e-4,
        epochs=1,
        batch_size=2,
        max_length=128,
    )


@pytest.fixture(scope="session")
def sft_adapter(
    tiny_models: dict[str, Path],
    sft_rows: list[dict[str, Any]],
    fast_train: Any,
    tmp_path_factory: pytest.TempPathFactory,
) -> Any:
    """One real SFT run on the tiny llama (shared by the SFT, DPO and export tests)."""
    from datasets import Dataset

    from trainer.sft import run_sft

    reports: list[Any] = []
    result = run_sft(
        Dataset.from_list(sft_rows),
        base_dir=tiny_models["llama"],
        out_dir=tmp_path_factory.mktemp("sft") / "adapter",
        train=fast_train,
        progress=reports.append,
        max_steps=10,
    )
    return result, reports


def pytest_configure(config: pytest.Config) -> None:
    # PEFT 0.21 still calls the transformers-5 deprecated alias; not ours to fix.
    config.addinivalue_line(
        "filterwarnings", "ignore:`is_gradient_checkpointing` is deprecated:FutureWarning"
    )


# --------------------------------------------------------------------------- pipeline fixtures

REPO_VAULT = Path(__file__).resolve().parents[2] / "vault"
#: A small, fast slice of the sample vault: 20 diary files (two of them private), person
#: pages and a note. Keeps synthesis and training in seconds.
_FIRST_DAYS = sorted(p.name for p in (REPO_VAULT / "journal/2025").glob("*.md"))[:20]
SMALL_VAULT_FILES: tuple[str, ...] = (
    *(f"journal/2025/{name}" for name in _FIRST_DAYS),
    "people/Sam.md",
    "people/Dev.md",
    "people/Biscuit.md",
    "people/Graham.md",
    "notes/why I run.md",
)
#: Planted in private entries: must never reach a dataset, a cache or an adapter.
SECRET = "ZEBRA-QUARTZ-4471"
SECRET_TAGGED = "Okapiwaffle"


def make_small_vault(dest: Path) -> Path:
    """Copy the slice into ``dest`` and add two private entries holding secrets (one by
    front matter, one by a #private tag)."""
    import shutil

    for rel in SMALL_VAULT_FILES:
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO_VAULT / rel, target)
    (dest / "journal/2025/2025-08-15.md").write_text(
        "---\nprivate: true\ntitle: Not for anyone\n---\n"
        f"The code for the safe is {SECRET}. Sam must never know about the letter from Graham.\n",
        encoding="utf-8",
    )
    (dest / "journal/2025/2025-08-16.md").write_text(
        f"Dreamt about {SECRET_TAGGED} again, the striped one from the zoo in Bristol. #private\n",
        encoding="utf-8",
    )
    return dest


@pytest.fixture(scope="session")
def make_vault() -> Callable[[Path], Path]:
    """``make_vault(dest)``: the small vault slice with its two planted private secrets."""
    return make_small_vault


@pytest.fixture(scope="session")
def secrets() -> tuple[str, ...]:
    """The strings planted in private entries (see :func:`make_small_vault`)."""
    return (SECRET, SECRET_TAGGED)


#: The config of the CLI/pipeline tests that run the tiny models end to end: learning rates
#: that move a tiny model in a few steps, short replies, a context the tiny llama holds.
TRAIN_CONFIG = """\
name = "Elena"

[train]
learning_rate = 0.005
dpo_learning_rate = 0.0005
epochs = 1
batch_size = 2
max_length = {max_length}

[llm]
n_ctx = 2048
n_threads = {n_threads}
max_tokens = {max_tokens}
"""


def write_train_config(
    dest: Path, *, n_threads: int = 1, max_length: int = 2048, max_tokens: int = 48
) -> Path:
    """Write :data:`TRAIN_CONFIG` to ``dest`` (a tiny model: more threads only spin)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    text = TRAIN_CONFIG.format(n_threads=n_threads, max_length=max_length, max_tokens=max_tokens)
    dest.write_text(text, encoding="utf-8")
    return dest


@pytest.fixture(scope="session")
def train_config() -> Callable[..., Path]:
    """``train_config(dest, n_threads=1, max_length=2048, max_tokens=48)``: write the tiny-model
    test config, return its path."""
    return write_train_config


def llama_cpp_logits(model: Path, ids: list[int], lora: Path | None = None) -> Any:
    """llama.cpp's logits at every position of ``ids`` (base GGUF, optional adapter GGUF), with
    an f32 KV cache so that they compare with transformers' to ~1e-6."""
    import llama_cpp
    import numpy as np

    llm = llama_cpp.Llama(
        model_path=str(model),
        lora_path=str(lora) if lora else None,
        n_ctx=512,
        n_threads=2,
        logits_all=True,
        type_k=llama_cpp.GGML_TYPE_F32,
        type_v=llama_cpp.GGML_TYPE_F32,
        verbose=False,
    )
    try:
        llm.eval(ids)
        return np.array(llm.scores[: len(ids)], dtype=np.float32)
    finally:
        llm.close()


def hf_model_logits(model: Any, ids: list[int]) -> Any:
    """transformers' logits at every position of ``ids`` (a model or a PEFT model, eval mode)."""
    import torch

    with torch.no_grad():
        return model(torch.tensor([ids])).logits[0].float().numpy()


@pytest.fixture(scope="session")
def cpp_logits() -> Callable[..., Any]:
    """``cpp_logits(gguf, ids, lora=None)``: see :func:`llama_cpp_logits`."""
    return llama_cpp_logits


@pytest.fixture(scope="session")
def hf_logits() -> Callable[[Any, list[int]], Any]:
    """``hf_logits(model, ids)``: see :func:`hf_model_logits`."""
    return hf_model_logits
