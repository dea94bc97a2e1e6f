"""A Whoosh codec with a compact term dictionary: Whoosh 3's postings, columns and stored
fields, with the terms kept in sorted, front-coded, zlib-compressed blocks.

Whoosh 3 keeps its term dictionary in an on-disk hash (``.trm``): per term a key and value
length (8 bytes), two hash slots (24 bytes), a position in the ordered index (4 bytes) and a
38-byte term info, ~80 bytes a term before its text; and every term, even one seen in a single
passage, gets its own block in the postings file (another ~60 bytes of block header, pickle
and zlib framing). Vaults have many rare words (names, typos, other languages), so the term
dictionary was most of the index, ~3x the text it indexed.

Here (:class:`CompactCodec`):

- terms are written in key order (field number + term bytes, as Whoosh 3 orders them) into
  blocks of :data:`BLOCK_TERMS` terms, each key front-coded against the previous one and each
  term info packed with varints; a block is zlib-compressed; the first key of each block and
  the blocks' offsets sit at the end of the file; a lookup is a binary search over those keys
  and one block decoded (kept in a small cache);
- postings of terms in fewer than :data:`INLINE_LIMIT` documents are kept in the term info
  (Whoosh 3's own inlining, off by default), not in a postings block.

- postings blocks are Whoosh 3's (``W3LeafMatcher``: block headers, skipping, statistics) with
  their ids and integer weights packed as arrays, not pickled tuples of Python numbers
  (:class:`CompactPostingsWriter`): the numpy scorer (:mod:`journal_me.memory.vectorsearch`)
  reads them without making an object per posting;
- stored fields are compressed by blocks of documents (:class:`BlockStoredColumn`).

The per-document columns are Whoosh 3's, untouched. A segment records its codec, so an index
written by this codec is read by it.
"""

from __future__ import annotations

import bisect
import itertools
import pickle
import struct
import sys
import zlib
from array import array
from collections import OrderedDict
from collections.abc import Iterator
from typing import Any

from whoosh.codec.whoosh3 import (
    W3Codec,
    W3FieldWriter,
    W3LeafMatcher,
    W3PerDocReader,
    W3PerDocWriter,
    W3PostingsWriter,
    W3TermInfo,
)
from whoosh.columns import Column, ColumnReader, ColumnWriter
from whoosh.matching import ListMatcher
from whoosh.util.numeric import byte_to_length, length_to_byte

TERMS_EXT = ".jtm"  # not Whoosh 3's ".trm": a different file format
MAGIC = b"JMT1"
BLOCK_TERMS = 64  # terms per compressed block: ~2 KB of keys and infos, one zlib call a lookup
INLINE_LIMIT = 128  # postings of terms in fewer documents than this live in the term info
# Postings per block (Whoosh 3's default is 128). A block's header, info pickle and zlib
# framing cost the same for 512 postings as for 128: a frequent term is read in a quarter of
# the steps and its postings take less room (10k index 7.7 -> 6.3 MB). Whoosh's own search
# skips blocks less finely; one-shot searches, which use it, took the same time.
POSTINGS_BLOCK = 512
COMPRESSION = 9
CACHED_BLOCKS = 256

_LITTLE_ENDIAN = sys.byteorder == "little"
_TRAILER = struct.Struct("!Q4s")  # position of the pickled header, magic
_FLOAT = struct.Struct("!f")
_SHORT = struct.Struct("!H")
_UINT = struct.Struct("!I")  # a Frequency posting's value
_DOUBLE = struct.Struct("!d")
_NO_ID = 0xFFFFFFFF


# -- varints ---------------------------------------------------------------------------------
def _put_varint(out: bytearray, n: int) -> None:
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)


def _get_varint(buf: bytes, pos: int) -> tuple[int, int]:
    n = 0
    shift = 0
    while True:
        b = buf[pos]
        pos += 1
        n |= (b & 0x7F) << shift
        if b < 0x80:
            return n, pos
        shift += 7


# -- term infos ------------------------------------------------------------------------------
def _frequencies(postings: tuple[Any, Any, Any]) -> tuple[list[int], float] | None:
    """A Frequency-format posting list's term frequencies and field boost: its values are
    each posting's frequency as a 4-byte unsigned int and its weights frequency x boost
    (Whoosh's ``Frequency.word_values``); None for anything else."""
    _ids, weights, values = postings
    if not values or len(values) != len(weights):
        return None
    freqs: list[int] = []
    for v in values:
        if not isinstance(v, bytes) or len(v) != 4:
            return None
        freqs.append(_UINT.unpack(v)[0])
    if freqs[0] == 0:
        return None
    boost = weights[0] / freqs[0]
    if any(f * boost != w for f, w in zip(freqs, weights, strict=True)):
        return None
    return freqs, boost


