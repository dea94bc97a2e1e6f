"""The local model: llama-cpp-python in process (no server), base GGUF + optional LoRA GGUF.

Decisions and the llama-cpp-python 0.3.36 behaviour behind them:

* **Chat template**: we render the GGUF's own ``tokenizer.chat_template`` ourselves with
  llama-cpp-python's ``Jinja2ChatFormatter`` and generate from the token ids. Llama() would
  silently fall back to llama-2 formatting without a template (we refuse instead) and may swap
  a recognised template for a hard-coded one; rendering ourselves also lets callers pass
  template variables (``enable_thinking=False`` for Qwen3), which ``create_chat_completion``
  cannot. Like llama-cpp-python and HF, no BOS is added: templates that want one write
  ``{{ bos_token }}``.
* **Quiet without fd tricks**: ``verbose=False`` makes llama-cpp-python ``dup2`` /dev/null over
  file descriptors 1 and 2 while it loads — process-wide, so a Textual app drawing on another
  thread loses its output for that time. We load with ``verbose=True`` instead, swallow the
  Python-level prints, route llama.cpp's C log through our own callback (kept for error
  messages, never printed) and then turn ``verbose`` off for generation.
* **Cancel**: checked between streamed chunks, and through llama.cpp's abort callback so that
  a long prompt evaluation stops too (``llama_decode`` returns "aborted").
* **Seeds**: llama-cpp-python derives each call's seed from the previous one, so a fixed
  ``Llama(seed)`` replays the same "random" replies every launch. ``seed=-1`` here means a fresh
  random seed per call; ``seed>=0`` is passed per call for reproducible output.
* **Prompt cache**: a ``LlamaRAMCache`` keeps the evaluated state of recent prompts; chats that
  share a long system prefix skip re-reading it on CPU.
* **Threads**: llama-cpp-python sizes its thread pool from ``multiprocessing.cpu_count()``
  (the whole machine, not the CPUs this process may use); we count usable CPUs instead.
* **Adapters are checked before loading** (kind, architecture, every tensor shape against the
  base): llama-cpp-python 0.3.36 does not notice when llama.cpp refuses an adapter (it tests a
  NULL ctypes pointer with ``is None``) and would run with a NULL adapter.
* One generation at a time per engine (a lock): a llama.cpp context is not thread-safe. Always
  exhaust or ``close()`` a stream (a ``for`` loop with ``break`` does).
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import logging
import os
import random
import threading
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from journal_me.llm.gguf_info import GGUFFormatError, adapter_mismatches, read_gguf_info
from journal_me.llm.reasoning import THINK_OPEN, ReasoningEvent, ReasoningSplitter

if TYPE_CHECKING:
    from journal_me.config import LLMSettings, Settings

log = logging.getLogger(__name__)

DEFAULT_PROMPT_CACHE_BYTES = 512 * 1024 * 1024

Message = Mapping[str, str]


class EngineError(RuntimeError):
    """The model could not be loaded or run; the message says what to do."""


# --------------------------------------------------------------------------- llama.cpp log

_LOG_LINES: deque[str] = deque(maxlen=400)
_LOG_LOCK = threading.Lock()
_log_callback: Any = None  # keep the ctypes callback alive for the process


def _install_log_sink() -> None:
    """Route llama.cpp's C log into a ring buffer + the debug logger (never to stderr)."""
    global _log_callback
    with _LOG_LOCK:
        if _log_callback is not None:
            return
        import llama_cpp

        @llama_cpp.llama_log_callback  # type: ignore[untyped-decorator]
        def _sink(level: int, text: bytes, _user: ctypes.c_void_p) -> None:
            line = text.decode("utf-8", errors="replace")
            _LOG_LINES.append(line)
            if line.strip():
                log.debug("llama.cpp: %s", line.rstrip())

        llama_cpp.llama_log_set(_sink, ctypes.c_void_p(0))
        _log_callback = _sink


