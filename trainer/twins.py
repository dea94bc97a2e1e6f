"""Architecture twins: a tiny, random, local copy of every model family the catalogue offers.

No real weights can be downloaded in tests, yet every offered model must train, export and
speak. A twin is built from the family's **real** ``transformers`` config class (Qwen2,
Qwen3, Llama with Llama 3 RoPE scaling), shrunk (hidden 64, 2 layers) with random weights
and the real model's structural choices (tied embeddings, q/k/v biases, q/k norms, an explicit
``head_dim``, the RoPE base and scaling), plus the family's tokenizer *type* — byte-level BPE
trained with ``tokenizers`` on the sample vault, the family's pre-tokenizer split and special
tokens, BOS/EOS handling — and its chat-template *format* (ChatML, with ``<think>`` for
Qwen3; Llama 3 header tokens), all written here. So everything that differs between the
families (tensor names, norms, tied output, RoPE scaling, BOS, template, ``<think>``) goes
through the same SFT → DPO → GGUF → llama.cpp path as the real model would.

Templates carry ``{% generation %}`` markers around each assistant reply and its end token,
so TRL's ``assistant_only_loss`` trains the reply; the GGUF export strips them.

``build_twin(family, out_dir)`` writes a HF model directory (``save_pretrained``); same
arguments, same bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from trainer.gguf_base import LLAMA3_SPLIT, QWEN2_SPLIT
from trainer.tiny import CHATML_TRAINING_TEMPLATE, _perturb_

REPO_VAULT = Path(__file__).resolve().parents[1] / "vault"

QWEN_SPECIALS = ("<|endoftext|>", "<|im_start|>", "<|im_end|>")
THINK_TOKENS = ("<think>", "</think>")
LLAMA3_SPECIALS = (
    "<|begin_of_text|>",
    "<|end_of_text|>",
    "<|start_header_id|>",
    "<|end_header_id|>",
    "<|eot_id|>",
    "<|finetune_right_pad_id|>",
)

#: Qwen2.5 instruct's ChatML, with generation markers (the tiny models' own).
CHATML_TEMPLATE = CHATML_TRAINING_TEMPLATE

#: Qwen3's format: ChatML whose replies hold ``<think>…</think>`` first; with
#: ``enable_thinking=false`` the generation prompt closes an empty reasoning block.
QWEN3_TEMPLATE = CHATML_TEMPLATE.replace(
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}",
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}"
    "{%- if enable_thinking is defined and enable_thinking is false -%}"
    "{{- '<think>\\n\\n</think>\\n\\n' -}}{%- endif -%}{%- endif -%}",
)

#: Llama 3's format: BOS, then ``<|start_header_id|>role<|end_header_id|>\n\n`` and
#: ``<|eot_id|>`` around each trimmed message.
LLAMA3_TEMPLATE = (
    "{{- bos_token -}}"
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'assistant' -%}"
    "{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}"
    "{%- generation -%}"
    "{{- message['content'] | trim + '<|eot_id|>' -}}"
    "{%- endgeneration -%}"
    "{%- else -%}"
    "{{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n' "
    "+ message['content'] | trim + '<|eot_id|>' -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}"
    "{{- '<|start_header_id|>assistant<|end_header_id|>\\n\\n' -}}"
    "{%- endif -%}"
)


@dataclass(frozen=True)
class TwinSpec:
    """One family: what its real models are, and how the twin mirrors them."""

    family: str
    real: str  # the real checkpoints mirrored (for messages and docs)
    hf_architecture: str  # the ``architectures`` entry of config.json
    gguf_arch: str  # llama.cpp's name for it
    config: Mapping[str, Any]  # structural settings kept from the real config.json
    split: str  # pre-tokenizer regex (the real tokenizer.json's Split)
    nfc: bool  # Qwen normalises to NFC; Llama 3 does not
    specials: tuple[str, ...]  # CONTROL tokens, appended after the trained vocabulary
    text_tokens: tuple[str, ...]  # added tokens that decode as text (``<think>``)
    bos: str | None
    eos: str
    pad: str
    add_bos: bool  # the tokenizer prepends BOS (Llama 3) or not (Qwen)
    chat_template: str
    pad_vocab_to: int = 1  # real Qwen checkpoints pad the embedding matrix (151936 rows)
    reasoning: bool = False


FAMILIES: dict[str, TwinSpec] = {
    "qwen2": TwinSpec(
        family="qwen2",
        real="Qwen2.5 1.5B/3B Instruct",
        hf_architecture="Qwen2ForCausalLM",
        gguf_arch="qwen2",
        config={"tie_word_embeddings": True, "rope_theta": 1_000_000.0, "rms_norm_eps": 1e-6},
        split=QWEN2_SPLIT,
        nfc=True,
        specials=QWEN_SPECIALS,
        text_tokens=(),
        bos=None,
        eos="<|im_end|>",
        pad="<|endoftext|>",
        add_bos=False,
        chat_template=CHATML_TEMPLATE,
        pad_vocab_to=64,
    ),
    "qwen3": TwinSpec(
        family="qwen3",
        real="Qwen3 1.7B/4B",
        hf_architecture="Qwen3ForCausalLM",
        gguf_arch="qwen3",
        # head_dim is explicit in Qwen3 (128 with 16 heads of a 2048 model): here 32 != 64/4
        config={
            "tie_word_embeddings": True,
            "rope_theta": 1_000_000.0,
            "rms_norm_eps": 1e-6,
            "head_dim": 32,
            "attention_bias": False,
        },
        split=QWEN2_SPLIT,
        nfc=True,
        specials=QWEN_SPECIALS,
        text_tokens=THINK_TOKENS,
        bos=None,
        eos="<|im_end|>",
        pad="<|endoftext|>",
        add_bos=False,
        chat_template=QWEN3_TEMPLATE,
        pad_vocab_to=64,
        reasoning=True,
    ),
    "llama3": TwinSpec(
        family="llama3",
        real="Llama 3.2 1B/3B Instruct",
        hf_architecture="LlamaForCausalLM",
        gguf_arch="llama",
        config={
            "tie_word_embeddings": True,
            "rope_theta": 500_000.0,
            "rms_norm_eps": 1e-5,
            "max_position_embeddings": 131072,  # 8192 x 16 (scaled); n_ctx is chosen at load
            "rope_scaling": {
                "rope_type": "llama3",
                "factor": 32.0,
                "low_freq_factor": 1.0,
                "high_freq_factor": 4.0,
                "original_max_position_embeddings": 8192,
            },
        },
        split=LLAMA3_SPLIT,
        nfc=False,
        specials=LLAMA3_SPECIALS,
        text_tokens=(),
        bos="<|begin_of_text|>",
        eos="<|eot_id|>",
        pad="<|finetune_right_pad_id|>",
        add_bos=True,
        chat_template=LLAMA3_TEMPLATE,
    ),
}


def vault_corpus(vault: Path | None = None) -> list[str]:
    """The texts the twin tokenizers learn from: the sample vault's markdown (the bundled
    journal), or — in an installed copy without it — the tiny models' built-in corpus."""
    root = vault if vault is not None else REPO_VAULT
    files = sorted(root.rglob("*.md")) if root.is_dir() else []
    if files:
        return [f.read_text(encoding="utf-8", errors="replace") for f in files]
    from trainer.tiny import _CORPUS

    return list(_CORPUS) * 4


