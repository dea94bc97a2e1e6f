"""The plumbing Chat and Bridge share: one answer streamed from a thread worker to a screen.

A screen keeps a :class:`TalkStream` (the request it is listening to). Its worker calls
:func:`pump`, which posts each core ``TalkEvent`` as :class:`TalkEventArrived`, an exception as
:class:`TalkFailed` and, always last, :class:`TalkFinished`; every message carries the
request's id, so a screen ignores answers it walked away from (a new chat, another draft).
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from textual.message import Message

if TYPE_CHECKING:
    from textual.message_pump import MessagePump

    from journal_me.modes.common import TalkEvent


class StreamRequest(Protocol):
    @property
    def id(self) -> int: ...

    @property
    def cancel(self) -> threading.Event: ...


R = TypeVar("R", bound=StreamRequest)


class TalkAborted(Exception):
    """Raised inside a worker's talk to fail with exactly this text (no exception type)."""


class TalkEventArrived(Message):
    def __init__(self, request: int, event: TalkEvent) -> None:
        self.request, self.event = request, event
        super().__init__()


class TalkFailed(Message):
    def __init__(self, request: int, text: str) -> None:
        self.request, self.text = request, text
        super().__init__()


class TalkFinished(Message):
    """Always the last message of a request; ``result`` is what the talk returned (e.g. the
    conversation id a chat answer was saved under)."""

    def __init__(self, request: int, result: object = None) -> None:
        self.request, self.result = request, result
        super().__init__()


class TalkStream(Generic[R]):
    """The request a screen is listening to (at most one at a time)."""

    def __init__(self) -> None:
        self._ids = itertools.count(1)
        self.current: R | None = None

    def next_id(self) -> int:
        return next(self._ids)

    def start(self, request: R) -> R:
        self.current = request
        return request

    @property
    def running(self) -> bool:
        return self.current is not None

    def is_current(self, request: int) -> bool:
        return self.current is not None and self.current.id == request

    def stop(self) -> bool:
        """Ask the running request to stop (what was written stays); False if none runs."""
        if self.current is None or self.current.cancel.is_set():
            return False
        self.current.cancel.set()
        return True

    def abandon(self) -> None:
        """Stop the running request and stop listening to it."""
        if self.current is not None:
            self.current.cancel.set()
        self.current = None

    def finish(self, request: int) -> bool:
        """The request ended: True (and forgotten) when it is the one listened to."""
        if not self.is_current(request):
            return False
        self.current = None
        return True


def pump(
    node: MessagePump,
    request: int,
    talk: Callable[[], Iterable[TalkEvent]],
    result: Callable[[], object] = lambda: None,
) -> None:
    """Run ``talk`` (in a thread worker) and post its events to ``node``; never raises."""
    try:
        for event in talk():
            node.post_message(TalkEventArrived(request, event))
    except TalkAborted as exc:
        node.post_message(TalkFailed(request, str(exc)))
    except Exception as exc:  # a model error, a store error: shown by the screen, never a crash
        node.post_message(TalkFailed(request, f"{type(exc).__name__}: {exc}"))
    finally:
        node.post_message(TalkFinished(request, result()))
