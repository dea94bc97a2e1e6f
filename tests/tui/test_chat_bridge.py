"""The Chat and Bridge screens: memory-only mode on the sample vault, a real llama.cpp engine
on a tiny GGUF built here (streaming, esc cancels), a fake engine for exact reasoning/answer
rendering, saved conversations, as-of, the profile, copy (``app.clipboard``, never the real
clipboard) and save. The engine is injected (``JournalMeApp(engine_factory=…)``); nothing is
registered, nothing touches the network."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from textual.widgets import Collapsible, Input, Static, TextArea

from journal_me.config import Settings
from journal_me.conversations import ConversationStore
from journal_me.llm.reasoning import ReasoningEvent, ReasoningSplitter
from journal_me.modes.common import NO_MODEL_HINT
from journal_me.profile import Profile
from journal_me.tui.app import JournalMeApp, bindable_classes
from journal_me.tui.keys import binding_ids, help_rows
from journal_me.tui.screens.bridge import BridgeScreen
from journal_me.tui.screens.chat import ChatList, ChatScreen
from journal_me.tui.screens.journal import JournalScreen
from journal_me.tui.screens.profile import ProfileScreen
from journal_me.tui.widgets.ask_dialog import AskDialog
from journal_me.tui.widgets.chat_log import AnswerTurn, CitationList
from journal_me.tui.widgets.model_status import GET_A_MODEL

from .conftest import SIZE, TODAY, no_blink, settle, wait_until

Snap = Callable[..., bool]


class FakeEngine:
    """A scripted reply through the real reasoning splitter (deterministic rendering)."""

    def __init__(self, reply: str, *, chunk: int = 4, delay: float = 0.0) -> None:
        self.reply = reply
        self.chunk = chunk
        self.delay = delay
        self.n_ctx = 100_000
        self.prompts: list[list[dict[str, str]]] = []

    def count_prompt_tokens(self, messages: Sequence[Any], **_: Any) -> int:
        return sum(len(m["content"]) for m in messages) // 4

    def stream_events(self, messages: Sequence[Any], **options: Any) -> Iterator[ReasoningEvent]:
        self.prompts.append([dict(m) for m in messages])
        cancel: threading.Event | None = options.get("cancel")
        splitter = ReasoningSplitter()
        for i in range(0, len(self.reply), self.chunk):
            if cancel is not None and cancel.is_set():
                break
            time.sleep(self.delay)
            yield from splitter.feed(self.reply[i : i + self.chunk])
        yield from splitter.flush()


class Paced:
    """The real llama.cpp engine with a short pause per streamed piece, so that a test can
    press esc while the answer is still streaming."""

    def __init__(self, engine: Any, delay: float) -> None:
        self.engine = engine
        self.delay = delay
        self.model_path = engine.model_path

    @property
    def n_ctx(self) -> int:
        return int(self.engine.n_ctx)

    def count_prompt_tokens(self, messages: Sequence[Any], **kw: Any) -> int:
        return int(self.engine.count_prompt_tokens(messages, **kw))

    def stream_events(self, messages: Sequence[Any], **options: Any) -> Iterator[ReasoningEvent]:
        for event in self.engine.stream_events(messages, **options):
            time.sleep(self.delay)
            yield event

    def close(self) -> None:
        self.engine.close()


@pytest.fixture(autouse=True)
def no_native_clipboard(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Never the real clipboard: the native tool is absent, and recorded if ever called."""
    calls: list[str] = []

    def fake_copy(text: str) -> bool:
        calls.append(text)
        return True

    monkeypatch.setattr("journal_me.tui.screens.bridge.native_tool", lambda: None)
    monkeypatch.setattr("journal_me.tui.screens.bridge.copy_native", fake_copy)
    return calls


@pytest.fixture
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    """Conversation timestamps at a fixed time (they show in the list)."""
    monkeypatch.setattr("journal_me.conversations._now", lambda: "2026-11-02T09:30:00")


def memory_only(settings: Settings) -> None:
    return None


async def open_screen(pilot: Any, key: str, cls: type[Any]) -> Any:
    await settle(pilot)
    await pilot.press(key)
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, cls), what=cls.__name__)
    await settle(pilot)
    return pilot.app.screen


