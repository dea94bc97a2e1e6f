"""Messages that widgets send up to the app (they bubble: widget → screen → app)."""

from __future__ import annotations

from textual.message import Message

from journal_me.tui.backend import Event


class OpenEntry(Message):
    """Open an entry in the journal screen (``line``: 1-based line of the file)."""

    def __init__(self, rel: str, line: int | None = None) -> None:
        self.rel = rel
        self.line = line
        super().__init__()


class OpenEntity(Message):
    """Show a person/place/topic in the people screen."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__()


class BackendMessage(Message):
    """An event from the backend's thread (opened, progress, indexed, watch state…)."""

    def __init__(self, event: Event) -> None:
        self.event = event
        super().__init__()
