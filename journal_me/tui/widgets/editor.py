"""The entry editor: a markdown TextArea with autosave, a preview, and conflict handling.

Every disk operation (open, save, the "changed on disk?" check) runs in a thread worker and
holds one lock, so they happen in order: a save always sends the digest of the version it
replaces, and the core keeps both files when that version changed on disk meanwhile
(``Journal.save_entry`` → ``SaveResult.conflict_rel``). Edits then continue on the conflict
copy, and the banner names both files.

A document is identified by a key (rel + a counter) so a save still in flight for an entry
you have left cannot be confused with the entry you opened next.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import re
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.timer import Timer
from textual.widgets import Button, ContentSwitcher, Markdown, Static, TextArea

from journal_me.api import EntryReadError
from journal_me.termsafe import clean
from journal_me.tui.widgets.safe_text_area import SafeTextArea
from journal_me.tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from journal_me.api import Journal

FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n.*?\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.S)


def strip_front_matter(text: str) -> str:
    return FRONT_MATTER.sub("", text, count=1)


def body_start(text: str) -> tuple[int, int]:
    """Where the body begins: the first non-blank line after the front matter (the line just
    after it when the body is blank). Typing there can never touch the front matter.

    Without front matter: (0, 0). Front matter that never closes: the end of the text (the
    core asks before saving anything that breaks it further)."""
    lines = text.split("\n")
    if not text.startswith("---"):
        return (0, 0)
    match = FRONT_MATTER.match(text)
    if match is None:
        return (len(lines) - 1, len(lines[-1]))
    fm = match.group(0)
    row = fm.count("\n") if fm.endswith("\n") else len(fm.split("\n"))
    if row >= len(lines):  # the closing --- is the last line, with no newline after it
        return (len(lines) - 1, len(lines[-1]))
    first = row
    while first < len(lines) - 1 and not lines[first].strip():
        first += 1
    if not lines[first].strip():
        first = row
    return (first, 0)


def body_end(text: str) -> tuple[int, int]:
    """The end of the text, or the body's start when there is no body to end."""
    lines = text.split("\n")
    end = (len(lines) - 1, len(lines[-1]))
    return max(end, body_start(text))


@dataclass
class Doc:
    key: str
    rel: str  # the file edits go to (a conflict copy after a conflict)
    title: str
    draft: bool  # not on disk yet: the first save creates it
    day: dt.date | None = None


@dataclass(frozen=True)
class SaveOutcome:
    """What ``save_blocking`` did: ``problem`` says why ``text`` is not on disk at ``rel``."""

    rel: str | None
    text: str = ""
    problem: str | None = None


class EntryText(SafeTextArea):
    """The editor's text area, with document start/end keys that respect front matter."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+home", "body_start", "Start of entry", id="editor-start", show=False),
        Binding("ctrl+end", "body_end", "End of entry", id="editor-end", show=False),
    ]

    def action_body_start(self) -> None:
        """The body's first line; pressed there, the very top (to edit the front matter)."""
        start = body_start(self.text)
        self.move_cursor((0, 0) if self.cursor_location == start else start, center=True)

    def action_body_end(self) -> None:
        self.move_cursor(body_end(self.text), center=True)


