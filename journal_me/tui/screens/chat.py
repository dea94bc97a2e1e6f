"""Chat: talk with your past self, grounded in your journal, optionally "as of" a date.

Saved conversations on the left (new, reopen, rename, delete, export to markdown), the
conversation on the right, the question box at the bottom (enter sends, esc stops).

Every blocking step runs in a thread worker that reports with messages: loading the model
(the app's :class:`~journal_me.tui.widgets.model_status.EngineSlot`), retrieval and
generation (:meth:`journal_me.modes.chat.ChatSession.ask`, one exclusive group), the
conversation store, and reading the as-of date (``dateparser`` is slow to import). Each ask
builds its ``ChatSession`` from the stored conversation, so no session object is shared
between threads. Esc sets the ask's ``threading.Event``: the core keeps and saves the
partial answer, marked.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Button, Input, Label, OptionList, Static

from journal_me.exports import resolve_output, unused_path
from journal_me.tui.screens.base import MainScreen
from journal_me.tui.talk_stream import (
    TalkAborted,
    TalkEventArrived,
    TalkFailed,
    TalkFinished,
    TalkStream,
    pump,
)
from journal_me.tui.widgets.ask_dialog import AskDialog
from journal_me.tui.widgets.chat_log import AnswerTurn, ChatLog, citations_from_json
from journal_me.tui.widgets.model_status import show_model_banner
from journal_me.tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from journal_me.conversations import Conversation, ConversationStore, StoredMessage
    from journal_me.modes.common import TalkEvent

AS_OF_DEBOUNCE = 0.3


@dataclass(frozen=True)
class AskRequest:
    id: int
    question: str
    as_of_text: str
    conversation_id: int | None
    cancel: threading.Event = field(default_factory=threading.Event)


class ChatList(OptionList):
    """The saved conversations, newest first; enter or a click reopens one."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "screen.rename_conversation", "Rename", id="chat-rename"),
        Binding("delete,d", "screen.delete_conversation", "Delete", id="chat-delete"),
        Binding("e", "screen.export_conversation", "Export", id="chat-export"),
    ]


