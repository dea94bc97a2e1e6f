"""Talking commands: ask (chat, one shot), bridge (drafts), chats, profile."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from journal_me.commands.journal import open_journal
from journal_me.commands.output import OutputError, clean, clean_line, dumps_json, write_output
from journal_me.config import Settings
from journal_me.conversations import ConversationStore

# The talking machinery (retrieval, modes, roles, profile) loads in the handlers: `journal-me
# --help` should not wait for it. BRIDGE_ACTIONS is modes.bridge.ACTIONS (a test checks).
BRIDGE_ACTIONS = ("reply", "enhance", "critic")

if TYPE_CHECKING:
    from journal_me.modes.common import TalkEngine, TalkEvent
    from journal_me.profile import Profile


def _err(message: str) -> int:
    Console(stderr=True).print(Text(f"journal-me: {clean(message)}", style="bold red"), soft_wrap=True)
    return 1


def _note(message: str) -> None:
    Console(stderr=True).print(Text(clean(message), style="yellow"), soft_wrap=True)


def load_engine(settings: Settings, *, quiet: bool = False) -> TalkEngine | None:
    """The configured model, or None (memory-only mode) with the reason on stderr."""
    from journal_me.llm.engine import Engine, EngineError

    try:
        return Engine.from_settings(settings)
    except (EngineError, ValueError, OSError) as exc:
        # ValueError: the model registry's RegistryError (e.g. a corrupt registry.json), which
        # names the file and what to do; the answer still comes, from memory
        if not quiet:
            _note(f"memory-only mode: {exc}")
        return None


def open_store(
    settings: Settings, *, no_save: bool = False, quiet: bool = False, force_save: bool = False
) -> ConversationStore:
    """The conversation store; in memory only with ``--no-save`` or ``save_conversations =
    false`` (``force_save``: the file anyway, to read it). A broken file is moved aside or
    skipped by the store; say what happened."""
    save = force_save or (settings.save_conversations and not no_save)
    store = ConversationStore(settings.conversations_file, save=save)
    if store.recovered and not quiet:
        _note(f"journal-me: {store.recovered}")
    return store


def load_profile(settings: Settings) -> Profile | None:
    from journal_me.profile import Profile

    return Profile.load(settings.profile_file)


def _consume(events: Any, *, stream_to: Console | None) -> TalkEvent:
    """Run a talk stream; print answer deltas live when asked; return the final event."""
    final: TalkEvent | None = None
    for ev in events:
        if ev.kind == "answer" and stream_to is not None:
            # per delta: a sequence split across deltas loses its ESC, so what is left is text
            stream_to.out(clean(ev.text), end="", highlight=False)
        if ev.kind in {"done", "error"}:
            final = ev
    if stream_to is not None:
        stream_to.out("")
    assert final is not None
    return final


def cmd_ask(args: argparse.Namespace, settings: Settings) -> int:
    from journal_me.dates import DateParseError, parse_day
    from journal_me.modes.chat import ChatSession

    try:
        as_of = parse_day(args.as_of, end_of_period=True) if args.as_of else None
    except DateParseError as exc:
        return _err(str(exc))
    question = " ".join(args.question).strip()
    if question in {"", "-"}:
        question = sys.stdin.read().strip()
    if not question:
        return _err("ask what? give a question")
    journal = open_journal(settings, quiet=args.json)
    engine = load_engine(settings, quiet=args.json)
    store = open_store(settings, no_save=args.no_save)
    profile = load_profile(settings)
    session = ChatSession(
        journal, engine, store, profile_text=profile.prompt_text() if profile else None, name=settings.name
    )
    out = Console(highlight=False)
    final = _consume(session.ask(question, as_of=as_of), stream_to=None if args.json else out)
    if args.json:
        saved = store.persistent and session.conversation is not None
        print(
            dumps_json(
                {
                    "question": question,
                    "as_of": as_of.isoformat() if as_of else None,
                    "answer": final.answer,
                    "reasoning": final.reasoning,
                    "memory_only": final.memory_only,
                    "citations": [c.to_json() for c in final.citations],
                    "conversation": session.conversation.id if saved and session.conversation else None,
                }
            )
        )
        return 0
    if final.citations and not final.memory_only:
        out.print()
        for c in final.citations:
            out.print(Text(clean_line(f"{c.label()}  {c.rel}:{c.line}"), style="dim"))
    return 0


def cmd_bridge(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "consult":  # bridge consult EXPERT "request" (issue 12's experts)
        from journal_me.net.cli import cmd_consult

        return cmd_consult(args, settings)
    from journal_me.modes.bridge import BridgeSession
    from journal_me.roles import RoleError, load_roles

    incoming = sys.stdin.read() if not sys.stdin.isatty() else ""
    if args.text:
        incoming = " ".join(args.text)
    if not incoming.strip():
        return _err(
            f"bridge {args.action}: pipe the text in (e.g. pbpaste | journal-me bridge {args.action})"
        )
    try:
        roles = load_roles(settings.roles_file)
    except RoleError as exc:
        return _err(str(exc))
    if args.role not in roles:
        return _err(f"unknown role {args.role!r}; roles: {', '.join(sorted(roles))}")
    if args.output and not args.force and os.path.lexists(Path(args.output).expanduser()):
        # before the model runs: a refusal afterwards would waste the draft's minutes
        return _err(f"{args.output} already exists; use --force to replace it")
    journal = open_journal(settings, quiet=True)
    engine = load_engine(settings, quiet=args.json)
    profile = load_profile(settings)
    session = BridgeSession(
        journal,
        engine,
        open_store(settings, no_save=args.no_save, quiet=args.json),
        profile_text=profile.prompt_text() if profile else None,
        name=settings.name,
    )
    final = _consume(session.draft(args.action, incoming, roles[args.role]), stream_to=None)
    # the draft is for pasting elsewhere: no escape sequence rides along (a pasted one could
    # end a terminal's bracketed paste, or drive the terminal it is shown in)
    draft = clean(final.answer)
    copied = None
    code = 0
    if args.copy:
        from journal_me.clipboard import copy_text

        result = copy_text(draft)
        copied = result.ok
        if not result.ok:
            code = 1
    if args.json:
        print(
            dumps_json(
                {
                    "action": args.action,
                    "role": args.role,
                    "draft": draft,
                    "reasoning": final.reasoning,
                    "memory_only": final.memory_only,
                    "copied": copied,
                    "citations": [c.to_json() for c in final.citations],
                    "withheld": final.extra.get("withheld", {}),
                }
            )
        )
    else:
        print(draft)
        if final.extra.get("withheld_note"):  # how many memories were left out, and why
            _note(f"({final.extra['withheld_note']})")
    if args.copy:
        line = result.describe()
        print(f"({line})" if result.ok else f"journal-me: {line}", file=sys.stderr)
    if args.output:
        try:
            write_output(args.output, draft + "\n", vault=settings.vault, force=args.force)
        except OutputError as exc:
            return _err(str(exc))
        print(f"(saved to {clean_line(args.output)})", file=sys.stderr)
    return code


def cmd_chats(args: argparse.Namespace, settings: Settings) -> int:
    # the saved conversations, even when new ones are not saved (save_conversations = false)
    store = open_store(settings, force_save=True)
    try:
        if args.chats_cmd == "list":
            for c in store.conversations():
                print(clean_line(f"{c.id:>4}  {c.updated}  {c.mode:<6}  {c.title}"))
            return 0
        store.get(args.id)  # every other action names one: say so when there is none
        if args.chats_cmd == "show" or args.chats_cmd == "export":
            text = store.export_markdown(args.id)
            if getattr(args, "output", None):
                try:
                    write_output(args.output, text, vault=settings.vault, force=args.force)
                except OutputError as exc:
                    return _err(str(exc))
                print(f"wrote {clean_line(args.output)}")
            else:
                print(clean(text), end="")
        elif args.chats_cmd == "rename":
            store.rename(args.id, " ".join(args.title))
        elif args.chats_cmd == "delete":
            store.delete(args.id)
            print(f"deleted conversation {args.id}")
    except KeyError as exc:
        return _err(f"{exc.args[0]} (see `journal-me chats list`)")
    return 0


def cmd_profile(args: argparse.Namespace, settings: Settings) -> int:
    from journal_me.profile import Profile, generate_profile, template_profile

    path = settings.profile_file
    profile = Profile.load(path)
    if args.profile_cmd == "show":
        if profile is None:
            print("no profile yet — run `journal-me profile regenerate`")
            return 0
        print(clean(profile.prompt_text()))
        print(clean(f"\n(source: {profile.source}, {profile.generated})"), file=sys.stderr)
        return 0
    if args.profile_cmd == "regenerate":
        if profile is not None and profile.source == "user" and not args.force:
            return _err("your profile was edited by hand; use --force to replace it")
        journal = open_journal(settings, quiet=True)
        engine = None if args.no_model else load_engine(settings)
        new = (
            generate_profile(journal, engine, name=settings.name)
            if engine
            else template_profile(journal, settings.name)
        )
        new.save(path)
        print(clean(new.prompt_text()))
        return 0
    # edit
    current = profile or Profile(bio="", preferences=[])
    with tempfile.NamedTemporaryFile("w", suffix=".md", delete=False, encoding="utf-8") as fh:
        fh.write(current.bio.strip() + "\n\nPreferences: " + ", ".join(current.preferences) + "\n")
        tmp = fh.name
    editor = settings.editor or os.environ.get("VISUAL") or os.environ.get("EDITOR") or "vi"
    subprocess.run([*shlex.split(editor), tmp], check=False)
    text = Path(tmp).read_text(encoding="utf-8")
    os.unlink(tmp)
    bio, _, prefs = text.partition("\nPreferences:")
    Profile(
        bio=bio.strip(), preferences=[p.strip() for p in prefs.split(",") if p.strip()], source="user"
    ).save(path)
    print("profile saved")
    return 0


def smoke_check(args: argparse.Namespace, settings: Settings, out: Console) -> bool:
    """doctor: the model the user configured, and (--smoke) the llama.cpp chat path."""
    from journal_me.models import ModelRegistry

    try:
        active = ModelRegistry(settings).active()
    except (ValueError, OSError) as exc:  # RegistryError: e.g. a corrupt registry.json
        out.print(Text(clean_line(f"model:      {exc}"), style="yellow"))
        return False
    out.print(Text(clean_line(f"model:      {active.label if active.base else 'none (memory-only mode)'}")))
    if not getattr(args, "smoke", False):
        return True
    from journal_me.smoke import StepResult, chat_smoke

    def report(step: StepResult) -> None:
        mark = Text("  ok  ", style="green") if step.ok else Text("  FAIL", style="bold red")
        out.print(mark + Text(f" {step.name} ({step.seconds:.2f}s) {step.detail}"))

    out.print(Text("smoke test: model path"))
    return chat_smoke(report)


doctor_check = smoke_check  # found by `journal-me doctor` (commands.journal.doctor_checks)


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("ask", help="ask your past self (one-shot chat)")
    p.add_argument("question", nargs="*")
    p.add_argument("--as-of", help="talk to yourself as of this date (no later memories)")
    p.add_argument("--json", action="store_true", help="answer, reasoning and citations as JSON")
    p.add_argument("--no-save", action="store_true", help="do not keep this conversation")
    p.set_defaults(handler=cmd_ask)

    p = sub.add_parser("bridge", help="draft as you: reply | enhance | critic (stdin) | consult EXPERT")
    p.add_argument("action", choices=(*BRIDGE_ACTIONS, "consult"))
    p.add_argument("text", nargs="*", help="the text (default: stdin)")
    p.add_argument("--role", default="social")
    p.add_argument("--copy", action="store_true", help="copy the draft to the clipboard")
    p.add_argument("--json", action="store_true")
    p.add_argument("--output", "-o", help="also save the draft to this file (not in the vault)")
    p.add_argument("--force", action="store_true", help="replace the --output file if it exists")
    p.add_argument("--no-save", action="store_true", help="do not keep this conversation")
    p.add_argument("--dry-run", action="store_true", help="consult: show what would be sent, send nothing")
    p.set_defaults(handler=cmd_bridge)

    p = sub.add_parser("chats", help="saved conversations")
    csub = p.add_subparsers(dest="chats_cmd", required=True)
    csub.add_parser("list")
    s = csub.add_parser("show")
    s.add_argument("id", type=int)
    s = csub.add_parser("export", help="export a conversation to markdown")
    s.add_argument("id", type=int)
    s.add_argument("--output", "-o", help="a file outside the vault (default: stdout)")
    s.add_argument("--force", action="store_true", help="replace the --output file if it exists")
    s = csub.add_parser("rename")
    s.add_argument("id", type=int)
    s.add_argument("title", nargs="+")
    s = csub.add_parser("delete")
    s.add_argument("id", type=int)
    p.set_defaults(handler=cmd_chats)

    p = sub.add_parser("profile", help="your 'who I am' profile used in every prompt")
    psub = p.add_subparsers(dest="profile_cmd", required=True)
    psub.add_parser("show")
    r = psub.add_parser("regenerate")
    r.add_argument("--force", action="store_true", help="replace a hand-edited profile")
    r.add_argument("--no-model", action="store_true", help="build it from the graph only")
    psub.add_parser("edit")
    p.set_defaults(handler=cmd_profile)
