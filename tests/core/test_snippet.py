"""The one snippet window shared by the CLI's search and the TUI's result lists."""

from __future__ import annotations

from journal_me.snippet import snippet


def _styled(text_obj: object) -> list[str]:
    from rich.text import Text

    assert isinstance(text_obj, Text)
    return [text_obj.plain[s.start : s.end] for s in text_obj.spans]


def test_window_starts_on_a_word_and_keeps_the_highlight_on_its_word() -> None:
    passage = "lorem ipsum " * 40 + "the knee felt fine on the long run " + "dolor sit " * 40
    start = passage.index("knee")
    text = snippet(passage, [(start, start + 4)], width=120, style="bold")
    assert text.plain.startswith("…") and text.plain.endswith("…")
    assert text.plain[1] != " " and text.plain[1:].split(" ")[0] in {"lorem", "ipsum"}
    assert _styled(text) == ["knee"]
    assert len(text.plain) <= 120 + 2


def test_escape_sequences_are_removed_and_highlights_stay_on_their_words() -> None:
    passage = "a \x1b[31mred\x1b[0m line\nwith \x07a bell and the word otter"
    start = passage.index("otter")
    red = passage.index("red")
    text = snippet(passage, [(red, red + 3), (start, start + 5)])
    assert "\x1b" not in text.plain and "\x07" not in text.plain and "\n" not in text.plain
    assert text.plain == "a red line with a bell and the word otter"
    assert _styled(text) == ["red", "otter"]


def test_a_span_past_the_window_is_not_styled() -> None:
    passage = "word " * 200
    text = snippet(passage, [(2, 4), (900, 904)], width=50)
    assert _styled(text) == ["rd"]
