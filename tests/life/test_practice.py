"""Interview practice in memory-only mode on the sample vault: questions follow the job text,
the stories come through the work role's fence (never private, never health/therapy), the
feedback cites entries, and the summary is saved owner-only; with a (fake) model the questions
and feedback are model-written."""

from __future__ import annotations

import datetime as dt
import stat
import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from journal_me.api import Journal
from journal_me.cli import main
from journal_me.commands.practice import split_answers
from journal_me.config import Settings
from journal_me.life.practice import MEMORY_ONLY_LABEL, InterviewSession, load_bank, pick_questions
from journal_me.llm.reasoning import ReasoningEvent, ReasoningSplitter
from journal_me.roles import load_roles

JOB = (
    "Senior UX researcher at a climate data startup. You will run qualitative research with "
    "councils and public sector partners, turn data into decisions, and mentor a junior researcher."
)


class FakeEngine:
    def __init__(self, reply: str) -> None:
        self.reply = reply
        self.n_ctx = 100_000
        self.prompts: list[list[dict[str, str]]] = []

    def count_prompt_tokens(self, messages: Sequence[Any], **_: Any) -> int:
        return 10

    def stream_events(self, messages: Sequence[Any], **options: Any) -> Iterator[ReasoningEvent]:
        self.prompts.append([dict(m) for m in messages])
        cancel: threading.Event | None = options.get("cancel")
        splitter = ReasoningSplitter()
        if cancel is None or not cancel.is_set():
            yield from splitter.feed(self.reply)
        yield from splitter.flush()

    def stream_chat(self, messages: Sequence[Any], *, max_tokens: int | None = None) -> Iterator[str]:
        yield self.reply


def test_questions_follow_the_job_text() -> None:
    bank = load_bank()
    qs = pick_questions(JOB, 6, bank)
    ids = [q.id for q in qs]
    assert len(qs) == 6 and ids[0] == "intro" and ids[-1] == "why"
    assert ids[1:4] == ["research", "client", "lead"]  # most keywords first (4, 3, 2)
    assert "conflict" not in ids  # nothing in this job about stakeholders
    generic = [q.id for q in pick_questions("", 8, bank)]
    assert len(generic) == 8 and {"proud", "failure"} <= set(generic)
    assert len(pick_questions(JOB, 2, bank)) == 5 and len(pick_questions(JOB, 20, bank)) == 8


def test_split_answers() -> None:
    assert split_answers("one\nline\n---\ntwo\n---\n") == ["one\nline", "two"]
    assert split_answers("first\n\nsecond\n") == ["first", "second"]


def test_memory_only_interview_uses_only_the_roles_memories(sample_journal: Journal) -> None:
    role = load_roles(None)["work"]
    session = InterviewSession(sample_journal, role, job_text=JOB)
    questions = session.questions()
    assert 5 <= len(questions) <= 8
    evidence = [h for q in questions for h in q.evidence]
    assert evidence, "the sample vault has work stories"
    for h in evidence:
        assert not h.entry.private
        assert role.allows(h)
        roots = {t.split("/")[0] for t in h.entry.tags}
        assert not roots & {"health", "therapy", "money", "family", "dating"}
    research = next(q for q in questions if q.bank_id == "research")
    fb = session.feedback(research, "I ran usability tests at Halden.")
    assert fb.memory_only and fb.text.startswith(MEMORY_ONLY_LABEL)
    assert "You could tell the" in fb.text and "[1]" in fb.text
    assert fb.citations and fb.citations[0].rel == research.evidence[0].entry.rel
    assert "8 words" not in fb.text and "6 words" in fb.text


def test_private_entries_never_become_stories(
    vault: Path, write: Callable[..., Path], open_journal: Callable[..., Journal]
) -> None:
    public = "Launched the Borders pilot with the council: research study with twelve participants."
    secret = "The pilot research study with participants, council interviews, secret findings."
    write(
        vault,
        "journal/2026/2026-03-14.md",
        f"---\ndate: 2026-03-14\ntags: [work]\n---\n# Borders pilot\n\n{public}\n",
    )
    write(
        vault,
        "journal/2026/2026-03-15.md",
        f"---\ndate: 2026-03-15\nprivate: true\ntags: [work]\n---\n# Secret pilot\n\n{secret}\n",
    )
    journal = open_journal(vault)
    session = InterviewSession(journal, load_roles(None)["work"], job_text="user research with councils")
    rels = {h.entry.rel for q in session.questions() for h in q.evidence}
    assert "journal/2026/2026-03-14.md" in rels
    assert "journal/2026/2026-03-15.md" not in rels
    q = next(q for q in session.questions() if any(h.entry.rel.endswith("03-14.md") for h in q.evidence))
    fb = session.feedback(q, "I led a pilot.")
    assert 'the "Borders pilot" story — 2026-03-14' in fb.text


def test_cli_interview_scripted_saves_a_private_summary(
    sample_settings: Settings, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    job = tmp_path / "job.txt"
    job.write_text(JOB, encoding="utf-8")
    answers = tmp_path / "answers.txt"
    answers.write_text("\n---\n".join(f"Answer number {i} about the dashboard pilot." for i in range(1, 7)))
    vault = str(sample_settings.vault)
    rc = main(["--vault", vault, "practice", "interview", "--role", "work", "--job", str(job),
               "--answers", str(answers), "--no-model"])  # fmt: skip
    out = capsys.readouterr().out
    assert rc == 0
    assert "Memory-only mode" in out and "Q1. Tell me about yourself" in out and "Q6. " in out
    assert out.count(MEMORY_ONLY_LABEL) == 6
    assert "(journal/20" in out  # citations with paths
    saved = out.strip().splitlines()[-1].removeprefix("Summary saved to ").strip()
    path = Path(saved)
    assert path.parent.name == "practice" and path.name.startswith("interview-")
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    text = path.read_text(encoding="utf-8")
    assert "Role: work; 6 questions; memory-only" in text and "## Stories from my journal" in text
    assert "Answer number 6" in text
    assert main(["--vault", vault, "practice", "interview", "--role", "nosuch"]) == 1


def test_model_writes_questions_and_feedback(sample_journal: Journal, tmp_path: Path) -> None:
    engine = FakeEngine("Tell me about your pilot [1].")
    session = InterviewSession(
        sample_journal,
        load_roles(None)["work"],
        engine,
        job_text=JOB,
        n_questions=5,
        now=lambda: dt.datetime(2026, 11, 1, 9, 30),
    )
    qs = session.questions()
    assert [q.text for q in qs] == ["Tell me about your pilot [1]."] * 5
    fb = session.feedback(qs[0], "I ran it.")
    assert not fb.memory_only and fb.text == "Tell me about your pilot [1]."
    feedback_prompt = engine.prompts[-1][1]["content"]
    assert "My answer: I ran it." in feedback_prompt and "<memory id=1" in feedback_prompt
    path = session.save_summary(tmp_path / "practice")
    assert path.name == "interview-20261101-093000.md"
    assert "with a model" in path.read_text(encoding="utf-8")