def _train_tokenizer(spec: TwinSpec, corpus: Iterable[str], vocab_size: int) -> Any:
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        processors,
        trainers,
    )

    # Llama 3 uses whole-word lookups before merges (llama.cpp's llama-bpe does the same)
    tok = Tokenizer(models.BPE(ignore_merges=spec.family == "llama3"))
    if spec.nfc:
        tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(spec.split), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tok.train_from_iterator(list(corpus), trainer=trainer)
    # as in the real vocabularies, the control tokens come after the learned ones
    tok.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in spec.specials])
    # not "special": the reasoning tags must survive decoding so the app can split them
    tok.add_tokens([AddedToken(t, special=False, normalized=False) for t in spec.text_tokens])
    if spec.add_bos and spec.bos:
        bos_id = tok.token_to_id(spec.bos)
        tok.post_processor = processors.TemplateProcessing(
            single=f"{spec.bos} $A",
            pair=f"{spec.bos} $A {spec.bos}:1 $B:1",
            special_tokens=[(spec.bos, bos_id)],
        )
    return tok


def build_twin_tokenizer(
    family: str,
    out_dir: Path | str,
    *,
    vocab_size: int = 1024,
    max_positions: int = 2048,
    vault: Path | None = None,
) -> Any:
    """Train and save the family's tokenizer in ``out_dir``; returns it loaded back."""
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    spec = twin_spec(family)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer_cls: Any = PreTrainedTokenizerFast  # untyped in transformers 5
    fast = tokenizer_cls(
        tokenizer_object=_train_tokenizer(spec, vault_corpus(vault), vocab_size),
        bos_token=spec.bos,
        eos_token=spec.eos,
        pad_token=spec.pad,
        unk_token=None,
        model_max_length=max_positions,
        clean_up_tokenization_spaces=False,
    )
    fast.chat_template = spec.chat_template
    fast.save_pretrained(str(out))
    return AutoTokenizer.from_pretrained(str(out))