def _log_mark() -> int:
    return len(_LOG_LINES)


def _log_errors_since(mark: int, limit: int = 4) -> str:
    """Recent llama.cpp lines that look like the reason of a failure."""
    lines = "".join(list(_LOG_LINES)[mark:] if mark <= len(_LOG_LINES) else _LOG_LINES)
    hits = [
        line.strip()
        for line in lines.splitlines()
        if any(word in line.lower() for word in ("error", "failed", "mismatch", "invalid"))
    ]
    return "; ".join(hits[-limit:])


# --------------------------------------------------------------------------- checks


def _usable_cpus() -> int:
    """CPUs this process may run on; llama-cpp-python's default counts the whole machine
    (``multiprocessing.cpu_count``), which oversubscribes a container or a pinned process."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # macOS, Windows
        return max(1, os.cpu_count() or 1)


def _check_gguf(path: Path, what: str) -> None:
    if not path.is_file():
        hint = (
            "run `journal-me model list` to see the registered models"
            if what == "model"
            else "run `journal-me model list`; `journal-me model rollback` returns to the last one"
        )
        raise EngineError(f"{what} file not found: {path} — {hint}")
    with open(path, "rb") as handle:
        magic = handle.read(4)
    if magic != b"GGUF":
        raise EngineError(
            f"{path} is not a GGUF file — llama.cpp needs a .gguf {what} "
            "(convert Hugging Face weights with llama.cpp's convert_hf_to_gguf.py)"
        )


def _check_adapter(path: Path, base_path: Path) -> None:
    """Refuse an adapter llama.cpp would reject. Needed, not just polite: llama-cpp-python
    0.3.36 misses llama.cpp's NULL return for a bad adapter and carries on with it."""
    _check_gguf(path, "adapter")
    try:
        info = read_gguf_info(path, tensors=True)
        base = read_gguf_info(base_path, tensors=True)
    except (GGUFFormatError, OSError) as exc:
        raise EngineError(f"{path} is not a readable GGUF adapter: {exc}") from exc
    if info.kind != "adapter":
        raise EngineError(
            f"{path.name} is a GGUF {info.kind}, not a LoRA adapter — use it as the base "
            "model (`journal-me model use`), or give an adapter exported by `journal-me train`"
        )
    if info.architecture and info.architecture != base.architecture:
        raise EngineError(
            f"adapter {path.name} was made for a {info.architecture} model but the base is "
            f"{base.architecture} — train a new adapter for this base, or run "
            "`journal-me model rollback`"
        )
    problems = adapter_mismatches(base, info)
    if problems:
        raise EngineError(
            f"adapter {path.name} does not fit base model {base_path.name}: "
            f"{'; '.join(problems)} — train a new adapter for this base, or run "
            "`journal-me model rollback`"
        )


# --------------------------------------------------------------------------- engine


@dataclass(frozen=True)
class GenerationDefaults:
    """Sampling defaults (from ``settings.llm``); every call may override them."""

    temperature: float = 0.7
    top_p: float = 0.95
    max_tokens: int = 768
    seed: int = -1


