"""Command palette (ctrl+p): the project's commands, namespaced ("journal: …", "screen: …",
"theme: …", "open: <entry title>"). Entry titles are journal text: they are displayed as
plain ``Content`` and highlighted by offsets, never parsed as markup."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, cast

from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import Matcher

from journal_me.tui.text import one_line

if TYPE_CHECKING:
    from journal_me.tui.app import JournalMeApp

MAX_ENTRY_HITS = 40


def plain_highlight(matcher: Matcher, candidate: str) -> Content:
    """Like ``Matcher.highlight`` but without parsing ``candidate`` as markup."""
    content = Content(candidate)
    score, offsets = matcher.fuzzy_search.match(matcher.query, candidate)
    if not score:
        return content
    for offset in offsets:
        if not candidate[offset].isspace():
            content = content.stylize(matcher.match_style, offset, offset + 1)
    return content


class JournalCommands(Provider):
    @property
    def jm(self) -> JournalMeApp:
        return cast("JournalMeApp", self.app)

    def _commands(self) -> list[tuple[str, Callable[[], object], str]]:
        app = self.jm
        out: list[tuple[str, Callable[[], object], str]] = [
            ("journal: today's entry", app.action_today, "open or start today's entry"),
            ("journal: new entry", app.action_new_entry, "a new, separate entry for today"),
            ("journal: jump to date", app.action_jump_to_date, "type a date or pick it"),
            (
                "journal: toggle preview",
                partial(app.on_journal_screen, "toggle_preview"),
                "markdown preview of the open entry",
            ),
            (
                "journal: open in $EDITOR",
                partial(app.on_journal_screen, "external_editor"),
                "edit the open entry in your editor",
            ),
            (
                "journal: resolve conflict",
                partial(app.on_journal_screen, "resolve_conflict"),
                "keep mine / keep theirs / open both, for the open entry's conflict copy",
            ),
            (
                "journal: toggle side panel",
                partial(app.on_journal_screen, "toggle_side"),
                "show or hide the people and related entries beside the editor",
            ),
            ("search: search the journal", partial(app.start_search, ""), "words or a question"),
            ("index: rebuild entry list", app.refresh_entries, "reload the list of entries"),
            (
                "chat: new conversation",
                partial(app.run_on_mode, "chat", "new_conversation"),
                "talk with your past self, from a fresh start",
            ),
            (
                "bridge: reply",
                partial(app.run_on_mode, "bridge", "set_action", "reply"),
                "draft a reply to a message someone sent",
            ),
            (
                "bridge: enhance",
                partial(app.run_on_mode, "bridge", "set_action", "enhance"),
                "turn a short request into a rich one with your context",
            ),
            (
                "bridge: critic",
                partial(app.run_on_mode, "bridge", "set_action", "critic"),
                "your side's critique of an expert's answer",
            ),
            (
                "profile: edit",
                partial(app.run_on_mode, "chat", "edit_profile"),
                "who I am: the bio that goes into every prompt",
            ),
            ("model: reload", app.reload_engine, "load the active model again (after a new adapter)"),
            ("help: keys", app.action_show_help, "every key, and how to remap them"),
        ]
        for spec in app.MODE_SPECS:
            out.append((f"screen: {spec.label}", partial(app.switch_mode, spec.name), spec.description))
        for name in sorted(app.available_themes):
            if name.startswith("journal-") or name in {"textual-dark", "textual-light"}:
                out.append(
                    (f"theme: {name}", partial(setattr, app, "theme", name), "switch theme (remembered)")
                )
        return out

    async def discover(self) -> Hits:
        for text, command, help_text in self._commands():
            yield DiscoveryHit(Content(text), command, text=text, help=help_text)

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        app = self.jm
        for text, command, help_text in self._commands():
            score = matcher.match(text)
            if score > 0:
                yield Hit(score, plain_highlight(matcher, text), command, text=text, help=help_text)
        if len(query.strip()) >= 2:
            yield Hit(
                0.05,
                Content.assemble("search: ", (query.strip(), "bold")),
                partial(app.start_search, query.strip()),
                text=f"search: {query.strip()}",
                help="search the journal for this",
            )
        found = 0
        for s in reversed(app.backend.summaries):
            candidate = f"open: {one_line(s.title or s.rel)} ({s.date.isoformat()})"
            score = matcher.match(candidate)
            if score > 0:
                yield Hit(
                    score * 0.9,
                    plain_highlight(matcher, candidate),
                    partial(app.open_entry, s.rel),
                    text=candidate,
                    help=one_line(s.rel),
                )
                found += 1
                if found >= MAX_ENTRY_HITS:
                    break
