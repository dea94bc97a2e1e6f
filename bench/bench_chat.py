"""Chat path overhead: time to first token and tokens/s through journal-me's whole chat path
(retrieval + prompt assembly + streaming + reasoning split + storage) vs raw
llama-cpp-python on the same GGUF and the same prompt.

Run: ``python bench/bench_chat.py [--hidden 512 --layers 8 --tokens 64 --rounds 3]``

The model is random-initialised (built here, no download) but of a size where llama.cpp's
own work dominates, like a real small model on CPU. The prompt cache is off on both sides so
each round prefills the full prompt. Raw and ours alternate, and the figures are medians.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUESTIONS = [
    "what did the physio tell me about my knee?",
    "how long did the 10k take me?",
    "where did Jamie and I go on our first date?",
    "what did Graham say when I resigned?",
    "what was in Towpath, the zine?",
]


def build_model(path: Path, hidden: int, layers: int) -> Path:
    from journal_me.llm.gguf_write import write_base_gguf
    from trainer.tiny_gguf import CHATML_TEMPLATE, tiny_hparams, tiny_spm_tokenizer, tiny_tensors

    tokenizer = tiny_spm_tokenizer()
    hp = tiny_hparams(len(tokenizer.tokens))
    hp.update(
        hidden_size=hidden,
        intermediate_size=hidden * 3,
        num_hidden_layers=layers,
        num_attention_heads=hidden // 64,
        num_key_value_heads=hidden // 64,
        max_position_embeddings=8192,
    )
    tensors = tiny_tensors(hp, tokenizer, seed=0)
    return write_base_gguf(
        path,
        arch="llama",
        hparams=hp,
        tensors=tensors,
        tokenizer=tokenizer,
        chat_template=CHATML_TEMPLATE,
        name="bench-random",
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--hidden", type=int, default=512)
    ap.add_argument("--layers", type=int, default=8)
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2)
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["JOURNAL_ME_DATA_DIR"] = tmp
        os.environ["JOURNAL_ME_CONFIG"] = str(Path(tmp) / "none.toml")
        from llama_cpp import Llama

        from journal_me.api import open_vault
        from journal_me.conversations import ConversationStore
        from journal_me.llm.engine import Engine
        from journal_me.llm.prompts import chat_messages
        from journal_me.modes.chat import ChatOptions, ChatSession

        model = build_model(Path(tmp) / "bench.gguf", args.hidden, args.layers)
        print(
            f"model: random llama, hidden {args.hidden}, {args.layers} layers, "
            f"{model.stat().st_size / 1e6:.0f} MB; {args.tokens} tokens per answer; "
            f"{args.threads} threads"
        )
        journal = open_vault(ROOT / "vault")
        journal.reindex()
        today = dt.date(2026, 11, 1)
        engine = Engine(model, n_ctx=4096, n_threads=args.threads, prompt_cache_bytes=0)
        raw = Llama(model_path=str(model), n_ctx=4096, n_threads=args.threads, verbose=False)
        store = ConversationStore(Path(tmp) / "c.sqlite3")
        opts = ChatOptions(limit=4, max_tokens=args.tokens)

        ours_ttft: list[float] = []
        ours_tps: list[float] = []
        raw_ttft: list[float] = []
        raw_tps: list[float] = []
        for _ in range(args.rounds):
            for q in QUESTIONS:
                # ours: the whole path, a fresh conversation per question
                session = ChatSession(journal, engine, store, today=lambda: today, options=opts)
                start = time.perf_counter()
                first = None
                n = 0
                for ev in session.ask(q):
                    if ev.kind in {"answer", "reasoning"} and ev.text:
                        n += 1
                        if first is None:
                            first = time.perf_counter()
                end = time.perf_counter()
                assert first is not None
                ours_ttft.append(first - start)
                ours_tps.append((args.tokens - 1) / max(end - first, 1e-9))

                # raw: the same messages straight into llama-cpp-python
                hits = journal.search(q, limit=opts.limit, today=today)
                messages = chat_messages(
                    question=q,
                    hits=hits,
                    history=[],
                    summary=None,
                    name=None,
                    profile_text=None,
                    as_of=None,
                    today=today,
                )
                start = time.perf_counter()
                first = None
                for chunk in raw.create_chat_completion(
                    messages=messages,  # type: ignore[arg-type]
                    max_tokens=args.tokens,
                    stream=True,
                    seed=1,
                ):
                    delta = chunk["choices"][0]["delta"]  # type: ignore[index]
                    if delta.get("content") and first is None:
                        first = time.perf_counter()
                end = time.perf_counter()
                assert first is not None
                raw_ttft.append(first - start)
                raw_tps.append((args.tokens - 1) / max(end - first, 1e-9))
                del n

        med = statistics.median
        result = {
            "ttft_ms": {"ours": 1000 * med(ours_ttft), "raw": 1000 * med(raw_ttft)},
            "tokens_per_s": {"ours": med(ours_tps), "raw": med(raw_tps)},
        }
        result["ttft_overhead"] = result["ttft_ms"]["ours"] / result["ttft_ms"]["raw"] - 1
        result["throughput_overhead"] = 1 - result["tokens_per_s"]["ours"] / result["tokens_per_s"]["raw"]
        print(
            f"time to first token  ours {result['ttft_ms']['ours']:7.1f} ms   raw "
            f"{result['ttft_ms']['raw']:7.1f} ms   overhead {100 * result['ttft_overhead']:+.1f} %"
        )
        print(
            f"tokens/s             ours {result['tokens_per_s']['ours']:7.1f}      raw "
            f"{result['tokens_per_s']['raw']:7.1f}      overhead {100 * result['throughput_overhead']:+.1f} %"
        )
        out = ROOT / "bench" / "out"
        out.mkdir(exist_ok=True)
        (out / "bench_chat.json").write_text(json.dumps(result, indent=2))
        engine.close()
        raw.close()
        journal.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