class ChatScreen(ReportsWorkerErrors, MainScreen):
    MODE = "chat"
    AUTO_FOCUS = "#chat-input"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "stop", "Stop", id="chat-stop"),
        Binding("f5", "new_conversation", "New chat", id="chat-new", priority=True),
        Binding("f6", "edit_profile", "Profile", id="chat-profile", priority=True),
        Binding("ctrl+b", "toggle_list", "Chats", id="chat-toggle-list", show=False),
    ]

    # -- messages from the workers ---------------------------------------------------------
    class _Listed(Message):
        def __init__(self, conversations: list[Conversation]) -> None:
            self.conversations = conversations
            super().__init__()

    class _Opened(Message):
        def __init__(self, conversation: Conversation, messages: list[StoredMessage]) -> None:
            self.conversation, self.messages = conversation, messages
            super().__init__()

    class _AsOf(Message):
        def __init__(self, text: str, day: dt.date | None, error: str | None) -> None:
            self.text, self.day, self.error = text, day, error
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self.store: ConversationStore | None = None
        self._store_lock = threading.Lock()
        self.conversations: list[Conversation] = []
        self.conversation_id: int | None = None
        self.conversation_as_of: dt.date | None = None
        self.as_of: dt.date | None = None  # the picker's date, once read
        self._stream: TalkStream[AskRequest] = TalkStream()
        self._turn: AnswerTurn | None = None
        self._as_of_timer: Timer | None = None
        self.last_export: Path | None = None

    def layout_changed(self, narrow: bool) -> None:
        """Narrow: the list of conversations hides (ctrl+b shows it)."""
        self.query_one("#chat-side").display = not narrow

    def action_toggle_list(self) -> None:
        side = self.query_one("#chat-side")
        side.display = not side.display

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="chat-body"):
            with Vertical(id="chat-side"):
                yield Label("Conversations", classes="panel-title")
                yield ChatList(id="chat-list", markup=False)
                with Horizontal(id="chat-list-buttons"):
                    yield Button("New", id="chat-new-button", compact=True)
                    yield Button("Rename", id="chat-rename-button", compact=True)
                    yield Button("Delete", id="chat-delete-button", compact=True)
                    yield Button("Export", id="chat-export-button", compact=True)
            with Vertical(id="chat-main"):
                with Horizontal(id="chat-bar"):
                    yield Static(id="as-of-note")
                    yield Input(placeholder="as of: e.g. June 2025", id="as-of")
                    yield Button("Today", id="as-of-clear", compact=True)
                yield Static(id="chat-banner")
                yield ChatLog(id="chat-log")
                yield Input(placeholder="Ask your past self…  (enter sends · esc stops)", id="chat-input")

    def on_mount(self) -> None:
        jm = self.jm
        jm.main_screens[self.MODE] = self
        jm.engine_changed.subscribe(self, self._engine_changed)
        self.query_one("#chat-banner", Static).display = False
        self._show_as_of()
        jm.ensure_engine()
        self._engine_changed(jm.engine_slot.state)
        self._list()

    def on_screen_resume(self) -> None:
        self.jm.refresh_model_status()

    def on_unmount(self) -> None:
        self._stream.abandon()
        with self._store_lock:
            if self.store is not None:
                self.store.close()
                self.store = None

    @property
    def log_view(self) -> ChatLog:
        return self.query_one(ChatLog)

    @property
    def generating(self) -> bool:
        return self._stream.running

    # -- the model -------------------------------------------------------------------------
    def _engine_changed(self, state: str) -> None:
        show_model_banner(
            self.query_one("#chat-banner", Static),
            state,
            self.jm.engine_slot.failure,
            memory_only="no model, so answers are your journal's own passages, labelled.",
            loading="Loading the model… you can ask already; the answer waits for it.",
        )

    # -- the store (blocking: call from workers) -------------------------------------------
    def _ensure_store(self) -> ConversationStore:
        from journal_me.conversations import ConversationStore

        with self._store_lock:
            if self.store is None:
                self.store = ConversationStore(
                    self.jm.settings.conversations_file, save=self.jm.settings.save_conversations
                )
            return self.store

    @work(thread=True, exclusive=True, group="chat-list", exit_on_error=False)
    def _list(self) -> None:
        self._post_list()

    def _post_list(self) -> None:
        self.post_message(self._Listed(self._ensure_store().conversations("chat")))

    @on(_Listed)
    def _listed(self, msg: _Listed) -> None:
        self.conversations = msg.conversations
        chats = self.query_one("#chat-list", ChatList)
        prompts: list[Text] = []
        for c in msg.conversations:
            text = Text(no_wrap=True, overflow="ellipsis")
            text.append(c.title or "(untitled)")
            text.append(f"\n{c.updated[:10]}", style="dim")
            if c.as_of:
                text.append(f"  as of {c.as_of.isoformat()}", style="dim italic")
            prompts.append(text)
        chats.set_options(prompts or [Text("no saved chats yet", style="dim italic")])
        index = self._index_of(self.conversation_id)
        chats.highlighted = index

    def _index_of(self, cid: int | None) -> int | None:
        return next((i for i, c in enumerate(self.conversations) if c.id == cid), None)

    def _target(self) -> Conversation | None:
        """The conversation a list action applies to: the highlighted one, else the open one."""
        chats = self.query_one("#chat-list", ChatList)
        index = chats.highlighted
        if index is not None and 0 <= index < len(self.conversations):
            return self.conversations[index]
        current = self._index_of(self.conversation_id)
        return self.conversations[current] if current is not None else None

    # -- asking ----------------------------------------------------------------------------
    @on(Input.Submitted, "#chat-input")
    async def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        question = event.value.strip()
        if not question:
            return
        if self.generating:
            self.notify("Still answering — esc stops it.", markup=False)
            return
        if self.jm.journal is None:
            self.notify("The vault is still opening; ask again in a moment.", markup=False)
            return
        event.input.value = ""
        await self.ask(question)

    async def ask(self, question: str) -> None:
        """Send ``question`` (as typed in the box) with the picker's as-of date."""
        log = self.log_view
        await log.add_question(question)
        self._turn = await log.add_answer(streaming=True, memory_only=self.jm.engine_slot.memory_only)
        request = AskRequest(
            self._stream.next_id(),
            question,
            self.query_one("#as-of", Input).value.strip(),
            self.conversation_id,
        )
        self._stream.start(request)
        self.query_one("#chat-input", Input).placeholder = "Answering…  (esc stops)"
        self._ask(request)

    @work(thread=True, exclusive=True, group="chat-answer", exit_on_error=False)
    def _ask(self, request: AskRequest) -> None:
        from journal_me.dates import DateParseError, parse_day
        from journal_me.modes.chat import ChatOptions, ChatSession
        from journal_me.profile import Profile

        jm = self.jm
        settings = jm.settings
        conversation_id = request.conversation_id

        def talk() -> Iterator[TalkEvent]:
            nonlocal conversation_id
            as_of = None
            if request.as_of_text:
                try:
                    as_of = parse_day(request.as_of_text, jm.today(), end_of_period=True)
                except DateParseError as exc:
                    raise TalkAborted(f"as of: {exc}") from exc
            journal = jm.journal
            if journal is None:
                raise RuntimeError("the vault is not open")
            engine = jm.engine_slot.wait()
            store = self._ensure_store()
            conversation = store.get(conversation_id) if conversation_id is not None else None
            profile = Profile.load(settings.profile_file)
            session = ChatSession(
                journal,
                engine,
                store,
                conversation,
                profile_text=profile.prompt_text() if profile else None,
                name=settings.name,
                today=jm.today,
                options=ChatOptions(max_tokens=settings.llm.max_tokens),
            )
            yield from session.ask(request.question, as_of=as_of, cancel=request.cancel)
            if session.conversation is not None:
                conversation_id = session.conversation.id

        pump(self, request.id, talk, lambda: conversation_id)

    def _current(self, request: int) -> AnswerTurn | None:
        if not self._stream.is_current(request):
            return None  # an answer we walked away from (new chat, reopened another)
        return self._turn

    @on(TalkEventArrived)
    async def _event(self, msg: TalkEventArrived) -> None:
        turn = self._current(msg.request)
        if turn is None:
            return
        event = msg.event
        if event.kind == "memories":
            turn.show_memories(event.citations, memory_only=self.jm.engine_slot.memory_only)
        elif event.kind == "reasoning":
            await turn.add_reasoning(event.text)
        elif event.kind == "answer":
            await turn.add_answer(event.text)
        elif event.kind == "done":
            await turn.finish(
                answer=event.answer,
                reasoning=event.reasoning,
                citations=event.citations,
                cancelled=event.cancelled,
                memory_only=event.memory_only,
            )
        elif event.kind == "error":
            await turn.fail(event.text)
        elif event.kind == "notice" and event.text:
            self.notify(event.text, markup=False)

    @on(TalkFailed)
    async def _failed(self, msg: TalkFailed) -> None:
        turn = self._current(msg.request)
        if turn is not None:
            await turn.fail(msg.text)

    @on(TalkFinished)
    def _finished(self, msg: TalkFinished) -> None:
        if not self._stream.finish(msg.request):
            self._list()  # an abandoned answer still saved its turn
            return
        self._turn = None
        self.query_one("#chat-input", Input).placeholder = "Ask your past self…  (enter sends · esc stops)"
        if isinstance(msg.result, int) and self.conversation_id != msg.result:
            self.conversation_id = msg.result
        self._list()

    def action_stop(self) -> None:
        """Esc: stop the answer being written (it is kept); otherwise back to the question."""
        if self._stream.stop():
            if self._turn is not None:
                self._turn.set_status("stopping…")
            return
        self.query_one("#chat-input", Input).focus()

    # -- conversations ---------------------------------------------------------------------
    def _abandon(self) -> None:
        """Stop the answer in progress (it is saved, stopped) and stop listening to it."""
        self._stream.abandon()
        self._turn = None
        self.query_one("#chat-input", Input).placeholder = "Ask your past self…  (enter sends · esc stops)"

    async def action_new_conversation(self) -> None:
        self._abandon()
        self.conversation_id = None
        self.conversation_as_of = None
        await self.log_view.clear()
        self.query_one("#chat-list", ChatList).highlighted = None
        self._show_as_of()
        self.query_one("#chat-input", Input).focus()

    @on(OptionList.OptionSelected, "#chat-list")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        if 0 <= event.option_index < len(self.conversations):
            self.open_conversation(self.conversations[event.option_index].id)

    def open_conversation(self, cid: int) -> None:
        self._abandon()
        self._open(cid)

    @work(thread=True, exclusive=True, group="chat-open", exit_on_error=False)
    def _open(self, cid: int) -> None:
        store = self._ensure_store()
        try:
            conversation = store.get(cid)
        except KeyError:
            self.app.call_from_thread(self.notify, "That conversation is gone.", markup=False)
            self._post_list()
            return
        self.post_message(self._Opened(conversation, store.messages(cid)))

    @on(_Opened)
    async def _opened(self, msg: _Opened) -> None:
        self.conversation_id = msg.conversation.id
        self.conversation_as_of = msg.conversation.as_of
        log = self.log_view
        await log.clear()
        for m in msg.messages:
            if m.role == "user":
                await log.add_question(m.content)
            else:
                await log.add_answer(
                    answer=m.content, reasoning=m.reasoning, citations=citations_from_json(m.citations)
                )
        as_of = msg.conversation.as_of
        self.query_one("#as-of", Input).value = as_of.isoformat() if as_of else ""
        self._show_as_of()
        chats = self.query_one("#chat-list", ChatList)
        chats.highlighted = self._index_of(msg.conversation.id)
        log.scroll_end(animate=False)
        self.query_one("#chat-input", Input).focus()

    @on(Button.Pressed, "#chat-list-buttons Button")
    async def _list_button(self, event: Button.Pressed) -> None:
        event.stop()
        action = (event.button.id or "").removeprefix("chat-").removesuffix("-button")
        if action == "new":
            await self.action_new_conversation()
        elif action == "rename":
            self.action_rename_conversation()
        elif action == "delete":
            self.action_delete_conversation()
        elif action == "export":
            self.action_export_conversation()

    def _need_target(self) -> Conversation | None:
        target = self._target()
        if target is None:
            self.notify("No conversation selected (ask something first, or pick one).", markup=False)
        return target

    def action_rename_conversation(self) -> None:
        target = self._need_target()
        if target is None:
            return

        def renamed(title: str | None) -> None:
            if title is not None and title.strip():
                self._rename(target.id, title.strip())

        self.app.push_screen(AskDialog("Rename conversation", value=target.title, yes="Rename"), renamed)

    @work(thread=True, group="chat-store", exit_on_error=False)
    def _rename(self, cid: int, title: str) -> None:
        self._ensure_store().rename(cid, title)
        self._post_list()

    def action_delete_conversation(self) -> None:
        target = self._need_target()
        if target is None:
            return

        def confirmed(answer: str | None) -> None:
            if answer is not None:
                self._delete(target.id)
                if target.id == self.conversation_id:
                    self.call_later(self.action_new_conversation)

        self.app.push_screen(
            AskDialog("Delete conversation", f"“{target.title}” will be deleted for good.", yes="Delete"),
            confirmed,
        )

    @work(thread=True, group="chat-store", exit_on_error=False)
    def _delete(self, cid: int) -> None:
        self._ensure_store().delete(cid)
        self._post_list()

    def export_dir(self) -> Path:
        return self.jm.settings.vault_data_dir / "exports"

    def action_export_conversation(self) -> None:
        from journal_me.exports import export_filename

        target = self._need_target()
        if target is None:
            return
        default = self.export_dir() / export_filename(target.created, target.title)

        def chosen(path: str | None) -> None:
            if path is not None and path.strip():
                self._export(target.id, path.strip())

        self.app.push_screen(
            AskDialog(
                "Export to markdown",
                f"A path (relative paths go under {self.export_dir()}):",
                value=str(unused_path(default)),
                yes="Export",
            ),
            chosen,
        )

    @work(thread=True, group="chat-store", exit_on_error=False)
    def _export(self, cid: int, typed: str) -> None:
        from journal_me.exports import OutputError, OutputExistsError, write_output

        text = self._ensure_store().export_markdown(cid)
        path = resolve_output(typed, self.export_dir())
        try:
            # the CLI's rules: not into the vault, not over a file, atomic, owner-only
            write_output(
                path, text, vault=self.jm.settings.vault, make_parents=path.is_relative_to(self.export_dir())
            )
        except OutputError as exc:
            reason = (
                f"{path} already exists: type another name"
                if isinstance(exc, OutputExistsError)
                else str(exc)
            )
            self.app.call_from_thread(self.notify, f"Not exported: {reason}", severity="error", markup=False)
            return
        self.app.call_from_thread(self.notify, f"Exported to {path}", title="Chat", markup=False)
        self.last_export = path

    # -- as of -----------------------------------------------------------------------------
    @on(Input.Changed, "#as-of")
    def _as_of_changed(self, event: Input.Changed) -> None:
        event.stop()
        if self._as_of_timer is not None:
            self._as_of_timer.stop()
        self._as_of_timer = self.set_timer(AS_OF_DEBOUNCE, lambda: self._read_as_of(event.value))

    @on(Input.Submitted, "#as-of")
    def _as_of_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if self._as_of_timer is not None:
            self._as_of_timer.stop()
        self._read_as_of(event.value)
        self.query_one("#chat-input", Input).focus()

    @on(Button.Pressed, "#as-of-clear")
    def _as_of_clear(self, event: Button.Pressed) -> None:
        event.stop()
        self.query_one("#as-of", Input).value = ""

    @work(thread=True, exclusive=True, group="chat-as-of", exit_on_error=False)
    def _read_as_of(self, text: str) -> None:
        from journal_me.dates import DateParseError, parse_day

        text = text.strip()
        if not text:
            self.post_message(self._AsOf(text, None, None))
            return
        try:
            day = parse_day(text, self.jm.today(), end_of_period=True)
        except DateParseError as exc:
            self.post_message(self._AsOf(text, None, str(exc)))
            return
        self.post_message(self._AsOf(text, day, None))

    @on(_AsOf)
    def _as_of_read(self, msg: _AsOf) -> None:
        picker = self.query_one("#as-of", Input)
        if picker.value.strip() != msg.text:
            return  # typed on since
        picker.set_class(msg.error is not None, "-invalid")
        self.as_of = msg.day
        self._show_as_of(msg.error)

    def _show_as_of(self, error: str | None = None) -> None:
        note = self.query_one("#as-of-note", Static)
        text = Text(no_wrap=True, overflow="ellipsis")
        if error:
            text.append(error, style="bold")
        elif self.as_of is not None:
            text.append(f"as of {self.as_of.isoformat()}", style="bold")
            text.append(" — I remember nothing after that day", style="dim")
        elif self.conversation_as_of is not None:
            text.append(f"as of {self.conversation_as_of.isoformat()}", style="bold")
            text.append(" (this chat's date; F5 starts a chat with today's me)", style="dim")
        else:
            text.append("talking to me as of today", style="dim")
        note.update(text)

    # -- profile ---------------------------------------------------------------------------
    def action_edit_profile(self) -> None:
        from journal_me.tui.screens.profile import ProfileScreen

        self.app.push_screen(ProfileScreen())