def _encode_inline(postings: tuple[Any, Any, Any]) -> bytes:
    """Inlined postings (ids, weights, values): ids as varint deltas and whole-number weights
    as varints (term frequencies: what this index's fields hold); a Frequency field's
    postings (values: the frequency as 4 bytes) as their frequencies and the field boost;
    anything else pickled (pickled 4-byte values were ~100 bytes a posting: 5x the text)."""
    ids, weights, values = postings
    head: bytes | None = None
    numbers: list[int] = []
    boost = 0.0
    if not values and all(w == int(w) and 0 <= w < 1 << 31 for w in weights):
        head, numbers = b"\x00", [int(w) for w in weights]
    elif (freq := _frequencies(postings)) is not None:
        (numbers, boost) = freq
        head = b"\x03" if boost == 1.0 else b"\x02"  # 3: a field without a boost
    if head is None:
        return b"\x01" + pickle.dumps(postings, 2)
    out = bytearray(head)
    _put_varint(out, len(ids))
    last = 0
    for i in ids:
        _put_varint(out, i - last)
        last = i
    for n in numbers:
        _put_varint(out, n)
    if head == b"\x02":
        out += _DOUBLE.pack(boost)
    return bytes(out)


def _decode_inline(buf: bytes) -> tuple[Any, Any, Any]:
    flag = buf[:1]
    if flag not in (b"\x00", b"\x02", b"\x03"):
        return pickle.loads(buf[1:])  # type: ignore[no-any-return]
    n, pos = _get_varint(buf, 1)
    ids = []
    last = 0
    for _ in range(n):
        delta, pos = _get_varint(buf, pos)
        last += delta
        ids.append(last)
    numbers = []
    for _ in range(n):
        w, pos = _get_varint(buf, pos)
        numbers.append(w)
    if flag == b"\x00":
        return tuple(ids), tuple(float(w) for w in numbers), ()
    boost = 1.0 if flag == b"\x03" else _DOUBLE.unpack_from(buf, pos)[0]
    return tuple(ids), tuple(f * boost for f in numbers), tuple(_UINT.pack(f) for f in numbers)


def encode_info(info: W3TermInfo) -> bytes:
    """The fields ``W3TermInfo.to_bytes`` writes, packed: the same values come back (weights
    as 32-bit floats and lengths as Whoosh's length bytes, as Whoosh 3 stores them)."""
    out = bytearray()
    inlined = info.is_inlined()
    if inlined and _derivable(info):
        # the statistics follow from the postings: only the length bytes and the postings
        out.append(2)
        out.append(0 if info._minlength is None else length_to_byte(info._minlength))
        out.append(length_to_byte(info._maxlength))
        out += _encode_inline(info._inlined)
        return bytes(out)
    out.append(1 if inlined else 0)
    out += _FLOAT.pack(info._weight)
    _put_varint(out, info._df)
    out.append(0 if info._minlength is None else length_to_byte(info._minlength))
    out.append(length_to_byte(info._maxlength))
    out += _FLOAT.pack(info._maxweight)
    minid = _NO_ID if info._minid is None else info._minid
    maxid = _NO_ID if info._maxid is None else info._maxid
    _put_varint(out, minid)
    _put_varint(out, maxid - minid if maxid >= minid else maxid + (1 << 33))
    if inlined:
        out += _encode_inline(info._inlined)
    else:
        _put_varint(out, info._offset)
        _put_varint(out, info._length)
    return bytes(out)


class _ReadInfo(W3TermInfo):  # type: ignore[misc]
    """A term info read back: inlined postings are unpickled only when a matcher needs them
    (statistics, e.g. a document frequency, do not)."""

    _pickled: bytes | None = None
    _inlined: Any

    def is_inlined(self) -> bool:
        return self._pickled is not None or self._inlined is not None

    def inlined_postings(self) -> Any:
        if self._inlined is None and self._pickled is not None:
            self._inlined = _decode_inline(self._pickled)
        return self._inlined


def _stats(postings: tuple[Any, Any, Any]) -> tuple[float, int, float, int, int]:
    """(weight, df, max weight, min id, max id) of inlined postings, the weights as the
    32-bit floats a term info stores."""
    ids, weights, _values = postings
    total = 0.0
    for w in weights:
        total += w
    as32 = _FLOAT.unpack(_FLOAT.pack(total))[0]
    return as32, len(ids), _FLOAT.unpack(_FLOAT.pack(max(weights)))[0], ids[0], ids[-1]