async def ask(pilot: Any, screen: ChatScreen, question: str, *, wait: bool = True) -> AnswerTurn:
    field = screen.query_one("#chat-input", Input)
    field.focus()
    field.value = question
    await pilot.press("enter")
    await wait_until(pilot, lambda: bool(screen.log_view.answers), what="an answer turn")
    turn = screen.log_view.answers[-1]
    if wait:
        await wait_until(pilot, lambda: not screen.generating, timeout=20, what="the answer")
        await settle(pilot)
    return turn


# -- chat ---------------------------------------------------------------------------------


async def test_chat_memory_only_answer_and_citation_opens_entry(
    make_app: Callable[..., JournalMeApp],
) -> None:
    assert GET_A_MODEL in NO_MODEL_HINT  # the command the banner shows is the core's
    app = make_app(engine_factory=memory_only)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "f7", ChatScreen)
        assert app.model_status == "memory-only"
        banner = screen.query_one("#chat-banner", Static)
        assert banner.display and GET_A_MODEL in str(banner.content)
        assert str(app.screen.query_one("#status-model", Static).content) == "memory-only"

        turn = await ask(pilot, screen, "what did the physio tell me about my knee?")
        source = turn.answer_view.source
        assert source.startswith("_Memory-only mode: what my journal says_")
        first = turn.sources.citations[0]
        assert f"**{first.label()}**" in source  # the labelled passage itself
        assert "memory-only" in str(turn.query_one(".turn-head", Static).content)
        assert not turn.reasoning_box.display  # no model, no reasoning

        # a click on a source opens the entry at its line in the journal screen
        await pilot.click(turn.sources, offset=(4, 0))
        await wait_until(pilot, lambda: isinstance(app.screen, JournalScreen), what="journal screen")
        journal = app.screen
        assert isinstance(journal, JournalScreen)
        await wait_until(pilot, lambda: journal.editor.doc is not None, what="entry open")
        assert journal.editor.doc is not None and journal.editor.doc.rel == first.rel


async def test_chat_streams_from_tiny_gguf_and_esc_cancels(
    make_app: Callable[..., JournalMeApp], settings: Settings, tmp_path: Path
) -> None:
    from journal_me.llm.engine import Engine
    from trainer.tiny_gguf import build_tiny_gguf

    gguf = build_tiny_gguf(tmp_path / "tiny.gguf")
    loaded: list[Any] = []

    def factory(_settings: Settings) -> Any:
        engine = Paced(Engine(gguf, n_ctx=4096, n_threads=1), delay=0.01)
        loaded.append(threading.current_thread() is threading.main_thread())
        return engine

    s = replace(settings, llm=replace(settings.llm, max_tokens=24))
    app = make_app(settings=s, engine_factory=factory)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "f7", ChatScreen)
        await wait_until(pilot, lambda: app.engine_slot.state == "ready", what="engine loaded")
        assert loaded == [False]  # loaded in a worker thread, never on the UI thread
        assert app.model_status == "model: tiny"
        assert not screen.query_one("#chat-banner", Static).display

        turn = await ask(pilot, screen, "what did I make at pottery?")
        assert turn.chunks > 1  # streamed in pieces
        assert turn.answer_view.source == turn.answer  # the one full update at the end
        assert not turn.cancelled
        assert turn.sources.citations

        # a long answer, stopped with esc while it streams
        app.settings = replace(s, llm=replace(s.llm, max_tokens=400))
        turn = await ask(pilot, screen, "and after that?", wait=False)
        await wait_until(pilot, lambda: turn.chunks >= 3, what="some streamed text")
        assert screen.generating
        await pilot.press("escape")
        await wait_until(pilot, lambda: not screen.generating, timeout=10, what="stopped")
        await settle(pilot)
        assert turn.cancelled and turn.chunks < 400
        assert "Stopped" in turn.note
        assert screen.conversation_id is not None
        stored = ConversationStore(s.conversations_file).messages(screen.conversation_id)
        assert [m.role for m in stored] == ["user", "assistant"] * 2
        assert stored[-1].content.endswith("…") or stored[-1].content == "(stopped)"


