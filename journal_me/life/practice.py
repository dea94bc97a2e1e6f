"""Interview practice with your second me.

Questions come from a bank (``journal_me/data/interview_questions.toml``) picked by the job
text's keywords; each has the stories the journal can tell for it, retrieved through the
Bridge fence of the chosen role (``modes.bridge.select_memories``: never private entries, only
what the role's tags and topics allow). After each answer the feedback is grounded in those
entries and cited. With a model the questions and the feedback are model-written; without
one, the feedback is the retrieved evidence, labelled memory-only. The session's summary is
saved, owner-only, under the vault's data folder (``practice/interview-….md``).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from journal_me.api import Journal
from journal_me.llm.prompts import Citation, Message, cite, format_memories, neutralise
from journal_me.memory.retrieval import Hit, analyse
from journal_me.modes.bridge import Relevance, select_memories
from journal_me.modes.common import TalkEngine, run_stream
from journal_me.roles import Role

MIN_QUESTIONS, MAX_QUESTIONS = 5, 8
# Looser than a bridge draft's rule: a bank question's search words are a wide net ("deadline
# crunch release…"), and a story needs only some of them.
EVIDENCE_RULE = Relevance(relative=0.5, min_coverage=0.15)
MEMORY_ONLY_LABEL = "Memory-only feedback (no model): what your journal says you could use."


@dataclass(frozen=True)
class BankQuestion:
    id: str
    text: str
    keywords: tuple[str, ...] = ()
    search: str = ""
    skill: str = ""


@dataclass
class InterviewQuestion:
    n: int
    text: str
    skill: str
    bank_id: str
    evidence: list[Hit] = field(default_factory=list)

    @property
    def citations(self) -> list[Citation]:
        return cite(self.evidence)


@dataclass(frozen=True)
class Feedback:
    text: str
    citations: tuple[Citation, ...]
    memory_only: bool


def load_bank(text: str | None = None) -> list[BankQuestion]:
    """The question bank (the packaged one unless ``text`` is given)."""
    if text is None:
        text = resources.files("journal_me.data").joinpath("interview_questions.toml").read_text("utf-8")
    raw = tomllib.loads(text)
    out = []
    for item in raw.get("question", []):
        out.append(
            BankQuestion(
                id=str(item["id"]),
                text=str(item["text"]),
                keywords=tuple(str(k).lower() for k in item.get("keywords", [])),
                search=str(item.get("search", "")) or str(item["text"]),
                skill=str(item.get("skill", "")),
            )
        )
    return out


def keyword_score(question: BankQuestion, job_text: str) -> int:
    """How many of the question's keywords the job text has (word starts: "collaborat")."""
    low = job_text.lower()
    return sum(1 for k in question.keywords if re.search(r"\b" + re.escape(k), low))


def pick_questions(
    job_text: str, n: int = 6, bank: Sequence[BankQuestion] | None = None
) -> list[BankQuestion]:
    """``n`` (5–8) questions: the opener, those the job text asks for most, general ones to fill,
    and "why this role" last."""
    n = max(MIN_QUESTIONS, min(MAX_QUESTIONS, n))
    bank = list(bank if bank is not None else load_bank())
    by_id = {q.id: q for q in bank}
    first = [by_id["intro"]] if "intro" in by_id else []
    last = [by_id["why"]] if "why" in by_id else []
    middle = [q for q in bank if q not in first and q not in last]
    scored = sorted(
        ((keyword_score(q, job_text), i, q) for i, q in enumerate(middle) if q.keywords),
        key=lambda t: (-t[0], t[1]),
    )
    matched = [q for s, _i, q in scored if s > 0]
    general = [q for q in middle if not q.keywords]
    room = n - len(first) - len(last)
    chosen = (matched + general + [q for _s, _i, q in scored if q not in matched])[:room]
    return first + chosen + last