def _derivable(info: W3TermInfo) -> bool:
    """Whether the term info's statistics are exactly those its inlined postings give."""
    postings = info._inlined
    if not postings or not postings[0] or info._minid is None or info._maxid is None:
        return False
    stored = (
        _FLOAT.unpack(_FLOAT.pack(info._weight))[0],
        info._df,
        _FLOAT.unpack(_FLOAT.pack(info._maxweight))[0],
        info._minid,
        info._maxid,
    )
    return _stats(postings) == stored


def decode_info(buf: bytes) -> W3TermInfo:
    info = _ReadInfo()
    flags = buf[0]
    if flags == 2:
        info._minlength = byte_to_length(buf[1])
        info._maxlength = byte_to_length(buf[2])
        info._inlined = _decode_inline(buf[3:])
        info._weight, info._df, info._maxweight, info._minid, info._maxid = _stats(info._inlined)
        return info
    info._weight = _FLOAT.unpack_from(buf, 1)[0]
    info._df, pos = _get_varint(buf, 5)
    info._minlength = byte_to_length(buf[pos])
    info._maxlength = byte_to_length(buf[pos + 1])
    info._maxweight = _FLOAT.unpack_from(buf, pos + 2)[0]
    minid, pos = _get_varint(buf, pos + 6)
    span, pos = _get_varint(buf, pos)
    maxid = span - (1 << 33) if span >= (1 << 33) else minid + span
    info._minid = None if minid == _NO_ID else minid
    info._maxid = None if maxid == _NO_ID else maxid
    if flags:
        info._pickled = buf[pos:]
    else:
        info._offset, pos = _get_varint(buf, pos)
        info._length, pos = _get_varint(buf, pos)
    return info


# -- the terms file --------------------------------------------------------------------------
class CompactTermsWriter:
    """Takes (key, value) in increasing key order; ``close`` writes the block index."""

    def __init__(self, dbfile: Any) -> None:
        self.dbfile = dbfile
        self.extras: dict[str, Any] = {}
        self._block = bytearray()
        self._count = 0
        self._prev = b""
        self._first: list[bytes] = []
        self._offsets: list[int] = []
        self._terms = 0
        dbfile.write(MAGIC)

    def add(self, key: bytes, value: bytes) -> None:
        if self._terms and key <= self._prev:
            raise ValueError(f"Keys must increase: {self._prev!r}..{key!r}")
        if self._count == 0:
            self._first.append(key)
            shared = 0
        else:
            prev = self._prev
            limit = min(len(prev), len(key))
            shared = 0
            while shared < limit and prev[shared] == key[shared]:
                shared += 1
        block = self._block
        _put_varint(block, shared)
        _put_varint(block, len(key) - shared)
        block += key[shared:]
        _put_varint(block, len(value))
        block += value
        self._prev = key
        self._count += 1
        self._terms += 1
        if self._count >= BLOCK_TERMS:
            self._flush()

    def _flush(self) -> None:
        if not self._count:
            return
        self._offsets.append(self.dbfile.tell())
        self.dbfile.write(zlib.compress(bytes(self._block), COMPRESSION))
        self._block = bytearray()
        self._count = 0

    def close(self) -> None:
        self._flush()
        dbfile = self.dbfile
        offsets = array("Q", [*self._offsets, dbfile.tell()])
        keyoffs = array("I", [0])
        for key in self._first:
            keyoffs.append(keyoffs[-1] + len(key))
        header = {
            "fieldmap": self.extras.get("fieldmap", {}),
            "blocks": len(self._first),
            "terms": self._terms,
            "offsets": offsets.tobytes(),
            "keyoffs": keyoffs.tobytes(),
            "keys": b"".join(self._first),
            "little": _LITTLE_ENDIAN,
        }
        pos = dbfile.tell()
        dbfile.write(pickle.dumps(header, 4))
        dbfile.write(_TRAILER.pack(pos, MAGIC))
        dbfile.close()


