"""Practice commands: ``practice interview`` (questions, cited feedback, a saved summary) and
``study`` (review cards made from study-tagged entries, scheduled by FSRS)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

from rich.console import Console
from rich.text import Text

from journal_me.commands.output import clean
from journal_me.config import Settings


def _err(message: str) -> int:
    Console(stderr=True, highlight=False).print(
        Text(f"journal-me: {clean(message)}", style="bold red"), soft_wrap=True
    )
    return 1


def _say(text: str = "") -> None:
    print(clean(text), flush=True)


def split_answers(text: str) -> list[str]:
    """Scripted answers: separated by lines holding only ``---``, else one per paragraph."""
    lines = text.splitlines()
    if any(line.strip() == "---" for line in lines):
        parts: list[str] = []
        cur: list[str] = []
        for line in lines:
            if line.strip() == "---":
                parts.append("\n".join(cur).strip())
                cur = []
            else:
                cur.append(line)
        parts.append("\n".join(cur).strip())
        return [p for p in parts if p]
    return [p.strip() for p in text.split("\n\n") if p.strip()]


def _stdin_answers(stream: TextIO) -> Iterator[str]:
    """Answers typed at the prompt: lines until an empty line (or end of input)."""
    while True:
        print("Your answer (an empty line ends it):", flush=True)
        lines: list[str] = []
        while True:
            line = stream.readline()
            if not line:
                if lines:
                    yield "\n".join(lines)
                return
            if not line.strip():
                break
            lines.append(line.rstrip("\n"))
        yield "\n".join(lines)


def cmd_interview(args: argparse.Namespace, settings: Settings) -> int:
    from journal_me.commands.journal import open_journal
    from journal_me.commands.talk import load_engine
    from journal_me.life.practice import InterviewSession, practice_folder
    from journal_me.roles import RoleError, load_roles

    try:
        roles = load_roles(settings.roles_file)
    except RoleError as exc:
        return _err(str(exc))
    if args.role not in roles:
        return _err(f"no role {args.role!r} (roles: {', '.join(roles)})")
    try:
        job_text = Path(args.job).read_text(encoding="utf-8") if args.job else ""
        scripted = split_answers(Path(args.answers).read_text(encoding="utf-8")) if args.answers else None
    except (OSError, UnicodeDecodeError) as exc:
        return _err(f"cannot read {exc}")
    journal = open_journal(settings, quiet=True)
    engine = None if args.no_model else load_engine(settings)
    try:
        session = InterviewSession(
            journal, roles[args.role], engine, job_text=job_text, n_questions=args.questions
        )
        questions = session.questions()
        _say(f"Interview practice ({args.role}): {len(questions)} questions.")
        if session.memory_only:
            _say("Memory-only mode: questions from the bank, feedback from your journal.")
        answers: Iterator[str] = iter(scripted) if scripted is not None else _stdin_answers(sys.stdin)
        for q in questions:
            _say()
            _say(f"Q{q.n}. {q.text}")
            answer = next(answers, None)
            if answer is None:
                break
            if scripted is not None:
                _say(f"> {answer}")
            fb = session.feedback(q, answer)
            _say()
            _say(fb.text)
            for c in fb.citations:
                _say(f"  {c.label()}  ({c.rel}:{c.line})")
        if not session.turns:
            _say("No answers: nothing saved.")
            return 0
        path = session.save_summary(practice_folder(settings.vault_data_dir))
        _say()
        _say(f"Summary saved to {path}")
        return 0
    finally:
        journal.close()


def cmd_study(args: argparse.Namespace, settings: Settings) -> int:
    from journal_me.commands.journal import open_journal
    from journal_me.commands.talk import load_engine
    from journal_me.life.study import StudyDeck, build_cards, deck_path
    from journal_me.roles import RoleError, load_roles

    try:
        role = load_roles(settings.roles_file).get("study")
    except RoleError as exc:
        return _err(str(exc))
    journal = open_journal(settings, quiet=True)
    try:
        engine = None if args.no_model else load_engine(settings, quiet=True)
        cards = build_cards(journal, role, engine)
    finally:
        journal.close()
    with StudyDeck(deck_path(settings.vault_data_dir)) as deck:
        report = deck.sync(cards)
        if report.added:
            _say(f"{report.added} new card{'s' if report.added != 1 else ''} from your study notes.")
        if args.list:
            for dc in deck.cards(args.limit):
                c = dc.card
                _say(f"{c.id}  due {dc.due:%Y-%m-%d %H:%M}  {dc.state:<10} {c.date} {c.title}: {c.question}")
            return 0
        due = deck.due(args.limit)
        if not due:
            total = len(deck.cards())
            _say(
                f"Nothing due ({total} card{'s' if total != 1 else ''} in the deck)."
                if total
                else "No study cards: tag entries #study (the study role's tags) to make some."
            )
            return 0
        reviewed = 0
        for i, dc in enumerate(due, 1):
            c = dc.card
            _say()
            _say(f"[{i}/{len(due)}] {c.date} — {c.title}")
            _say(f"Q: {c.question}")
            print("(enter to reveal)", flush=True)
            if not sys.stdin.readline():
                break
            _say(f"A: {c.answer}")
            rating = _read_rating()
            if rating is None:
                break
            nxt = deck.review(c.id, rating)
            reviewed += 1
            _say(f"next: {nxt:%Y-%m-%d %H:%M}")
        _say(f"Reviewed {reviewed} card{'s' if reviewed != 1 else ''}.")
    return 0


def _read_rating() -> int | None:
    while True:
        print("Rate: 1 again, 2 hard, 3 good, 4 easy (q to stop): ", end="", flush=True)
        line = sys.stdin.readline()
        if not line or line.strip().lower() == "q":
            return None
        if line.strip() in ("1", "2", "3", "4"):
            return int(line.strip())


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("practice", help="practise with your second me: interview")
    psub = p.add_subparsers(dest="practice_command", required=True)
    i = psub.add_parser(
        "interview", help="a practice interview: questions from your job text, feedback from your journal"
    )
    i.add_argument("--role", default="work", help="the bridge role whose memories may be used (default work)")
    i.add_argument("--job", metavar="FILE", help="the job description (text) to adapt the questions to")
    i.add_argument("--answers", metavar="FILE", help="scripted answers (separated by --- lines)")
    i.add_argument("--questions", type=int, default=6, help="how many questions, 5–8 (default 6)")
    i.add_argument("--no-model", action="store_true", help="memory-only, even if a model is configured")
    i.set_defaults(handler=cmd_interview)
    s = sub.add_parser("study", help="review study cards made from entries tagged for study (FSRS)")
    s.add_argument("--due", action="store_true", help="review the cards due now (the default)")
    s.add_argument("--list", action="store_true", help="list the cards and when each is due")
    s.add_argument("--limit", type=int, default=None, help="at most N cards")
    s.add_argument("--no-model", action="store_true", help="cloze cards only, even with a model")
    s.set_defaults(handler=cmd_study)
