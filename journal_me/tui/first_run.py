"""First run without a journal folder: offer to create one (as jrnl does), write the config
and open it. The work is ``journal_me.setup.init_vault`` (Textual-free, shared with
``journal-me init``); this is only the question."""

from __future__ import annotations

from pathlib import Path, PurePath
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Input, Static

from journal_me.config import Settings
from journal_me.termsafe import clean

STYLES = Path(__file__).parent / "styles"


class FirstRunApp(App[Path]):
    """Returns the journal folder it created (or adopted); None when the user quits."""

    TITLE = "journal-me"
    CSS_PATH: ClassVar[list[str | PurePath]] = [STYLES / "first_run.tcss"]
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "quit_setup", "Quit", id="first-run-quit"),
    ]

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings

    def compose(self) -> ComposeResult:
        from journal_me.setup import config_file_for

        config = config_file_for(self.settings)
        with Vertical(id="first-run-dialog"):
            yield Static(Text("Welcome to journal-me", style="bold"), id="first-run-title")
            yield Static(
                Text.assemble(
                    "No journal folder at ",
                    (clean(str(self.settings.vault)), "bold"),
                    " yet.\n\njournal-me keeps your journal as Markdown files in a folder (an "
                    "Obsidian vault works too). Create it here, or type another folder (an "
                    "existing one is used as it is: nothing in it is changed). The config file ",
                    (clean(str(config)), "dim"),
                    " will remember it.",
                ),
                id="first-run-text",
            )
            yield Input(str(self.settings.vault), id="first-run-path")
            yield Static(id="first-run-error")
            with Horizontal(id="first-run-buttons"):
                yield Button("Create and open", variant="primary", id="first-run-create")
                yield Button("Quit", id="first-run-cancel")

    def on_mount(self) -> None:
        self.query_one("#first-run-path", Input).focus()

    @on(Input.Submitted, "#first-run-path")
    @on(Button.Pressed, "#first-run-create")
    def _create(self) -> None:
        from journal_me.setup import SetupError, init_vault

        typed = self.query_one("#first-run-path", Input).value.strip()
        error = self.query_one("#first-run-error", Static)
        if not typed:
            error.update(Text("Type the folder for your journal.", style="bold"))
            return
        try:
            # force: the config's vault line points at the missing folder; this replaces it
            result = init_vault(Path(typed), self.settings, force=True)
        except SetupError as exc:
            error.update(Text(clean(str(exc)), style="bold"))
            return
        self.exit(result.vault)

    @on(Button.Pressed, "#first-run-cancel")
    def action_quit_setup(self) -> None:
        self.exit(None)
