"""The client side's commands: ``peers ask``, ``space`` and ``bridge consult``.

``journal_me.commands.net`` wires ``register_peers_ask`` under ``peers`` and ``register_space``
at the top level; ``journal_me.commands.talk`` hands ``bridge consult`` to ``cmd_consult``.
Handlers take ``(args, settings)`` and return an exit code, like every command.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from journal_me.config import Settings
from journal_me.termsafe import clean

if TYPE_CHECKING:
    from journal_me.net.client import PeerAnswer
    from journal_me.net.store import Peer


def _err(message: str) -> int:
    Console(stderr=True).print(Text(f"journal-me: {clean(message)}", style="bold red"), soft_wrap=True)
    return 1


def _note(message: str) -> None:
    Console(stderr=True).print(Text(clean(message), style="yellow"), soft_wrap=True)


def _print(text: str, style: str | None = None) -> None:
    Console(highlight=False, soft_wrap=True).print(Text(clean(text), style=style or ""))


def _dumps(data: Any) -> str:
    from journal_me.commands.output import dumps_json

    return dumps_json(data)


def _peer(settings: Settings, name: str) -> Peer:
    from journal_me.net.store import PeerStore, network_dir

    return PeerStore(network_dir(settings.vault_data_dir)).get(name)


# --- peers ask ------------------------------------------------------------------------------


def _answer_json(answer: PeerAnswer) -> dict[str, Any]:
    return {"peer": answer.peer, "state": answer.state, "text": answer.text, "task_id": answer.task_id}


def cmd_peers_ask(args: argparse.Namespace, settings: Settings) -> int:
    from journal_me.net.client import PeerError, ask_peer, poll, wait
    from journal_me.net.store import NetStoreError

    question = " ".join(args.question).strip()
    if question == "-":
        question = sys.stdin.read().strip()
    if not question and not args.task:
        return _err('ask what? journal-me peers ask NAME "question"')
    try:
        peer = _peer(settings, args.name)
        if args.task:
            answer = poll(peer, args.task, timeout=args.timeout)
        else:
            answer = ask_peer(peer, question, skill=args.skill, timeout=args.timeout)
        if args.wait and not answer.final:
            answer = wait(peer, answer, timeout=args.wait)
    except (PeerError, NetStoreError) as exc:
        return _err(str(exc))
    if args.json:
        print(_dumps(_answer_json(answer)))
    elif answer.state == "completed":
        _print(answer.text)
    else:
        _print(answer.describe(), style="yellow")
        if answer.waiting and answer.task_id:
            _note(
                f"check again: journal-me peers ask {peer.name} --task {answer.task_id}   (or add --wait 300)"
            )
    return 0 if answer.state == "completed" or answer.waiting else 1


def register_peers_ask(peers_sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``peers ask NAME "question"`` (under ``peers``)."""
    p = peers_sub.add_parser("ask", help="ask a friend's second me (A2A)")
    p.add_argument("name")
    p.add_argument("question", nargs="*", help="the question ('-': read it from stdin)")
    p.add_argument("--skill", default="ask-me", help="the skill on their card (default ask-me)")
    p.add_argument("--timeout", type=float, default=30.0, help="seconds for each call (default 30)")
    p.add_argument("--wait", type=float, default=0.0, help="seconds to wait for their owner's approval")
    p.add_argument("--task", help="check an earlier question's task again instead of asking")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_peers_ask)


# --- space ----------------------------------------------------------------------------------


def cmd_space(args: argparse.Namespace, settings: Settings) -> int:
    from journal_me.commands.journal import open_journal
    from journal_me.commands.talk import load_engine
    from journal_me.net.spaces import JournalHost, Space, spaces_dir
    from journal_me.net.store import NetStoreError
    from journal_me.roles import RoleError, load_roles

    objective = " ".join(args.objective).strip()
    names = [n.strip() for n in args.with_.split(",") if n.strip()]
    try:
        roles = load_roles(settings.roles_file)
        if args.role not in roles:
            return _err(f"unknown role {args.role!r}; roles: {', '.join(sorted(roles))}")
        participants = [_peer(settings, n) for n in names]
    except (RoleError, NetStoreError) as exc:
        return _err(str(exc))
    journal = open_journal(settings, quiet=True)
    host = JournalHost(
        journal, roles[args.role], name=settings.name or "me", engine=load_engine(settings, quiet=True)
    )
    try:
        space = Space(
            objective,
            participants,
            host,
            spaces_dir(settings.vault_data_dir),
            rounds=args.rounds,
            turn_timeout=args.turn_timeout,
            approval_timeout=args.approval_timeout,
        )
    except ValueError as exc:
        return _err(str(exc))
    events = []
    for ev in space.run():
        events.append(ev)
        if args.json:
            continue
        if ev.kind == "open":
            _print(f"Opening — {ev.speaker}'s second me", style="bold")
            _print(ev.text + "\n")
        elif ev.kind == "waiting":
            _print(f"[round {ev.round}] {ev.speaker}: {ev.text}…", style="yellow")
        elif ev.kind == "turn":
            _print(f"[round {ev.round}] {ev.speaker}", style="bold" if ev.state == "completed" else "yellow")
            _print(ev.text + "\n")
        elif ev.kind == "summary":
            _print("Summary", style="bold")
            _print(ev.text)
        elif ev.kind == "saved":
            _note(f"(transcript saved to {ev.text})")
    if args.json:
        print(
            _dumps(
                {
                    "objective": objective,
                    "transcript": str(space.path),
                    "events": [
                        {
                            "kind": e.kind,
                            "speaker": e.speaker,
                            "round": e.round,
                            "state": e.state,
                            "text": e.text,
                        }
                        for e in events
                        if e.kind != "saved"
                    ],
                }
            )
        )
    return 0


