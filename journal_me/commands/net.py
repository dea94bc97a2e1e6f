"""Network commands: serve, mcp, peers, outbox, netlog (and, from the client side, peers ask
and space — ``journal_me.net.cli``).

Nothing here talks to the network except ``serve`` (listens) and ``mcp`` (stdio only); the
rest reads and writes ``network.sqlite3`` in the vault's data dir.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from journal_me.commands.output import clean, clean_line, dumps_json
from journal_me.config import Settings

if TYPE_CHECKING:
    from journal_me.net.store import OutboxItem, Peer


def _err(message: str) -> int:
    Console(stderr=True).print(Text(f"journal-me: {clean(message)}", style="bold red"), soft_wrap=True)
    return 1


def _out() -> Console:
    return Console(highlight=False, soft_wrap=True)


def _data_dir(settings: Settings) -> Path:
    from journal_me.datadir import secure_data_dir

    path = settings.vault_data_dir
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    secure_data_dir(path)
    return path


# -- serve / mcp ------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    from journal_me.net.answer import SKILLS
    from journal_me.net.server import ServeError, check_bind, serve

    tls: tuple[Path, Path] | None = None
    if args.tls_cert or args.tls_key:
        if not (args.tls_cert and args.tls_key):
            return _err("give both --tls-cert and --tls-key")
        tls = (Path(args.tls_cert), Path(args.tls_key))
    skills: tuple[str, ...] | None = None
    if args.skills:
        skills = tuple(s.strip() for s in args.skills.split(",") if s.strip())
        unknown = [s for s in skills if s not in SKILLS]
        if unknown:
            return _err(f"unknown skill {unknown[0]!r} (skills: {', '.join(SKILLS)})")
    try:
        check_bind(args.host, tls, args.insecure_lan)  # refuse before opening anything
    except ServeError as exc:
        return _err(str(exc))
    from journal_me.commands.journal import open_journal
    from journal_me.roles import RoleError

    _data_dir(settings)
    journal = open_journal(settings, long_running=True)
    try:
        serve(
            settings,
            args.host,
            args.port,
            tls=tls,
            insecure_lan=args.insecure_lan,
            skills=skills,
            public_url=args.public_url,
            journal=journal,
        )
    except (ServeError, RoleError) as exc:
        return _err(str(exc))
    except KeyboardInterrupt:
        pass
    finally:
        journal.close()
    return 0


def cmd_mcp(args: argparse.Namespace, settings: Settings) -> int:
    """MCP on stdio, with the owner's rights (the caller is the owner's own process).
    stdout carries the protocol: every note goes to stderr."""
    from journal_me.commands.journal import open_journal
    from journal_me.net.answer import Answerer
    from journal_me.net.mcp_tools import Gate, run_stdio
    from journal_me.net.server import load_engine
    from journal_me.net.store import NetLog, Outbox, PeerStore

    data = _data_dir(settings)
    from journal_me.roles import RoleError

    journal = open_journal(settings, quiet=True, long_running=True)  # notes go to stderr
    try:
        answerer = Answerer(settings, journal, None if args.memory_only else load_engine(settings))
        run_stdio(answerer, Gate(answerer, PeerStore(data), Outbox(data), NetLog(data)))
    except RoleError as exc:
        return _err(str(exc))
    finally:
        journal.close()
    return 0


# -- peers ------------------------------------------------------------------------------------


def _peer_json(p: Peer) -> dict[str, Any]:
    return {
        "name": p.name,
        "url": p.url,
        "role": p.role,
        "mode": p.mode,
        "can_call_us": p.can_call_us,
        "we_can_call": p.outbound_token is not None,
        "created": p.created,
    }


def cmd_peers(args: argparse.Namespace, settings: Settings) -> int:
    from journal_me.net.store import NetStoreError, PeerStore

    store = PeerStore(_data_dir(settings))
    out = _out()
    try:
        if args.peers_cmd == "invite":
            from journal_me.roles import RoleError, load_roles

            try:
                roles = load_roles(settings.roles_file)
            except RoleError as exc:
                return _err(str(exc))
            if args.role not in roles:
                return _err(f"no role {args.role!r} (roles: {', '.join(sorted(roles))})")
            inv = store.invite(args.name, args.role, args.url)
            if args.json:
                print(dumps_json({"name": inv.name, "role": inv.role, "url": inv.url, "token": inv.token}))
                return 0
            out.print(
                Text(f"Invitation for {inv.name} ({inv.role}). Give them these, privately (shown once):")
            )
            out.print(Text(f"  URL:   {inv.url}"))
            out.print(Text(f"  token: {inv.token}"))
            out.print(Text(f"They run:  journal-me peers add YOUR-NAME {inv.url} {inv.token}", style="dim"))
            out.print(
                Text("Their questions wait in `journal-me outbox` for you (`peers mode NAME auto`: no wait).")
            )
            return 0
        if args.peers_cmd == "add":
            peer = store.add(args.name, args.url, args.token, role=args.role)
            if args.json:
                print(dumps_json(_peer_json(peer)))
            else:
                out.print(
                    Text(
                        clean_line(
                            f"added {peer.name}: {peer.url} (ask with `journal-me peers ask {peer.name} …`)"
                        )
                    )
                )
            return 0
        if args.peers_cmd == "list":
            peers = store.list()
            if args.json:
                print(dumps_json([_peer_json(p) for p in peers]))
                return 0
            if not peers:
                out.print(Text("no peers yet: `journal-me peers invite NAME --role social`"))
            for p in peers:
                ways = ", ".join(
                    w for w, ok in (("can ask you", p.can_call_us), ("you can ask", p.outbound_token)) if ok
                )
                out.print(
                    Text(
                        clean_line(
                            f"{p.name:<16} {p.role:<8} {p.mode:<6} {p.url or '-'}  ({ways or 'revoked'})"
                        )
                    )
                )
            return 0
        if args.peers_cmd == "remove":
            store.remove(args.name)
            out.print(Text(f"removed {clean_line(args.name)}: its token no longer works"))
            return 0
        if args.peers_cmd == "mode":
            if args.role:
                if args.name:
                    return _err("give a peer NAME or --role ROLE, not both")
                changed = store.set_role_mode(args.role, args.mode)
                names = ", ".join(p.name for p in changed) or "no peers yet"
                out.print(Text(clean_line(f"role {args.role}: {args.mode} from now on ({names})")))
                return 0
            if not args.name:
                return _err("peers mode NAME auto|manual, or peers mode --role ROLE auto|manual")
            peer = store.set_mode(args.name, args.mode)
            note = "answers go out at once" if peer.mode == "auto" else "answers wait for your approval"
            out.print(Text(clean_line(f"{peer.name}: {peer.mode} ({note})")))
            return 0
        if args.peers_cmd == "role":
            from journal_me.roles import RoleError, load_roles

            try:
                roles = load_roles(settings.roles_file)
            except RoleError as exc:
                return _err(str(exc))
            if args.role not in roles:
                return _err(f"no role {args.role!r} (roles: {', '.join(sorted(roles))})")
            peer = store.set_role(args.name, args.role)
            out.print(Text(clean_line(f"{peer.name}: role {peer.role}")))
            return 0
        if args.peers_cmd == "owner-token":
            if args.revoke:
                n = store.revoke_owner_tokens()
                out.print(Text(f"revoked {n} owner token(s)"))
                return 0
            token = store.issue_owner_token()
            print(token if args.json is False else dumps_json({"token": token}))
            return 0
    except NetStoreError as exc:
        return _err(str(exc))
    return _err(f"unknown peers command {args.peers_cmd!r}")


# -- outbox / netlog --------------------------------------------------------------------------


def _item_json(i: OutboxItem) -> dict[str, Any]:
    return {
        "id": i.id,
        "peer": i.peer,
        "role": i.role,
        "skill": i.skill,
        "state": i.state,
        "question": i.question,
        "draft": i.draft,
        "answer": i.answer,
        "reason": i.reason,
        "memory_only": i.memory_only,
        "created": i.created,
        "updated": i.updated,
    }


def _find(outbox: Any, prefix: str) -> str:
    """A task id from a unique prefix of it (as shown by ``outbox list``)."""
    from journal_me.net.store import NetStoreError

    if outbox.find(prefix) is not None:
        return prefix
    matches = [i.id for i in outbox.items(limit=10_000) if i.id.startswith(prefix)]
    if len(matches) != 1:
        raise NetStoreError(f"{'no' if not matches else 'more than one'} task starting with {prefix!r}")
    return str(matches[0])


def cmd_outbox(args: argparse.Namespace, settings: Settings) -> int:
    from journal_me.net.store import NetStoreError, Outbox

    outbox = Outbox(_data_dir(settings))
    out = _out()
    try:
        if args.outbox_cmd in (None, "list"):
            items = outbox.items(limit=args.limit) if args.all else outbox.pending()
            if args.json:
                print(dumps_json([_item_json(i) for i in items]))
                return 0
            if not items:
                out.print(Text("nothing waiting for you" if not args.all else "no tasks yet"))
            for i in items:
                out.print(
                    Text(
                        clean_line(f"{i.id[:8]}  {i.state:<14} {i.peer} ({i.role}, {i.skill})  {i.created}"),
                        style="bold",
                    )
                )
                out.print(Text("  asked: " + clean_line(i.question[:200])))
                for line in clean(i.draft or "").splitlines()[:12]:
                    out.print(Text("  | " + line))
            return 0
        task_id = _find(outbox, args.id)
        if args.outbox_cmd == "show":
            item = outbox.get(task_id)
            if args.json:
                print(dumps_json(_item_json(item)))
            else:
                out.print(
                    Text(
                        clean(
                            f"{item.peer} ({item.role}, {item.skill}) asked:\n{item.question}\n\n"
                            f"draft:\n{item.draft}"
                        )
                    )
                )
            return 0
        if args.outbox_cmd == "approve":
            text = args.edit
            if text == "-":
                text = sys.stdin.read()
            item = outbox.approve(task_id, text)
            out.print(
                Text(clean_line(f"sent to {item.peer}" + (" (edited)" if item.answer != item.draft else "")))
            )
            return 0
        if args.outbox_cmd == "refuse":
            item = outbox.refuse(task_id, args.reason or "")
            out.print(Text(clean_line(f"refused: {item.peer} is told you declined")))
            return 0
    except NetStoreError as exc:
        return _err(str(exc))
    return _err(f"unknown outbox command {args.outbox_cmd!r}")


def cmd_netlog(args: argparse.Namespace, settings: Settings) -> int:
    from journal_me.net.store import NetLog

    entries = NetLog(_data_dir(settings)).entries(limit=args.limit, peer=args.peer)
    if args.json:
        print(dumps_json([e.__dict__ for e in entries]))
        return 0
    out = _out()
    if not entries:
        out.print(Text("nothing said on the network yet"))
    for e in entries:
        arrow = "→" if e.direction == "out" else "←"
        out.print(Text(clean_line(f"{e.when}  {arrow} {e.peer} [{e.kind}]"), style="bold"))
        for line in clean(e.text).splitlines()[:8]:
            out.print(Text("  " + line))
    return 0


def doctor_check(args: argparse.Namespace, settings: Settings, out: Console) -> bool:
    """``journal-me doctor``: the network file is owner-only; how many answers wait."""
    import stat

    from journal_me.net import NETWORK_DB

    path = settings.vault_data_dir / NETWORK_DB
    if not path.exists():
        return True
    mode = stat.S_IMODE(path.stat().st_mode)
    from journal_me.net.store import Outbox, PeerStore

    pending = len(Outbox(path.parent).pending())
    peers = len(PeerStore(path.parent).list())
    out.print(Text(f"network:    {peers} peer(s), {pending} answer(s) waiting in `journal-me outbox`"))
    if mode & 0o077:
        out.print(
            Text(f"network:    {path} is readable by others ({oct(mode)}): chmod 600 it", style="yellow")
        )
        return False
    return True


# -- wiring -----------------------------------------------------------------------------------


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from journal_me.net import DEFAULT_HOST, DEFAULT_PORT

    p = sub.add_parser("serve", help="serve your second me: A2A for peers, MCP at /mcp (loopback by default)")
    p.add_argument(
        "--host", default=DEFAULT_HOST, help="address to bind (not loopback: needs TLS or --insecure-lan)"
    )
    p.add_argument("--port", type=int, default=DEFAULT_PORT)
    p.add_argument("--tls-cert", help="TLS certificate (PEM)")
    p.add_argument("--tls-key", help="TLS private key (PEM)")
    p.add_argument("--insecure-lan", action="store_true", help="allow a LAN address without TLS (clear text)")
    p.add_argument("--skills", help="comma-separated skills to offer (default: ask-me,reply,enhance,critic)")
    p.add_argument("--public-url", help="the URL peers reach you at (for the card and invitations)")
    p.set_defaults(handler=cmd_serve)

    p = sub.add_parser(
        "mcp", help="MCP over stdio for your own desktop agents (your rights; never private entries)"
    )
    p.add_argument("--memory-only", action="store_true", help="do not load the model")
    p.set_defaults(handler=cmd_mcp)

    p = sub.add_parser("peers", help="friends' second mes: invite | add | list | remove | mode | role | ask")
    psub = p.add_subparsers(dest="peers_cmd", required=True)
    s = psub.add_parser("invite", help="a one-time invitation (URL + token) for a friend")
    s.add_argument("name")
    s.add_argument("--role", default="social", help="what of your memory may be used for them")
    s.add_argument("--url", default=f"http://{DEFAULT_HOST}:{DEFAULT_PORT}", help="the URL they reach you at")
    s.add_argument("--json", action="store_true")
    s = psub.add_parser("add", help="a friend's invitation: NAME URL TOKEN")
    s.add_argument("name")
    s.add_argument("url")
    s.add_argument("token")
    s.add_argument("--role", default="social", help="what of your memory may be used when they ask you")
    s.add_argument("--json", action="store_true")
    s = psub.add_parser("list")
    s.add_argument("--json", action="store_true")
    s = psub.add_parser("remove", help="forget a peer; its token stops working")
    s.add_argument("name")
    s = psub.add_parser(
        "mode", help="manual (answers wait for you) or auto (they go at once), per peer or role"
    )
    s.add_argument("name", nargs="?", help="a peer (or --role for every peer of a role)")
    s.add_argument("mode", choices=("manual", "auto"))
    s.add_argument("--role", help="set the mode of a whole role: its peers now and new ones later")
    s = psub.add_parser("role", help="change the role a peer is answered in")
    s.add_argument("name")
    s.add_argument("role")
    s = psub.add_parser("owner-token", help="a token with your rights, for your own agents over HTTP (/mcp)")
    s.add_argument("--revoke", action="store_true", help="revoke every owner token instead")
    s.add_argument("--json", action="store_true")
    # Client-side sub-commands (H7: journal_me.net.cli): peers ask, and the top-level `space`.
    try:
        from journal_me.net import cli as client_cli
    except ImportError:
        client_cli = None  # type: ignore[assignment]
    for own in psub.choices.values():
        own.set_defaults(handler=cmd_peers)
    if client_cli is not None:
        client_cli.register_peers_ask(psub)  # sets its own handler

    p = sub.add_parser("outbox", help="answers waiting for your approval: list | show | approve | refuse")
    p.add_argument("--json", action="store_true")
    p.add_argument("--all", action="store_true", help="every task, not only those waiting")
    p.add_argument("--limit", type=int, default=100)
    osub = p.add_subparsers(dest="outbox_cmd")
    s = osub.add_parser("list")
    s = osub.add_parser("show")
    s.add_argument("id", help="task id (a unique prefix is enough)")
    s = osub.add_parser("approve", help="send the draft (or your edit)")
    s.add_argument("id")
    s.add_argument("--edit", help="send this text instead of the draft ('-': read stdin)")
    s = osub.add_parser("refuse", help="send nothing; the peer is told you declined")
    s.add_argument("id")
    s.add_argument("--reason", default="")
    p.set_defaults(handler=cmd_outbox)

    p = sub.add_parser("netlog", help="everything said on your behalf on the network")
    p.add_argument("--limit", type=int, default=200)
    p.add_argument("--peer")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_netlog)

    if client_cli is not None:
        client_cli.register_space(sub)
