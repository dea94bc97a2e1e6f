"""The streaming reasoning / answer splitter."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from journal_me.llm.reasoning import ReasoningEvent, ReasoningSplitter, split_reasoning


def run(chunks: list[str], *, start_in_reasoning: bool = False) -> tuple[str, str, list[str]]:
    """Feed chunks; return (reasoning, answer, the order of channel switches)."""
    splitter = ReasoningSplitter(start_in_reasoning=start_in_reasoning)
    events: list[ReasoningEvent] = []
    for chunk in chunks:
        events += splitter.feed(chunk)
    events += splitter.flush()
    reasoning = "".join(e.text for e in events if e.kind == "reasoning")
    answer = "".join(e.text for e in events if e.kind == "answer")
    assert (reasoning, answer) == (splitter.reasoning, splitter.answer)
    kinds: list[str] = []
    for event in events:
        if not kinds or kinds[-1] != event.kind:
            kinds.append(event.kind)
    return reasoning, answer, kinds


def test_qwen3_think_block() -> None:
    reasoning, answer, kinds = run(["<think>\nShe mentioned", " Anna twice.\n</think>\n\n", "Yes."])
    assert reasoning == "She mentioned Anna twice."
    assert answer == "Yes."
    assert kinds == ["reasoning", "answer"]


def test_prefilled_think_has_only_the_closing_tag() -> None:
    reasoning, answer, _ = run(
        ["Looking at March", "…</think>", "\n\nYou were tired."], start_in_reasoning=True
    )
    assert reasoning == "Looking at March…"
    assert answer == "You were tired."


def test_plain_output_is_all_answer() -> None:
    assert run(["Hello", " there,", " friend."]) == ("", "Hello there, friend.", ["answer"])


@pytest.mark.parametrize(
    "chunks",
    [
        ["<thi", "nk>plan</thi", "nk>done"],
        ["<", "t", "h", "i", "n", "k", ">", "plan", "<", "/", "think", ">", "done"],
        ["<think>plan</", "think>done"],
    ],
)
def test_tags_split_across_chunks(chunks: list[str]) -> None:
    assert run(chunks)[:2] == ("plan", "done")


def test_answer_tags_are_stripped() -> None:
    text = "<think>recall the entries</think>\n<answer>You went hiking.</answer>"
    assert run([text])[:2] == ("recall the entries", "You went hiking.")
    assert run(["<answer>Only", " this</answer>"])[:2] == ("", "Only this")
    assert run(["<think>a</think><ans", "wer>b</an", "swer>"])[:2] == ("a", "b")


def test_answer_tag_closes_open_reasoning() -> None:
    assert run(["<think>thinking <answer>the answer</answer>"])[:2] == ("thinking", "the answer")


def test_lookalikes_are_text() -> None:
    assert run(["a < b and <thinking> is not <th", "e tag"])[:2] == (
        "",
        "a < b and <thinking> is not <the tag",
    )
    assert run(["x <thi"])[:2] == ("", "x <thi")  # a partial tag at the end is text


def test_stray_tags_are_dropped() -> None:
    assert run(["Hi</think> there</answer>"])[:2] == ("", "Hi there")
    assert run(["<think>a<think>b</think>c"])[:2] == ("ab", "c")


def test_partial_tag_is_held_not_emitted() -> None:
    splitter = ReasoningSplitter()
    assert splitter.feed("Sure <thi") == [ReasoningEvent("answer", "Sure")]
    channels = [splitter.channel]
    assert splitter.feed("nk>") == []
    channels.append(splitter.channel)
    assert channels == ["answer", "reasoning"]


def test_feed_after_flush_is_an_error() -> None:
    splitter = ReasoningSplitter()
    splitter.flush()
    with pytest.raises(RuntimeError):
        splitter.feed("x")


def test_split_reasoning_guesses_prefill() -> None:
    assert split_reasoning("weighing it up</think>\nNo.") == ("weighing it up", "No.")
    assert split_reasoning("<think>a</think>b") == ("a", "b")
    assert split_reasoning("just text") == ("", "just text")
    assert split_reasoning("a</think>b", start_in_reasoning=False) == ("", "ab")


PIECES = st.sampled_from(
    [
        "<think>",
        "</think>",
        "<answer>",
        "</answer>",
        "<",
        ">",
        "/",
        "<th",
        "ink",
        " ",
        "\n",
        "word",
        "é",
        "x<y",
        "</",
        "ans",
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    parts=st.lists(st.one_of(PIECES, st.text(max_size=6)), max_size=14),
    cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=12),
    start=st.booleans(),
)
def test_any_chunking_equals_whole_text_split(parts: list[str], cuts: list[int], start: bool) -> None:
    text = "".join(parts)
    bounds = sorted({min(c, len(text)) for c in cuts})
    chunks = [text[a:b] for a, b in zip([0, *bounds], [*bounds, len(text)], strict=True)]
    assert "".join(chunks) == text
    reasoning, answer, _ = run(chunks, start_in_reasoning=start)
    assert (reasoning, answer) == split_reasoning(text, start_in_reasoning=start)
    assert reasoning == reasoning.strip() and answer == answer.strip()