class EntryEditor(ReportsWorkerErrors, Vertical):
    """Edits one entry; autosaves ~1 s after typing stops."""

    class Opened(Message):
        def __init__(self, rel: str, draft: bool) -> None:
            self.rel = rel
            self.draft = draft
            super().__init__()

    class Saved(Message):
        """A save finished. ``conflict_rel``: the disk version changed meanwhile, so your text
        went to this conflict copy. ``displaced_rel``: your text is saved at ``rel``, and
        another program's version, written at that instant, is kept as this copy."""

        def __init__(
            self,
            key: str,
            rel: str,
            text: str,
            created: bool,
            conflict_rel: str | None,
            displaced_rel: str | None = None,
        ) -> None:
            self.key = key
            self.rel = rel
            self.text = text
            self.created = created
            self.conflict_rel = conflict_rel
            self.displaced_rel = displaced_rel
            super().__init__()

    class Indexed(Message):
        """A saved entry is in the index (its people, the entry list are up to date)."""

        def __init__(self, key: str, rel: str, created: bool, conflict_rel: str | None) -> None:
            self.key = key
            self.rel = rel
            self.created = created
            self.conflict_rel = conflict_rel
            super().__init__()

    class _Loaded(Message):
        def __init__(
            self,
            key: str,
            rel: str,
            text: str,
            draft: bool,
            title: str,
            line: int | None,
            day: dt.date | None,
            at_end: bool = False,
        ) -> None:
            self.key, self.rel, self.text, self.draft = key, rel, text, draft
            self.title, self.line, self.day, self.at_end = title, line, day, at_end
            super().__init__()

    class _NeedsConfirmation(Message):
        """The core refused a save that would break the front matter or its privacy."""

        def __init__(self, key: str, rel: str, reason: str, text: str) -> None:
            self.key, self.rel, self.reason, self.text = key, rel, reason, text
            super().__init__()

    class _Failed(Message):
        def __init__(self, rel: str, reason: str, key: str | None = None) -> None:
            self.rel, self.reason, self.key = rel, reason, key
            super().__init__()

    class _Skipped(Message):
        pass

    class _DiskChanged(Message):
        def __init__(self, key: str, rel: str, text: str | None, digest: str | None) -> None:
            self.key, self.rel, self.text, self.digest = key, rel, text, digest
            super().__init__()

    def __init__(
        self,
        journal: Journal | None = None,
        *,
        autosave_delay: float = 1.0,
        check_interval: float = 2.0,
        id: str | None = None,
    ) -> None:
        super().__init__(id=id)
        self.journal = journal
        self.autosave_delay = autosave_delay
        self.check_interval = check_interval
        self.doc: Doc | None = None
        self._saved_text = ""
        self._lock = threading.Lock()  # serialises every disk operation of this editor
        self._digests: dict[str, str | None] = {}  # rel -> digest of the version we hold
        self._targets: dict[str, str] = {}  # doc key -> rel its saves go to
        self._saved_gen: dict[str, int] = {}
        self._gen = itertools.count(1)
        self._keys = itertools.count(1)
        self._wanted: str | None = None
        self._focus_on_load = False
        self._timer: Timer | None = None
        self._saving = 0
        self.conflict: tuple[str, str] | None = None  # (disk version, your version)
        self.confirming: str | None = None  # why the last save waits for an answer

    def compose(self) -> ComposeResult:
        yield Static(id="editor-title")
        yield Static(id="conflict-banner")
        with Vertical(id="confirm-banner"):
            yield Static(id="confirm-reason")
            with Horizontal(id="confirm-buttons"):
                yield Button("Keep editing", id="confirm-keep", compact=True)
                yield Button("Save anyway", id="confirm-save", variant="warning", compact=True)
                yield Button("Revert", id="confirm-revert", compact=True)
        with ContentSwitcher(initial="editor-text", id="editor-switcher"):
            yield EntryText(
                "",
                language="markdown",
                soft_wrap=True,
                tab_behavior="indent",
                placeholder="Write… (saved about a second after you stop typing)",
                id="editor-text",
            )
            with VerticalScroll(id="editor-preview"):
                yield Markdown(id="preview-md")

    def on_mount(self) -> None:
        self.query_one("#conflict-banner").display = False
        self.query_one("#confirm-banner").display = False
        self.text_area.disabled = True
        self._show_title()
        if self.check_interval > 0:
            self.set_interval(self.check_interval, self.check_disk)

    # -- accessors -------------------------------------------------------------------------
    @property
    def text_area(self) -> EntryText:
        return self.query_one("#editor-text", EntryText)

    @property
    def text(self) -> str:
        return self.text_area.text

    @property
    def dirty(self) -> bool:
        """Unsaved edits in the buffer."""
        return self.doc is not None and self.text != self._saved_text

    @property
    def opening(self) -> bool:
        """An open was requested and has not finished yet."""
        return self._wanted is not None and (self.doc is None or self.doc.key != self._wanted)

    @property
    def previewing(self) -> bool:
        return self.query_one(ContentSwitcher).current == "editor-preview"

    # -- opening ---------------------------------------------------------------------------
    def open(
        self,
        rel: str,
        *,
        line: int | None = None,
        draft_title: str | None = None,
        day: dt.date | None = None,
        focus: bool = False,
        at_end: bool = False,
        reload: bool = False,
    ) -> None:
        """Open ``rel`` (``reload``: read it again even if it is open); with
        ``draft_title`` a missing file becomes a draft (saved on typing).
        With ``focus`` the text gets the keyboard once it is loaded. The cursor goes to
        ``line`` if it is in the body, else to the body's end (``at_end``: today's entry) or
        its first line: never into the front matter."""
        if self.doc is not None and self.doc.rel == rel and not self.opening and not reload:
            if line is not None:
                self._goto_line(line)
            if focus:
                self.text_area.focus()
            return
        self.save_now()
        key = f"{rel}#{next(self._keys)}"
        self._wanted = key
        self._focus_on_load = focus
        self._load(key, rel, line, draft_title, day, at_end)

    @work(thread=True, group="editor-io", exit_on_error=False)
    def _load(
        self,
        key: str,
        rel: str,
        line: int | None,
        draft_title: str | None,
        day: dt.date | None,
        at_end: bool,
    ) -> None:
        journal = self.journal
        if journal is None:
            return
        with self._lock:
            try:
                text, digest = journal.read_text(rel)
            except FileNotFoundError:
                if draft_title is None:
                    self.post_message(self._Failed(rel, "no such file", key))
                    return
                self._digests[rel] = None
                self._targets[key] = rel
                self.post_message(self._Loaded(key, rel, "", True, draft_title, None, day))
                return
            except EntryReadError as exc:
                self.post_message(self._Failed(rel, str(exc), key))
                return
            except UnicodeDecodeError:
                self.post_message(self._Failed(rel, "not UTF-8 text; open it in another editor", key))
                return
            except OSError as exc:
                self.post_message(self._Failed(rel, f"cannot read: {exc.strerror or exc}", key))
                return
            self._digests[rel] = digest
            self._targets[key] = rel
        summary_title = rel
        with contextlib.suppress(EntryReadError, OSError):
            summary_title = journal.entry(rel).title
        self.post_message(self._Loaded(key, rel, text, False, summary_title, line, day, at_end))

    @on(_Loaded)
    def _apply_loaded(self, msg: _Loaded) -> None:
        if msg.key != self._wanted:
            return
        self._cancel_timer()
        self.doc = Doc(msg.key, msg.rel, msg.title, msg.draft, msg.day)
        self.conflict = None
        self._show_banner(None)
        self._ask(None)
        self._saved_text = msg.text
        area = self.text_area
        area.disabled = False
        area.load_text(msg.text)
        if msg.line is not None:
            self._goto_line(msg.line)
        elif msg.draft or msg.at_end:
            area.move_cursor(body_end(msg.text), center=True)
        else:
            area.scroll_home(animate=False)
            area.move_cursor(body_start(msg.text))
        if self.previewing:
            self._update_preview()
        if self._focus_on_load:
            area.focus()
        self._show_title()
        self.post_message(self.Opened(msg.rel, msg.draft))

    @on(_Failed)
    def _apply_failed(self, msg: _Failed) -> None:
        if msg.key is not None:
            if msg.key != self._wanted:
                return
            self._wanted = self.doc.key if self.doc is not None else None
        if msg.key is None:  # a save failed (the worker's save counted as in flight)
            self._saving = max(0, self._saving - 1)
            self._show_title()
        title = "Cannot open" if msg.key is not None else "Not saved"
        self.app.notify(f"{clean(msg.rel)}: {clean(msg.reason)}", title=title, severity="error", markup=False)

    def _goto_line(self, line: int) -> None:
        """Line ``line`` (1-based) of the file, or the body's first line if that is in the
        front matter."""
        area = self.text_area
        row = max(0, min(line - 1, area.document.line_count - 1))
        start = body_start(self.text)
        area.move_cursor(max((row, 0), start), center=True)

    # -- saving ----------------------------------------------------------------------------
    @on(TextArea.Changed, "#editor-text")
    def _changed(self, event: TextArea.Changed) -> None:
        event.stop()
        if not self.dirty:
            return
        self._cancel_timer()
        self._timer = self.set_timer(self.autosave_delay, self.save_now)
        self._show_title()

    def _cancel_timer(self) -> None:
        if self._timer is not None:
            self._timer.stop()
            self._timer = None

    def save_now(self, *, confirm: bool = False) -> None:
        """Save unsaved edits now (in a worker). ``confirm``: the user answered "save
        anyway" to a change of the front matter or of its privacy."""
        self._cancel_timer()
        doc = self.doc
        if doc is None or not self.dirty:
            return
        text = self.text
        if doc.draft and not text.strip():
            return  # an untouched draft leaves no empty file behind
        self._saving += 1
        self._show_title()
        self._save(doc.key, text, next(self._gen), confirm)

    def save_blocking(self) -> SaveOutcome:
        """Save unsaved edits on this thread (quitting, before $EDITOR). The outcome names
        the file, and why the text is not on disk if it is not."""
        self._cancel_timer()
        doc = self.doc
        if doc is None:
            return SaveOutcome(None)
        text = self.text
        if self.dirty and not (doc.draft and not text.strip()):
            msg = self._save_sync(doc.key, text, next(self._gen))
            if isinstance(msg, self.Saved):
                self._apply_saved(msg)
            elif isinstance(msg, (self._Failed, self._NeedsConfirmation)):
                return SaveOutcome(msg.rel, text, msg.reason)
        return SaveOutcome(self.doc.rel if self.doc is not None else None, text)

    @work(thread=True, group="editor-io", exit_on_error=False)
    def _save(self, key: str, text: str, gen: int, confirm: bool) -> None:
        msg = self._save_sync(key, text, gen, confirm=confirm)
        self.post_message(msg if msg is not None else self._Skipped())
        if isinstance(msg, self.Saved):
            # Journal.save_entry has updated the index too
            self.post_message(
                self.Indexed(
                    msg.key, msg.conflict_rel or msg.rel, msg.created, msg.conflict_rel or msg.displaced_rel
                )
            )

    @on(_Skipped)
    def _save_skipped(self) -> None:
        self._saving = max(0, self._saving - 1)
        self._show_title()

    def _save_sync(self, key: str, text: str, gen: int, *, confirm: bool = False) -> Message | None:
        """Save through the core's one door (digest, conflict and front-matter checks).
        Returns ``Saved``, ``_NeedsConfirmation`` (nothing written), ``_Failed`` or None."""
        journal = self.journal
        if journal is None:
            return None
        with self._lock:
            if gen <= self._saved_gen.get(key, 0):
                return None  # a newer text of this document was saved already
            target = self._targets.get(key)
            if target is None:
                return None
            expected = self._digests.get(target)
            try:
                result = journal.save_entry(target, text, expected, confirm=confirm)
            except Exception as exc:  # disk full, permissions…: keep the buffer, say why
                reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
                return self._Failed(target, f"not saved: {reason}")
            if result.needs_confirmation is not None:
                return self._NeedsConfirmation(key, target, result.needs_confirmation, text)
            self._saved_gen[key] = gen
            if result.conflict_rel and not result.saved:
                # the text went to a conflict copy: edits continue there, from its digest on disk
                self._targets[key] = result.conflict_rel
                try:
                    _text, self._digests[result.conflict_rel] = journal.read_text(result.conflict_rel)
                except (OSError, EntryReadError):
                    self._digests.pop(result.conflict_rel, None)  # the next save keeps both again
                return self.Saved(key, target, text, False, result.conflict_rel)
            self._digests[target] = result.digest
        # saved at ``target``; a version another program wrote at that instant is kept beside it
        return self.Saved(key, target, text, expected is None and result.saved, None, result.conflict_rel)

    # -- asking before a save that changes the front matter or privacy ---------------------
    @on(_NeedsConfirmation)
    def _needs_confirmation(self, msg: _NeedsConfirmation) -> None:
        self._saving = max(0, self._saving - 1)
        doc = self.doc
        if doc is None or msg.key != doc.key:
            # the entry was left meanwhile: its text must not vanish
            self._keep_recovery_copy(msg.rel, msg.text, msg.reason)
        else:
            self._ask(msg.reason)
        self._show_title()

    @work(thread=True, group="editor-recovery", exit_on_error=False)
    def _keep_recovery_copy(self, rel: str, text: str, reason: str) -> None:
        journal = self.journal
        if journal is None:
            return
        try:
            where = str(journal.write_recovery_copy(rel, text))
        except OSError as exc:
            where = f"nowhere ({exc.strerror or exc})"
        self.app.call_from_thread(
            self.app.notify,
            f"{clean(rel)} was not saved: {clean(reason)}\nYour text is in {where}",
            title="Not saved",
            severity="warning",
            timeout=30,
            markup=False,
        )

    def _ask(self, reason: str | None) -> None:
        """Show (or hide) the banner that asks keep editing / save anyway / revert."""
        self.confirming = reason
        self.query_one("#confirm-banner").display = reason is not None
        if reason is not None:
            self.query_one("#confirm-reason", Static).update(
                Text.assemble(
                    ("Not saved: ", "bold"),
                    clean(reason),
                    " The file on disk is unchanged. ",
                    ("ctrl+s saves anyway; ctrl+z undoes.", "italic"),
                )
            )

    @on(Button.Pressed, "#confirm-keep")
    def _keep_editing(self, event: Button.Pressed) -> None:
        event.stop()
        self._ask(None)
        self.text_area.focus()

    @on(Button.Pressed, "#confirm-save")
    def _save_anyway(self, event: Button.Pressed) -> None:
        event.stop()
        self._ask(None)
        self.save_now(confirm=True)
        self.text_area.focus()

    @on(Button.Pressed, "#confirm-revert")
    def _revert(self, event: Button.Pressed) -> None:
        event.stop()
        self.revert()

    def revert(self) -> None:
        """Drop the unsaved edits: back to the version on disk."""
        self._cancel_timer()
        self._ask(None)
        area = self.text_area
        area.load_text(self._saved_text)
        area.move_cursor(body_start(self._saved_text), center=True)
        if self.previewing:
            self._update_preview()
        area.focus()
        self._show_title()

    @on(Saved)
    def _on_saved(self, msg: Saved) -> None:
        self._saving = max(0, self._saving - 1)
        self._apply_saved(msg)

    def _apply_saved(self, msg: Saved) -> None:
        doc = self.doc
        if doc is None or msg.key != doc.key:
            self._show_title()
            return
        self._saved_text = msg.text
        doc.draft = False
        self._ask(None)
        if msg.conflict_rel:
            self._enter_conflict(msg.rel, msg.conflict_rel)
        elif msg.displaced_rel:
            self.app.notify(
                f"Another program wrote {clean(msg.rel)} while it was being saved.\n"
                f"Yours is saved; theirs is kept as {clean(msg.displaced_rel)}.",
                title="Conflict",
                severity="warning",
                timeout=10,
                markup=False,
            )
        self._show_title()

    def _enter_conflict(self, disk_rel: str, mine_rel: str) -> None:
        assert self.doc is not None
        self.doc.rel = mine_rel
        self.conflict = (disk_rel, mine_rel)
        self._show_banner(
            Text.assemble(
                ("Conflict: ", "bold"),
                clean(disk_rel),
                " changed on disk while you were editing. Your version is saved as ",
                (clean(mine_rel), "bold"),
                ". Both are kept; you are editing yours.",
            )
        )
        self.app.notify(
            f"{clean(disk_rel)} changed on disk while you were editing.\n"
            f"Your version: {clean(mine_rel)}\nBoth versions are kept.",
            title="Conflict",
            severity="warning",
            timeout=10,
            markup=False,
        )

    # -- changes on disk -------------------------------------------------------------------
    def check_disk(self) -> None:
        """Look for a change of the open file on disk (the watch loop also calls this)."""
        doc = self.doc
        if doc is None or self.journal is None:
            return
        self._check(doc.key)

    @work(thread=True, group="editor-check", exclusive=True, exit_on_error=False)
    def _check(self, key: str) -> None:
        journal = self.journal
        if journal is None:
            return
        with self._lock:
            rel = self._targets.get(key)
            if rel is None:
                return
            expected = self._digests.get(rel)
            text: str | None
            try:
                text, digest = journal.read_text(rel)
            except FileNotFoundError:
                if expected is not None:
                    self.post_message(self._DiskChanged(key, rel, None, None))
                return
            except UnicodeDecodeError:
                text, digest = None, "undecodable"
            except (EntryReadError, OSError):
                return
            if digest == expected:
                return
        self.post_message(self._DiskChanged(key, rel, text, digest))

    @on(_DiskChanged)
    def _disk_changed(self, msg: _DiskChanged) -> None:
        doc = self.doc
        if doc is None or msg.key != doc.key or msg.rel != doc.rel:
            return
        if msg.digest is None:  # deleted on disk
            self._digests[msg.rel] = None
            doc.draft = True
            self._saved_text = ""
            self.app.notify(
                f"{clean(msg.rel)} was deleted on disk. Your text is still here; typing saves it again.",
                title="Deleted on disk",
                severity="warning",
                markup=False,
            )
            self._show_title()
            return
        if self._saving or self.dirty or msg.text is None:
            # unsaved edits: saving now sends the old digest, so the core keeps both files
            self.save_now()
            return
        self._digests[msg.rel] = msg.digest
        self._saved_text = msg.text
        area = self.text_area
        cursor = area.cursor_location
        scroll = area.scroll_offset
        area.load_text(msg.text)
        row = min(cursor[0], area.document.line_count - 1)
        area.move_cursor((row, cursor[1]))
        area.scroll_to(scroll.x, scroll.y, animate=False)
        if self.previewing:
            self._update_preview()
        self._show_title()
        self.app.notify(f"{clean(msg.rel)} changed on disk; reloaded.", title="Reloaded", markup=False)

    # -- preview ---------------------------------------------------------------------------
    def toggle_preview(self) -> None:
        switcher = self.query_one(ContentSwitcher)
        if self.previewing:
            switcher.current = "editor-text"
            self.text_area.focus()
        else:
            self._update_preview()
            switcher.current = "editor-preview"
            self.query_one("#editor-preview").focus()
        self._show_title()

    def _update_preview(self) -> None:
        self.query_one("#preview-md", Markdown).update(strip_front_matter(clean(self.text)))

    # -- display ---------------------------------------------------------------------------
    def _show_title(self) -> None:
        doc = self.doc
        title = Text(no_wrap=True, overflow="ellipsis")
        if doc is None:
            title.append("No entry open", style="dim")
            title.append("  ·  ctrl+t today's entry · ctrl+n new entry · ctrl+g go to date", style="dim")
        else:
            title.append(clean(doc.title or doc.rel), style="bold")
            title.append(f"  {clean(doc.rel)}", style="dim")
            if self._saving:
                state, style = "saving…", "italic"
            elif self.confirming is not None:
                state, style = "● not saved", "bold"
            elif doc.draft and not self.dirty:
                state, style = "new — saved when you type", "italic dim"
            elif self.dirty:
                state, style = "● edited", "bold"
            else:
                state, style = "saved", "dim"
            title.append(f"  {state}", style=style)
            if self.previewing:
                title.append("  preview", style="reverse")
        self.query_one("#editor-title", Static).update(title)

    def _show_banner(self, text: Text | None) -> None:
        banner = self.query_one("#conflict-banner", Static)
        banner.display = text is not None
        banner.update(text or "")