async def test_reasoning_collapsed_under_answer_and_stored(
    make_app: Callable[..., JournalMeApp], fixed_clock: None
) -> None:
    engine = FakeEngine("<think>The 10K was in **September**.</think>I ran it in 58:41 [1].")
    app = make_app(engine_factory=lambda s: engine)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "f7", ChatScreen)
        turn = await ask(pilot, screen, "how long did the 10k take me?")
        assert turn.answer_view.source == "I ran it in 58:41 [1]."
        assert turn.reasoning == "The 10K was in **September**."
        box = turn.reasoning_box
        assert box.display and box.collapsed
        assert turn.reasoning_view.source == turn.reasoning
        await pilot.click(box.query_one("CollapsibleTitle"))
        await pilot.pause()
        assert not box.collapsed  # expandable
        labels = [c.label() for c in turn.sources.citations]

        # reopened from the list: the reasoning comes back from the store, collapsed
        await pilot.press("f5")
        await settle(pilot)
        assert not screen.log_view.answers
        chats = screen.query_one("#chat-list", ChatList)
        chats.focus()
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: bool(screen.log_view.answers), what="reopened")
        await settle(pilot)
        again = screen.log_view.answers[0]
        assert again.reasoning_view.source == "The 10K was in **September**."
        assert again.reasoning_box.collapsed
        assert [c.label() for c in again.sources.citations] == labels


async def test_conversations_saved_listed_renamed_exported_deleted(
    make_app: Callable[..., JournalMeApp], settings: Settings, fixed_clock: None
) -> None:
    app = make_app(engine_factory=memory_only)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "f7", ChatScreen)
        await ask(pilot, screen, "how was the pottery class?")
        first = screen.conversation_id
        await ask(pilot, screen, "and the knee?")  # same conversation
        assert screen.conversation_id == first
        await pilot.press("f5")
        await ask(pilot, screen, "who is Sam?")
        assert screen.conversation_id != first
        await settle(pilot)
        assert [c.title for c in screen.conversations] == ["who is Sam?", "how was the pottery class?"]

        chats = screen.query_one("#chat-list", ChatList)
        chats.focus()
        chats.highlighted = 1
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, AskDialog), what="rename dialog")
        app.screen.query_one(Input).value = "Pottery"
        await pilot.press("enter")
        await wait_until(pilot, lambda: "Pottery" in [c.title for c in screen.conversations], what="renamed")

        chats.highlighted = 1
        await pilot.press("e")
        await wait_until(pilot, lambda: isinstance(app.screen, AskDialog), what="export dialog")
        default = Path(app.screen.query_one(Input).value)
        assert default.parent == settings.vault_data_dir / "exports"
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.last_export is not None, what="exported")
        exported = default.read_text(encoding="utf-8")
        assert default.stat().st_mode & 0o777 == 0o600  # diary text: owner-only
        assert exported.startswith("# Pottery\n") and "**Me (now)**" in exported
        assert "and the knee?" in exported

        chats.highlighted = 1
        await pilot.press("delete")
        await wait_until(pilot, lambda: isinstance(app.screen, AskDialog), what="delete dialog")
        await pilot.press("enter")  # the focused "Delete" button
        await wait_until(pilot, lambda: len(screen.conversations) == 1, what="deleted")
        assert [c.title for c in ConversationStore(settings.conversations_file).conversations("chat")] == [
            "who is Sam?"
        ]


CUTOFF = dt.date(2025, 12, 31)


async def test_as_of_date_restricts_memory(make_app: Callable[..., JournalMeApp]) -> None:
    app = make_app(engine_factory=memory_only)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "f7", ChatScreen)
        picker = screen.query_one("#as-of", Input)
        note = screen.query_one("#as-of-note", Static)
        assert "as of today" in str(note.content)

        picker.focus()
        picker.value = "nonsense date words"
        await pilot.press("enter")
        await wait_until(pilot, lambda: picker.has_class("-invalid"), what="invalid date")

        picker.focus()
        picker.value = "December 2025"  # natural language: the end of that month
        await pilot.press("enter")
        await wait_until(pilot, lambda: screen.as_of == CUTOFF, what="as of read")
        assert "as of 2025-12-31" in str(note.content) and not picker.has_class("-invalid")

        turn = await ask(pilot, screen, "how is my running going, and my knee?")
        assert turn.sources.citations
        assert all(c.date <= CUTOFF for c in turn.sources.citations)

        picker.value = ""  # cleared: back to today, once this chat is left
        await pilot.press("f5")
        await wait_until(pilot, lambda: screen.as_of is None, what="as of cleared")
        later = await ask(pilot, screen, "how is my running going, and my knee?")
        assert any(c.date > CUTOFF for c in later.sources.citations)