class CompactTermsReader:
    """Whoosh's ``TermsReader`` over a :class:`CompactTermsWriter` file."""

    def __init__(self, codec: Any, dbfile: Any, length: int, postfile: Any) -> None:
        self._codec = codec
        self._dbfile = dbfile
        self._postfile = postfile
        pos, magic = _TRAILER.unpack(dbfile.get(length - _TRAILER.size, _TRAILER.size))
        if magic != MAGIC or dbfile.get(0, 4) != MAGIC:
            raise ValueError("not a compact term dictionary")
        header = pickle.loads(dbfile.get(pos, length - _TRAILER.size - pos))
        self._fieldmap: dict[str, int] = header["fieldmap"]
        self._fieldunmap = {num: name for name, num in self._fieldmap.items()}
        self._nblocks: int = header["blocks"]
        offsets = array("Q")
        offsets.frombytes(header["offsets"])
        keyoffs = array("I")
        keyoffs.frombytes(header["keyoffs"])
        if header["little"] != _LITTLE_ENDIAN:
            offsets.byteswap()
            keyoffs.byteswap()
        self._offsets = offsets
        self._keyoffs = keyoffs
        self._keys: bytes = header["keys"]
        self._cache: OrderedDict[int, tuple[list[bytes], list[bytes]]] = OrderedDict()

    # -- blocks --------------------------------------------------------------------------
    def _first_key(self, i: int) -> bytes:
        return self._keys[self._keyoffs[i] : self._keyoffs[i + 1]]

    def _block_for(self, key: bytes) -> int:
        """The block that holds ``key`` if any (the last whose first key is <= key); -1 when
        ``key`` sorts before every term."""
        lo, hi = 0, self._nblocks
        while lo < hi:
            mid = (lo + hi) // 2
            if self._first_key(mid) <= key:
                lo = mid + 1
            else:
                hi = mid
        return lo - 1

    def _block(self, i: int) -> tuple[list[bytes], list[bytes]]:
        cached = self._cache.get(i)
        if cached is not None:
            self._cache.move_to_end(i)
            return cached
        start, end = self._offsets[i], self._offsets[i + 1]
        buf = zlib.decompress(self._dbfile.get(start, end - start))
        keys: list[bytes] = []
        values: list[bytes] = []
        prev = b""
        pos = 0
        size = len(buf)
        while pos < size:
            shared, pos = _get_varint(buf, pos)
            n, pos = _get_varint(buf, pos)
            key = prev[:shared] + buf[pos : pos + n]
            pos += n
            n, pos = _get_varint(buf, pos)
            keys.append(key)
            values.append(buf[pos : pos + n])
            pos += n
            prev = key
        self._cache[i] = (keys, values)
        if len(self._cache) > CACHED_BLOCKS:
            self._cache.popitem(last=False)
        return keys, values

    def _value(self, key: bytes) -> bytes:
        i = self._block_for(key)
        if i < 0:
            raise KeyError(key)
        keys, values = self._block(i)
        j = bisect.bisect_left(keys, key)
        if j == len(keys) or keys[j] != key:
            raise KeyError(key)
        return values[j]

    def _position(self, key: bytes) -> tuple[int, int]:
        """(block, index) of the first term >= key (block == number of blocks: past the end)."""
        i = max(self._block_for(key), 0)
        while i < self._nblocks:
            keys, _ = self._block(i)
            j = bisect.bisect_left(keys, key)
            if j < len(keys):
                return i, j
            i, key = i + 1, b""
        return self._nblocks, 0

    def _items_at(self, i: int, j: int) -> Iterator[tuple[bytes, bytes]]:
        while i < self._nblocks:
            keys, values = self._block(i)
            for k in range(j, len(keys)):
                yield keys[k], values[k]
            i, j = i + 1, 0

    # -- keys ----------------------------------------------------------------------------
    def _keycoder(self, fieldname: str, tbytes: bytes) -> bytes:
        return _SHORT.pack(self._fieldmap.get(fieldname, 65535)) + tbytes

    def _keydecoder(self, keybytes: bytes) -> tuple[str | None, bytes]:
        return self._fieldunmap.get(_SHORT.unpack_from(keybytes)[0]), keybytes[2:]

    # -- TermsReader ---------------------------------------------------------------------
    def __contains__(self, term: tuple[str, bytes]) -> bool:
        try:
            self._value(self._keycoder(*term))
        except KeyError:
            return False
        return True

    def cursor(self, fieldname: str, fieldobj: Any) -> CompactFieldCursor:
        return CompactFieldCursor(self, fieldname, fieldobj)

    def terms(self) -> Iterator[tuple[str | None, bytes]]:
        return (self._keydecoder(k) for k, _ in self._items_at(0, 0))

    def terms_from(self, fieldname: str, prefix: bytes) -> Iterator[tuple[str | None, bytes]]:
        i, j = self._position(self._keycoder(fieldname, prefix))
        return (self._keydecoder(k) for k, _ in self._items_at(i, j))

    def items(self) -> Iterator[tuple[tuple[str | None, bytes], W3TermInfo]]:
        return ((self._keydecoder(k), decode_info(v)) for k, v in self._items_at(0, 0))

    def items_from(
        self, fieldname: str, prefix: bytes
    ) -> Iterator[tuple[tuple[str | None, bytes], W3TermInfo]]:
        i, j = self._position(self._keycoder(fieldname, prefix))
        return ((self._keydecoder(k), decode_info(v)) for k, v in self._items_at(i, j))

    def term_info(self, fieldname: str, tbytes: bytes) -> W3TermInfo:
        return decode_info(self._value(self._keycoder(fieldname, tbytes)))

    def frequency(self, fieldname: str, tbytes: bytes) -> float:
        return float(self.term_info(fieldname, tbytes).weight())

    def doc_frequency(self, fieldname: str, tbytes: bytes) -> int:
        return int(self.term_info(fieldname, tbytes).doc_frequency())

    def matcher(self, fieldname: str, tbytes: bytes, format_: Any, scorer: Any = None) -> Any:
        info = self.term_info(fieldname, tbytes)
        return self._codec.postings_reader(
            self._postfile, info, format_, term=(fieldname, tbytes), scorer=scorer
        )

    def indexed_field_names(self) -> Any:
        return self._fieldmap.keys()

    def close(self) -> None:
        self._cache.clear()
        self._dbfile.close()
        self._postfile.close()

    # Whoosh's TermsReader mixes in fuzzy-term helpers; borrow them
    def terms_within(self, fieldcur: Any, uterm: str, maxdist: int, prefix: int = 0) -> Any:
        from whoosh.codec.base import TermsReader

        return TermsReader.terms_within(self, fieldcur, uterm, maxdist, prefix)


