"""NameScanner (journal_me.memory.names_scan) finds in a passage exactly the names that
entities.names_in finds, in the same order, without checking every name of the entry."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from journal_me.memory import entities
from journal_me.memory.entities import names_in
from journal_me.memory.names_scan import NameScanner

PIECES = ["sam", "sam smith", "sammy", "smith", "#run", "@dev", "café", "cafe", "straße",
          "İstanbul", "dr. who", "o'brien", "new york", "york", "東京", "x", "", " lead", "a-b",
          "3.14", "mr_x"]  # fmt: skip
TEXT_BITS = [*PIECES, " ", ".", ",", "'s", "(", ")", "\n", "Sam", "SAM", "Sammy's", "New York", "same",
             "İSTANBUL", "ı", "-", "_"]  # fmt: skip

names_st = st.dictionaries(
    st.sampled_from(PIECES) | st.text(max_size=6).map(str.lower),
    st.sampled_from(["Sam Smith", "Café", "New York", "Dev", "#run", "Istanbul"]),
    max_size=12,
)
text_st = st.lists(st.sampled_from(TEXT_BITS) | st.text(max_size=4), max_size=30).map("".join)


@settings(max_examples=400, deadline=None)
@given(names=names_st, texts=st.lists(text_st, min_size=1, max_size=4))
def test_same_as_names_in(names: dict[str, str], texts: list[str]) -> None:
    scan = NameScanner(names)
    for text in texts:
        assert scan(text) == names_in(text, names)


def test_checks_only_the_names_whose_first_word_is_there(monkeypatch: object) -> None:
    """The O(n²) of a first index: every passage was checked against every name of its entry
    (~1,430 at 3k real-style notes). Here a passage checks only names it could contain."""
    names = {f"person {i}": f"Person {i}" for i in range(2000)} | {"sam": "Sam", "#run": "#run"}
    checked: list[str] = []
    import journal_me.memory.names_scan as mod

    real = mod._whole_word_in

    def counting(low: str, surface: str) -> bool:
        checked.append(surface)
        return real(low, surface)

    monkeypatch.setattr(mod, "_whole_word_in", counting)  # type: ignore[attr-defined]
    scan = NameScanner(names)
    assert scan("Lunch with Sam, then a #run.") == ["Sam", "#run"]
    assert sorted(checked) == ["#run", "sam"]  # not 2,002 names
    checked.clear()
    assert scan("Lunch with Person 7 and person 1999") == ["Person 7", "Person 1999"]
    assert len(checked) == 2001  # (every "person …" name shares the first word: still exact)


def test_word_characters_are_the_regex_ones() -> None:
    import re

    from journal_me.memory.names_scan import _word_char

    word = re.compile(r"\w")
    for code in range(0x110000):
        c = chr(code)
        assert _word_char(c) == (word.match(c) is not None), hex(code)


@settings(max_examples=500, deadline=None)
@given(surface=st.sampled_from(PIECES) | st.text(max_size=5), text=text_st)
def test_whole_word_test_is_the_regex_one(surface: str, text: str) -> None:
    from journal_me.memory.names_scan import _whole_word_in

    low, surface = text.lower(), surface.lower()
    want = bool(surface) and surface in low and entities._whole_word(surface).search(low) is not None
    assert _whole_word_in(low, surface) == want