class Engine:
    """A loaded model that renders chats with its own template and streams replies."""

    def __init__(
        self,
        model_path: str | Path,
        *,
        lora_path: str | Path | None = None,
        lora_scale: float = 1.0,
        n_ctx: int = 4096,
        n_threads: int | None = None,
        n_gpu_layers: int = 0,
        defaults: GenerationDefaults | None = None,
        chat_template: str | None = None,
        prompt_cache_bytes: int = DEFAULT_PROMPT_CACHE_BYTES,
        abort_on_cancel: bool = True,
        kv_cache_f32: bool = False,
    ) -> None:
        """Load ``model_path`` (+ ``lora_path``) or raise :class:`EngineError`.

        ``chat_template`` overrides the GGUF's (for base models without one); ``kv_cache_f32``
        keeps the KV cache in float32, for logit comparisons in tests (f16 is llama.cpp's
        default and errs by ~1e-2 on logits).
        """
        self.model_path = Path(model_path).expanduser()
        self.lora_path = Path(lora_path).expanduser() if lora_path else None
        self.lora_scale = lora_scale
        self.defaults = defaults or GenerationDefaults()
        _check_gguf(self.model_path, "model")
        try:
            base_info = read_gguf_info(self.model_path)
        except (GGUFFormatError, OSError) as exc:
            raise EngineError(f"cannot read {self.model_path}: {exc}") from exc
        if base_info.kind == "adapter":
            raise EngineError(
                f"{self.model_path.name} is a LoRA adapter, not a model — use a base GGUF and "
                "pass the adapter as lora_path"
            )
        if self.lora_path is not None:
            _check_adapter(self.lora_path, self.model_path)

        _install_log_sink()
        import llama_cpp

        kwargs: dict[str, Any] = {}
        if kv_cache_f32:
            kwargs.update(type_k=llama_cpp.GGML_TYPE_F32, type_v=llama_cpp.GGML_TYPE_F32)
        mark = _log_mark()
        try:
            with (
                contextlib.redirect_stderr(io.StringIO()),
                contextlib.redirect_stdout(io.StringIO()),
            ):
                self._llm = llama_cpp.Llama(
                    model_path=str(self.model_path),
                    lora_path=str(self.lora_path) if self.lora_path else None,
                    lora_scale=lora_scale,
                    n_ctx=n_ctx,
                    n_threads=n_threads or max(1, _usable_cpus() // 2),
                    n_threads_batch=n_threads or _usable_cpus(),
                    n_gpu_layers=n_gpu_layers,
                    verbose=True,  # see module docstring: avoids the fd-level redirect
                    **kwargs,
                )
        except (ValueError, RuntimeError, OSError) as exc:
            raise EngineError(self._load_failure(exc, mark)) from exc
        self._llm.verbose = False
        if self.lora_path is not None and not getattr(self._llm, "_lora_adapter", None):
            # a NULL adapter pointer slipped through llama-cpp-python: never run with it
            self.close()
            raise EngineError(self._load_failure(RuntimeError("lora adapter failed"), mark))

        self.metadata: dict[str, str] = dict(self._llm.metadata)
        template = chat_template or self.metadata.get("tokenizer.chat_template")
        if not template:
            self.close()
            raise EngineError(
                f"{self.model_path.name} has no chat template (tokenizer.chat_template), so "
                "chats cannot be formatted for it — use an instruct/chat GGUF, e.g. "
                "`journal-me model pull qwen2.5-1.5b`"
            )
        self.chat_template = template
        self._formatters: dict[bool, Any] = {}
        if prompt_cache_bytes > 0:
            from llama_cpp.llama_cache import LlamaRAMCache

            self._llm.set_cache(LlamaRAMCache(capacity_bytes=prompt_cache_bytes))

        self._lock = threading.Lock()
        self._cancel: threading.Event | None = None
        self._closing = threading.Event()
        self._abort_callback: Any = None
        if abort_on_cancel:
            self._install_abort_callback()
        self.think_prefill = self._detect_think_prefill()

    # ------------------------------------------------------------------ construction

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        model_path: str | Path | None = None,
        lora_path: str | Path | None = None,
        **options: Any,
    ) -> Engine:
        """The engine the user configured: base and adapter from the model registry
        (``settings.llm.base_model`` and ``use_adapter`` honoured) unless given."""
        if model_path is None:
            from journal_me.models import ModelRegistry, RegistryError

            try:
                base, adapter = ModelRegistry(settings).engine_paths()
            except RegistryError as exc:  # a corrupt registry.json: chat goes memory-only
                raise EngineError(str(exc)) from exc
            if base is None:
                raise EngineError(
                    "no model yet — run `journal-me model pull qwen2.5-1.5b` or "
                    "`journal-me model use PATH.gguf`"
                )
            model_path = base
            if lora_path is None:
                lora_path = adapter
        return cls.with_llm_settings(model_path, settings.llm, lora_path=lora_path, **options)

    @classmethod
    def with_llm_settings(
        cls,
        model_path: str | Path,
        llm: LLMSettings,
        *,
        lora_path: str | Path | None = None,
        **options: Any,
    ) -> Engine:
        """Build from an explicit path and the ``[llm]`` settings section."""
        defaults = GenerationDefaults(
            temperature=llm.temperature,
            top_p=llm.top_p,
            max_tokens=llm.max_tokens,
            seed=llm.seed,
        )
        kwargs: dict[str, Any] = {
            "lora_scale": llm.lora_scale,
            "n_ctx": llm.n_ctx,
            "n_threads": llm.n_threads,
            "n_gpu_layers": llm.n_gpu_layers,
            "defaults": defaults,
        }
        kwargs.update(options)  # explicit arguments win over the config
        return cls(model_path, lora_path=lora_path, **kwargs)

    def _load_failure(self, exc: BaseException, mark: int) -> str:
        detail = _log_errors_since(mark)
        if self.lora_path is not None and "lora" in str(exc).lower():
            return (
                f"adapter {self.lora_path.name} does not fit base model {self.model_path.name}"
                f"{': ' + detail if detail else ''} — train a new adapter for this base, or "
                "run `journal-me model rollback`"
            )
        return (
            f"llama.cpp could not load {self.model_path}"
            f"{': ' + detail if detail else ''} — the file may be truncated (re-download it "
            "with `journal-me model pull`) or need a newer llama-cpp-python"
        )

    def _install_abort_callback(self) -> None:
        import llama_cpp

        @llama_cpp.ggml_abort_callback  # type: ignore[untyped-decorator]
        def _abort(_data: ctypes.c_void_p) -> bool:
            return self._stop_requested(self._cancel)

        self._abort_callback = _abort  # keep alive as long as the context
        llama_cpp.llama_set_abort_callback(self._llm.ctx, _abort, ctypes.c_void_p(0))

    # ------------------------------------------------------------------ facts

    @property
    def _live(self) -> Any:
        """The llama-cpp-python model, or a clear error once the engine is closed."""
        llm = getattr(self, "_llm", None)
        if llm is None:
            raise EngineError("the engine was closed; load the model again")
        return llm

    @property
    def n_ctx(self) -> int:
        """Context window in tokens (prompt + reply)."""
        return int(self._live.n_ctx())

    @property
    def architecture(self) -> str:
        return self.metadata.get("general.architecture", "unknown")

    # ------------------------------------------------------------------ prompts

    def _formatter(self, add_generation_prompt: bool) -> Any:
        formatter = self._formatters.get(add_generation_prompt)
        if formatter is None:
            from llama_cpp.llama_chat_format import Jinja2ChatFormatter

            formatter = Jinja2ChatFormatter(
                template=self.chat_template,
                eos_token=self._token_text(self._live.token_eos()),
                bos_token=self._token_text(self._live.token_bos()),
                add_generation_prompt=add_generation_prompt,
            )
            self._formatters[add_generation_prompt] = formatter
        return formatter

    def _token_text(self, token_id: int) -> str:
        if token_id < 0:
            return ""
        return str(self._live.detokenize([token_id], special=True).decode("utf-8", errors="replace"))

    def render_prompt(
        self,
        messages: Sequence[Message],
        *,
        add_generation_prompt: bool = True,
        template_vars: Mapping[str, Any] | None = None,
    ) -> str:
        """The exact prompt text the model will read for ``messages``."""
        try:
            response = self._formatter(add_generation_prompt)(
                messages=[dict(m) for m in messages], **dict(template_vars or {})
            )
        except Exception as exc:  # jinja errors, raise_exception() in templates
            raise EngineError(f"the model's chat template failed on these messages: {exc}") from exc
        return str(response.prompt)

    def _detect_think_prefill(self) -> bool:
        try:
            probe = self.render_prompt([{"role": "user", "content": "hi"}])
        except EngineError:  # a template that insists on a system turn, say
            return False
        return self.starts_in_reasoning(probe)

    @staticmethod
    def starts_in_reasoning(prompt: str) -> bool:
        """True when the template pre-fills ``<think>`` (output starts inside reasoning)."""
        return prompt.rstrip().endswith(THINK_OPEN)

    def tokenize(self, text: str, *, special: bool = True) -> list[int]:
        """Token ids of ``text`` without BOS; ``special`` parses ``<|im_start|>`` & co."""
        return list(self._live.tokenize(text.encode("utf-8"), add_bos=False, special=special))

    def count_tokens(self, text: str, *, special: bool = True) -> int:
        """How many tokens ``text`` costs (for budgeting retrieved context)."""
        return len(self.tokenize(text, special=special))

    def count_prompt_tokens(
        self, messages: Sequence[Message], *, template_vars: Mapping[str, Any] | None = None
    ) -> int:
        """Tokens of the fully rendered chat prompt, template markup included."""
        return self.count_tokens(self.render_prompt(messages, template_vars=template_vars))

    # ------------------------------------------------------------------ generation

    def stream_chat(
        self,
        messages: Sequence[Message],
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        stop: Sequence[str] | None = None,
        cancel: threading.Event | None = None,
        seed: int | None = None,
        template_vars: Mapping[str, Any] | None = None,
    ) -> Iterator[str]:
        """Stream the reply to ``messages`` as text chunks (raw: reasoning tags included).

        The prompt is rendered and measured now, so a too-long chat raises
        :class:`EngineError` here rather than mid-iteration. Setting ``cancel`` ends the
        stream at the next chunk (and aborts a running prompt evaluation); a cancelled stream
        simply stops, it does not raise.
        """
        prompt = self.render_prompt(messages, template_vars=template_vars)
        return self.stream_prompt(
            prompt,
            max_tokens=max_tokens,
            temperature=temperature,
            top_p=top_p,
            stop=stop,
            cancel=cancel,
            seed=seed,
        )

    def stream_prompt(
        self,
        prompt: str,
        *,
        max_tokens: int | None = None,
        temperature: float | None = None,
        top_p: float | None = None,
        stop: Sequence[str] | None = None,
        cancel: threading.Event | None = None,
        seed: int | None = None,
    ) -> Iterator[str]:
        """Stream a continuation of an already rendered prompt (see :meth:`render_prompt`)."""
        tokens = self.tokenize(prompt)
        budget = self.n_ctx - len(tokens)
        if budget <= 0:
            raise EngineError(
                f"the prompt needs {len(tokens)} tokens but the context holds {self.n_ctx} — "
                "shorten the chat or raise [llm] n_ctx in the config"
            )
        wanted = self.defaults.max_tokens if max_tokens is None else max_tokens
        return self._generate(
            tokens,
            max_tokens=min(wanted, budget) if wanted > 0 else budget,
            temperature=self.defaults.temperature if temperature is None else temperature,
            top_p=self.defaults.top_p if top_p is None else top_p,
            stop=list(stop or []),
            cancel=cancel,
            seed=self._call_seed(seed),
        )

    def _stop_requested(self, cancel: threading.Event | None) -> bool:
        return self._closing.is_set() or (cancel is not None and cancel.is_set())

    def _call_seed(self, seed: int | None) -> int:
        chosen = self.defaults.seed if seed is None else seed
        return random.randrange(2**31) if chosen < 0 else chosen

    def _generate(
        self,
        tokens: list[int],
        *,
        max_tokens: int,
        temperature: float,
        top_p: float,
        stop: list[str],
        cancel: threading.Event | None,
        seed: int,
    ) -> Iterator[str]:
        with self._lock:
            if self._stop_requested(cancel):
                return
            self._cancel = cancel
            mark = _log_mark()
            chunks: Iterator[Any] = self._live.create_completion(  # type: ignore[assignment]
                tokens,
                max_tokens=max_tokens,
                temperature=temperature,
                top_p=top_p,
                stop=stop,
                seed=seed,
                stream=True,
            )
            try:
                for chunk in chunks:
                    if self._stop_requested(cancel):
                        break
                    text = chunk["choices"][0]["text"]
                    if text:
                        yield text
            except RuntimeError as exc:
                if self._stop_requested(cancel):
                    return  # llama_decode was aborted by the cancel: a clean stop
                detail = _log_errors_since(mark)
                raise EngineError(f"generation failed: {exc}{' (' + detail + ')' if detail else ''}") from exc
            finally:
                close = getattr(chunks, "close", None)
                if close is not None:
                    close()
                self._cancel = None

    def stream_events(
        self,
        messages: Sequence[Message],
        *,
        template_vars: Mapping[str, Any] | None = None,
        **options: Any,
    ) -> Iterator[ReasoningEvent]:
        """Like :meth:`stream_chat` but split into reasoning / answer events; knows when
        the template pre-filled ``<think>`` for this very prompt."""
        prompt = self.render_prompt(messages, template_vars=template_vars)
        splitter = ReasoningSplitter(start_in_reasoning=self.starts_in_reasoning(prompt))
        stream = self.stream_prompt(prompt, **options)

        def events() -> Iterator[ReasoningEvent]:
            try:
                for chunk in stream:
                    yield from splitter.feed(chunk)
                yield from splitter.flush()
            finally:
                close = getattr(stream, "close", None)
                if close is not None:
                    close()

        return events()

    def chat(self, messages: Sequence[Message], **options: Any) -> str:
        """The whole reply as one string (raw, tags included)."""
        return "".join(self.stream_chat(messages, **options))

    def splitter(self) -> ReasoningSplitter:
        """A reasoning splitter primed for this model's default template."""
        return ReasoningSplitter(start_in_reasoning=self.think_prefill)

    # ------------------------------------------------------------------ scoring

    def score(self, prompt: str | Sequence[Message], answer: str, *, per_token: bool = False) -> float:
        """Teacher-forced log-likelihood of ``answer`` right after ``prompt`` (a rendered
        prompt, or messages rendered with the chat template): the sum of the answer tokens'
        log-probabilities (≤ 0), or with ``per_token`` their mean (NaN for an empty answer).
        """
        prompt_ids, answer_ids = self.split_tokens(prompt, answer)
        logprobs = self.token_logprobs(prompt_ids, answer_ids)
        if per_token:
            return sum(logprobs) / len(logprobs) if logprobs else float("nan")
        return float(sum(logprobs))

    def split_tokens(self, prompt: str | Sequence[Message], answer: str) -> tuple[list[int], list[int]]:
        """``(prompt ids, answer ids)`` as the model reads ``prompt + answer``: the text is
        tokenized whole (a BPE merge across the seam counts as the answer's), unless the
        prompt's own tokens are not a prefix of it — then each part alone."""
        text = prompt if isinstance(prompt, str) else self.render_prompt(prompt)
        prompt_ids = self.tokenize(text)
        full = self.tokenize(text + answer)
        if full[: len(prompt_ids)] == prompt_ids:
            return prompt_ids, full[len(prompt_ids) :]
        return prompt_ids, self.tokenize(answer)

    def token_logprobs(self, prompt_ids: Sequence[int], answer_ids: Sequence[int]) -> list[float]:
        """``log p(answer[k] | prompt + answer[:k])`` for each answer token, in one forward
        pass of this engine's own context (no second model with ``logits_all``).

        Only the positions that predict answer tokens ask llama.cpp for logits, and a prefix
        already in the KV cache (the same prompt just answered, say) is not evaluated again.
        """
        import numpy as np

        prompt, answer = list(prompt_ids), list(answer_ids)
        if not answer:
            return []
        if not prompt:
            raise EngineError("scoring needs a prompt: at least one token before the answer")
        full = prompt + answer
        if len(full) > self.n_ctx:
            raise EngineError(
                f"prompt and answer need {len(full)} tokens but the context holds {self.n_ctx} — "
                "raise [llm] n_ctx in the config"
            )
        first = len(prompt) - 1  # the position whose logits predict answer[0]
        with self._lock:
            llm = self._live
            ctx = llm._ctx
            keep = self._cached_prefix(llm, full, first)
            if keep == 0 or not ctx.kv_cache_seq_rm(-1, keep, -1):
                keep = 0
                llm.reset()
                ctx.kv_cache_seq_rm(-1, 0, -1)
            llm.n_tokens = keep  # what the KV cache holds, for the next generation
            n_vocab = int(llm.n_vocab())
            batch = llm._batch.batch
            out: list[float] = []
            mark = _log_mark()
            try:
                for start in range(keep, len(full) - 1, llm.n_batch):  # the last token predicts nothing
                    chunk = full[start : min(len(full) - 1, start + llm.n_batch)]
                    batch.n_tokens = len(chunk)
                    for i, token in enumerate(chunk):
                        batch.token[i] = token
                        batch.pos[i] = start + i
                        batch.seq_id[i][0] = 0
                        batch.n_seq_id[i] = 1
                        batch.logits[i] = start + i >= first or i == len(chunk) - 1
                    ctx.decode(llm._batch)
                    llm.input_ids[start : start + len(chunk)] = chunk
                    llm.n_tokens = start + len(chunk)
                    for i in range(max(0, first - start), len(chunk)):
                        row = np.ctypeslib.as_array(ctx.get_logits_ith(i), shape=(n_vocab,))
                        logits = row.astype(np.float64)
                        peak = float(logits.max())
                        log_z = peak + float(np.log(np.exp(logits - peak).sum()))
                        out.append(float(logits[full[start + i + 1]]) - log_z)
            except RuntimeError as exc:
                llm.reset()
                detail = _log_errors_since(mark)
                raise EngineError(f"scoring failed: {exc}{' (' + detail + ')' if detail else ''}") from exc
            finally:
                llm._requires_eval = True  # the last logits are ours: generation re-reads one token
        return out

    @staticmethod
    def _cached_prefix(llm: Any, tokens: Sequence[int], limit: int) -> int:
        """How many leading ``tokens`` the KV cache already holds (at most ``limit``); 0 for
        models whose cache cannot be cut at a position (recurrent, hybrid)."""
        if getattr(llm, "_is_recurrent", False) or getattr(llm, "_is_hybrid", False):
            return 0
        cached = llm.input_ids[: llm.n_tokens]
        n = 0
        for have, want in zip(cached, tokens[:limit], strict=False):
            if int(have) != want:
                break
            n += 1
        return n

    # ------------------------------------------------------------------ lifetime

    def close(self) -> None:
        """Free the model and context now rather than at garbage collection. A running
        stream is cancelled first; if it does not let go within seconds, the memory is left
        to the garbage collector rather than freed under it."""
        llm = getattr(self, "_llm", None)
        if llm is None:
            return
        lock: threading.Lock | None = getattr(self, "_lock", None)
        closing: threading.Event | None = getattr(self, "_closing", None)
        if closing is not None:
            closing.set()  # ends a running stream at its next token
        if lock is not None and not lock.acquire(timeout=5.0):
            log.warning("engine still generating; not freeing %s now", self.model_path.name)
            return
        try:
            with contextlib.suppress(Exception):
                llm.close()
            self._llm = None  # type: ignore[assignment]
        finally:
            if lock is not None:
                lock.release()

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()