async def test_profile_shown_edited_and_regenerated(
    make_app: Callable[..., JournalMeApp], settings: Settings
) -> None:
    app = make_app(engine_factory=memory_only)
    async with app.run_test(size=SIZE) as pilot:
        await open_screen(pilot, "f7", ChatScreen)
        await pilot.press("f6")
        await wait_until(pilot, lambda: isinstance(app.screen, ProfileScreen), what="profile")
        profile_screen = app.screen
        assert isinstance(profile_screen, ProfileScreen)
        await settle(pilot)
        assert "No profile yet" in str(profile_screen.query_one("#profile-meta", Static).content)

        await pilot.press("f5")  # regenerate: memory-only, so from the graph
        await wait_until(pilot, lambda: settings.profile_file.exists(), what="regenerated")
        await settle(pilot)
        generated = Profile.load(settings.profile_file)
        assert generated is not None and generated.source == "template"
        bio = profile_screen.query_one("#profile-bio", TextArea)
        assert bio.text == generated.bio

        bio.text = "I am Elena. I run, I make pots, I build flood maps."
        profile_screen.query_one("#profile-prefs", Input).value = "running, #pottery, maps"
        await pilot.press("ctrl+s")
        await wait_until(
            pilot, lambda: (Profile.load(settings.profile_file) or generated).source == "user", what="saved"
        )
        saved = Profile.load(settings.profile_file)
        assert saved is not None
        assert saved.bio.startswith("I am Elena.") and saved.preferences == ["running", "pottery", "maps"]

        await pilot.press("f5")  # an edited profile is not replaced without asking
        await wait_until(pilot, lambda: isinstance(app.screen, AskDialog), what="confirm")
        await pilot.press("escape")
        await settle(pilot)
        assert (Profile.load(settings.profile_file) or generated).source == "user"
        await pilot.press("escape")
        assert isinstance(app.screen, ChatScreen)


# -- bridge -------------------------------------------------------------------------------


async def draft(pilot: Any, screen: BridgeScreen, incoming: str, action: str = "reply") -> None:
    screen.action_set_action(action)
    screen.query_one("#bridge-incoming", TextArea).text = incoming
    await pilot.press("f5")
    await wait_until(pilot, lambda: not screen.generating and bool(screen.draft_area.text), what="draft")
    await settle(pilot)


async def test_bridge_memory_only_draft_copy_and_save(
    make_app: Callable[..., JournalMeApp], settings: Settings, no_native_clipboard: list[str]
) -> None:
    app = make_app(engine_factory=memory_only)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "f8", BridgeScreen)
        await wait_until(pilot, lambda: screen.role is not None, what="roles")
        assert screen.role is not None and screen.role.name == "social"
        assert GET_A_MODEL in str(screen.query_one("#bridge-banner", Static).content)

        await draft(pilot, screen, "Hey! How's the knee? Up for a run on Sunday?")
        text = screen.draft_area.text
        assert text.startswith("Memory-only mode") and NO_MODEL_HINT in text
        memories = screen.query_one("#bridge-memories", CitationList)
        assert memories.citations  # what was shared is listed
        assert not screen.draft_area.read_only  # editable once done

        await pilot.press("f6")  # one key copies
        assert app.clipboard == text
        assert any(n.title == "Copied" for n in app._notifications)
        assert no_native_clipboard == []  # no native tool here (and never the real one)

        await pilot.press("ctrl+s")  # the default path, under the data dir
        await wait_until(pilot, lambda: screen.last_saved is not None, what="saved")
        expected = settings.vault_data_dir / "drafts" / f"{TODAY.isoformat()}-reply-social.md"
        assert screen.last_saved == expected
        assert expected.read_text(encoding="utf-8") == text.rstrip("\n") + "\n"

        screen.query_one("#bridge-path", Input).value = "mine/answer.md"  # relative: under drafts/
        screen.last_saved = None
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: screen.last_saved is not None, what="saved again")
        answer = settings.vault_data_dir / "drafts" / "mine" / "answer.md"
        assert screen.last_saved == answer
        assert answer.stat().st_mode & 0o777 == 0o600  # diary text: owner-only
        # saving the same draft again updates the file this screen wrote…
        screen.draft_area.text = text + "\nP.S. bring the foam roller"
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: "foam roller" in answer.read_text(encoding="utf-8"), what="update")
        # …but never another file, nor anything in the vault (the CLI's -o rules)
        screen.last_saved = None
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: any("already exists" in n.message for n in app._notifications))
        assert screen.last_saved is None
        inside = settings.vault / "reply.md"
        screen.query_one("#bridge-path", Input).value = str(inside)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: any("inside the vault" in n.message for n in app._notifications))
        assert not inside.exists() and screen.last_saved is None

        # enhance without a model: the request plus its context
        await draft(pilot, screen, "ask a physio about my knee", action="enhance")
        assert screen.draft_area.text.startswith("ask a physio about my knee")


