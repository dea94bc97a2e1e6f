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
    checked: list[int] = []
    real = entities.names_in

    def counting(text: str, subset: dict[str, str]) -> list[str]:
        checked.append(len(subset))
        return real(text, subset)

    import journal_me.memory.names_scan as mod

    monkeypatch.setattr(mod, "names_in", counting)  # type: ignore[attr-defined]
    scan = NameScanner(names)
    assert scan("Lunch with Sam, then a #run.") == ["Sam", "#run"]
    assert checked == [2]  # "sam" and "#run", not 2,002 names
    assert scan("Lunch with Person 7 and person 1999") == ["Person 7", "Person 1999"]
    assert checked[-1] == 2001  # (every "person …" name shares the first word: still exact)
