"""The Practice screen on the sample vault (memory-only): an interview question, an answer,
cited feedback, the saved summary after the last one; study review (reveal, rate); snapshots
at 80×24 and 140×42."""

from __future__ import annotations

import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

from textual.pilot import Pilot
from textual.widgets import Static, TextArea

from journal_me.life.practice import MEMORY_ONLY_LABEL
from journal_me.tui.app import JournalMeApp
from journal_me.tui.screens.practice import PracticeScreen

from .conftest import no_blink, settle, wait_until

Snap = Callable[..., bool]


def _text(screen: PracticeScreen, wid: str) -> str:
    return str(screen.query_one(f"#{wid}", Static).render())


async def _open(pilot: Pilot[Any]) -> PracticeScreen:
    await settle(pilot)
    await pilot.press("ctrl+k")
    screen = pilot.app.screen
    assert isinstance(screen, PracticeScreen)
    await wait_until(pilot, lambda: bool(screen.questions), timeout=60, what="interview questions")
    await settle(pilot)
    return screen


async def _answer(pilot: Pilot[Any], screen: PracticeScreen, text: str) -> None:
    screen.query_one("#practice-answer", TextArea).text = text
    await pilot.press("f6")
    await wait_until(pilot, lambda: screen.feedback is not None, timeout=30, what="feedback")
    await settle(pilot)


async def test_interview_round(make_app: Callable[..., JournalMeApp]) -> None:
    app = make_app()
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await _open(pilot)
        assert 5 <= len(screen.questions) <= 8
        assert _text(screen, "practice-question").startswith(
            f"Q1/{len(screen.questions)}. Tell me about yourself"
        )
        await pilot.press("f6")  # no answer yet: nothing sent
        assert screen.feedback is None
        await _answer(pilot, screen, "I lead research on a flood dashboard.")
        feedback = _text(screen, "practice-feedback")
        assert (
            feedback.startswith(MEMORY_ONLY_LABEL)
            and "You could tell the" in feedback
            and "[1] 20" in feedback
        )
        for _ in range(len(screen.questions) - 1):
            await pilot.press("f6")  # next question
            assert screen.feedback is None
            await _answer(pilot, screen, "An answer with 3 numbers: 1, 2, 3.")
        assert screen.saved is not None
        path = Path(screen.saved)
        assert path.parent.name == "practice" and stat.S_IMODE(path.stat().st_mode) == 0o600
        assert "Summary saved to" in _text(screen, "practice-feedback")


async def test_study_review(make_app: Callable[..., JournalMeApp]) -> None:
    app = make_app()
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await _open(pilot)
        await pilot.press("f5")
        await wait_until(pilot, lambda: screen.deck is not None and bool(screen.due), timeout=60, what="deck")
        await settle(pilot)
        assert not screen.query_one("#practice-answer", TextArea).display
        n = len(screen.due)
        first = screen.due[0].card
        assert first.question in _text(screen, "practice-question")
        await pilot.press("3")  # not revealed yet: no rating
        assert len(screen.due) == n
        await pilot.press("f6")
        assert f"Answer: {first.answer}" in _text(screen, "practice-feedback")
        await pilot.press("3")
        await wait_until(pilot, lambda: screen.reviewed == 1, timeout=30, what="the review")
        assert len(screen.due) == n - 1
        assert screen.deck is not None and [r for r, _t in screen.deck.history(first.id)] == [3]


def _ready() -> Callable[[Pilot[Any]], Any]:
    async def run_before(pilot: Pilot[Any]) -> None:
        screen = await _open(pilot)
        await _answer(pilot, screen, "I lead research on a flood dashboard.")
        # the answer box re-wraps after the feedback arrives: let it settle first
        await pilot.pause(0.5)
        await settle(pilot, rounds=6)
        no_blink(pilot.app)  # type: ignore[arg-type]
        await pilot.pause()

    return run_before


def test_practice_snapshot_wide(snap_compare: Snap, make_app: Callable[..., JournalMeApp]) -> None:
    assert snap_compare(make_app(), terminal_size=(140, 42), run_before=_ready())


def test_practice_snapshot_small(snap_compare: Snap, make_app: Callable[..., JournalMeApp]) -> None:
    assert snap_compare(make_app(), terminal_size=(80, 24), run_before=_ready())


async def test_interview_uses_the_configured_model(make_app: Callable[..., JournalMeApp]) -> None:
    """With a model, the screen's questions and feedback are the model's, not the bank's."""
    from .test_chat_bridge import FakeEngine

    engine = FakeEngine("Tell me about your pilot [1].")
    app = make_app(engine_factory=lambda settings: engine)
    async with app.run_test(size=(140, 42)) as pilot:
        screen = await _open(pilot)
        assert screen.questions and all(q.text == "Tell me about your pilot [1]." for q in screen.questions)
        await _answer(pilot, screen, "I ran it.")
        assert _text(screen, "practice-feedback").startswith("Tell me about your pilot [1].")
        assert engine.prompts
