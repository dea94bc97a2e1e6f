"""Your profile (L1 "who I am"): the short first-person bio and preference tags that go into
every chat and bridge prompt. Shown and edited here; saving marks it as yours
(``source="user"``); "regenerate" rebuilds it from the journal (by the model, or from the
entity graph in memory-only mode) in a worker, after asking before replacing your edits."""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar, cast

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static, TextArea

from journal_me.tui.widgets.ask_dialog import AskDialog
from journal_me.tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from journal_me.profile import Profile
    from journal_me.tui.app import JournalMeApp


def split_preferences(raw: str) -> list[str]:
    return [p.strip().lstrip("#") for p in raw.replace("\n", ",").split(",") if p.strip().lstrip("#")]


class ProfileScreen(ReportsWorkerErrors, ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss", "Close", id="profile-close"),
        Binding("ctrl+s", "save", "Save", id="profile-save", priority=True),
        Binding("f5", "regenerate", "Regenerate", id="profile-regenerate", priority=True),
    ]

    class _Loaded(Message):
        def __init__(self, profile: Profile | None, note: str = "") -> None:
            self.profile, self.note = profile, note
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self.profile: Profile | None = None
        self.busy = False

    @property
    def jm(self) -> JournalMeApp:
        return cast("JournalMeApp", self.app)

    def compose(self) -> ComposeResult:
        with Vertical(id="profile-dialog"):
            yield Static(Text("Profile — who I am", style="bold"), id="profile-title")
            yield Static(
                Text("A short bio in the first person; it goes into every chat and bridge prompt.", "dim"),
                id="profile-help",
            )
            yield Static(id="profile-meta")
            yield TextArea(id="profile-bio", soft_wrap=True, show_line_numbers=False)
            yield Input(placeholder="preferences: comma-separated tags", id="profile-prefs")
            with Horizontal(id="profile-buttons"):
                yield Button("Save", variant="primary", id="profile-save-button")
                yield Button("Regenerate", id="profile-regenerate-button")
                yield Button("Close", id="profile-close-button")

    def on_mount(self) -> None:
        self._meta(Text("loading…", style="dim"))
        self.query_one("#profile-bio", TextArea).focus()
        self._load()

    def _meta(self, text: Text) -> None:
        self.query_one("#profile-meta", Static).update(text)

    @work(thread=True, exclusive=True, group="profile", exit_on_error=False)
    def _load(self) -> None:
        from journal_me.profile import Profile

        self.post_message(self._Loaded(Profile.load(self.jm.settings.profile_file)))

    @on(_Loaded)
    def _loaded(self, msg: _Loaded) -> None:
        self.busy = False
        self.profile = msg.profile
        bio = self.query_one("#profile-bio", TextArea)
        prefs = self.query_one("#profile-prefs", Input)
        if msg.profile is None:
            bio.text = ""
            prefs.value = ""
            self._meta(Text("No profile yet: write one, or Regenerate to draft it from your journal.", "dim"))
            return
        bio.text = msg.profile.bio
        prefs.value = ", ".join(msg.profile.preferences)
        source = {"user": "written by you", "model": "by the model", "template": "from your journal's graph"}
        meta = Text(f"{source.get(msg.profile.source, msg.profile.source)}", style="dim")
        if msg.profile.generated:
            meta.append(f" · {msg.profile.generated}", style="dim")
        if msg.note:
            meta.append(f" · {msg.note}", style="bold")
        self._meta(meta)

    # -- save ------------------------------------------------------------------------------
    def action_save(self) -> None:
        bio = self.query_one("#profile-bio", TextArea).text.strip()
        if not bio:
            self.notify("Write something first (or Regenerate).", markup=False)
            return
        self._save(bio, split_preferences(self.query_one("#profile-prefs", Input).value))

    @work(thread=True, exclusive=True, group="profile", exit_on_error=False)
    def _save(self, bio: str, preferences: list[str]) -> None:
        import datetime as dt

        from journal_me.profile import Profile

        profile = Profile(
            bio=bio,
            preferences=preferences,
            source="user",
            generated=dt.datetime.now().isoformat(timespec="seconds"),
        )
        profile.save(self.jm.settings.profile_file)
        self.post_message(self._Loaded(profile, "saved"))
        self.app.call_from_thread(self.notify, "Profile saved.", title="Profile", markup=False)

    # -- regenerate ------------------------------------------------------------------------
    def action_regenerate(self) -> None:
        if self.busy:
            return
        if self.profile is not None and self.profile.source == "user":

            def confirmed(answer: str | None) -> None:
                if answer is not None:
                    self._start_regenerate()

            self.app.push_screen(
                AskDialog("Regenerate the profile?", "This replaces the profile you edited.", yes="Replace"),
                confirmed,
            )
            return
        self._start_regenerate()

    def _start_regenerate(self) -> None:
        self.busy = True
        self._meta(Text("regenerating from your journal…", style="dim"))
        self._regenerate()

    @work(thread=True, exclusive=True, group="profile", exit_on_error=False)
    def _regenerate(self) -> None:
        from journal_me.profile import generate_profile

        jm = self.jm
        try:
            journal = jm.journal
            if journal is None:
                raise RuntimeError("the vault is not open yet")
            engine = jm.engine_slot.wait()
            profile = generate_profile(journal, engine, name=jm.settings.name)
            profile.save(jm.settings.profile_file)
        except Exception as exc:  # say why; keep what is on screen
            self.post_message(self._Loaded(self.profile, "not regenerated"))
            self.app.call_from_thread(
                self.notify,
                f"Could not regenerate the profile: {type(exc).__name__}: {exc}",
                severity="error",
                markup=False,
            )
            return
        self.post_message(self._Loaded(profile, "regenerated"))

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "profile-save-button":
            self.action_save()
        elif event.button.id == "profile-regenerate-button":
            self.action_regenerate()
        else:
            self.dismiss()
