"""Study cards from the journal, reviewed with FSRS.

Entries tagged for study (the ``study`` role's ``include_tags``; ``#study`` and ``#learning``
when the role names none) become question/answer cards: model-written when a model is
present, cloze deletions from the text otherwise (a number, a bold or highlighted term, a
name). Cards are reviewed with the ``fsrs`` scheduler (the algorithm Anki uses); the deck
lives in SQLite under the vault's data folder (0600). A card's id is a hash of its entry,
sentence and answer, so editing an entry keeps the review history of the cards it still has;
cards whose text is gone are retired (kept, with their history, but no longer due).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from fsrs import Card, Rating, Scheduler

from journal_me.api import Journal
from journal_me.llm.prompts import Message
from journal_me.modes.common import TalkEngine, run_stream
from journal_me.roles import Role
from journal_me.vault import Entry

DEFAULT_STUDY_TAGS = ("study", "learning")
MAX_CARDS_PER_ENTRY = 8
MASK = "[…]"


@dataclass(frozen=True)
class StudyCard:
    id: str
    rel: str
    date: dt.date
    title: str
    question: str
    answer: str
    kind: str  # "cloze" or "model"


@dataclass(frozen=True)
class DeckCard:
    card: StudyCard
    due: dt.datetime
    state: str
    reviews: int


@dataclass(frozen=True)
class SyncReport:
    added: int
    kept: int
    retired: int


def study_tags(role: Role | None) -> tuple[str, ...]:
    return role.include_tags if role is not None and role.include_tags else DEFAULT_STUDY_TAGS


def study_entries(journal: Journal, tags: Sequence[str]) -> list[str]:
    """The rels of non-private entries with one of ``tags`` (nested tags match: study/spanish)."""
    wanted = {t.lower() for t in tags}
    out = []
    for s in journal.entries():
        if s.private or s.conflict_of:
            continue
        entry_tags = {t.lower() for t in s.tags}
        if (entry_tags | {t.split("/")[0] for t in entry_tags}) & wanted:
            out.append(s.rel)
    return sorted(out)


def card_id(rel: str, question: str, answer: str) -> str:
    key = "\0".join((rel, " ".join(question.split()), " ".join(answer.split())))
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:16]


# -- cloze -----------------------------------------------------------------------------------
_MARKED = re.compile(r"\*\*(?P<a>[^*\n]{2,60})\*\*|==(?P<b>[^=\n]{2,60})==|`(?P<c>[^`\n]{2,40})`")
_NUMBER = re.compile(
    r"(?<![\w.-])\d[\d,]*(?:\.\d+)?"
    r"(?:\s?(?:%|°C|km|kg|mm|cm|m|years?|days?|hours?|minutes?|per cent))?(?![\w-])"
)
_NAME = re.compile(r"(?<![.!?]\s)(?<!^)\b[A-Z][a-zà-ÿ]+(?:\s+(?:of|de|la|the|and)?\s*[A-Z][a-zà-ÿ]+)*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9*\"'¿¡(])")
_NOT_NAMES = frozenset(
    {"I", "I'm", "I've", "I'd", "Today", "Also", "Then"}
    | {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}
)


def _sentences(body: str) -> list[str]:
    out: list[str] = []
    for raw in body.splitlines():
        line = raw.strip()
        if not line or (line.startswith(("#", "|", "```", ">")) and not line.startswith("> ")):
            continue
        line = re.sub(r"^(?:[-*+]|\d+[.)])\s+(?:\[.\]\s+)?", "", line).lstrip("> ").strip()
        line = re.sub(r"\[\[(?:[^\]|]*\|)?([^\]]*)\]\]", r"\1", line)  # [[Page|label]] → label
        line = re.sub(r"(?<!\w)#[\w/-]+", "", line).strip()  # inline tags
        out += [s.strip() for s in _SENTENCE_END.split(line) if s.strip()]
    return out


def _plain(text: str) -> str:
    return re.sub(r"\*\*|==|`", "", text)


def cloze_for(sentence: str) -> tuple[str, str] | None:
    """(question, answer) for one sentence, or None when it has no key term. Preference: a
    term the writer marked (**bold**, ==highlight==, `code`), a number, a name."""
    if not 25 <= len(sentence) <= 320:
        return None
    m = _MARKED.search(sentence)
    if m:
        term = m.group("a") or m.group("b") or m.group("c") or ""
        question = sentence[: m.start()] + MASK + sentence[m.end() :]
        return _plain(question), term.strip()
    plain = _plain(sentence)
    m = _NUMBER.search(plain)
    if m is None:
        names = [n for n in _NAME.finditer(plain) if n.group(0) not in _NOT_NAMES]
        m = max(names, key=lambda n: len(n.group(0)), default=None)
    if m is None:
        return None
    return plain[: m.start()] + MASK + plain[m.end() :], m.group(0).strip()


def cloze_cards(entry: Entry, limit: int = MAX_CARDS_PER_ENTRY) -> list[StudyCard]:
    cards: list[StudyCard] = []
    answers: set[str] = set()
    for sentence in _sentences(entry.body):
        qa = cloze_for(sentence)
        if qa is None or qa[1].lower() in answers:
            continue
        question, answer = qa
        answers.add(answer.lower())
        cards.append(
            StudyCard(
                card_id(entry.rel, question, answer),
                entry.rel,
                entry.date,
                entry.title,
                question,
                answer,
                "cloze",
            )
        )
        if len(cards) >= limit:
            break
    return cards


# -- model-written ---------------------------------------------------------------------------
_QA = re.compile(r"^\s*Q\s*[:.]\s*(?P<q>.+?)\s*\n\s*A\s*[:.]\s*(?P<a>.+?)\s*$", re.M)


def parse_model_cards(text: str) -> list[tuple[str, str]]:
    return [(m.group("q").strip(), m.group("a").strip()) for m in _QA.finditer(text)]


def model_cards(engine: TalkEngine, entry: Entry, limit: int = MAX_CARDS_PER_ENTRY) -> list[StudyCard]:
    messages: list[Message] = [
        {
            "role": "system",
            "content": (
                f"Write up to {limit} flashcards that test the facts and ideas in this study note. "
                "Each as two lines: 'Q: question' then 'A: short answer'. Only what the note says."
            ),
        },
        {"role": "user", "content": f"# {entry.title}\n\n{entry.body[:6000]}"},
    ]
    result: dict[str, str] = {}
    for _ev in run_stream(engine, messages, cancel=None, max_tokens=768, result=result):
        pass
    pairs = parse_model_cards(result.get("answer", ""))[:limit]
    return [
        StudyCard(card_id(entry.rel, q, a), entry.rel, entry.date, entry.title, q, a, "model")
        for q, a in pairs
    ]


def build_cards(journal: Journal, role: Role | None, engine: TalkEngine | None = None) -> list[StudyCard]:
    """Cards for every study entry (model-written with an engine; cloze otherwise or when the
    model gives none)."""
    cards: list[StudyCard] = []
    for rel in study_entries(journal, study_tags(role)):
        entry = journal.entry(rel)
        made = model_cards(engine, entry) if engine is not None else []
        cards += made or cloze_cards(entry)
    return cards


# -- the deck --------------------------------------------------------------------------------
_SCHEMA = """
CREATE TABLE IF NOT EXISTS cards (
    id TEXT PRIMARY KEY, rel TEXT NOT NULL, date TEXT NOT NULL, title TEXT NOT NULL,
    question TEXT NOT NULL, answer TEXT NOT NULL, kind TEXT NOT NULL,
    fsrs TEXT NOT NULL, due TEXT NOT NULL, active INTEGER NOT NULL DEFAULT 1, created TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS reviews (
    card_id TEXT NOT NULL, rating INTEGER NOT NULL, reviewed TEXT NOT NULL, log TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS cards_due ON cards(active, due);
"""


def _utc(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.UTC) if now.tzinfo else now.replace(tzinfo=dt.UTC)


class StudyDeck:
    """The review state: cards, their FSRS state and every review, in one SQLite file."""

    def __init__(
        self,
        path: Path,
        *,
        now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        scheduler: Scheduler | None = None,
    ) -> None:
        self.path = Path(path)
        self.now = now
        self.scheduler = scheduler if scheduler is not None else Scheduler()
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        if not self.path.exists():
            fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        os.chmod(self.path, 0o600)
        self.db = sqlite3.connect(self.path, check_same_thread=False)
        self.db.executescript(_SCHEMA)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> StudyDeck:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def sync(self, cards: Iterable[StudyCard]) -> SyncReport:
        """Add new cards, keep known ones (their history too), retire those no longer made."""
        now = _utc(self.now())
        known = {row[0]: bool(row[1]) for row in self.db.execute("SELECT id, active FROM cards")}
        seen: set[str] = set()
        added = kept = 0
        with self.db:
            for c in cards:
                if c.id in seen:
                    continue
                seen.add(c.id)
                if c.id in known:
                    kept += 1
                    self.db.execute(
                        "UPDATE cards SET active = 1, title = ?, date = ? WHERE id = ?",
                        (c.title, c.date.isoformat(), c.id),
                    )
                    continue
                fsrs_card = Card(card_id=int(c.id[:12], 16), due=now)
                self.db.execute(
                    "INSERT INTO cards VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)",
                    (
                        c.id, c.rel, c.date.isoformat(), c.title, c.question, c.answer, c.kind,
                        fsrs_card.to_json(), now.isoformat(), now.isoformat(),
                    ),
                )  # fmt: skip
                added += 1
            retired = [cid for cid, active in known.items() if active and cid not in seen]
            self.db.executemany("UPDATE cards SET active = 0 WHERE id = ?", [(cid,) for cid in retired])
        return SyncReport(added, kept, len(retired))

    def _rows(self, where: str, args: tuple[object, ...], limit: int | None) -> list[DeckCard]:
        sql = (
            "SELECT c.id, rel, date, title, question, answer, kind, fsrs, due, "
            "(SELECT COUNT(*) FROM reviews r WHERE r.card_id = c.id) FROM cards c "
            f"WHERE {where} ORDER BY due, date, id"
        )
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        out = []
        for cid, rel, date, title, q, a, kind, fsrs_json, due, n in self.db.execute(sql, args):
            card = StudyCard(cid, rel, dt.date.fromisoformat(date), title, q, a, kind)
            state = Card.from_json(fsrs_json).state.name.lower()
            out.append(DeckCard(card, dt.datetime.fromisoformat(due), state, int(n)))
        return out

    def due(self, limit: int | None = None) -> list[DeckCard]:
        return self._rows("active = 1 AND due <= ?", (_utc(self.now()).isoformat(),), limit)

    def cards(self, limit: int | None = None) -> list[DeckCard]:
        return self._rows("active = 1", (), limit)

    def history(self, cid: str) -> list[tuple[int, dt.datetime]]:
        rows = self.db.execute(
            "SELECT rating, reviewed FROM reviews WHERE card_id = ? ORDER BY rowid", (cid,)
        )
        return [(int(r), dt.datetime.fromisoformat(t)) for r, t in rows]

    def review(self, cid: str, rating: int) -> dt.datetime:
        """Record a review (1 again, 2 hard, 3 good, 4 easy); returns when the card is next due."""
        if rating not in (1, 2, 3, 4):
            raise ValueError("rate 1 (again), 2 (hard), 3 (good) or 4 (easy)")
        row = self.db.execute("SELECT fsrs FROM cards WHERE id = ?", (cid,)).fetchone()
        if row is None:
            raise KeyError(cid)
        now = _utc(self.now())
        card, log = self.scheduler.review_card(Card.from_json(row[0]), Rating(rating), review_datetime=now)
        due = _utc(card.due)
        with self.db:
            self.db.execute(
                "UPDATE cards SET fsrs = ?, due = ? WHERE id = ?", (card.to_json(), due.isoformat(), cid)
            )
            self.db.execute(
                "INSERT INTO reviews VALUES (?, ?, ?, ?)",
                (cid, rating, now.isoformat(), log.to_json()),
            )
        return due


def deck_path(vault_data_dir: Path) -> Path:
    return vault_data_dir / "study.sqlite3"