class CompactFieldCursor:
    """Whoosh's ``FieldCursor``: walks one field's terms in order."""

    def __init__(self, reader: CompactTermsReader, fieldname: str, fieldobj: Any) -> None:
        self._reader = reader
        self._fieldname = fieldname
        self._fieldobj = fieldobj
        self._start = reader._position(reader._keycoder(fieldname, b""))
        self._pos: tuple[int, int] | None = self._start
        self._text: Any = None
        self._value: bytes | None = None
        self.next()

    def first(self) -> Any:
        self._pos = self._start
        return self.next()

    def find(self, term: Any) -> Any:
        if not isinstance(term, bytes):
            term = self._fieldobj.to_bytes(term)
        self._pos = self._reader._position(self._reader._keycoder(self._fieldname, term))
        return self.next()

    def next(self) -> Any:
        reader = self._reader
        if self._pos is not None:
            i, j = self._pos
            if i < reader._nblocks:
                keys, values = reader._block(i)
                fname, text = reader._keydecoder(keys[j])
                if fname == self._fieldname:
                    self._pos = (i, j + 1) if j + 1 < len(keys) else (i + 1, 0)
                    self._text = self._fieldobj.from_bytes(text)
                    self._value = values[j]
                    return self._text
        self._text = self._pos = self._value = None
        return None

    def text(self) -> Any:
        return self._text

    def term_info(self) -> W3TermInfo | None:
        return None if self._value is None else decode_info(self._value)

    def is_valid(self) -> bool:
        return self._pos is not None


class _TermInfo(W3TermInfo):  # type: ignore[misc]
    """Whoosh 3's postings writer inlines through ``set_inline``, a name its term info lacks
    (``set_inlined``): why inlining is off in Whoosh 3 by default."""

    def set_inline(self, ids: Any, weights: Any, values: Any) -> None:
        self.set_inlined(ids, weights, values)


class _InlineMatcher(ListMatcher):  # type: ignore[misc]
    """Inlined postings. As Whoosh 3's block matcher, a posting of a format without values
    has the value None (a merge copies it as empty bytes; ListMatcher gave "", a str)."""

    def value(self) -> Any:
        return super().value() if self._values else None

    def all_items(self) -> Any:
        if self._values:
            return super().all_items()
        return ((i, None) for i in self._ids)

    def copy(self) -> _InlineMatcher:
        return _InlineMatcher(
            self._ids,
            self._weights,
            self._values,
            self._format,
            self._scorer,
            self._i,
            self._all_weights,
            term=self._term,
            terminfo=self._terminfo,
        )


class CompactFieldWriter(W3FieldWriter):  # type: ignore[misc]
    """Whoosh 3's field writer, writing the compact term dictionary."""

    def __init__(self, codec: Any, storage: Any, segment: Any) -> None:
        self._codec = codec
        self._storage = storage
        self._segment = segment
        self._fieldname: Any = None
        self._fieldid: Any = None
        self._btext: Any = None
        self._fieldobj: Any = None
        self._format: Any = None
        self._tindex = CompactTermsWriter(self._create_file(TERMS_EXT))
        self._fieldmap = self._tindex.extras["fieldmap"] = {}
        self._postfile = self._create_file(W3Codec.POSTS_EXT)
        self._postwriter: Any = None
        self._infield = False
        self.is_closed = False

    def start_term(self, btext: bytes) -> None:
        if self._postwriter is None:
            raise Exception("Called start_term before start_field")
        self._btext = btext
        self._postwriter.start_postings(self._fieldobj.format, _TermInfo())

    def finish_term(self) -> None:
        terminfo = self._postwriter.finish_postings()
        self._tindex.add(_SHORT.pack(self._fieldid) + self._btext, encode_info(terminfo))