def job_terms(job_text: str, limit: int = 8) -> str:
    """The job text's most repeated content words (added to each evidence search)."""
    words = [w for w in analyse(job_text) if len(w) > 3]
    counts: dict[str, int] = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return " ".join(sorted(counts, key=lambda w: (-counts[w], words.index(w)))[:limit])


def _story(hit: Hit) -> str:
    first = next((line for line in hit.passage.strip().splitlines() if line.strip()), "")
    return neutralise(" ".join(first.split())[:160])


_DATE_TITLE = re.compile(
    r"^(?:\w+day\s+)?\d{1,2}\s+(?:January|February|March|April|May|June|July|August|September|October"
    r"|November|December)\s+\d{4}$|^\d{4}-\d{2}-\d{2}$"
)


def story_name(hit: Hit) -> str:
    """What to call the story: the entry's title, or (for a title that is just its date) the
    passage's opening words."""
    title = neutralise(" ".join(hit.entry.title.split()))
    if not _DATE_TITLE.match(title):
        return title
    words = _story(hit).lstrip("#-* ").split()
    return " ".join(words[:8]) + (" …" if len(words) > 8 else "") or title


def memory_only_feedback(answer: str, evidence: Sequence[Hit]) -> str:
    """Feedback without a model: the stories the journal offers, cited, plus plain checks."""
    lines = [MEMORY_ONLY_LABEL]
    words = answer.split()
    if len(words) < 40:
        lines.append(
            f"- Your answer has {len(words)} words: a good one is a 1–2 minute story "
            "(the situation, what you did, what changed)."
        )
    if answer.strip() and not re.search(r"\d", answer):
        lines.append("- No numbers or dates in it: a result you can count makes a story stick.")
    answer_words = set(analyse(answer))
    if evidence:
        for i, h in enumerate(evidence, 1):
            title = story_name(h)
            used = answer_words & (set(analyse(h.passage)) | set(analyse(h.entry.title)))
            verb = "You told part of" if len(used) >= 4 else "You could tell"
            lines.append(f'- {verb} the "{title}" story — {h.entry.date.isoformat()} [{i}]: {_story(h)}')
    else:
        lines.append("- Your journal has no story for this one that this role may share.")
    return "\n".join(lines)


def _messages_for_feedback(question: str, answer: str, evidence: Sequence[Hit], role: Role) -> list[Message]:
    memories = format_memories(evidence, extra=[question, answer])
    system = (
        "You are an interview coach helping me practise. Use only the numbered journal memories "
        "below as evidence of what I did; cite them as [n]. Be brief and concrete: what worked, "
        "what to add, which story from my journal would answer the question better. "
        f"The interview is for: {role.description or role.name}."
    )
    user = f"Question: {question}\n\nMy answer: {answer}\n\nJournal memories:\n{memories}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _messages_for_question(bank: BankQuestion, job_text: str, evidence: Sequence[Hit]) -> list[Message]:
    memories = format_memories(evidence, extra=[job_text, bank.text])
    system = (
        "You are an interviewer. Rewrite the question below for this job and this candidate's "
        "experience (the journal memories). Answer with the question only, one sentence."
    )
    user = f"Job:\n{job_text[:2000] or '(not given)'}\n\nQuestion: {bank.text}\n\nMemories:\n{memories}"
    return [{"role": "system", "content": system}, {"role": "user", "content": user}]


def _generate(engine: TalkEngine, messages: Sequence[Message], max_tokens: int) -> str:
    result: dict[str, str] = {}
    for _ev in run_stream(engine, messages, cancel=None, max_tokens=max_tokens, result=result):
        pass
    return result.get("answer", "").strip()


