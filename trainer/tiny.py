"""Tiny Hugging Face models built locally, so training and export are testable offline.

Nothing can be downloaded at test time, so the project makes its own models: a llama and a
qwen2 decoder (hidden 64, 2 layers, 4 heads, 2 KV heads) with a byte-level BPE tokenizer
trained in milliseconds on a built-in journal-like corpus. They are saved with
``save_pretrained`` so every consumer (TRL, PEFT, the GGUF converters) loads them exactly
like a real base model. Same seed, same bytes: the build is deterministic.

The tokenizer mirrors Qwen2's (NFC, the Qwen2 split regex, byte-level BPE, no BOS), so
llama.cpp tokenizes the converted GGUF with its ``qwen2`` pre-tokenizer the same way.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

Arch = Literal["llama", "qwen2"]
ARCHS: tuple[Arch, ...] = ("llama", "qwen2")

IM_START = "<|im_start|>"
IM_END = "<|im_end|>"
THINK_OPEN = "<think>"
THINK_CLOSE = "</think>"
PAD = "<|endoftext|>"

#: Qwen2's pre-tokenizer split (llama.cpp's ``qwen2`` pre-type uses the same expression).
QWEN2_SPLIT_PATTERN = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)

#: ChatML with ``{% generation %}`` markers around each assistant reply *and* its
#: ``<|im_end|>``, so TRL's ``assistant_only_loss`` trains the reply and the stop token.
#: The markers are a transformers extension: strip them before embedding the template in a
#: GGUF (see ``trainer.export.inference_chat_template``).
CHATML_TRAINING_TEMPLATE = (
    "{%- for message in messages -%}"
    "{%- if message['role'] == 'assistant' -%}"
    "{{- '<|im_start|>assistant\\n' -}}"
    "{%- generation -%}"
    "{{- message['content'] + '<|im_end|>' -}}"
    "{%- endgeneration -%}"
    "{{- '\\n' -}}"
    "{%- else -%}"
    "{{- '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' -}}"
    "{%- endif -%}"
    "{%- endfor -%}"
    "{%- if add_generation_prompt -%}{{- '<|im_start|>assistant\\n' -}}{%- endif -%}"
)

_CORPUS: tuple[str, ...] = (
    "Today I walked to the river with Anna and we talked about work.",
    "I felt tired this morning, but the coffee helped and the meeting went well.",
    "Mum called in the evening; she wants us to visit in June.",
    "The garden needs water. Tomatoes are finally turning red!",
    "I think I should write more often, even when nothing happens.",
    "Work was busy: three reviews, one long call, and a bug that took hours.",
    "Went running at 7am, 5 km in 28 minutes. Knees okay.",
    "Dinner with Tom and Sara at the little Italian place near the station.",
    "Why do I always postpone the things that matter most to me?",
    "Read two chapters of the book about habits; the idea of small steps stays with me.",
    "It rained all day, so I stayed in, cooked soup and cleaned the kitchen.",
    "Started learning the guitar again. My fingers hurt, but it is fun.",
    "Felt anxious before the presentation, then relieved when it was over.",
    "My sister Lena got the new job in Berlin. So proud of her!",
    "Note to self: call the dentist, pay rent, buy a birthday gift for Dad.",
    "We argued about money again. I want us to plan together, calmly.",
    "Long walk in the forest on Sunday; the light through the trees was beautiful.",
    "I am grateful for friends who listen, for quiet mornings and for good bread.",
    "Project deadline moved to Friday. Less stress, more time to test.",
    "Slept badly. Dreamt about the old house and the blue door.",
    "user: What did I do last weekend? assistant: You walked by the river with Anna.",
    "Let me think step by step. First, the question asks about June; then the answer.",
    "How did I feel about work in March? Mostly tired, sometimes proud.",
    "#garden #running #family [[Anna]] [[Berlin]] 2024-06-01 12:30",
)


def _train_tokenizer(vocab_size: int) -> Any:
    """Train the byte-level BPE on ``_CORPUS``; returns a ``tokenizers.Tokenizer``."""
    from tokenizers import (
        AddedToken,
        Regex,
        Tokenizer,
        decoders,
        models,
        normalizers,
        pre_tokenizers,
        trainers,
    )

    tok = Tokenizer(models.BPE())
    tok.normalizer = normalizers.NFC()
    tok.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN2_SPLIT_PATTERN), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[PAD, IM_START, IM_END],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    chat_lines = [f"{IM_START}user\n{line}{IM_END}\n" for line in _CORPUS]
    tok.train_from_iterator(list(_CORPUS) * 4 + chat_lines, trainer=trainer)
    # Not "special": the reasoning tags must survive decoding so the app can split them.
    tok.add_tokens(
        [
            AddedToken(THINK_OPEN, special=False, normalized=False),
            AddedToken(THINK_CLOSE, special=False, normalized=False),
        ]
    )
    return tok


def build_tiny_tokenizer(out_dir: Path | str, *, vocab_size: int = 512, max_positions: int = 512) -> Any:
    """Train and save the tiny tokenizer; returns the loaded ``PreTrainedTokenizerFast``."""
    from transformers import AutoTokenizer, PreTrainedTokenizerFast

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer_cls: Any = PreTrainedTokenizerFast  # untyped in transformers 5
    fast = tokenizer_cls(
        tokenizer_object=_train_tokenizer(vocab_size),
        eos_token=IM_END,
        pad_token=PAD,
        unk_token=None,
        bos_token=None,
        model_max_length=max_positions,
    )
    fast.chat_template = CHATML_TRAINING_TEMPLATE
    fast.save_pretrained(str(out))
    return AutoTokenizer.from_pretrained(str(out))


def _model_config(arch: Arch, tokenizer: Any, max_positions: int = 512) -> Any:
    from transformers import LlamaConfig, Qwen2Config

    common: dict[str, Any] = {
        "vocab_size": len(tokenizer),
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_hidden_layers": 2,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "max_position_embeddings": max_positions,
        "rms_norm_eps": 1e-6,
        "initializer_range": 0.05,
        "bos_token_id": None,
        "eos_token_id": tokenizer.eos_token_id,
        "pad_token_id": tokenizer.pad_token_id,
        "rope_parameters": {"rope_type": "default", "rope_theta": 10000.0},
    }
    if arch == "llama":
        # Untied output head, no biases: the plain llama layout.
        return LlamaConfig(**common, tie_word_embeddings=False)
    # Tied embeddings and q/k/v biases, like the small Qwen2/2.5 checkpoints.
    return Qwen2Config(**common, tie_word_embeddings=True)


def _perturb_(model: Any) -> None:
    """Give norms and biases non-default values so a converter that drops or misplaces
    them cannot pass the logit-equivalence tests by accident (they start at ones/zeros)."""
    import torch

    with torch.no_grad():
        for name, param in model.named_parameters():
            if name.endswith(".bias"):
                param.normal_(0.0, 0.05)
            elif "norm" in name:
                param.normal_(1.0, 0.1)


def build_tiny_model(
    out_dir: Path | str, arch: Arch = "llama", seed: int = 0, *, max_positions: int = 512
) -> Path:
    """Build and save a tiny ``LlamaForCausalLM`` or ``Qwen2ForCausalLM`` with its tokenizer.

    Returns ``out_dir``, loadable with ``AutoModelForCausalLM.from_pretrained`` and
    ``AutoTokenizer.from_pretrained``. Takes well under a second on CPU. ``max_positions``
    is the context length: the pipeline tests raise it, because real chat prompts (system
    prompt + journal memories) run to ~2000 tokens with this 512-token vocabulary.
    """
    import torch
    from transformers import AutoModelForCausalLM

    if arch not in ARCHS:
        raise ValueError(f"unknown tiny architecture {arch!r}; expected one of {ARCHS}")
    out = Path(out_dir)
    tokenizer = build_tiny_tokenizer(out, max_positions=max_positions)
    config = _model_config(arch, tokenizer, max_positions)
    torch.manual_seed(seed)
    auto: Any = AutoModelForCausalLM
    model = auto.from_config(config, dtype=torch.float32)
    _perturb_(model)
    model.generation_config.eos_token_id = tokenizer.eos_token_id
    model.generation_config.pad_token_id = tokenizer.pad_token_id
    model.save_pretrained(str(out))
    return out