async def test_bridge_says_what_the_role_withheld(make_app: Callable[..., JournalMeApp]) -> None:
    """The social role never shares health: the knee memories are withheld, and the screen
    says so under the shared ones (as `journal-me bridge` does), not silently."""
    app = make_app(engine_factory=memory_only)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "f8", BridgeScreen)
        await wait_until(pilot, lambda: screen.role is not None, what="roles")
        assert screen.role is not None and screen.role.name == "social"
        await draft(pilot, screen, "How is your knee injury after the physio?")
        note = str(screen.query_one("#bridge-memories-note", Static).content)
        assert "withheld" in note and "about health" in note, note


async def test_bridge_reasoning_collapsed_and_never_copied(
    make_app: Callable[..., JournalMeApp], no_native_clipboard: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = FakeEngine("<think>She asked about the knee ZZZ-REASONING.</think>Hi! The knee is fine now.")
    app = make_app(engine_factory=lambda s: engine)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "f8", BridgeScreen)
        await wait_until(pilot, lambda: screen.role is not None, what="roles")
        await draft(pilot, screen, "How's the knee?")
        assert screen.draft_area.text == "Hi! The knee is fine now."
        box = screen.query_one("#bridge-reasoning-box", Collapsible)
        assert box.display and box.collapsed
        assert "ZZZ-REASONING" in screen.reasoning
        assert "Role: social" in engine.prompts[0][0]["content"]

        area = screen.draft_area
        area.focus()
        area.move_cursor(area.document.end)
        await pilot.press(*" See you Sunday")  # edit in place
        await pilot.press("f6")  # f6 copies even from inside the TextArea
        assert app.clipboard == "Hi! The knee is fine now. See you Sunday"
        assert "ZZZ" not in app.clipboard

        # local session with a native tool: tried after OSC 52
        monkeypatch.setattr("journal_me.tui.screens.bridge.native_tool", lambda: ["true"])
        await pilot.press("f6")
        await wait_until(pilot, lambda: bool(no_native_clipboard), what="native copy")
        assert no_native_clipboard == ["Hi! The knee is fine now. See you Sunday"]


async def test_bridge_esc_stops_a_draft(make_app: Callable[..., JournalMeApp]) -> None:
    engine = FakeEngine("Thanks for asking. " * 60, chunk=5, delay=0.01)
    app = make_app(engine_factory=lambda s: engine)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "f8", BridgeScreen)
        await wait_until(pilot, lambda: screen.role is not None, what="roles")
        screen.query_one("#bridge-incoming", TextArea).text = "How are you?"
        screen.action_draft()  # (pressing f5 would wait for the app to idle: the whole stream)
        await wait_until(pilot, lambda: len(screen.draft_area.text) > 20, what="streaming")
        assert screen.generating
        await pilot.press("escape")
        await wait_until(pilot, lambda: not screen.generating, what="stopped")
        assert 0 < len(screen.draft_area.text) < len(engine.reply.strip())
        assert "stopped" in str(screen.query_one("#bridge-status", Static).content)