class InterviewSession:
    """One practice interview: ``questions()``, then ``feedback(q, answer)`` per question,
    then ``save_summary()``."""

    def __init__(
        self,
        journal: Journal,
        role: Role,
        engine: TalkEngine | None = None,
        *,
        job_text: str = "",
        n_questions: int = 6,
        bank: Sequence[BankQuestion] | None = None,
        now: Callable[[], dt.datetime] = dt.datetime.now,
    ) -> None:
        self.journal = journal
        self.role = role
        self.engine = engine
        self.job_text = job_text
        self.n_questions = n_questions
        self.bank = bank
        self.now = now
        self.turns: list[tuple[InterviewQuestion, str, Feedback]] = []
        self._questions: list[InterviewQuestion] | None = None

    @property
    def memory_only(self) -> bool:
        return self.engine is None

    def evidence_for(self, bank: BankQuestion) -> list[Hit]:
        """Up to three stories (one passage per entry) the role may share, for this question."""
        query = f"{bank.search} {job_terms(self.job_text, limit=3)}".strip()
        hits = select_memories(self.journal, query, self.role, limit=8, rule=EVIDENCE_RULE).hits
        seen: set[str] = set()
        out: list[Hit] = []
        for h in hits:
            if h.entry.rel not in seen and len(out) < 3:
                seen.add(h.entry.rel)
                out.append(h)
        return out

    def questions(self) -> list[InterviewQuestion]:
        if self._questions is None:
            out = []
            for i, b in enumerate(pick_questions(self.job_text, self.n_questions, self.bank), 1):
                evidence = self.evidence_for(b)
                text = b.text
                if self.engine is not None:
                    text = (
                        _generate(self.engine, _messages_for_question(b, self.job_text, evidence), 96)
                        or b.text
                    )
                out.append(InterviewQuestion(i, text, b.skill, b.id, evidence))
            self._questions = out
        return self._questions

    def feedback(self, question: InterviewQuestion, answer: str) -> Feedback:
        citations = tuple(question.citations)
        if self.engine is None:
            fb = Feedback(memory_only_feedback(answer, question.evidence), citations, True)
        else:
            text = _generate(
                self.engine, _messages_for_feedback(question.text, answer, question.evidence, self.role), 384
            )
            fb = Feedback(text or memory_only_feedback(answer, question.evidence), citations, not text)
        self.turns.append((question, answer, fb))
        return fb

    def summary(self) -> str:
        when = self.now()
        mode = "memory-only (no model)" if self.memory_only else "with a model"
        lines = [
            f"# Interview practice — {when.strftime('%Y-%m-%d %H:%M')}",
            "",
            f"Role: {self.role.name}; {len(self.turns)} questions; {mode}.",
        ]
        if self.job_text.strip():
            lines.append(f"Job keywords: {job_terms(self.job_text) or '(none)'}")
        sources: dict[tuple[str, int], Citation] = {}
        for q, answer, fb in self.turns:
            lines += ["", f"## {q.n}. {q.text}", ""]
            if q.skill:
                lines.append(f"*Probes: {q.skill}*")
                lines.append("")
            lines += ["**My answer:**", "", answer.strip() or "(no answer)", "", "**Feedback:**", "", fb.text]
            for c in fb.citations:
                sources[(c.rel, c.line)] = c
        if sources:
            lines += ["", "## Stories from my journal", ""]
            lines += [
                f"- {c.date.isoformat()} — {neutralise(c.title)} ({c.rel}:{c.line})" for c in sources.values()
            ]
        return "\n".join(lines) + "\n"

    def save_summary(self, folder: Path) -> Path:
        """Write the summary to ``folder/interview-YYYYmmdd-HHMMSS.md`` (0600, folder 0700)."""
        from journal_me.datadir import secure_folder
        from journal_me.vault import atomic_write

        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        secure_folder(folder)
        stem = f"interview-{self.now().strftime('%Y%m%d-%H%M%S')}"
        path = folder / f"{stem}.md"
        k = 1
        while path.exists():
            k += 1
            path = folder / f"{stem}-{k}.md"
        atomic_write(path, self.summary(), mode=0o600)
        return path


def practice_folder(vault_data_dir: Path) -> Path:
    return vault_data_dir / "practice"
