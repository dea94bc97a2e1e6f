"""The index's codec (memory/compact_codec.py): Whoosh 3 with a compact term dictionary,
inlined rare postings and stored fields compressed by blocks. It must read back exactly what
Whoosh 3 reads back (terms, statistics, postings, stored fields, search hits and scores),
across several segments, deletions and merges, while taking a fraction of the room."""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st
from whoosh import index as windex
from whoosh import query as Q
from whoosh.codec.whoosh3 import W3TermInfo
from whoosh.fields import ID, KEYWORD, STORED, TEXT, Schema
from whoosh.filedb.filestore import RamStorage

from journal_me.memory import compact_codec as cc
from journal_me.memory.index import make_analyzer


def _schema() -> Schema:
    return Schema(
        id=ID(stored=True, unique=True),
        body=TEXT(analyzer=make_analyzer(), stored=True, phrase=False),
        tags=KEYWORD(commas=True, scorable=True, stored=True),
        blob=STORED(),
    )


def _docs(n: int, seed: int = 1) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    words = ["".join(rng.choice("abcdefghijklmnop") for _ in range(rng.randint(2, 8))) for _ in range(4000)]
    out: list[dict[str, Any]] = []
    for i in range(n):
        vocab = words[: rng.choice([40, 400, 4000])]  # frequent words, and a long tail
        doc: dict[str, Any] = {
            "id": f"d{i}",
            "body": " ".join(rng.choice(vocab) for _ in range(rng.randint(1, 90))),
        }
        if rng.random() < 0.7:
            doc["tags"] = ",".join(rng.sample(words[:30], 2))
        if rng.random() < 0.5:
            doc["blob"] = {"n": i, "text": "x" * rng.randint(0, 2000)}
        out.append(doc)
    return out


def _build(path: Path, docs: list[dict[str, Any]], codec: Any, segments: int) -> Any:
    path.mkdir()
    ix = windex.create_in(str(path), _schema())
    step = -(-len(docs) // segments)
    for k in range(0, len(docs), step):
        writer = ix.writer(codec=codec) if codec is not None else ix.writer()
        for doc in docs[k : k + step]:
            writer.add_document(**doc)
        writer.commit(merge=False)
    return ix


def _dump(ix: Any) -> tuple[Any, ...]:
    r = ix.reader()
    terms = list(r.all_terms())
    infos = []
    postings = []
    for field, text in terms:
        ti = r.term_info(field, text)
        infos.append((ti.weight(), ti.doc_frequency(), ti.min_length(), ti.max_length(), ti.max_weight()))
        postings.append(list(r.postings(field, text).items_as("weight")))
    stored = list(r.all_stored_fields())
    return terms, infos, postings, stored


def _hits(ix: Any, words: list[str]) -> list[list[tuple[str, float]]]:
    with ix.searcher() as s:
        return [
            [
                (h["id"], round(h.score, 6))
                for h in s.search(Q.Or([Q.Term("body", w), Q.Term("tags", w)]), limit=25)
            ]
            for w in words
        ]


def _size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.iterdir() if p.is_file())


def test_reads_back_what_whoosh3_reads_back(tmp_path: Path) -> None:
    docs = _docs(600)
    plain = _build(tmp_path / "w3", docs, None, 3)
    compact = _build(tmp_path / "compact", docs, cc.CompactCodec(), 3)
    assert _dump(compact) == _dump(plain)
    words = [*[t.decode() for f, t in plain.reader().all_terms() if f == "body"][::53], "nothere"]
    assert _hits(compact, words) == _hits(plain, words)
    # merged into one segment (an optimize; Whoosh's merge sums the byte-rounded field
    # lengths, so scores move a little — alike for both codecs)
    plain.writer().commit(optimize=True)
    compact.writer(codec=cc.CompactCodec()).commit(optimize=True)
    assert len(compact._segments()) == 1
    assert _dump(compact) == _dump(plain)
    assert _hits(compact, words) == _hits(plain, words)
    # and a fraction of the room (here: terms, postings and stored fields of random words)
    assert _size(tmp_path / "compact") < 0.6 * _size(tmp_path / "w3")


def test_deletions_and_merges_keep_stored_fields_in_step(tmp_path: Path) -> None:
    docs = _docs(500, seed=3)
    ix = _build(tmp_path / "ix", docs, cc.CompactCodec(), 4)
    writer = ix.writer(codec=cc.CompactCodec())
    for i in range(0, 500, 7):
        writer.delete_by_term("id", f"d{i}")
    writer.commit(optimize=True)
    kept = [
        {k: v for k, v in d.items() if k in ("id", "body", "tags", "blob")}
        for i, d in enumerate(docs)
        if i % 7
    ]
    assert list(ix.searcher().all_stored_fields()) == kept
    with ix.searcher() as s:
        assert s.document(id="d8") == kept[[d["id"] for d in kept].index("d8")]
        assert s.document(id="d7") is None