async def test_model_load_failure_is_memory_only_and_reload_retries(
    make_app: Callable[..., JournalMeApp],
) -> None:
    from journal_me.llm.engine import EngineError

    calls: list[int] = []

    def factory(_settings: Settings) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise EngineError("llama.cpp could not load broken.gguf — the file may be truncated")
        return FakeEngine("Hello.")

    app = make_app(engine_factory=factory)
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_screen(pilot, "f8", BridgeScreen)
        await wait_until(pilot, lambda: app.engine_slot.state == "memory-only", what="failed load")
        assert app.model_status == "memory-only"
        banner = str(screen.query_one("#bridge-banner", Static).content)
        assert "broken.gguf" in banner and GET_A_MODEL in banner
        app.reload_engine()  # the palette's "model: reload"
        await wait_until(pilot, lambda: app.engine_slot.state == "ready", what="reloaded")
        await settle(pilot)
        assert len(calls) == 2 and app.model_status == "model: FakeEngine"
        assert not screen.query_one("#bridge-banner", Static).display


# -- keys, palette, help ------------------------------------------------------------------


async def test_keys_palette_and_help(make_app: Callable[..., JournalMeApp]) -> None:
    ids = binding_ids(bindable_classes())
    for ident in (
        "goto-chat",
        "goto-bridge",
        "chat-stop",
        "chat-new",
        "chat-profile",
        "chat-rename",
        "chat-delete",
        "chat-export",
        "bridge-draft",
        "bridge-copy",
        "bridge-save",
        "bridge-stop",
        "profile-save",
        "profile-regenerate",
    ):
        assert ident in ids, ident
    app = make_app(engine_factory=memory_only)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        from journal_me.tui.commands import JournalCommands

        provider = JournalCommands(app.screen)
        names = {text for text, _fn, _help in provider._commands()}
        assert {
            "chat: new conversation",
            "bridge: reply",
            "bridge: enhance",
            "bridge: critic",
            "profile: edit",
            "model: reload",
        } <= names
        command = next(fn for text, fn, _h in provider._commands() if text == "bridge: critic")
        command()
        await wait_until(pilot, lambda: isinstance(app.screen, BridgeScreen), what="bridge")
        await settle(pilot)
        bridge = app.screen
        assert isinstance(bridge, BridgeScreen) and bridge.action == "critic"
        assert bridge.query_one("#bridge-incoming", TextArea).has_focus
        rows = {row[2] for row in help_rows(app, bridge)}
        assert {"bridge-draft", "bridge-copy", "bridge-save"} <= rows
        await pilot.press("f7")  # f7 from inside a TextArea still switches screens
        await wait_until(pilot, lambda: isinstance(app.screen, ChatScreen), what="chat")
        rows = {row[2] for row in help_rows(app, app.screen)}
        assert {"chat-stop", "chat-new", "chat-profile"} <= rows


# -- snapshots ----------------------------------------------------------------------------


def test_chat_screen_snapshot(
    snap_compare: Snap, make_app: Callable[..., JournalMeApp], fixed_clock: None
) -> None:
    async def run_before(pilot: Any) -> None:
        screen = await open_screen(pilot, "f7", ChatScreen)
        await ask(pilot, screen, "who is Fiona?")
        screen.query_one("#chat-input", Input).focus()
        screen.log_view.scroll_home(animate=False)  # the question, then the labelled passages
        no_blink(pilot.app)
        await pilot.pause()

    assert snap_compare(make_app(engine_factory=memory_only), terminal_size=SIZE, run_before=run_before)


def test_bridge_screen_snapshot(
    snap_compare: Snap, make_app: Callable[..., JournalMeApp], fixed_clock: None
) -> None:
    async def run_before(pilot: Any) -> None:
        screen = await open_screen(pilot, "f8", BridgeScreen)
        await wait_until(pilot, lambda: screen.role is not None, what="roles")
        await draft(pilot, screen, "Are you still going to pottery on Thursdays?")
        screen.draft_area.focus()
        screen.draft_area.move_cursor((0, 0))
        await settle(pilot)
        no_blink(pilot.app)
        await pilot.pause()

    assert snap_compare(make_app(engine_factory=memory_only), terminal_size=SIZE, run_before=run_before)