def register_space(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """``space "objective" --with sam,tom [--rounds 3]`` (top level)."""
    p = sub.add_parser("space", help="several second mes discuss one objective (A2A)")
    p.add_argument("objective", nargs="+")
    p.add_argument("--with", dest="with_", required=True, metavar="NAMES", help="peers, comma-separated")
    p.add_argument("--rounds", type=int, default=3, help="rounds of turns (1-10, default 3)")
    p.add_argument("--role", default="social", help="the role your opening may draw on (default social)")
    p.add_argument("--turn-timeout", type=float, default=30.0, help="seconds per turn (default 30)")
    p.add_argument(
        "--approval-timeout",
        type=float,
        default=60.0,
        help="seconds to wait for a friend's approval (default 60)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_space)


# --- bridge consult --------------------------------------------------------------------------


def cmd_consult(args: argparse.Namespace, settings: Settings) -> int:
    """``bridge consult EXPERT "request"``: ``args.text`` holds the expert's name, then the
    request (or the request comes on stdin)."""
    from journal_me.commands.journal import open_journal
    from journal_me.commands.talk import load_engine
    from journal_me.net.experts import ExpertError, consult, experts_file, load_experts
    from journal_me.roles import RoleError, load_roles

    words = list(args.text or [])
    if not words:
        return _err('bridge consult EXPERT "request"  (experts are listed in experts.toml)')
    name, request = words[0].lower(), " ".join(words[1:]).strip()
    if not request and not sys.stdin.isatty():
        request = sys.stdin.read().strip()
    path = experts_file(settings)
    try:
        experts = load_experts(path)
        roles = load_roles(settings.roles_file)
    except (ExpertError, RoleError) as exc:
        return _err(str(exc))
    if name not in experts:
        known = ", ".join(sorted(experts)) or f"none yet: add one to {path}"
        return _err(f"no expert named {name!r} (experts: {known})")
    if args.role not in roles:
        return _err(f"unknown role {args.role!r}; roles: {', '.join(sorted(roles))}")
    expert = experts[name]
    journal = open_journal(settings, quiet=True)
    engine = load_engine(settings, quiet=args.json)
    try:
        result = consult(
            journal,
            engine,
            expert,
            request,
            roles[args.role],
            name=settings.name,
            send=lambda e, text: _send(settings, e, text),
            dry_run=getattr(args, "dry_run", False),
        )
    except ExpertError as exc:
        return _err(str(exc))
    answer = result.answer
    if args.json:
        print(
            _dumps(
                {
                    "expert": expert.name,
                    "kind": expert.kind,
                    "role": args.role,
                    "request": request,
                    "enhanced": clean(result.enhanced),
                    "sent": result.sent,
                    "answer": clean(answer.text) if answer else None,
                    "state": answer.state if answer else None,
                    "critique": clean(result.critique),
                    "memory_only": result.memory_only,
                    "withheld": result.withheld_note,
                }
            )
        )
        return 0
    sent = "sent to" if result.sent else "would be sent to (--dry-run: nothing sent)"
    _print(f"── 1. Your request, enhanced ({sent} {expert.describe()}) ──", style="bold")
    _print(result.enhanced + "\n")
    if result.withheld_note:
        _note(f"({result.withheld_note})")
    if answer is not None:
        _print(f"── 2. {expert.name}'s answer ──", style="bold")
        _print(answer.text + "\n", style=None if answer.state == "completed" else "yellow")
        if result.critique:
            _print("── 3. Critique from your side ──", style="bold")
            _print(result.critique)
    return 0


def _send(settings: Settings, expert: Any, text: str) -> Any:
    from journal_me.net.experts import ask_expert

    return ask_expert(expert, text, peers=lambda n: _peer(settings, n))