def test_stored_fields_read_in_any_order_through_a_small_block_cache(
    tmp_path: Path, monkeypatch: Any
) -> None:
    # a search reads its candidates' stored fields in score order: any document, any block,
    # blocks evicted and read again; and documents without stored fields (empty) between them
    monkeypatch.setattr(cc, "CACHED_STORED_BLOCKS", 3)
    docs = _docs(700, seed=5)
    for i in range(0, 700, 11):
        docs[i] = {"body": docs[i]["body"]}  # nothing stored but the body
    plain = _build(tmp_path / "w3", docs, None, 2)
    compact = _build(tmp_path / "compact", docs, cc.CompactCodec(), 2)
    order = list(range(700))
    random.Random(2).shuffle(order)
    order += order[:50]  # some read again, after their block was evicted
    with plain.searcher() as ps, compact.searcher() as cs:
        assert [cs.stored_fields(n) for n in order] == [ps.stored_fields(n) for n in order]


def test_a_segment_smaller_than_a_dictionary_has_none(tmp_path: Path) -> None:
    # one save's segment: a preset dictionary would cost more than it saves
    docs = [{"id": f"d{i}", "body": f"word{i} tea", "blob": {"n": i}} for i in range(5)]
    ix = _build(tmp_path / "small", docs, cc.CompactCodec(), 1)
    big = _build(tmp_path / "big", _docs(300), cc.CompactCodec(), 1)
    readers = []
    for index in (ix, big):
        (leaf, _), *_ = index.reader().leaf_readers()
        readers.append(leaf._perdoc._cached_reader("_stored", cc.BLOCK_STORED))
    assert readers[0]._zdict == b"" and len(readers[1]._zdict) == cc.STORED_DICT_BYTES
    assert [readers[0][n] for n in range(5)] == [
        {"id": d["id"], "body": d["body"], "blob": d["blob"]} for d in docs
    ]


def test_postings_blocks_pack_ids_and_integer_weights(tmp_path: Path) -> None:
    # a frequent word's blocks hold packed arrays (not tuples of Python numbers), read back
    # by Whoosh's matcher and by numpy as the same postings
    import numpy as np

    # frequencies up to 300 in the first blocks, under 8 in the last
    freq = [1 + i % 300 if i < 600 else 1 + i % 7 for i in range(cc.POSTINGS_BLOCK * 2 + 100)]
    docs = [{"id": f"d{i}", "body": "tea " * f + ("scone" if i % 2 else "")} for i, f in enumerate(freq)]
    ix = _build(tmp_path / "compact", docs, cc.CompactCodec(), 1)
    r = ix.reader()
    term = ("body", r.schema["body"].to_bytes(r.schema["body"].analyzer("tea").__next__().text))
    (leaf, _), *_ = r.leaf_readers()
    m = leaf.postings(*term)
    assert isinstance(m, cc.CompactLeafMatcher)
    ids: list[int] = []
    weights: list[float] = []
    dtypes: set[str] = set()
    while m.is_active():
        m._read_data()
        raw_ids, raw_weights = m._data[0], m._data[1]
        assert isinstance(raw_ids, bytes) and isinstance(raw_weights, bytes)
        ids += list(np.cumsum(np.frombuffer(raw_ids, cc.packed_dtype(raw_ids), offset=1)))
        weights += list(np.frombuffer(raw_weights, cc.packed_dtype(raw_weights), offset=1))
        dtypes.add(cc.packed_dtype(raw_weights))
        m._next_block()
    assert dtypes == {"<u1", "<u2"}  # frequencies up to 255 in a byte, up to 300 in two
    assert list(zip(ids, weights, strict=True)) == list(leaf.postings(*term).items_as("weight"))
    assert [(i, float(f)) for i, f in enumerate(freq)] == list(zip(ids, weights, strict=True))


def test_weights_that_are_not_whole_numbers_stay_whoosh_s(tmp_path: Path) -> None:
    writer = cc.CompactPostingsWriter(None, blocklimit=128)
    writer._weights = [1.0, 2.5, 3.0]
    assert writer._mini_weights() == (1.0, 2.5, 3.0)
    writer._weights = [1.0, 2.0, 70_000.0]
    packed = writer._mini_weights()
    assert isinstance(packed, bytes) and cc.packed_dtype(packed) == "<u4"
    writer._weights = [2.0, 2.0]
    assert writer._mini_weights() == 2.0  # all alike: Whoosh's one number