# -- postings blocks -------------------------------------------------------------------------
# Whoosh 3 pickles a postings block's ids (deltas) and weights as tuples of Python numbers:
# reading a block of 128 made ~256 objects, and the numpy scorer converted them again (half of
# what a frequent term cost a search). Here they are packed: an array type code ("B", "H" or
# "I"), then the values, little-endian — integer weights (term frequencies) too; other weights
# stay Whoosh's tuple. numpy reads the bytes as they are (:func:`packed_dtype`).
_PACKED_DTYPES = {ord("B"): "<u1", ord("H"): "<u2", ord("I"): "<u4"}
# the array type code of each packed code: 1, 2 and 4 bytes unsigned
_TYPECODES = {ord("B"): "B", ord("H"): "H", ord("I"): "I" if array("I").itemsize == 4 else "L"}


def _pack(values: Any) -> bytes:
    top = max(values, default=0)
    code = ord("B") if top < 1 << 8 else ord("H") if top < 1 << 16 else ord("I")
    packed = array(_TYPECODES[code], values)
    if not _LITTLE_ENDIAN:
        packed.byteswap()
    return bytes((code,)) + packed.tobytes()


def _unpack(data: bytes) -> array[int]:
    out = array(_TYPECODES[data[0]])
    out.frombytes(data[1:])
    if not _LITTLE_ENDIAN:
        out.byteswap()
    return out


def packed_dtype(data: bytes) -> str:
    """The numpy dtype of packed postings values (``np.frombuffer(data, dtype, offset=1)``)."""
    return _PACKED_DTYPES[data[0]]


class CompactPostingsWriter(W3PostingsWriter):  # type: ignore[misc]
    """Whoosh 3's postings blocks with packed ids and integer weights."""

    def _mini_ids(self) -> Any:
        ids = super()._mini_ids()
        return ids if self._byteids else _pack(ids)

    def _mini_weights(self) -> Any:
        weights = super()._mini_weights()
        if isinstance(weights, tuple) and all(float(w).is_integer() and 0 <= w < 1 << 32 for w in weights):
            return _pack([int(w) for w in weights])
        return weights


class CompactLeafMatcher(W3LeafMatcher):  # type: ignore[misc]
    """Whoosh 3's block matcher, reading packed blocks (and Whoosh 3's own)."""

    def _read_ids(self) -> None:
        if self._data is None:
            self._read_data()
        ids = self._data[0]
        if isinstance(ids, bytes):
            self._ids = tuple(itertools.accumulate(_unpack(ids)))
        else:
            super()._read_ids()

    def _read_weights(self) -> None:
        if self._data is None:
            self._read_data()
        weights = self._data[1]
        if isinstance(weights, bytes):
            self._weights = array("d", _unpack(weights))
        else:
            super()._read_weights()


# -- stored fields ---------------------------------------------------------------------------
STORED_BLOCK_DOCS = 8  # documents per compressed block of stored fields …
STORED_BLOCK_BYTES = 16 * 1024  # … or this many bytes of pickles, whichever comes first
# The first this many bytes of a segment's blocks (before compression) are the zlib preset
# dictionary of all its blocks: a small block compresses as well as a big one with it (the
# field names and common values of a pickled dict are in the dictionary), and is decompressed
# in half the time (a search reads ~60 candidates' stored fields, each in its own block).
STORED_DICT_BYTES = 8 * 1024
# Blocks kept decompressed per segment (at most 16 KB each): a search reads ~60 candidates in
# each of its two rounds, partly the same ones twice.
CACHED_STORED_BLOCKS = 128
# The column's trailer: position of the block index, number of blocks, length of the preset
# dictionary (stored compressed between the last block and the block index; 0: none).
_BLOCKS_TRAILER = struct.Struct("!QIQ")
# A block, before compression: its number of documents n, then n + 1 little-endian uint32
# (where each document's pickle starts, from the end of this head, and where the last ends),
# then the pickles. Fixed-width ends: reading one document costs no per-document Python.
_BLOCK_HEAD = struct.Struct("<I")