def twin_spec(family: str) -> TwinSpec:
    try:
        return FAMILIES[family]
    except KeyError:
        raise ValueError(f"no twin for family {family!r}; known: {', '.join(FAMILIES)}") from None


def _config(spec: TwinSpec, tokenizer: Any, *, hidden: int, layers: int, max_positions: int) -> Any:
    import transformers

    cls = getattr(transformers, spec.hf_architecture.replace("ForCausalLM", "Config"))
    real = dict(spec.config)
    theta = float(real.pop("rope_theta"))
    scaling = real.pop("rope_scaling", None) or {"rope_type": "default"}
    n_vocab = len(tokenizer)
    n_vocab += -n_vocab % spec.pad_vocab_to
    real.setdefault("max_position_embeddings", max_positions)
    return cls(
        vocab_size=n_vocab,
        hidden_size=hidden,
        intermediate_size=2 * hidden,
        num_hidden_layers=layers,
        num_attention_heads=4,
        num_key_value_heads=2,
        initializer_range=0.05,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        rope_parameters={**scaling, "rope_theta": theta},
        architectures=[spec.hf_architecture],
        **real,
    )


def build_twin(
    family: str,
    out_dir: Path | str,
    *,
    hidden: int = 64,
    layers: int = 2,
    seed: int = 0,
    max_positions: int = 2048,
    vault: Path | None = None,
) -> Path:
    """Build and save the twin of ``family`` (a key of :data:`FAMILIES`) in ``out_dir``:
    ``config.json`` from the real config class, random ``model.safetensors``, the trained
    tokenizer and its chat template. Returns ``out_dir``; a second or so on CPU."""
    import torch
    from transformers import AutoModelForCausalLM

    spec = twin_spec(family)
    out = Path(out_dir)
    tokenizer = build_twin_tokenizer(family, out, max_positions=max_positions, vault=vault)
    config = _config(spec, tokenizer, hidden=hidden, layers=layers, max_positions=max_positions)
    torch.manual_seed(seed)
    auto: Any = AutoModelForCausalLM
    model = auto.from_config(config, dtype=torch.float32)
    _perturb_(model)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(str(out))
    return out


__all__ = [
    "CHATML_TEMPLATE",
    "FAMILIES",
    "LLAMA3_TEMPLATE",
    "QWEN3_TEMPLATE",
    "TwinSpec",
    "build_twin",
    "build_twin_tokenizer",
    "twin_spec",
    "vault_corpus",
]