def test_lexicon_cursor_and_prefix_walks_agree(tmp_path: Path) -> None:
    docs = _docs(400, seed=5)
    plain = _build(tmp_path / "w3", docs, None, 1)
    compact = _build(tmp_path / "compact", docs, cc.CompactCodec(), 1)
    a, b = plain.reader(), compact.reader()
    assert list(a.lexicon("body")) == list(b.lexicon("body"))
    assert list(a.lexicon("tags")) == list(b.lexicon("tags"))
    for prefix in ("a", "ab", "m", "p", "zz", ""):
        assert list(a.expand_prefix("body", prefix)) == list(b.expand_prefix("body", prefix))
    cur_a, cur_b = a.cursor("body"), b.cursor("body")
    assert cur_b.text() == cur_a.text()
    for probe in ("b", "ghi", "p", "zzz"):
        assert cur_b.find(probe) == cur_a.find(probe)
        assert cur_b.next() == cur_a.next()
    probes = [("body", t) for t in (b"nothere", b"ab", b"", b"\xff")] + list(a.all_terms())[::11]
    assert [t in b for t in probes] == [t in a for t in probes]


def test_rare_terms_are_inlined_not_given_a_postings_block(tmp_path: Path) -> None:
    docs = _docs(300, seed=7)
    ix = _build(tmp_path / "ix", docs, cc.CompactCodec(), 1)
    r = ix.reader()
    for field, text in r.all_terms():
        info = r.term_info(field, text)
        assert info.is_inlined() == (info.doc_frequency() < cc.INLINE_LIMIT)


keys = st.lists(st.binary(min_size=0, max_size=12), min_size=0, max_size=400, unique=True).map(sorted)


@settings(max_examples=60, deadline=None)
@given(keys=keys, probes=st.lists(st.binary(max_size=12), max_size=20))
def test_term_file_finds_every_key_and_walks_in_order(keys: list[bytes], probes: list[bytes]) -> None:
    storage = RamStorage()
    writer = cc.CompactTermsWriter(storage.create_file("t"))
    full = [b"\x00\x01" + k for k in keys]
    for i, key in enumerate(full):
        writer.add(key, bytes([i % 251]) * (i % 5))
    writer.close()
    reader = cc.CompactTermsReader(cc.CompactCodec(), storage.open_file("t"), storage.file_length("t"), None)
    for i, key in enumerate(full):
        assert reader._value(key) == bytes([i % 251]) * (i % 5)
    assert [k for k, _ in reader._items_at(0, 0)] == full
    for probe in probes:
        key = b"\x00\x01" + probe
        i, j = reader._position(key)
        walked = [k for k, _ in reader._items_at(i, j)]
        assert walked == [k for k in full if k >= key]
        try:
            reader._value(key)
            assert key in full
        except KeyError:
            assert key not in full


weights = st.one_of(
    st.integers(min_value=1, max_value=1000).map(float),
    st.floats(min_value=0.01, max_value=100, allow_nan=False),
)


@settings(max_examples=100, deadline=None)
@given(
    ids=st.lists(st.integers(min_value=0, max_value=2**31), min_size=1, max_size=40, unique=True).map(sorted),
    data=st.data(),
)
def test_term_infos_round_trip(ids: list[int], data: Any) -> None:
    ws = tuple(data.draw(st.lists(weights, min_size=len(ids), max_size=len(ids))))
    info = cc._TermInfo()
    info._weight, info._df = sum(ws), len(ids)
    info._minlength, info._maxlength, info._maxweight = 3, 200, max(ws)
    info._minid, info._maxid = ids[0], ids[-1]
    if data.draw(st.booleans()):
        info.set_inline(tuple(ids), ws, ())
    else:
        info.set_extent(data.draw(st.integers(0, 2**40)), data.draw(st.integers(1, 2**31 - 1)))
    back = cc.decode_info(cc.encode_info(info))
    ref = W3TermInfo.from_bytes(info.to_bytes())  # what Whoosh 3 reads back
    assert (back.weight(), back.doc_frequency(), back.min_length(), back.max_length(), back.max_weight()) == (
        ref.weight(),
        ref.doc_frequency(),
        ref.min_length(),
        ref.max_length(),
        ref.max_weight(),
    )
    assert (back.min_id(), back.max_id(), back.is_inlined()) == (ref.min_id(), ref.max_id(), ref.is_inlined())
    if ref.is_inlined():
        assert back.inlined_postings() == ref.inlined_postings()
    else:
        assert back.extent()[0] == ref.extent()[0]
