"""Whoosh's multiprocessing writer as a first index or a rebuild uses it (memory/index.py
``PassageIndex._writer``): one forked sub-writer per core, each committing its own segment,
bound to the parent's life. Its own module so that a search, which never writes a large
batch, does not load ``multiprocessing``."""

from __future__ import annotations

import contextlib
import os
import queue
import signal
import sys
import time
from collections.abc import Callable
from typing import Any

from whoosh.multiproc import MpWriter, SubWriterTask

from journal_me.memory.compact_codec import CompactCodec

# seconds the sub-writers' segments may take to arrive once every sub-writer has exited; while
# one is alive it is still writing (minutes on a loaded machine), and the commit waits for it
SUBWRITER_RESULT_TIMEOUT = 60.0


class ParallelWriter(MpWriter):  # type: ignore[misc]
    """Whoosh's multiprocessing writer, each sub-writer committing its own segment
    (``multisegment``: no merge pass at the end). Its commit waits for every sub-writer's
    segment and fails when one is missing (Whoosh's gives up after a second and drops late
    ones); its cancel stops the sub-writers (Whoosh's only flags them, and the process would
    wait for them at exit)."""

    def __init__(self, ix: Any, procs: int, limit_mb: int) -> None:
        per_proc = max(16, limit_mb // procs)
        super().__init__(
            ix, procs=procs, batchsize=64, multisegment=True, limitmb=per_proc, codec=CompactCodec()
        )

    def _commit(self, mergetype: Any, optimize: Any, merge: Any) -> None:
        if self.docbuffer:
            self._enqueue()
        for _ in self.tasks:
            self.jobqueue.put(None)
        results: list[Any] = []
        deadline: float | None = None  # set once every sub-writer has exited
        while len(results) < len(self.tasks):
            try:
                results.append(self.resultqueue.get(timeout=0.5))
            except queue.Empty:
                if any(t.exitcode not in (None, 0) for t in self.tasks):
                    raise RuntimeError("an index sub-writer failed; nothing was committed") from None
                if all(t.exitcode is not None for t in self.tasks):
                    deadline = deadline or time.monotonic() + SUBWRITER_RESULT_TIMEOUT
                    if time.monotonic() > deadline:
                        raise RuntimeError(
                            "an index sub-writer's segment never arrived; nothing was committed"
                        ) from None
        for task in self.tasks:
            task.join()
        finalsegments = self._merge_segments(mergetype, optimize, merge)
        for _, _, written in results:  # a segment, or a list of them (BufferedSubWriter)
            finalsegments += written if isinstance(written, list) else [written]
        if self._added:
            finalsegments.append(self._finalize_segment())
        else:
            self._close_segment()
        self._commit_toc(finalsegments)
        self._finish()

    def cancel(self) -> None:
        try:
            for task in self.tasks:
                if task.is_alive():
                    task.terminate()
                task.join(5)
        finally:
            super().cancel()

    def _new_task(self) -> Any:
        # Whoosh's, with each sub-writer bound to this process's life (H14): a SIGTERM or
        # SIGKILL gives this process no chance to cancel, and they waited on their job queue
        from journal_me.memory.fast_writer import BufferedSubWriter, usable

        task = (BufferedSubWriter if usable() else SubWriterTask)(  # (H15: buffered postings)
            self.storage, self.indexname, self.jobqueue, self.resultqueue, self.subargs, self.multisegment
        )
        task.run = _dying_with(os.getpid(), task.run)  # type: ignore[method-assign]
        self.tasks.append(task)
        task.start()
        return task


def _dying_with(parent: int, run: Callable[[], None]) -> Callable[[], None]:
    """``run`` in a forked sub-writer that gets SIGTERM when ``parent`` ends (Linux's
    PR_SET_PDEATHSIG; elsewhere ``run`` as it is)."""
    if not sys.platform.startswith("linux"):
        return run

    def run_in_child() -> None:
        with contextlib.suppress(OSError, AttributeError):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # 1: PR_SET_PDEATHSIG
        if os.getppid() != parent:  # it ended before the line above
            os._exit(1)
        run()

    return run_in_child