class BlockStoredColumn(Column):  # type: ignore[misc]
    """Stored fields (one pickled dict per document) compressed a block of documents at a
    time, with a preset dictionary per segment. Whoosh 3 compresses each document alone: a
    passage of a few hundred bytes and its field names barely compress that way; 8 together
    and the dictionary take a quarter of the room. Reading a document decompresses its block
    (kept in a small cache: a search's second round reads many of the first round's)."""

    def writer(self, dbfile: Any) -> BlockStoredWriter:
        return BlockStoredWriter(dbfile)

    def reader(self, dbfile: Any, basepos: int, length: int, doccount: int) -> BlockStoredReader:
        return BlockStoredReader(dbfile, basepos, length, doccount)


class BlockStoredWriter(ColumnWriter):  # type: ignore[misc]
    def __init__(self, dbfile: Any) -> None:
        self._dbfile = dbfile
        self._start = dbfile.tell()
        self._values: list[bytes] = []
        self._bytes = 0
        self._next = 0  # the next document number
        self._first: list[int] = []  # first document of each block
        self._offsets: list[int] = []  # start of each block, from the column's start
        self._zdict: bytes | None = None  # the preset dictionary, once known
        self._held: list[bytes] = []  # blocks (uncompressed) until it is known

    def add(self, docnum: int, value: Any) -> None:
        while self._next < docnum:  # documents without stored fields
            self._append(b"")
        self._append(pickle.dumps(value, 4) if value else b"")

    def _append(self, data: bytes) -> None:
        if not self._values:
            self._first.append(self._next)
        self._values.append(data)
        self._bytes += len(data)
        self._next += 1
        if len(self._values) >= STORED_BLOCK_DOCS or self._bytes >= STORED_BLOCK_BYTES:
            self._flush()

    def _flush(self) -> None:
        if not self._values:
            return
        ends = array("I", [0])
        for v in self._values:
            ends.append(ends[-1] + len(v))
        if not _LITTLE_ENDIAN:  # stored little-endian
            ends.byteswap()
        self._held.append(_BLOCK_HEAD.pack(len(self._values)) + ends.tobytes() + b"".join(self._values))
        self._values = []
        self._bytes = 0
        if self._zdict is None and sum(map(len, self._held)) >= STORED_DICT_BYTES:
            self._zdict = b"".join(self._held)[:STORED_DICT_BYTES]
        if self._zdict is not None:
            self._write_held(self._zdict)

    def _write_held(self, zdict: bytes) -> None:
        for block in self._held:
            self._offsets.append(self._dbfile.tell() - self._start)
            self._dbfile.write(_compress(block, zdict))
        self._held = []

    def finish(self, doccount: int) -> None:
        while self._next < doccount:
            self._append(b"")
        self._flush()
        # (a segment of fewer bytes than a dictionary, one save's: its blocks compressed alone)
        zdict = self._zdict if self._zdict is not None else b""
        self._write_held(zdict)
        blocks_end = self._dbfile.tell() - self._start
        stored_zdict = zlib.compress(zdict, COMPRESSION) if zdict else b""
        self._dbfile.write(stored_zdict)
        end = self._dbfile.tell() - self._start
        offsets = array("Q", [*self._offsets, blocks_end])
        first = array("I", self._first)
        if _LITTLE_ENDIAN:  # stored big-endian, as Whoosh stores arrays
            offsets.byteswap()
            first.byteswap()
        self._dbfile.write(offsets.tobytes())
        self._dbfile.write(first.tobytes())
        self._dbfile.write(_BLOCKS_TRAILER.pack(end, len(self._first), len(stored_zdict)))


def _compress(data: bytes, zdict: bytes) -> bytes:
    if not zdict:
        return zlib.compress(data, COMPRESSION)
    c = zlib.compressobj(COMPRESSION, zlib.DEFLATED, zlib.MAX_WBITS, 9, zlib.Z_DEFAULT_STRATEGY, zdict)
    return c.compress(data) + c.flush()


def _decompress(data: bytes, zdict: bytes) -> bytes:
    if not zdict:
        return zlib.decompress(data)
    return zlib.decompressobj(zdict=zdict).decompress(data)  # (the whole stream: no tail)


