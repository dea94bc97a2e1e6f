"""The model behind Chat and Bridge, and its one-line status in every screen's status bar.

The app holds one :class:`EngineSlot`. The engine is loaded once, lazily (when the Chat or
Bridge screen first mounts, or when an answer needs it), always on a worker thread: a real
model takes seconds. The factory is injectable (``JournalMeApp(engine_factory=…)``), so tests
hand in a tiny GGUF or a fake; by default it is the model the user configured
(:meth:`journal_me.llm.engine.Engine.from_settings`). When it cannot load, chat and bridge run
in *memory-only* mode and the slot keeps the reason to show.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Literal, cast

from rich.text import Text
from textual.message import Message
from textual.widgets import Static

from journal_me.config import Settings

if TYPE_CHECKING:
    from journal_me.modes.common import TalkEngine
    from journal_me.tui.app import JournalMeApp

EngineFactory = Callable[[Settings], "TalkEngine | None"]
SlotState = Literal["idle", "loading", "ready", "memory-only"]

GET_A_MODEL = "journal-me model pull qwen2.5-1.5b"
"""The one command that gets a model (the one ``NO_MODEL_HINT`` names; a test checks)."""


def configured_engine(settings: Settings) -> TalkEngine | None:
    """The model the user configured; raises ``EngineError`` (saying what to do) when none
    loads. Same call as ``journal_me.commands.talk.load_engine``, minus printing to stderr,
    so the TUI can show the reason."""
    from journal_me.llm.engine import Engine

    return Engine.from_settings(settings)


def configured_label(settings: Settings) -> str | None:
    """ "base + adapter version" of the model chats will use, or None when there is none."""
    from journal_me.models import ModelRegistry

    registry = ModelRegistry(settings)
    active = registry.active()
    explicit = settings.llm.base_model
    if explicit is not None:
        _base, adapter = registry.engine_paths()
        name = Path(explicit).expanduser().stem
        version = active.adapter.version if adapter is not None and active.adapter is not None else None
        return name + (f" + {version}" if version else "")
    return active.label if active.base is not None else None


class ModelChanged(Message):
    """The engine slot changed state (loading, ready, memory-only) or the registry was read."""


class EngineSlot:
    """One engine for the app: loaded at most once, from any thread, waited for by workers."""

    def __init__(
        self,
        settings: Settings,
        factory: EngineFactory,
        on_change: Callable[[], object] = lambda: None,
    ) -> None:
        self.settings = settings
        self.factory = factory
        self.on_change = on_change
        self.state: SlotState = "idle"
        self.engine: TalkEngine | None = None
        self.reason = ""  # why memory-only (the factory's error), if it said
        self.loaded_label: str | None = None  # the label of the engine that loaded
        self.configured: str | None = None  # what the registry says (refresh_configured)
        self.registry_error = ""  # why the registry could not be read ("" when it could)
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._closed = False

    # -- loading (blocking: call from thread workers) --------------------------------------
    def claim(self) -> bool:
        """True when the caller should now :meth:`load` (the slot was idle)."""
        with self._lock:
            if self.state != "idle" or self._closed:
                return False
            self.state = "loading"
        self.on_change()
        return True

    def load(self) -> None:
        engine: TalkEngine | None = None
        reason = ""
        try:
            engine = self.factory(self.settings)
        except Exception as exc:  # EngineError or any factory failure: memory-only, say why
            reason = str(exc) or type(exc).__name__
        configured = self._read_configured()
        with self._lock:
            closed = self._closed
            if not closed:
                self.engine = engine
                self.reason = reason
                self.configured = configured
                self.loaded_label = (configured or _engine_name(engine)) if engine is not None else None
                self.state = "ready" if engine is not None else "memory-only"
        if closed:
            _close(engine)
        self._done.set()
        self.on_change()

    def wait(self, timeout: float | None = None) -> TalkEngine | None:
        """The engine once loaded (loading it here if nobody started), or None."""
        if self.claim():
            self.load()
        self._done.wait(timeout)
        return self.engine

    def refresh_configured(self) -> None:
        """Re-read the registry (the active model may have changed: a new adapter)."""
        self.configured = self._read_configured()
        self.on_change()

    def _read_configured(self) -> str | None:
        try:
            label = configured_label(self.settings)
        except Exception as exc:  # a broken registry must not break the status bar: say so
            self.registry_error = f"the model registry is unreadable: {exc} (see `journal-me doctor`)"
            return None
        self.registry_error = ""
        return label

    def reset(self) -> bool:
        """Forget the engine (closing it: blocking, a running answer is stopped first) so the
        next use loads the configured model again. False while a load is under way."""
        with self._lock:
            if self.state == "loading" or self._closed:
                return False
            engine, self.engine = self.engine, None
            self.state = "idle"
            self.reason = ""
            self.loaded_label = None
            self._done = threading.Event()
        _close(engine)
        self.on_change()
        return True

    def close(self) -> None:
        with self._lock:
            self._closed = True
            engine, self.engine = self.engine, None
        _close(engine)
        self._done.set()

    # -- for the UI ------------------------------------------------------------------------
    @property
    def memory_only(self) -> bool:
        return self.state == "memory-only"

    @property
    def failure(self) -> str:
        """Why a configured model did not load ("" when there simply is none)."""
        reason = self.reason.strip()
        if self.registry_error:  # "no model" would hide a broken registry.json
            return self.registry_error
        return "" if not reason or reason.lower().startswith("no model") else reason

    def describe(self) -> str:
        """One line for the status bar."""
        if self.state == "loading":
            return f"model: loading {self.configured or 'the model'}…"
        if self.state == "ready":
            label = self.loaded_label or "loaded"
            if self.configured and self.configured != label:
                return f"model: {label} ({self.configured} after reload)"
            return f"model: {label}"
        if self.registry_error:
            return "memory-only (model registry unreadable)"
        if self.state == "memory-only":
            return "memory-only"
        return f"model: {self.configured}" if self.configured else "memory-only"


def _engine_name(engine: object) -> str:
    path = getattr(engine, "model_path", None)
    if isinstance(path, Path | str):
        lora = getattr(engine, "lora_path", None)
        return Path(path).stem + (f" + {Path(lora).stem}" if isinstance(lora, Path | str) else "")
    return type(engine).__name__


def _close(engine: object) -> None:
    close = getattr(engine, "close", None)
    if callable(close):
        with contextlib.suppress(Exception):  # closing on the way out must not raise
            close()


def show_model_banner(
    banner: Static, state: str, failure: str | None, *, memory_only: str, loading: str
) -> None:
    """The banner Chat and Bridge show above their work: memory-only (with the one command
    that gets a model, and why a configured one failed) or loading; hidden otherwise."""
    if state == "memory-only":
        text = Text()
        text.append("Memory-only mode", style="bold")
        text.append(f": {memory_only} Get a model: ")
        text.append(GET_A_MODEL, style="bold")
        if failure:
            text.append(f"\n{failure}", style="dim")
        banner.update(text)
    elif state == "loading":
        banner.update(Text(loading, style="dim"))
    banner.display = state in {"memory-only", "loading"}
    banner.set_class(state == "memory-only", "-memory-only")


class ModelStatus(Static):
    """The model in use, always visible: ``model: base + adapter`` or ``memory-only``."""

    def on_mount(self) -> None:
        app = cast("JournalMeApp", self.app)
        self.watch(app, "model_status", self._show, init=True)

    def _show(self, value: str) -> None:
        self.set_class(value == "memory-only", "-memory-only")
        self.update(Text(value))
