"""Bridge: your second me toward the world. Paste what came in, pick an action and a role,
and get a draft in your voice — editable in place, copied with one key, saved to a file.

* *reply*: a message someone sent → a reply; *enhance*: a short request → a rich
  first-person one for an expert or another AI; *critic*: an expert's answer → your side's
  critique. Roles (``roles.toml``) set tone, what to share and which memories may be used.
* The draft streams into a ``TextArea`` (read-only while it streams, yours once done). The
  reasoning goes into a collapsed panel and never into the copy or the file.
* The memories shared with the model are listed, so you see what was used; private entries
  never are (the core's privacy fence: ``journal_me.modes.bridge.bridge_memories``).
* Copy: Textual's ``copy_to_clipboard`` (OSC 52, works over SSH) first, then a native tool
  (``journal_me.clipboard.copy_native``) in local sessions only.
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
from textual.widgets import Button, Collapsible, Input, Label, Markdown, Select, Static, TextArea
from textual.widgets.markdown import MarkdownStream

from journal_me.clipboard import copy_native, native_tool
from journal_me.exports import resolve_output, unused_path
from journal_me.termsafe import clean
from journal_me.tui.screens.base import MainScreen
from journal_me.tui.talk_stream import TalkEventArrived, TalkFailed, TalkFinished, TalkStream, pump
from journal_me.tui.widgets.chat_log import CitationList
from journal_me.tui.widgets.model_status import show_model_banner
from journal_me.tui.widgets.safe_text_area import SafeTextArea
from journal_me.tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from journal_me.modes.common import TalkEvent
    from journal_me.roles import Role

ACTIONS: tuple[tuple[str, str, str, str], ...] = (
    # action, label, what goes in, placeholder
    ("reply", "Reply", "Their message", "Paste the message someone sent you…"),
    ("enhance", "Enhance", "My short request", "e.g. ask for advice on my knee"),
    ("critic", "Critic", "The expert's answer", "Paste the answer an expert (or an AI) gave you…"),
)
DEFAULT_ROLE = "social"


@dataclass(frozen=True)
class DraftRequest:
    id: int
    action: str
    role: Role
    incoming: str
    cancel: threading.Event = field(default_factory=threading.Event)


class BridgeScreen(ReportsWorkerErrors, MainScreen):
    MODE = "bridge"
    AUTO_FOCUS = "#bridge-incoming"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "draft", "Draft", id="bridge-draft", priority=True),
        Binding("f6", "copy_draft", "Copy", id="bridge-copy", priority=True),
        Binding("ctrl+s", "save_draft", "Save", id="bridge-save", priority=True),
        Binding("escape", "stop", "Stop", id="bridge-stop"),
    ]

    class _Roles(Message):
        def __init__(self, roles: dict[str, Role], error: str | None) -> None:
            self.roles, self.error = roles, error
            super().__init__()

    class _Saved(Message):
        def __init__(self, path: Path, error: str | None) -> None:
            self.path, self.error = path, error
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self.roles: dict[str, Role] = {}
        self._stream: TalkStream[DraftRequest] = TalkStream()
        self._withheld = ""  # the core's "notice": memories the role withheld, and why
        self._reasoning_stream: MarkdownStream | None = None
        self.reasoning = ""
        self.last_saved: Path | None = None
        self.last_native_copy: bool | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="bridge-body"):
            with Vertical(id="bridge-left"):
                with Horizontal(id="bridge-controls"):
                    yield Select(
                        [(label, action) for action, label, _what, _hint in ACTIONS],
                        value="reply",
                        allow_blank=False,
                        id="bridge-action",
                    )
                    yield Select([], prompt="role", id="bridge-role")
                    yield Button("Draft", variant="primary", id="bridge-go", compact=True)
                yield Static(id="bridge-role-note")
                yield Label("Their message", id="bridge-incoming-label", classes="panel-title")
                yield SafeTextArea(id="bridge-incoming", soft_wrap=True, show_line_numbers=False)
                yield Label("Memories shared with the model", classes="panel-title")
                yield Static(id="bridge-memories-note")
                yield CitationList(id="bridge-memories")
            with Vertical(id="bridge-right"):
                with Horizontal(id="bridge-draft-head"):
                    yield Label("Draft — yours to edit", classes="panel-title")
                    yield Static(id="bridge-status")
                yield Static(id="bridge-banner")
                yield SafeTextArea(id="bridge-draft", soft_wrap=True, show_line_numbers=False)
                with Collapsible(title="Reasoning (never copied)", collapsed=True, id="bridge-reasoning-box"):
                    yield Markdown(id="bridge-reasoning")
                with Horizontal(id="bridge-save-row"):
                    yield Input(id="bridge-path")
                    yield Button("Copy", id="bridge-copy-button", compact=True)
                    yield Button("Save", id="bridge-save-button", compact=True)

    def on_mount(self) -> None:
        jm = self.jm
        jm.main_screens[self.MODE] = self
        jm.engine_changed.subscribe(self, self._engine_changed)
        self.query_one("#bridge-reasoning-box", Collapsible).display = False
        self._set_action_labels("reply")
        self._memories_note(None)
        self._update_path_placeholder()
        jm.ensure_engine()
        self._engine_changed(jm.engine_slot.state)
        self._load_roles()

    def on_screen_resume(self) -> None:
        self.jm.refresh_model_status()

    def on_unmount(self) -> None:
        self._stream.abandon()

    # -- parts -----------------------------------------------------------------------------
    @property
    def action(self) -> str:
        value = self.query_one("#bridge-action", Select).value
        return value if isinstance(value, str) else "reply"

    @property
    def role(self) -> Role | None:
        value = self.query_one("#bridge-role", Select).value
        return self.roles.get(value) if isinstance(value, str) else None

    @property
    def draft_area(self) -> TextArea:
        return self.query_one("#bridge-draft", TextArea)

    @property
    def generating(self) -> bool:
        return self._stream.running

    def _status(self, text: str) -> None:
        self.query_one("#bridge-status", Static).update(Text(text, style="dim"))

    def _engine_changed(self, state: str) -> None:
        show_model_banner(
            self.query_one("#bridge-banner", Static),
            state,
            self.jm.engine_slot.failure,
            memory_only="no model to write the draft; you get what your journal says that may help.",
            loading="Loading the model…",
        )

    # -- roles -----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="bridge-roles", exit_on_error=False)
    def _load_roles(self) -> None:
        from journal_me.roles import RoleError, load_roles

        try:
            roles = load_roles(self.jm.settings.roles_file)
            error = None
        except RoleError as exc:
            roles = load_roles(None)  # the built-in ones; say what is wrong with the user's
            error = str(exc)
        self.post_message(self._Roles(roles, error))

    @on(_Roles)
    def _roles_loaded(self, msg: _Roles) -> None:
        self.roles = msg.roles
        if msg.error:
            self.notify(msg.error, title="roles.toml", severity="warning", timeout=15, markup=False)
        select = self.query_one("#bridge-role", Select)
        select.set_options([(name, name) for name in sorted(msg.roles)])
        if msg.roles:
            select.value = DEFAULT_ROLE if DEFAULT_ROLE in msg.roles else sorted(msg.roles)[0]

    @on(Select.Changed, "#bridge-role")
    def _role_changed(self, event: Select.Changed) -> None:
        event.stop()
        role = self.role
        note = Text(no_wrap=False)
        if role is not None:
            note.append(role.description or role.name, style="italic")
            note.append(f"  ·  tone: {role.tone}", style="dim")
            if role.include_tags:
                note.append(f"  ·  only #{' #'.join(role.include_tags)}", style="dim")
        self.query_one("#bridge-role-note", Static).update(note)
        self._update_path_placeholder()

    @on(Select.Changed, "#bridge-action")
    def _action_changed(self, event: Select.Changed) -> None:
        event.stop()
        if isinstance(event.value, str):
            self._set_action_labels(event.value)
        self._update_path_placeholder()

    def _set_action_labels(self, action: str) -> None:
        for name, _label, what, hint in ACTIONS:
            if name == action:
                self.query_one("#bridge-incoming-label", Label).update(what)
                self.query_one("#bridge-incoming", TextArea).placeholder = hint

    def action_set_action(self, action: str) -> None:
        """Palette: "bridge: reply" & co — pick the action, then paste."""
        if action in {a for a, *_ in ACTIONS}:
            self.query_one("#bridge-action", Select).value = action
            self._set_action_labels(action)
        self.query_one("#bridge-incoming", TextArea).focus()

    # -- drafting --------------------------------------------------------------------------
    @on(Button.Pressed, "#bridge-go")
    def _go(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_draft()

    def action_draft(self) -> None:
        if self.generating:
            self.notify("Still drafting — esc stops it.", markup=False)
            return
        incoming = self.query_one("#bridge-incoming", TextArea).text
        if not incoming.strip():
            self.notify("Paste the message, request or answer first.", markup=False)
            self.query_one("#bridge-incoming", TextArea).focus()
            return
        role = self.role
        if role is None:
            self.notify("Pick a role first.", markup=False)
            return
        if self.jm.journal is None:
            self.notify("The vault is still opening; try again in a moment.", markup=False)
            return
        request = self._stream.start(DraftRequest(self._stream.next_id(), self.action, role, incoming))
        draft = self.draft_area
        draft.text = ""
        draft.read_only = True
        self.reasoning = ""
        self._reasoning_stream = None
        box = self.query_one("#bridge-reasoning-box", Collapsible)
        box.display = False
        box.title = "Reasoning (never copied)"
        self.query_one("#bridge-reasoning", Markdown).update("")
        self.query_one("#bridge-memories", CitationList).set_citations([])
        self._memories_note(None)
        self._status("remembering…")
        self._draft(request)

    @work(thread=True, exclusive=True, group="bridge-draft", exit_on_error=False)
    def _draft(self, request: DraftRequest) -> None:
        from journal_me.conversations import ConversationStore
        from journal_me.modes.bridge import BridgeSession
        from journal_me.profile import Profile

        jm = self.jm
        settings = jm.settings

        def talk() -> Iterator[TalkEvent]:
            journal = jm.journal
            if journal is None:
                raise RuntimeError("the vault is not open")
            engine = jm.engine_slot.wait()
            store = ConversationStore(settings.conversations_file, save=settings.save_conversations)
            try:
                profile = Profile.load(settings.profile_file)
                session = BridgeSession(
                    journal,
                    engine,
                    store,
                    profile_text=profile.prompt_text() if profile else None,
                    name=settings.name,
                    today=jm.today,
                    max_tokens=settings.llm.max_tokens,
                )
                yield from session.draft(
                    request.action, request.incoming, request.role, cancel=request.cancel
                )
            finally:
                store.close()

        pump(self, request.id, talk)

    @on(TalkEventArrived)
    async def _event(self, msg: TalkEventArrived) -> None:
        if not self._stream.is_current(msg.request):
            return
        event = msg.event
        draft = self.draft_area
        if event.kind == "memories":
            self.query_one("#bridge-memories", CitationList).set_citations(event.citations)
            n = len(event.citations)
            self._memories_note(n)
            self._status(f"{n} memor{'y' if n == 1 else 'ies'} · thinking…")
        elif event.kind == "reasoning":
            box = self.query_one("#bridge-reasoning-box", Collapsible)
            if self._reasoning_stream is None:
                box.display = True
                box.title = "Reasoning (never copied) — thinking…"
                self._reasoning_stream = Markdown.get_stream(self.query_one("#bridge-reasoning", Markdown))
            self.reasoning += event.text
            await self._reasoning_stream.write(event.text)
        elif event.kind == "answer":
            self._status("drafting…")
            draft.insert(event.text, draft.document.end)
        elif event.kind == "done":
            if self._reasoning_stream is not None:
                await self._reasoning_stream.stop()
                self._reasoning_stream = None
            self.reasoning = event.reasoning
            box = self.query_one("#bridge-reasoning-box", Collapsible)
            box.title = "Reasoning (never copied)"
            box.display = bool(event.reasoning)
            await self.query_one("#bridge-reasoning", Markdown).update(event.reasoning)
            draft.text = event.answer  # one full update: exactly the draft the core saved
            if event.cancelled:
                self._status("stopped — the partial draft is kept")
            elif event.memory_only:
                self._status("memory-only: what your journal says")
            else:
                self._status("done — edit it, F6 copies, ctrl+s saves")
        elif event.kind == "notice" and event.text:  # "3 memories withheld: 2 about health…"
            self._withheld = event.text
            self._memories_note(len(self.query_one("#bridge-memories", CitationList).citations))
        elif event.kind == "error":
            self._status(f"failed: {event.text}")

    @on(TalkFailed)
    def _failed(self, msg: TalkFailed) -> None:
        if self._stream.is_current(msg.request):
            self._status("failed")
            self.notify(msg.text, title="Bridge", severity="error", timeout=15, markup=False)

    @on(TalkFinished)
    async def _finished(self, msg: TalkFinished) -> None:
        if not self._stream.finish(msg.request):
            return
        if self._reasoning_stream is not None:
            await self._reasoning_stream.stop()
            self._reasoning_stream = None
        self.draft_area.read_only = False

    def _memories_note(self, n: int | None) -> None:
        if n is None:
            self._withheld = ""
            text = Text("Private entries are never used.", style="dim")
        elif n:
            text = Text(f"{n} shared (never private entries) — select one to open it.", style="dim")
        else:
            text = Text("None matched: the draft draws on your profile only.", style="dim")
        if self._withheld:  # what the role kept back, and why (the CLI prints the same line)
            text.append("\n" + clean(self._withheld), style="dim")
        self.query_one("#bridge-memories-note", Static).update(text)

    def action_stop(self) -> None:
        """Esc: stop the draft being written (what was written stays)."""
        if self._stream.stop():
            self._status("stopping…")

    # -- copy ------------------------------------------------------------------------------
    @on(Button.Pressed, "#bridge-copy-button")
    def _copy_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_copy_draft()

    def action_copy_draft(self) -> None:
        """One key: the draft (never the reasoning) to the clipboard, with a confirmation."""
        text = self.draft_area.text
        if not text.strip():
            self.notify("No draft to copy yet (F5 drafts).", markup=False)
            return
        self.app.copy_to_clipboard(text)  # OSC 52: the terminal's clipboard, also over SSH
        local = native_tool() is not None  # None over SSH, or with no tool here
        self.notify(
            f"Draft copied to the clipboard ({len(text)} characters).",
            title="Copied",
            markup=False,
        )
        if local:
            self._copy_native(text)

    @work(thread=True, exclusive=True, group="bridge-copy", exit_on_error=False)
    def _copy_native(self, text: str) -> None:
        # some terminals ignore OSC 52 silently; in a local session a native tool makes sure
        self.last_native_copy = copy_native(text)

    # -- save ------------------------------------------------------------------------------
    def drafts_dir(self) -> Path:
        return self.jm.settings.vault_data_dir / "drafts"

    def default_draft_path(self) -> Path:
        role = self.role.name if self.role is not None else "draft"
        today: dt.date = self.jm.today()
        return self.drafts_dir() / f"{today.isoformat()}-{self.action}-{role}.md"

    def _update_path_placeholder(self) -> None:
        self.query_one("#bridge-path", Input).placeholder = f"save to: {self.default_draft_path()}"

    @on(Button.Pressed, "#bridge-save-button")
    def _save_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.action_save_draft()

    @on(Input.Submitted, "#bridge-path")
    def _path_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_save_draft()

    def action_save_draft(self) -> None:
        text = self.draft_area.text
        if not text.strip():
            self.notify("No draft to save yet (F5 drafts).", markup=False)
            return
        typed = self.query_one("#bridge-path", Input).value.strip()
        self._save(text, typed, self.default_draft_path())

    @work(thread=True, exclusive=True, group="bridge-save", exit_on_error=False)
    def _save(self, text: str, typed: str, default: Path) -> None:
        from journal_me.exports import OutputError, OutputExistsError, write_output

        path = resolve_output(typed, self.drafts_dir()) if typed else unused_path(default)
        try:
            # the CLI's rules: not into the vault, not over a file (bar the one this screen
            # saved last: saving an edited draft again updates it), atomic, owner-only
            write_output(
                path,
                text.rstrip("\n") + "\n",
                vault=self.jm.settings.vault,
                force=path == self.last_saved,
                make_parents=path.is_relative_to(self.drafts_dir()),
            )
        except OutputExistsError:
            self.post_message(self._Saved(path, "it already exists; type another name"))
            return
        except OutputError as exc:
            self.post_message(self._Saved(path, str(exc)))
            return
        self.post_message(self._Saved(path, None))

    @on(_Saved)
    def _saved(self, msg: _Saved) -> None:
        if msg.error:
            self.notify(f"Cannot write {msg.path}: {msg.error}", severity="error", markup=False)
            return
        self.last_saved = msg.path
        self.notify(f"Draft saved to {msg.path}", title="Saved", markup=False)