class BlockStoredReader(ColumnReader):  # type: ignore[misc]
    def __init__(self, dbfile: Any, basepos: int, length: int, doccount: int) -> None:
        super().__init__(dbfile, basepos, length, doccount)
        end, nblocks, zlen = _BLOCKS_TRAILER.unpack(
            dbfile.get(basepos + length - _BLOCKS_TRAILER.size, _BLOCKS_TRAILER.size)
        )
        offsets = array("Q")
        offsets.frombytes(dbfile.get(basepos + end, 8 * (nblocks + 1)))
        first = array("I")
        first.frombytes(dbfile.get(basepos + end + 8 * (nblocks + 1), 4 * nblocks))
        if _LITTLE_ENDIAN:
            offsets.byteswap()
            first.byteswap()
        self._offsets = offsets
        self._first = first
        self._zdict = zlib.decompress(dbfile.get(basepos + end - zlen, zlen)) if zlen else b""
        self._cache: dict[int, tuple[bytes, array[int]]] = {}

    def _block(self, b: int) -> tuple[bytes, array[int]]:
        """Block ``b``, decompressed: (its pickles, where each starts in them and the last
        ends). The most recently read blocks stay decompressed."""
        cache = self._cache
        block = cache.pop(b, None)
        if block is None:
            start, end = self._offsets[b], self._offsets[b + 1]
            buf = _decompress(self._dbfile.get(self._basepos + start, end - start), self._zdict)
            (n,) = _BLOCK_HEAD.unpack_from(buf)
            ends = array("I")
            ends.frombytes(buf[_BLOCK_HEAD.size : _BLOCK_HEAD.size + 4 * (n + 1)])
            if not _LITTLE_ENDIAN:
                ends.byteswap()
            block = (buf[_BLOCK_HEAD.size + 4 * (n + 1) :], ends)
            if len(cache) >= CACHED_STORED_BLOCKS:
                del cache[next(iter(cache))]  # the least recently read
        cache[b] = block  # (re)inserted last: dicts keep insertion order
        return block

    def _value(self, b: int, i: int) -> Any:
        buf, ends = self._block(b)
        start, end = ends[i], ends[i + 1]
        return pickle.loads(buf[start:end]) if end > start else None

    def __getitem__(self, docnum: int) -> Any:
        if not 0 <= docnum < self._doccount:
            raise IndexError(docnum)
        b = bisect.bisect_right(self._first, docnum) - 1
        return self._value(b, docnum - self._first[b])

    def __iter__(self) -> Iterator[Any]:
        for b in range(len(self._first)):
            buf, ends = self._block(b)
            for start, end in itertools.pairwise(ends):
                yield pickle.loads(buf[start:end]) if end > start else None


BLOCK_STORED = BlockStoredColumn()


class CompactPerDocWriter(W3PerDocWriter):  # type: ignore[misc]
    """Whoosh 3's per-document writer, stored fields in compressed blocks."""

    def _create_column(self, fieldname: str, column: Any) -> None:
        super()._create_column(fieldname, BLOCK_STORED if fieldname == "_stored" else column)


class CompactPerDocReader(W3PerDocReader):  # type: ignore[misc]
    def stored_fields(self, docnum: int) -> dict[str, Any]:
        reader = self._cached_reader("_stored", BLOCK_STORED)
        value = reader[docnum] if reader is not None else None
        return value if value is not None else {}


class CompactCodec(W3Codec):  # type: ignore[misc]
    """Whoosh 3 with the compact term dictionary and inlined rare postings."""

    def __init__(
        self, blocklimit: int | None = None, compression: int = 9, inlinelimit: int = INLINE_LIMIT
    ) -> None:
        blocklimit = POSTINGS_BLOCK if blocklimit is None else blocklimit
        super().__init__(blocklimit=blocklimit, compression=compression, inlinelimit=inlinelimit)

    def per_document_writer(self, storage: Any, segment: Any) -> CompactPerDocWriter:
        return CompactPerDocWriter(self, storage, segment)

    def per_document_reader(self, storage: Any, segment: Any) -> CompactPerDocReader:
        return CompactPerDocReader(storage, segment)

    def field_writer(self, storage: Any, segment: Any) -> CompactFieldWriter:
        return CompactFieldWriter(self, storage, segment)

    def postings_reader(
        self, dbfile: Any, terminfo: Any, format_: Any, term: Any = None, scorer: Any = None
    ) -> Any:
        if terminfo.is_inlined():
            ids, weights, values = terminfo.inlined_postings()
            return _InlineMatcher(ids, weights, values, format_, scorer=scorer, term=term, terminfo=terminfo)
        offset, length = terminfo.extent()
        return CompactLeafMatcher(dbfile, offset, length, format_, term=term, scorer=scorer)

    def postings_writer(self, dbfile: Any, byteids: bool = False) -> CompactPostingsWriter:
        return CompactPostingsWriter(
            dbfile,
            blocklimit=self._blocklimit,
            byteids=byteids,
            compression=self._compression,
            inlinelimit=self._inlinelimit,
        )

    def terms_reader(self, storage: Any, segment: Any) -> CompactTermsReader:
        name = segment.make_filename(TERMS_EXT)
        length = storage.file_length(name)
        dbfile = storage.open_file(name)
        postfile = segment.open_file(storage, self.POSTS_EXT)
        return CompactTermsReader(self, dbfile, length, postfile)
