"""The curated models `journal-me model pull` offers: where each chat GGUF lives, which
Hugging Face weights train it, and which architecture family those weights are."""

from __future__ import annotations

from dataclasses import dataclass

from journal_me.models.errors import RegistryError


@dataclass(frozen=True)
class CatalogEntry:
    """A curated model: where its chat GGUF lives and which HF weights train it."""

    key: str
    title: str
    gguf_repo: str
    gguf_file: str
    hf_repo: str
    approx_bytes: int
    family: str  # architecture family of its training weights: "qwen2", "qwen3", "llama3" (trainer.twins)
    reasoning: bool = False
    chat_only: bool = False  # True: offered for chat, but the trainer cannot train it (say why in note)
    note: str = ""

    @property
    def url(self) -> str:
        return f"https://huggingface.co/{self.gguf_repo}/resolve/main/{self.gguf_file}"


_GB = 1_000_000_000
CATALOG: dict[str, CatalogEntry] = {
    entry.key: entry
    for entry in (
        CatalogEntry(
            "qwen2.5-1.5b",
            "Qwen2.5 1.5B Instruct (Q4_K_M) — the default: fast on CPU",
            "bartowski/Qwen2.5-1.5B-Instruct-GGUF",
            "Qwen2.5-1.5B-Instruct-Q4_K_M.gguf",
            "Qwen/Qwen2.5-1.5B-Instruct",
            int(0.99 * _GB),
            "qwen2",
        ),
        CatalogEntry(
            "qwen2.5-3b",
            "Qwen2.5 3B Instruct (Q4_K_M)",
            "bartowski/Qwen2.5-3B-Instruct-GGUF",
            "Qwen2.5-3B-Instruct-Q4_K_M.gguf",
            "Qwen/Qwen2.5-3B-Instruct",
            int(1.93 * _GB),
            "qwen2",
        ),
        CatalogEntry(
            "llama-3.2-1b",
            "Llama 3.2 1B Instruct (Q4_K_M)",
            "bartowski/Llama-3.2-1B-Instruct-GGUF",
            "Llama-3.2-1B-Instruct-Q4_K_M.gguf",
            "unsloth/Llama-3.2-1B-Instruct",
            int(0.81 * _GB),
            "llama3",
            note="Llama 3.2 community licence; training weights from the ungated unsloth mirror",
        ),
        CatalogEntry(
            "llama-3.2-3b",
            "Llama 3.2 3B Instruct (Q4_K_M)",
            "bartowski/Llama-3.2-3B-Instruct-GGUF",
            "Llama-3.2-3B-Instruct-Q4_K_M.gguf",
            "unsloth/Llama-3.2-3B-Instruct",
            int(2.02 * _GB),
            "llama3",
            note="Llama 3.2 community licence; training weights from the ungated unsloth mirror",
        ),
        CatalogEntry(
            "qwen3-1.7b",
            "Qwen3 1.7B (Q8_0) — thinks in <think> blocks",
            "Qwen/Qwen3-1.7B-GGUF",
            "Qwen3-1.7B-Q8_0.gguf",
            "Qwen/Qwen3-1.7B",
            int(2.17 * _GB),
            "qwen3",
            reasoning=True,
        ),
        CatalogEntry(
            "qwen3-4b",
            "Qwen3 4B (Q4_K_M) — thinks in <think> blocks",
            "Qwen/Qwen3-4B-GGUF",
            "Qwen3-4B-Q4_K_M.gguf",
            "Qwen/Qwen3-4B",
            int(2.5 * _GB),
            "qwen3",
            reasoning=True,
        ),
    )
}
DEFAULT_PULL = "qwen2.5-1.5b"


def catalog_entry(key: str) -> CatalogEntry:
    try:
        return CATALOG[key.lower()]
    except KeyError:
        known = ", ".join(CATALOG)
        raise RegistryError(f"unknown model {key!r} — choose one of: {known}") from None
