"""The buffered segment writer (journal_me.memory.fast_writer) writes what Whoosh's own
SegmentWriter writes: the same terms, postings (docnum, weight, value), per-block length
statistics, field lengths, stored fields and columns — on text in many scripts, with stop
words, numbers, accents, and through every fallback (a merge, a spill past its memory limit)."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index as windex
from whoosh.writing import SegmentWriter

from journal_me.memory import fast_writer
from journal_me.memory.fast_writer import BufferedWriter, TermCounter
from journal_me.memory.index import IndexedEntry, PassageIndex, make_analyzer
from journal_me.vault import parse_entry

WORDS = [
    "the", "and", "lake", "running", "runs", "Straße", "café", "Ærø", "İstanbul", "naïve", "3.14",
    "v2.0.1", "under_score", "Москва", "прогулка", "東京", "日本語のテキスト", "Ελλάδα", "مرحبا",
    "नमस्ते", "Łódź", "a", "I", "x", "supercalifragilistic", "Sam", "Sam's", "e.g.", "don't",
    "CamelCase", "ÉCOLE", "ﬁnance", "ǅemal", "2026-10-31", "#tag", "@dev", "mcdonald", "running",
]  # fmt: skip


def _text(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) + rng.choice(["", "", ",", ".", "!", "\n"]) for _ in range(n))


def _items(count: int, seed: int = 3) -> list[IndexedEntry]:
    rng = random.Random(seed)
    out = []
    for i in range(count):
        paras = "\n\n".join(_text(rng, rng.randint(3, 60)) for _ in range(rng.randint(1, 5)))
        front = (
            f"---\ntitle: {_text(rng, 4).replace(':', ' ')}\ntags: [t{i % 5}, shared]\n---\n" if i % 3 else ""
        )
        rel = f"notes/{i:03d}.md"
        e = parse_entry(rel, f"{front}# Note {i}\n\n{paras}\n".encode(), path=Path("/v") / rel, mtime=0)
        ents = [f"Person {i % 7}", "Ærø"]
        out.append(
            IndexedEntry(
                entry=e, entities=ents, passage_entities=[ents[: k % 3] for k in range(len(e.passages))]
            )
        )
    return out


def _write(directory: Path, items: list[IndexedEntry], make: Any, *, commits: int = 1) -> Any:
    ix = PassageIndex(directory)
    step = -(-len(items) // commits)
    for start in range(0, len(items), step):
        w = make(ix._ix)
        for item in items[start : start + step]:
            ix._add(w, item)
        w.commit()
    ix.close()
    return windex.open_dir(str(directory), indexname="journal")


def _dump(ix: Any) -> dict[str, Any]:
    """Everything a reader can see, by field, term and document."""
    out: dict[str, Any] = {}
    with ix.reader() as r:
        out["docs"] = [r.stored_fields(d) for d in range(r.doc_count_all())]
        for fieldname in sorted(r.indexed_field_names()):
            terms = {}
            for text in r.lexicon(fieldname):
                info = r.term_info(fieldname, text)
                m = r.postings(fieldname, text)
                posts = []
                while m.is_active():
                    posts.append((m.id(), m.weight(), m.value()))
                    m.next()
                stats = (
                    info.weight(),
                    info.doc_frequency(),
                    info.min_length(),
                    info.max_length(),
                    info.max_weight(),
                )
                terms[text] = (stats, posts)
            out[f"terms:{fieldname}"] = terms
            out[f"len:{fieldname}"] = (
                r.field_length(fieldname),
                [r.doc_field_length(d, fieldname) for d in range(r.doc_count_all())],
            )
        out["date"] = list(r.column_reader("date")) if r.has_column("date") else None
        out["segments"] = len(ix._segments())
    return out


def _codec() -> dict[str, Any]:
    """The codec the index writes with (the one PassageIndex's writer gets)."""
    try:
        from journal_me.memory.compact_codec import CompactCodec
    except ImportError:
        return {}
    return {"codec": CompactCodec()}


def _stock(ix: Any) -> SegmentWriter:
    return SegmentWriter(ix, limitmb=16, **_codec())


def _buffered(ix: Any) -> BufferedWriter:
    return BufferedWriter(ix, limitmb=16, **_codec())


@pytest.mark.parametrize("commits", [1, 3])  # 3: later commits merge the earlier segments
def test_same_index_as_whoosh(tmp_path: Path, commits: int) -> None:
    items = _items(90)
    want = _dump(_write(tmp_path / "stock", items, _stock, commits=commits))
    got = _dump(_write(tmp_path / "fast", items, _buffered, commits=commits))
    assert want["terms:body"], "the fixture indexes nothing"
    for key in want:
        assert got[key] == want[key], key


def test_same_index_after_a_spill(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Past its memory limit the buffer goes into Whoosh's pool (spilled to disk there)."""
    items = _items(60, seed=5)
    want = _dump(_write(tmp_path / "stock", items, _stock))
    spills: list[int] = []
    real = BufferedWriter._spill

    def spill(self: BufferedWriter) -> None:
        spills.append(self._buffered)
        real(self)

    monkeypatch.setattr(BufferedWriter, "_spill", spill)
    monkeypatch.setattr(fast_writer, "BYTES_PER_POSTING", 16 * 1024 * 1024 // 500)  # ~500 postings
    got = _dump(_write(tmp_path / "fast", items, _buffered))
    assert any(n > 500 for n in spills), spills
    for key in want:
        assert got[key] == want[key], key


def test_term_counter_matches_the_analyzer() -> None:
    analyzer = make_analyzer()
    count = TermCounter(analyzer)
    rng = random.Random(11)
    for _ in range(200):
        text = _text(rng, rng.randint(0, 40))
        want: dict[bytes, int] = {}
        for t in analyzer(text, mode="index"):
            if not t.stopped:
                want[t.text.encode()] = want.get(t.text.encode(), 0) + 1
        assert count(text) == want


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=120), st.lists(st.sampled_from(WORDS), max_size=12))
def test_term_counter_steps_are_the_filters(text: str, words: list[str]) -> None:
    """Each distinct token runs through the filters as plain calls (no generator chain, no
    stemmer cache): the same terms as the analyzer's own filter objects, on any text."""
    value = text + " " + " ".join(words)
    analyzer = make_analyzer()
    count = TermCounter(analyzer)
    want: dict[bytes, int] = {}
    for t in analyzer(value, mode="index"):
        if not t.stopped:
            want[t.text.encode()] = want.get(t.text.encode(), 0) + 1
    assert count(value) == want
    for raw in set(count._find(value)):
        assert count._run(raw) == count._run_filters(raw)


def test_other_analyzers_go_through_whoosh() -> None:
    from whoosh.analysis import NgramFilter, RegexTokenizer, StandardAnalyzer

    TermCounter(StandardAnalyzer())  # regex tokenizer + lowercase + stop: per-token, accepted
    with pytest.raises(TypeError):
        TermCounter(RegexTokenizer() | NgramFilter(2))  # one token -> many: not per-token
    with pytest.raises(TypeError):
        TermCounter(RegexTokenizer(gaps=True))


def test_the_index_writes_with_it(tmp_path: Path) -> None:
    """PassageIndex's writer, and each sub-writer of the parallel one, is the buffered one."""
    from journal_me.memory.fast_writer import BufferedSubWriter

    ix = PassageIndex(tmp_path / "ix")
    one = ix._writer(1)
    assert isinstance(one, BufferedWriter)
    one.cancel()
    par = ix._writer(2)
    try:
        assert isinstance(par._new_task(), BufferedSubWriter)
    finally:
        par.cancel()
    ix.write(_items(5))
    assert ix.doc_count() > 5
    ix.close()


def test_a_value_repeated_by_the_next_document_is_analysed_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry's passages repeat its title, tags, rel, date and flags: each is analysed once
    (the postings still go to every document: the index is Whoosh's, see above)."""
    analysed: list[str] = []
    real = TermCounter.__call__

    def spy(self: TermCounter, value: str) -> dict[bytes, int]:
        analysed.append(value)
        return real(self, value)

    monkeypatch.setattr(TermCounter, "__call__", spy)
    items = _items(12, seed=8)
    got = _dump(_write(tmp_path / "fast", items, _buffered))
    titles = [v for v in analysed if any(v == it.entry.title for it in items)]
    assert len(titles) == len(items)  # once an entry, not once a passage
    monkeypatch.undo()
    want = _dump(_write(tmp_path / "stock", items, _stock))
    for key in want:
        assert got[key] == want[key], key
    # a list value is not remembered: the caller may change it before the next document
    ix = PassageIndex(tmp_path / "lists")
    w = _buffered(ix._ix)
    tags = ["alpha"]
    w.add_document(id="a", kind="x", tags=tags)
    tags.append("beta")
    w.add_document(id="b", kind="x", tags=tags)
    w.commit()
    with ix._ix.reader() as r:
        assert sorted(r.lexicon("tags")) == [b"alpha", b"beta"]
        assert r.doc_frequency("tags", "beta") == 1
    ix.close()
