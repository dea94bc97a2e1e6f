"""Read and parse a vault's changed files on every core, into a spool on disk (a first index,
a rebuild).

A first index used to read and parse every file in the writing process, one core, and held
every parsed entry until the index write ended (~370 MB at 6k real-style notes). Here:

- files are read, hashed, parsed and their graph mentions extracted by one forked worker per
  core (:func:`parse_files`; the same function runs in process for small batches, or when the
  process has other threads and must not fork). A worker dies with the process that started it
  (``PR_SET_PDEATHSIG``), as the index's sub-writers do;
- each parsed entry goes, pickled, into an unlinked temporary file in the data dir
  (:class:`EntrySpool`: nothing is left on disk by a killed process); the caller keeps only what
  the graph needs (the entry's mentions) and a few flags, and streams the entries back, one at a
  time, into the index writer once the graph's alias table is final;
- a file that cannot be read or parsed is reported (:attr:`Parsed.error`), never the batch's end.
"""

from __future__ import annotations

import contextlib
import os
import pickle
import sys
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

if TYPE_CHECKING:
    from journal_me.memory.graph import EntryMentions
    from journal_me.vault import Entry

CHUNK = 8  # files a worker takes at a time
MIN_FILES = 300  # below this many files, parse in process (a fork costs more than it saves)


@dataclass(frozen=True)
class Task:
    rel: str
    known_digest: str | None = None  # the index's digest for the file: equal, it is not parsed


@dataclass(frozen=True)
class Parsed:
    """One file read (and parsed, if it changed)."""

    rel: str
    digest: str | None  # None: the file could not be read
    error: str | None = None  # why it could not be read or parsed
    blob: bytes | None = None  # the parsed Entry, pickled; None: unchanged (or an error)
    mentions: EntryMentions | None = None
    private: bool = False
    conflict_of: str | None = None
    meta_error: str | None = None

    @property
    def unchanged(self) -> bool:
        return self.error is None and self.blob is None


@dataclass(frozen=True)
class Stub:
    """What the privacy bookkeeping reads of a parsed entry (``Entry``'s names)."""

    rel: str
    private: bool
    conflict_of: str | None


Read = Callable[[str], tuple[bytes, float]]
Parse = Callable[[str, bytes, float], "Entry"]

_job: tuple[Read, Parse] | None = None  # (read, parse) of the batch being parsed


def parse_one(task: Task) -> Parsed:
    """Read, hash and parse one file, and extract its graph mentions (in a worker, or here)."""
    from journal_me.memory.graph import entry_mentions
    from journal_me.vault import EntryReadError, sha256_bytes

    assert _job is not None
    read, parse = _job
    try:
        data, mtime = read(task.rel)
    except EntryReadError as exc:
        return Parsed(task.rel, None, str(exc))
    digest = sha256_bytes(data)
    if digest == task.known_digest:
        return Parsed(task.rel, digest)
    try:
        entry = parse(task.rel, data, mtime)
        mentions = entry_mentions(entry)
        blob = pickle.dumps(entry, protocol=pickle.HIGHEST_PROTOCOL)
    except EntryReadError as exc:
        return Parsed(task.rel, digest, str(exc))
    except (MemoryError, RecursionError, ValueError, TypeError, LookupError, ArithmeticError) as exc:
        # a bug or a pathological file: this file is reported and left out, the others go on
        return Parsed(task.rel, digest, f"could not be parsed ({type(exc).__name__}: {exc})")
    return Parsed(task.rel, digest, None, blob, mentions, entry.private, entry.conflict_of, entry.meta_error)


def _parse_chunk(tasks: Sequence[Task]) -> list[Parsed]:
    return [parse_one(t) for t in tasks]


def _start_worker(parent: int, job: tuple[Read, Parse]) -> None:
    global _job
    _job = job
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            import ctypes
            import signal

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
    if os.getppid() != parent:  # the parent ended before the line above
        os._exit(1)


def pool_procs(files: int) -> int:
    """Workers for ``files`` files: one per core (``JOURNAL_ME_INDEX_PROCS`` overrides, 1 turns
    the pool off), 1 (in process) for a small batch or a process with other threads."""
    from journal_me.memory import index

    if files < MIN_FILES:
        return 1
    return index.writer_procs(max(files, index.PARALLEL_MIN_ENTRIES))


def parse_files(
    tasks: Sequence[Task], read: Read, parse: Parse, procs: int | None = None
) -> Iterator[Parsed]:
    """Each task's :class:`Parsed`, in the tasks' order."""
    global _job
    procs = pool_procs(len(tasks)) if procs is None else procs
    if procs <= 1:
        _job, before = (read, parse), _job
        try:
            for task in tasks:
                yield parse_one(task)
        finally:
            _job = before
        return
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    chunks = [tasks[i : i + CHUNK] for i in range(0, len(tasks), CHUNK)]
    pool = ProcessPoolExecutor(
        max_workers=procs,
        mp_context=multiprocessing.get_context("fork"),
        initializer=_start_worker,
        initargs=(os.getpid(), (read, parse)),
    )
    try:
        for results in pool.map(_parse_chunk, chunks):
            yield from results
    finally:
        # every worker gone before the caller forks its index writers (and no thread left)
        pool.shutdown(wait=True, cancel_futures=True)


class EntrySpool:
    """Parsed entries kept on disk until the index write reads them back, in order: an
    unlinked temporary file in ``folder`` (the data dir), gone when closed or the process ends."""

    def __init__(self, folder: Path | None = None) -> None:
        # closed by close(), or with the process (unlinked already)
        self._fh: IO[bytes] = tempfile.TemporaryFile(dir=folder, prefix="parse-spool-")  # noqa: SIM115
        self._sizes: list[int] = []
        self._end = 0

    def add(self, blob: bytes) -> None:
        self._fh.seek(self._end)
        self._fh.write(blob)
        self._end += len(blob)
        self._sizes.append(len(blob))

    def __len__(self) -> int:
        return len(self._sizes)

    def __iter__(self) -> Iterator[Entry]:
        """The entries, in the order added (one in memory at a time)."""
        self._fh.flush()
        offset = 0
        for size in self._sizes:
            self._fh.seek(offset)
            offset += size
            yield pickle.loads(self._fh.read(size))

    def close(self) -> None:
        self._fh.close()


class ParsedBatch:
    """A big batch of changed entries, parsed: what the graph needs in memory (mentions, and
    the flags privacy reads), the entries themselves spooled to disk."""

    def __init__(self, folder: Path | None = None) -> None:
        self.stubs: list[Stub] = []
        self.mentions: list[EntryMentions] = []
        self.spool = EntrySpool(folder)

    def add(self, parsed: Parsed) -> None:
        assert parsed.blob is not None and parsed.mentions is not None
        self.spool.add(parsed.blob)
        self.stubs.append(Stub(parsed.rel, parsed.private, parsed.conflict_of))
        self.mentions.append(parsed.mentions)

    def __len__(self) -> int:
        return len(self.spool)

    def __iter__(self) -> Iterator[Stub]:
        return iter(self.stubs)

    def drop_mentions(self) -> None:
        """Forget the mentions and flags (the graph has them): only the spool is left."""
        self.mentions = []
        self.stubs = []

    def entries(self) -> Iterable[Entry]:
        return iter(self.spool)

    def close(self) -> None:
        self.spool.close()
