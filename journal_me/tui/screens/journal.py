"""The journal screen: the entry tree, the editor (with preview) and the side panel."""

from __future__ import annotations

import datetime as dt
import os
import shlex
import subprocess
from typing import ClassVar, Literal

from textual import on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding, BindingType
from textual.containers import Horizontal

from journal_me.config import Settings
from journal_me.datadir import user_umask
from journal_me.termsafe import clean
from journal_me.tui.screens.base import MainScreen
from journal_me.tui.screens.conflict import Choice, ConflictScreen
from journal_me.tui.widgets.ask_dialog import AskDialog
from journal_me.tui.widgets.editor import EntryEditor
from journal_me.tui.widgets.entry_tree import EntryTree
from journal_me.tui.widgets.side_panel import SidePanel


def editor_command(configured: str | None) -> list[str]:
    cmd = configured or os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    return shlex.split(cmd)


def daily_rel(settings: Settings, day: dt.date) -> str | None:
    """Where ``day``'s daily note goes by the daily-notes settings (the config, else
    ``.obsidian/daily-notes.json``); None when they cannot be read."""
    try:
        from journal_me.daily import daily_settings

        return daily_settings(settings.vault, settings).rel_for(day)
    except (ImportError, ValueError, OSError):
        return None


def day_title(day: dt.date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


class JournalScreen(MainScreen):
    MODE = "journal"
    NARROW_HIDDEN = frozenset({"new-entry", "external-editor", "command-palette"})
    AUTO_FOCUS = "#entry-tree"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+r", "toggle_preview", "Preview", id="toggle-preview"),
        Binding("ctrl+o", "external_editor", "$EDITOR", id="external-editor"),
        Binding("ctrl+s", "save_now", "Save", id="save-now", show=False),
        Binding("ctrl+b", "toggle_tree", "Tree", id="toggle-tree"),
        Binding("ctrl+backslash", "toggle_side", "Side panel", id="toggle-side", show=False),
        Binding("ctrl+l", "other_version", "Other version", id="open-other-version", show=False),
        Binding("f12", "resolve_conflict", "Resolve conflict", id="resolve-conflict", show=False),
    ]

    def compose_body(self) -> ComposeResult:
        jm = self.jm
        with Horizontal(id="journal-body"):
            yield EntryTree(id="entry-tree")
            yield EntryEditor(
                jm.journal,
                autosave_delay=jm.autosave_delay,
                check_interval=jm.disk_check_interval,
                id="editor",
            )
            yield SidePanel(id="side-panel")

    @property
    def entry_tree(self) -> EntryTree:
        return self.query_one(EntryTree)

    @property
    def editor(self) -> EntryEditor:
        return self.query_one(EntryEditor)

    @property
    def side(self) -> SidePanel:
        return self.query_one(SidePanel)

    def on_mount(self) -> None:
        self.jm.main_screens[self.MODE] = self
        self._pair: tuple[str, str] | None = None  # (original, copy) after "open both"

    # -- vault -----------------------------------------------------------------------------
    def vault_ready(self, reason: str) -> None:
        jm = self.jm
        self.editor.journal = jm.journal
        self.side.journal = jm.journal
        self.side.entity_types = jm.backend.entity_types
        self.entry_tree.set_entries(jm.backend.summaries)
        if self.editor.doc is None and not self.editor.opening:
            # the newest entry; on a vault's first run the list fills after the first index
            latest = [s for s in jm.backend.summaries if not (s.note or s.undated or s.conflict_of)]
            if latest:
                self.open_entry(latest[-1].rel)
        elif reason == "indexed":
            self.editor.check_disk()
            doc = self.editor.doc
            if doc is not None and not doc.draft:
                self.entry_tree.reveal(doc.rel)
                self.side.show(doc.rel)

    # -- opening ---------------------------------------------------------------------------
    def open_entry(self, rel: str, line: int | None = None, *, focus: bool = False) -> None:
        """Open ``rel``: the cursor at ``line`` (if in the body), else at the end of today's
        entry or the first body line of any other: never in the front matter."""
        if self.jm.journal is None:
            return
        summary = self.jm.backend.summary(rel)
        todays = summary is not None and not summary.undated and summary.date == self.jm.today()
        self.editor.open(rel, line=line, focus=focus, at_end=todays)

    def open_day(self, day: dt.date, *, separate: bool = False) -> None:
        """Open the day's note wherever it is (daily-notes settings first), or a draft for
        it (saved when you type); ``separate``: a new, separate entry for the day."""
        journal = self.jm.journal
        if journal is None:
            return
        default_rel = journal.entry_rel_for(day)
        rel = daily_rel(journal.settings, day) or default_rel
        if not separate:
            for candidate in dict.fromkeys([rel, default_rel]):
                if journal.has_file(candidate):
                    self.open_entry(candidate, focus=True)
                    return
            existing = sorted(
                (
                    s
                    for s in self.jm.backend.entries_on(day)
                    if not s.note and not s.undated and s.conflict_of is None
                ),
                # the daily note first, then the plain YYYY-MM-DD.md, then the shortest name
                key=lambda s: (s.rel != rel, s.rel != default_rel, len(s.rel), s.rel),
            )
            if existing:
                self.open_entry(existing[0].rel, focus=True)
                return
        if separate or journal.has_file(rel):
            rel = journal.free_rel(rel)
        self.editor.open(rel, draft_title=day_title(day), day=day, focus=True)

    @on(EntryTree.EntryChosen)
    def _chosen(self, event: EntryTree.EntryChosen) -> None:
        self.open_entry(event.rel)

    @on(EntryEditor.Opened)
    def _opened(self, event: EntryEditor.Opened) -> None:
        self.side.show(None if event.draft else event.rel)
        if not event.draft:
            self.entry_tree.reveal(event.rel)

    @on(EntryEditor.Indexed)
    def _indexed(self, event: EntryEditor.Indexed) -> None:
        if event.created or event.conflict_rel:
            self.jm.refresh_entries()
        doc = self.editor.doc
        if doc is not None and doc.rel == event.rel:
            self.side.show(doc.rel)

    # -- actions ---------------------------------------------------------------------------
    def action_toggle_preview(self) -> None:
        if self.editor.doc is not None:
            self.editor.toggle_preview()

    def action_save_now(self) -> None:
        """Save now; while the banner asks about the front matter, this is "save anyway"."""
        editor = self.editor
        editor.save_now(confirm=editor.confirming is not None)

    def action_toggle_tree(self) -> None:
        tree = self.entry_tree
        tree.display = not tree.display
        if tree.display:
            tree.focus()

    def action_toggle_side(self) -> None:
        side = self.side
        side.display = not side.display

    def layout_changed(self, narrow: bool) -> None:
        """Narrow: the side panel hides (ctrl+\\ shows it) and the tree slims down, so
        the editor keeps most of the width."""
        self.side.display = not narrow

    def action_other_version(self) -> None:
        """After a conflict: switch between the version on disk and yours."""
        conflict = self.editor.conflict or self._pair
        if conflict is None:
            self.notify("No conflict in this entry.", markup=False)
            return
        disk_rel, mine_rel = conflict
        target = disk_rel if self.editor.doc is not None and self.editor.doc.rel == mine_rel else mine_rel
        self.open_entry(target)

    def conflict_pair(self) -> tuple[str, str] | None:
        """(original, conflict copy) of the open entry, if it has one (or is one)."""
        doc = self.editor.doc
        if doc is None:
            return None
        if self.editor.conflict is not None:
            return self.editor.conflict
        summary = self.jm.backend.summary(doc.rel)
        if summary is not None and summary.conflict_of is not None:
            return (summary.conflict_of, doc.rel)
        copies = [s.rel for s in self.jm.backend.summaries if s.conflict_of == doc.rel]
        return (doc.rel, sorted(copies)[0]) if copies else None

    def action_resolve_conflict(self) -> None:
        """Keep mine / keep theirs / open both, for the open entry's conflict copy."""
        pair = self.conflict_pair()
        if pair is None:
            self.notify("The open entry has no conflict copy.", markup=False)
            return
        original, copy = pair

        def chosen(choice: Choice | None) -> None:
            if choice == "both":
                self._pair = (original, copy)
                self.open_entry(original, focus=True)
                self.notify(
                    f"{clean(original)} is open; ctrl+l switches to {clean(copy)}. f12 again to keep one.",
                    title="Both versions",
                    markup=False,
                )
            elif choice is not None:
                self._resolve(original, copy, choice)

        self.app.push_screen(ConflictScreen(original, copy), chosen)

    def _resolve(self, original: str, copy: str, keep: Literal["mine", "theirs"]) -> None:
        journal = self.jm.journal
        if journal is None:
            return
        outcome = self.editor.save_blocking()  # what is typed goes into the file kept
        if outcome.problem is not None:
            self.notify(f"Not resolved: {clean(outcome.problem)}", severity="error", markup=False)
            return
        self._resolve_worker(original, copy, keep)

    @work(thread=True, exclusive=True, group="resolve-conflict", exit_on_error=False)
    def _resolve_worker(
        self, original: str, copy: str, keep: Literal["mine", "theirs"], confirm: bool = False
    ) -> None:
        journal = self.jm.journal
        assert journal is not None
        result = journal.resolve_conflict(copy, keep, confirm=confirm)
        if result.needs_confirmation is not None:  # mine would make it public, or break it
            self.app.call_from_thread(self._confirm_resolve, original, copy, result.needs_confirmation)
            return
        self.jm.backend.refresh()
        self.app.call_from_thread(self._resolved, original, keep)

    def _confirm_resolve(self, original: str, copy: str, reason: str) -> None:
        def answered(answer: str | None) -> None:
            if answer is not None:
                self._resolve_worker(original, copy, "mine", True)

        self.app.push_screen(AskDialog("Keep your copy?", clean(reason), yes="Keep mine anyway"), answered)

    def _resolved(self, original: str, keep: str) -> None:
        self._pair = None
        self.editor.open(original, focus=True, reload=True)
        kept = "your copy" if keep == "mine" else "the version on disk"
        self.notify(f"{clean(original)}: kept {kept}.", title="Conflict resolved", markup=False)

    def action_external_editor(self) -> None:
        """Edit the entry in $EDITOR (the app is suspended meanwhile)."""
        editor = self.editor
        journal = self.jm.journal
        if editor.doc is None or journal is None:
            self.notify("Open an entry first.", markup=False)
            return
        if editor.doc.draft and not editor.text.strip():
            editor.text_area.insert(f"# {editor.doc.title}\n\n")
        outcome = editor.save_blocking()
        rel = outcome.rel
        if rel is None:
            return
        if outcome.problem is not None:
            self.notify(
                f"{clean(rel)}: {clean(outcome.problem)}\nSave it (or answer the banner) before "
                "handing it to $EDITOR.",
                title="Not saved",
                severity="error",
                markup=False,
            )
            return
        path = journal.path_of(rel)
        cmd = editor_command(journal.settings.editor)
        try:
            with self.app.suspend():
                # the user's umask, not the data dir's owner-only one (editors save by rename)
                subprocess.run([*cmd, str(path)], check=False, umask=user_umask())
        except SuspendNotSupported:
            self.notify("This terminal cannot hand over to $EDITOR.", severity="error", markup=False)
        except FileNotFoundError:
            self.notify(
                f"Editor not found: {cmd[0]} (set $EDITOR or `editor` in the config).",
                severity="error",
                markup=False,
            )
        editor.check_disk()
        self.jm.update_paths([rel])
