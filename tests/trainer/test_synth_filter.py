"""Synthesis, filtering and DPO pairs on a slice of the sample vault (no training here)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest

from journal_me.api import Journal, open_vault
from journal_me.config import Settings, load_settings
from journal_me.llm.prompts import bridge_messages, chat_messages
from journal_me.roles import load_roles
from trainer.dataset import KINDS, Example, read_examples, write_examples
from trainer.filter import FilterConfig, PrivacyGuard, filter_examples, heldout_rels
from trainer.pairs import FactPools, fact_swap, make_pairs
from trainer.synth import SynthResult, parse_pairs, synthesize, vault_texts
from trainer.vault_view import PrivacyViolation, VaultView

TODAY = dt.date(2026, 11, 1)


@dataclass
class Synth:
    settings: Settings
    journal: Journal
    view: VaultView
    heldout: set[str]
    result: SynthResult
    guard: PrivacyGuard


def _settings(root: Path) -> Settings:
    env = {"JOURNAL_ME_DATA_DIR": str(root / "data"), "JOURNAL_ME_CONFIG": str(root / "none.toml")}
    return replace(load_settings(vault=root / "vault", env=env), name="Elena")


def _view(journal: Journal, heldout: set[str], profile: str = "I am Elena.") -> VaultView:
    return VaultView(
        journal, name="Elena", profile_text=profile, today=TODAY, holdout=lambda rel: rel in heldout
    )


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory, make_vault: Callable[[Path], Path]) -> Iterator[Synth]:
    root = tmp_path_factory.mktemp("synth")
    make_vault(root / "vault")
    settings = _settings(root)
    journal = open_vault(settings=settings)
    journal.reindex()
    heldout = heldout_rels(journal.entries(), 0.15)
    view = _view(journal, heldout)
    result = synthesize(view, roles=list(load_roles(None).values()))
    private, public = vault_texts(journal, result.private_rels)
    yield Synth(settings, journal, view, heldout, result, PrivacyGuard(private, public))
    journal.close()


def _all_text(examples: Sequence[Example]) -> str:
    return "\n".join(json.dumps(e.to_json(), ensure_ascii=False) for e in examples)


# --------------------------------------------------------------------------- synthesis


def test_every_kind_is_synthesised_with_sources_and_reasoning(synth: Synth) -> None:
    counts = synth.result.counts
    assert set(counts) == set(KINDS), counts
    assert synth.result.private_skipped == 4  # two sample private entries + two planted
    for e in synth.result.examples:
        assert e.sources and all(rel in synth.view.entries for rel in e.sources)
        assert e.completion.startswith("<think>\n") and "\n</think>\n\n" in e.completion
        assert e.thought.strip() and e.answer.strip()
        assert e.messages[-1] == {"role": "assistant", "content": e.completion}


def test_private_entries_never_reach_the_dataset(
    synth: Synth, tmp_path: Path, secrets: tuple[str, ...]
) -> None:
    private = set(synth.result.private_rels)
    assert {"journal/2025/2025-08-15.md", "journal/2025/2025-08-16.md"} <= private
    assert all(not set(e.sources) & private for e in synth.result.examples)
    text = _all_text(synth.result.examples)
    written = tmp_path / "synth.jsonl"
    write_examples(written, synth.result.examples)
    for secret in secrets:
        assert secret not in text
        assert secret not in written.read_text(encoding="utf-8")


def test_prompts_are_built_exactly_as_chat_and_bridge_serve_them(synth: Synth) -> None:
    chat_system = chat_messages(
        question="x",
        hits=[],
        history=[],
        summary=None,
        name="Elena",
        profile_text="I am Elena.",
        as_of=None,
        today=TODAY,
    )[0]["content"]
    roles = load_roles(None)
    for e in synth.result.examples:
        system, user = e.prompt
        if e.kind.startswith("bridge_"):
            role = roles[str(e.meta["role"])]
            expected = bridge_messages(
                action=e.kind.removeprefix("bridge_"),
                incoming=e.question,
                hits=[],
                role=role,
                name="Elena",
                profile_text="I am Elena.",
                today=TODAY,
            )[0]["content"]
            assert system["content"] == expected
        else:
            assert system["content"] == chat_system
            assert user["content"].startswith("Journal memories:\n<memory id=1 nonce=")
            assert user["content"].endswith(f"Question: {e.question}")


def test_memory_qa_cites_the_memory_that_holds_the_answer(synth: Synth) -> None:
    for e in synth.result.examples:
        if e.kind != "memory_qa":
            continue
        user = e.prompt[1]["content"]
        n = int(e.answer.rsplit("[", 1)[1].rstrip("]"))
        block = user.split(f"[{n}] ", 1)[1]
        date = synth.view.entries[e.sources[0]].entry.date.isoformat()
        assert block.startswith(date), (e.question, n)


def test_synthesis_is_deterministic(synth: Synth) -> None:
    again = synthesize(synth.view, roles=list(load_roles(None).values()))
    assert [e.id for e in again.examples] == [e.id for e in synth.result.examples]


def test_held_out_entries_only_feed_eval_questions(synth: Synth) -> None:
    assert synth.heldout
    for e in synth.result.examples:
        if set(e.sources) & synth.heldout:
            assert e.kind == "memory_qa" and len(e.sources) == 1
    # no held-out passage is shown to the model in a training prompt, even as a distractor
    held_text = [
        h.passage for rel in synth.heldout for h in synth.view.entries[rel].passages if len(h.passage) > 40
    ]
    for e in synth.result.examples:
        if not set(e.sources) & synth.heldout:
            assert not any(p in e.prompt[1]["content"] for p in held_text)


def test_a_private_passage_in_a_prompt_is_refused(synth: Synth, secrets: tuple[str, ...]) -> None:
    from journal_me.memory.retrieval import EntryRef, Hit

    secret_hit = Hit(
        entry=EntryRef(rel="journal/2025/2025-08-15.md", path=Path("x"), date=TODAY, title="t", private=True),
        passage=secrets[0],
        line_start=1,
        line_end=1,
        score=0.0,
    )
    with pytest.raises(PrivacyViolation):
        synth.view.chat_prompt("what is the code?", [secret_hit])


# --------------------------------------------------------------------------- model-written


class FakeEngine:
    """Writes pairs for most entries: one supported, one invented; garbage for some."""

    def __init__(self) -> None:
        self.calls = 0

    def chat(self, messages: Sequence[Mapping[str, str]], **options: Any) -> str:
        self.calls += 1
        user = messages[-1]["content"]
        if "Entry from" not in user:  # a DPO "answer without memories" request
            return "<think>\nI think it was in Paris.\n</think>\n\nIt was in Paris, with Tom, in 1999."
        if self.calls % 5 == 0:
            return "Sorry, I cannot help with that."
        body = user.split("\n\n", 1)[1]
        sentence = next(s for s in body.replace("\n", " ").split(". ") if len(s) > 30)
        pairs = [
            {"question": "What did I do that day?", "answer": sentence.strip() + ".", "about_me": False},
            {
                "question": "How much did the flat cost?",
                "answer": "It cost £987,654 a month.",
                "about_me": False,
            },
            {"question": "What is Elena like?", "answer": sentence.strip() + ".", "about_me": True},
        ]
        return "<think>\nok\n</think>\n\n" + json.dumps(pairs)


def test_parse_pairs_tolerates_prose_and_reasoning() -> None:
    pairs = '[{"question": "Q?", "answer": "A.", "about_me": true}]'
    reply = f"<think>\nhmm\n</think>\n\nHere you go:\n{pairs}\nDone."
    assert parse_pairs(reply) == [("Q?", "A.", True)]
    assert parse_pairs("no json here") == []
    assert parse_pairs('[{"question": 3}]') == []


def test_model_written_questions_are_filtered_for_support(synth: Synth, tmp_path: Path) -> None:
    engine = FakeEngine()
    result = synthesize(
        synth.view,
        roles=list(load_roles(None).values()),
        engine=engine,
        model_id="fake",
        cache_dir=tmp_path / "cache",
    )
    model_made = [e for e in result.examples if e.origin == "model"]
    assert result.model_entries > 0 and result.model_fallbacks > 0  # garbage replies fall back
    assert any(e.kind == "third_party" for e in model_made)
    filtered = filter_examples(
        result.examples, support_of=synth.view.support_text, heldout=synth.heldout, guard=synth.guard
    )
    kept = {e.id for e in filtered.train + filtered.eval}
    invented = [e for e in model_made if "987,654" in e.answer]
    assert invented and not any(e.id in kept for e in invented)
    assert filtered.report.dropped["unsupported"] >= len(invented)
    assert any(e.origin == "model" for e in filtered.train)
    # the replies are cached per entry: a second night asks the model nothing new
    calls = engine.calls
    synthesize(synth.view, engine=engine, model_id="fake", cache_dir=tmp_path / "cache")
    assert engine.calls == calls + (calls // 5)  # only the entries whose reply was garbage


class FailingEngine(FakeEngine):
    """Raises on every ``fail_every``-th call (1: always); the other calls as FakeEngine."""

    def __init__(self, fail_every: int) -> None:
        super().__init__()
        self.fail_every = fail_every

    def chat(self, messages: Sequence[Mapping[str, str]], **options: Any) -> str:
        if (self.calls + 1) % self.fail_every == 0:
            self.calls += 1
            raise RuntimeError("llama_decode returned -3\n(KV cache full)")
        return super().chat(messages, **options)


def test_fallbacks_are_counted_by_reason_and_told(synth: Synth, tmp_path: Path) -> None:
    notes: list[str] = []
    labels: list[str] = []
    result = synthesize(
        synth.view,
        engine=FailingEngine(fail_every=4),  # every 4th entry: engine error; every 5th: garbage
        model_id="fake",
        cache_dir=tmp_path / "cache",
        note=notes.append,
        progress=lambda d, t, what: labels.append(what),
    )
    reasons = result.summary()["model_fallback_reasons"]
    assert reasons["engine error"] > 0 and reasons["unusable reply"] > 0
    assert result.model_fallbacks == sum(reasons.values())
    diary = sum(1 for p in synth.view.entries.values() if not p.is_note)
    assert result.model_entries + result.model_fallbacks == diary
    assert result.model_fallbacks * 2 <= diary  # under half: the run goes on
    assert notes[0].startswith("synthesis: the model failed on ") and "RuntimeError: llama_decode" in notes[0]
    assert notes[-1] == (
        f"synthesis: the model failed on {result.model_fallbacks} of {diary} entries; "
        "templates were used for those"
    )
    assert any(label.startswith("entries (") and "fell back to templates" in label for label in labels)


def test_synthesis_stops_when_most_entries_fell_back(synth: Synth, tmp_path: Path) -> None:
    from trainer.runtypes import PipelineError

    engine = FailingEngine(fail_every=1)
    with pytest.raises(PipelineError) as caught:
        synthesize(synth.view, engine=engine, model_id="fake", cache_dir=tmp_path / "cache")
    error = caught.value
    diary = sum(1 for p in synth.view.entries.values() if not p.is_note)
    assert error.step == "synthesis" and f"failed on {diary // 2 + 1} of {diary} entries" in error.why
    assert "engine error" in error.why and "--synth templates" in error.hint
    assert engine.calls == diary // 2 + 1  # stopped as soon as the majority was certain


def test_dpo_pairs_count_model_failures_and_stop_on_most(synth: Synth) -> None:
    from trainer.runtypes import PipelineError

    filtered = filter_examples(
        synth.result.examples, support_of=synth.view.support_text, heldout=synth.heldout
    )
    pools = FactPools.from_view(synth.view)
    notes: list[str] = []
    some = make_pairs(filtered.train, pools, engine=FailingEngine(fail_every=4), note=notes.append)
    assert some.counts["model_fallbacks"] == some.counts["fallback engine error"] > 0
    assert some.counts["model"] > 0 and notes and notes[0].startswith("filter: the model failed on ")
    with pytest.raises(PipelineError, match=r"failed on \d+ of \d+ DPO pairs") as caught:
        make_pairs(filtered.train, pools, engine=FailingEngine(fail_every=1))
    assert caught.value.step == "filter"


# --------------------------------------------------------------------------- filter


def _example(question: str, answer: str, sources: tuple[str, ...], kind: str = "memory_qa") -> Example:
    return Example(
        kind=kind,  # type: ignore[arg-type]
        prompt=({"role": "system", "content": "s"}, {"role": "user", "content": question}),
        question=question,
        thought="thinking",
        answer=answer,
        sources=sources,
    )


def test_filter_reasons_and_split(synth: Synth, secrets: tuple[str, ...]) -> None:
    rel = next(r for r in sorted(synth.view.entries) if r not in synth.heldout and "journal/" in r)
    held = sorted(synth.heldout)[0]
    sentence = synth.view.entries[rel].lead(3)
    held_sentence = synth.view.entries[held].lead(1)
    examples = [
        _example("What happened that day?", sentence, (rel,)),
        _example("What happened that day?", sentence + " ", (rel,)),  # duplicate
        _example("What happened on that day, then?", sentence, (rel,)),  # near duplicate
        _example("Why?", sentence, (rel,)),  # question too short
        _example("What did it cost?", f"{sentence} It cost 12345 pounds.", (rel,)),  # invented number
        _example("What did I eat on the moon?", "Green cheese sandwiches with astronauts.", (rel,)),
        _example(f"What is {secrets[0]}?", "A private code.", (rel,)),  # private text
        _example("What happened then?", held_sentence, (held,)),  # eval
        _example("Who comes up then?", held_sentence, (held,), kind="entity"),  # held-out, not QA
        _example("A very long question?", sentence * 40, (rel,)),
    ]
    result = filter_examples(
        examples,
        support_of=synth.view.support_text,
        heldout=synth.heldout,
        guard=synth.guard,
        count_tokens=lambda messages: sum(len(m["content"]) for m in messages) // 4,
        config=FilterConfig(max_tokens=400),
    )
    dropped = result.report.dropped
    assert dropped["duplicate"] == 1 and dropped["near_duplicate"] == 1
    assert dropped["too_short"] == 1 and dropped["too_long"] == 1
    assert dropped["unsupported"] == 2 and dropped["private"] == 1
    assert dropped["held_out_source"] == 1
    assert [e.question for e in result.train] == ["What happened that day?"]
    assert [e.question for e in result.eval] == ["What happened then?"]
    assert result.report.to_json()["train"] == 1


def test_held_out_split_is_stable_and_by_entry(synth: Synth) -> None:
    entries = synth.journal.entries()
    assert heldout_rels(entries, 0.15) == synth.heldout
    assert not any(rel.startswith("people/") for rel in synth.heldout)
    result = filter_examples(synth.result.examples, support_of=synth.view.support_text, heldout=synth.heldout)
    train_sources = {rel for e in result.train for rel in e.sources}
    eval_sources = {rel for e in result.eval for rel in e.sources}
    assert eval_sources and eval_sources <= synth.heldout
    assert not train_sources & eval_sources
    assert result.report.dropped["unsupported"] == 0  # templates are grounded by construction


def test_dataset_files_round_trip(synth: Synth, tmp_path: Path) -> None:
    write_examples(tmp_path / "x.jsonl", synth.result.examples[:5])
    assert read_examples(tmp_path / "x.jsonl") == synth.result.examples[:5]


# --------------------------------------------------------------------------- DPO pairs


def test_fact_swap_replaces_facts_consistently_and_keeps_citations() -> None:
    pools = FactPools(
        people=("Sam", "Dev", "Graham"),
        places=("Leith", "Bristol"),
        others=(),
        dates=(dt.date(2025, 9, 8), dt.date(2025, 10, 2)),
    )
    text = (
        "<think>\nMemory [2] from 8 September 2025 mentions Sam.\n</think>\n\n"
        "Sam and I ran 5 km at 6:45 in Leith [2]. Sam was happy."
    )
    swapped = fact_swap(text, pools, "key")
    assert swapped is not None and swapped != text
    assert swapped.count("[2]") == 2
    assert "Sam" not in swapped and "Leith" not in swapped and "6:45" not in swapped
    assert "8 September 2025" not in swapped
    other = swapped.split("\n\n", 1)[1].split(" and I ")[0]
    assert other in pools.people and swapped.count(other) >= 3  # the same swap everywhere
    assert fact_swap(text, pools, "key") == swapped  # deterministic
    assert fact_swap("I felt calm and slept well.", pools, "key") is None


def test_pairs_from_templates_and_from_a_model(synth: Synth) -> None:
    filtered = filter_examples(
        synth.result.examples, support_of=synth.view.support_text, heldout=synth.heldout
    )
    pools = FactPools.from_view(synth.view)
    pairs = make_pairs(filtered.train, pools)
    assert pairs.counts["pairs"] == len(pairs.rows) > 10
    for row in pairs.rows:
        assert row["chosen"] != row["rejected"]
        assert row["prompt"][0]["role"] == "system" and row["chosen"][0]["role"] == "assistant"
    by_model = make_pairs(filtered.train, pools, engine=FakeEngine())
    assert by_model.counts["model"] > 0
    assert any("Paris" in r["rejected"][0]["content"] for r in by_model.rows)


def test_held_out_set_is_capped_and_only_shrinks_as_the_journal_grows() -> None:
    from journal_me.api import EntrySummary

    def summaries(n: int) -> list[EntrySummary]:
        return [
            EntrySummary(rel=f"journal/{i:04d}.md", date=TODAY, title="t", tags=(), private=False)
            for i in range(n)
        ]

    small, large = heldout_rels(summaries(100)), heldout_rels(summaries(2000))
    assert 5 <= len(small) <= 30 and len(large) <= 60
    # an entry held out from the big journal was held out from the small one as well:
    # nothing a past adapter trained on becomes an eval question later
    assert {rel for rel in large if int(rel[8:12]) < 100} <= small
    assert len(heldout_rels(summaries(5))) >= 1 and heldout_rels(summaries(0)) == set()
