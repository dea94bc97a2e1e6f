"""The llama.cpp engine on the tiny GGUF: template, streaming, cancel, errors, LoRA."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from journal_me.config import Settings
from journal_me.llm.engine import Engine, EngineError
from journal_me.models import ModelRegistry
from trainer.tiny_gguf import (
    CHATML_THINK_PREFILL_TEMPLATE,
    build_tiny_adapter,
    build_tiny_gguf,
)

CHAT = [
    {"role": "system", "content": "You are my journal."},
    {"role": "user", "content": "How did I feel today?"},
]


def test_renders_the_embedded_chatml_template(engine: Engine) -> None:
    prompt = engine.render_prompt(CHAT)
    assert prompt == (
        "<|im_start|>system\nYou are my journal.<|im_end|>\n"
        "<|im_start|>user\nHow did I feel today?<|im_end|>\n"
        "<|im_start|>assistant\n"
    )
    assert not engine.think_prefill
    assert engine.architecture == "llama"
    assert engine.n_ctx == 512


def test_streams_a_chat_completion(engine: Engine) -> None:
    chunks = list(engine.stream_chat(CHAT, max_tokens=24, temperature=0.0))
    assert len(chunks) > 5
    text = "".join(chunks)
    assert text.strip()
    assert "<|im_end|>" not in text
    assert engine.chat(CHAT, max_tokens=24, temperature=0.0) == text  # greedy is repeatable


def test_qwen2_bpe_model_streams(tiny_qwen2_gguf: Path) -> None:
    with Engine(tiny_qwen2_gguf, n_ctx=256, n_threads=1) as eng:
        assert eng.architecture == "qwen2"
        assert eng.count_tokens(" felt tired") == 2  # Ġfelt, Ġtired via the BPE merges
        chunks = list(eng.stream_chat(CHAT, max_tokens=16, temperature=0.0))
    assert len(chunks) > 3 and "".join(chunks).strip()


def test_seeds_make_sampling_reproducible(engine: Engine) -> None:
    runs = [engine.chat(CHAT, max_tokens=30, temperature=1.5, seed=s) for s in (11, 11, 12)]
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]


def test_cancel_stops_mid_stream(engine: Engine) -> None:
    cancel = threading.Event()
    got: list[str] = []
    for i, chunk in enumerate(engine.stream_chat(CHAT, max_tokens=400, cancel=cancel)):
        got.append(chunk)
        if i == 3:
            cancel.set()
    assert len(got) == 4
    assert engine.chat(CHAT, max_tokens=5)  # the engine is usable right after


def test_cancel_from_another_thread(engine: Engine) -> None:
    cancel = threading.Event()
    got: list[str] = []

    def consume() -> None:
        for chunk in engine.stream_chat(CHAT, max_tokens=500, cancel=cancel):
            got.append(chunk)
            time.sleep(0.002)

    worker = threading.Thread(target=consume)
    worker.start()
    while not got:
        time.sleep(0.001)
    cancel.set()
    worker.join(timeout=5)
    assert not worker.is_alive()
    assert 0 < len(got) < 500


def test_cancel_before_start_yields_nothing(engine: Engine) -> None:
    cancel = threading.Event()
    cancel.set()
    assert list(engine.stream_chat(CHAT, cancel=cancel)) == []


def test_closing_a_stream_releases_the_engine(engine: Engine) -> None:
    stream = engine.stream_chat(CHAT, max_tokens=100)
    next(iter(stream))
    stream.close()  # type: ignore[attr-defined]
    assert engine.chat(CHAT, max_tokens=3)


def test_close_stops_a_running_stream(tiny_gguf: Path) -> None:
    eng = Engine(tiny_gguf, n_ctx=256, n_threads=1)
    got: list[str] = []
    started = threading.Event()

    def consume() -> None:
        for chunk in eng.stream_chat(CHAT, max_tokens=200):
            got.append(chunk)
            started.set()
            time.sleep(0.01)

    worker = threading.Thread(target=consume)
    worker.start()
    assert started.wait(5)
    eng.close()  # no cancel event was given: close() still ends the stream
    worker.join(timeout=5)
    assert not worker.is_alive() and len(got) < 200
    with pytest.raises(EngineError, match="closed"):
        eng.chat(CHAT, max_tokens=3)
    eng.close()  # idempotent


def test_count_tokens(engine: Engine) -> None:
    assert engine.count_tokens("") == 0
    assert engine.count_tokens("I felt tired today") == 4  # I, ▁felt, ▁tired, ▁today
    assert engine.count_tokens("<|im_start|>") == 1
    assert engine.count_prompt_tokens(CHAT) == engine.count_tokens(engine.render_prompt(CHAT))


def test_prompt_longer_than_context_is_a_clear_error(engine: Engine) -> None:
    long_chat = [{"role": "user", "content": "tired " * 600}]
    with pytest.raises(EngineError, match=r"context holds 512"):
        engine.stream_chat(long_chat)


def test_max_tokens_is_clamped_to_the_context(engine: Engine) -> None:
    chat = [{"role": "user", "content": "tired " * 480}]
    assert len(list(engine.stream_chat(chat, max_tokens=10_000, temperature=0.0))) < 40


def test_template_vars_reach_the_template(tmp_path: Path) -> None:
    template = "{% for m in messages %}{{ m['content'] }}{% endfor %}{% if mood %}[{{ mood }}]{% endif %}"
    path = build_tiny_gguf(tmp_path / "vars.gguf", chat_template=template)
    with Engine(path, n_ctx=256, n_threads=1) as eng:
        assert eng.render_prompt(CHAT[1:], template_vars={"mood": "calm"}) == ("How did I feel today?[calm]")
        assert eng.render_prompt(CHAT[1:]) == "How did I feel today?"


def test_missing_chat_template_is_refused(tmp_path: Path) -> None:
    path = build_tiny_gguf(tmp_path / "bare.gguf", chat_template=None)
    with pytest.raises(EngineError, match="no chat template") as info:
        Engine(path, n_ctx=128)
    assert "model pull" in str(info.value)
    with Engine(path, n_ctx=128, chat_template="{{ messages[0]['content'] }}") as eng:
        assert eng.render_prompt(CHAT) == "You are my journal."


def test_think_prefill_is_detected_and_split(tmp_path: Path) -> None:
    path = build_tiny_gguf(tmp_path / "r1.gguf", chat_template=CHATML_THINK_PREFILL_TEMPLATE)
    with Engine(path, n_ctx=256, n_threads=1) as eng:
        assert eng.think_prefill
        assert eng.render_prompt(CHAT).endswith("<|im_start|>assistant\n<think>\n")
        assert eng.splitter().channel == "reasoning"
        events = list(eng.stream_events(CHAT, max_tokens=20, temperature=0.0))
    assert events and {e.kind for e in events} == {"reasoning"}  # never closed: all thinking


def test_stream_events_plain_model_is_all_answer(engine: Engine) -> None:
    events = list(engine.stream_events(CHAT, max_tokens=20, temperature=0.0))
    assert events and {e.kind for e in events} == {"answer"}
    joined = "".join(e.text for e in events)
    assert joined == engine.chat(CHAT, max_tokens=20, temperature=0.0).strip()


def test_load_errors_are_engine_errors(tmp_path: Path, tiny_gguf: Path, tiny_adapter: Path) -> None:
    with pytest.raises(EngineError, match="model file not found"):
        Engine(tmp_path / "nope.gguf")
    text = tmp_path / "notes.gguf"
    text.write_text("hello")
    with pytest.raises(EngineError, match="not a GGUF"):
        Engine(text)
    truncated = tmp_path / "cut.gguf"
    truncated.write_bytes(tiny_gguf.read_bytes()[:100_000])
    with pytest.raises(EngineError, match=r"could not load|cannot read"):
        Engine(truncated, n_ctx=128)
    with pytest.raises(EngineError, match="is a LoRA adapter, not a model"):
        Engine(tiny_adapter)
    with pytest.raises(EngineError, match="not a LoRA adapter"):
        Engine(tiny_gguf, lora_path=tiny_gguf)
    with pytest.raises(EngineError, match="adapter file not found"):
        Engine(tiny_gguf, lora_path=tmp_path / "missing.gguf")


def test_adapter_for_another_architecture_is_refused(tmp_path: Path, tiny_gguf: Path) -> None:
    qwen_adapter = build_tiny_adapter(tmp_path / "qwen-lora.gguf", arch="qwen2")
    with pytest.raises(EngineError, match="made for a qwen2 model"):
        Engine(tiny_gguf, lora_path=qwen_adapter)


def test_adapter_with_wrong_shapes_is_a_clear_error(tmp_path: Path) -> None:
    import numpy as np

    from journal_me.llm.gguf_write import write_lora_gguf

    base = build_tiny_gguf(tmp_path / "base.gguf")
    a, b = np.ones((4, 32), np.float32), np.ones((64, 4), np.float32)  # in=32 but hidden=64
    bad = write_lora_gguf(
        tmp_path / "bad.gguf",
        arch="llama",
        lora={"model.layers.0.self_attn.v_proj": (a, b[:32])},
        alpha=8,
        hparams={"num_attention_heads": 4, "num_key_value_heads": 2},
    )
    with pytest.raises(EngineError, match="does not fit base model") as info:
        Engine(base, lora_path=bad, n_ctx=128)
    assert "rollback" in str(info.value)


def test_adapter_changes_greedy_output(tiny_gguf: Path, tiny_adapter: Path) -> None:
    outputs: dict[Any, str] = {}
    for lora, scale in ((None, 1.0), (tiny_adapter, 1.0), (tiny_adapter, 0.0)):
        with Engine(tiny_gguf, lora_path=lora, lora_scale=scale, n_ctx=256, n_threads=1) as eng:
            outputs[(lora, scale)] = eng.chat(CHAT, max_tokens=24, temperature=0.0)
    assert outputs[(tiny_adapter, 1.0)] != outputs[(None, 1.0)]
    assert outputs[(tiny_adapter, 0.0)] == outputs[(None, 1.0)]


def test_loading_and_streaming_print_nothing(
    tiny_gguf: Path, tiny_adapter: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    with Engine(tiny_gguf, lora_path=tiny_adapter, n_ctx=128, n_threads=1) as eng:
        eng.chat(CHAT, max_tokens=8)
    out, err = capfd.readouterr()
    assert out == "" and err == ""


def test_loading_never_redirects_the_terminal_fds(
    tiny_gguf: Path, tiny_adapter: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """llama-cpp-python's verbose=False dup2()s /dev/null over fds 1 and 2 while loading; a
    Textual app (which draws on fd 2) would lose its screen updates meanwhile."""
    import os

    redirected: list[int] = []
    real_dup2 = os.dup2

    def spy(fd: int, fd2: int, inheritable: bool = True) -> int:
        redirected.append(fd2)
        return real_dup2(fd, fd2, inheritable)

    monkeypatch.setattr(os, "dup2", spy)
    with Engine(tiny_gguf, lora_path=tiny_adapter, n_ctx=128, n_threads=1) as eng:
        eng.chat(CHAT, max_tokens=4)
    assert redirected == []


def test_from_settings_uses_the_registry(settings: Settings, tiny_gguf: Path, tiny_adapter: Path) -> None:
    with pytest.raises(EngineError, match="no model yet"):
        Engine.from_settings(settings)
    registry = ModelRegistry(settings)
    registry.use(str(tiny_gguf))
    registry.add_adapter(tiny_adapter, {"metrics": {"facts": 0.9}}, activate=True)
    with Engine.from_settings(settings, n_threads=1) as eng:
        assert eng.model_path == tiny_gguf
        assert eng.lora_path is not None and eng.lora_path.name == "adapter.gguf"
        assert eng.n_ctx == settings.llm.n_ctx
        assert eng.defaults.max_tokens == settings.llm.max_tokens


# --------------------------------------------------------------------------- scoring


def _direct_logprobs(model_path: Path, prompt_ids: list[int], answer_ids: list[int]) -> list[float]:
    """The reference: a second llama.cpp context with ``logits_all`` (what the eval gate used
    to open), float32 KV cache, log-softmax in numpy."""
    import contextlib
    import io

    import llama_cpp
    import numpy as np

    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        model = llama_cpp.Llama(
            model_path=str(model_path),
            n_ctx=512,
            n_threads=1,
            logits_all=True,
            type_k=llama_cpp.GGML_TYPE_F32,
            type_v=llama_cpp.GGML_TYPE_F32,
            verbose=True,
        )
    try:
        full = prompt_ids + answer_ids
        model.eval(full)
        rows = np.asarray(model.scores[len(prompt_ids) - 1 : len(full) - 1], dtype=np.float64)
    finally:
        model.close()
    peak = rows.max(axis=1, keepdims=True)
    log_z = peak[:, 0] + np.log(np.exp(rows - peak).sum(axis=1))
    return [float(rows[k, t] - log_z[k]) for k, t in enumerate(answer_ids)]


def test_score_prefers_the_models_own_continuation(engine: Engine) -> None:
    prompt = engine.render_prompt(CHAT)
    likely = "".join(engine.stream_prompt(prompt, max_tokens=12, temperature=0.0))
    unlikely = "zebra quantum 1987 ledger ## umbrella"
    assert likely.strip()
    assert engine.score(prompt, likely, per_token=True) > engine.score(prompt, unlikely, per_token=True)
    total = engine.score(CHAT, likely)  # messages are rendered with the chat template
    n = len(engine.split_tokens(prompt, likely)[1])
    assert total < 0 and total == pytest.approx(engine.score(prompt, likely, per_token=True) * n)
    assert engine.score(prompt, "") == 0.0


def test_score_equals_a_direct_logits_all_computation(tiny_gguf: Path) -> None:
    with Engine(tiny_gguf, n_ctx=512, n_threads=1, kv_cache_f32=True) as engine:
        prompt = engine.render_prompt(CHAT)
        answer = "<think>\nI walked by the river.\n</think>\n\nCalm, mostly. [1]"
        prompt_ids, answer_ids = engine.split_tokens(prompt, answer)
        assert len(answer_ids) > 5
        mine = engine.token_logprobs(prompt_ids, answer_ids)
        direct = _direct_logprobs(tiny_gguf, prompt_ids, answer_ids)
        assert mine == pytest.approx(direct, abs=1e-4)
        assert engine.score(prompt, answer) == pytest.approx(sum(direct), abs=1e-3)
        # the KV prefix is reused by the next call, and generation after scoring is unchanged
        before = "".join(engine.stream_prompt(prompt, max_tokens=8, temperature=0.0))
        assert engine.token_logprobs(prompt_ids, answer_ids) == pytest.approx(mine, abs=1e-5)
        assert "".join(engine.stream_prompt(prompt, max_tokens=8, temperature=0.0)) == before
        with pytest.raises(EngineError, match="needs a prompt"):
            engine.token_logprobs([], answer_ids)
        with pytest.raises(EngineError, match="n_ctx"):
            engine.token_logprobs(prompt_ids, answer_ids * 60)
