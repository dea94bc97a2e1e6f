"""Practice: interview practice and study review with your second me.

Interview (f5 switches to study): a question from the bank with the stories your journal can
tell for it (through the work role's fence); type an answer, f6 sends it, and the feedback
cites your entries; after the last question the summary is saved to the data folder.
Study: a card from your study notes; f6 reveals the answer, 1–4 rates it (again, hard, good,
easy) and the FSRS scheduler sets when it comes back. The core does the work
(``journal_me.life.practice``/``study``), in thread workers. Memory-only in the TUI.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Label, Static, TextArea

from journal_me.tui.screens.base import MainScreen
from journal_me.tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from journal_me.life.practice import Feedback, InterviewQuestion, InterviewSession
    from journal_me.life.study import DeckCard, StudyDeck


class PracticeScreen(ReportsWorkerErrors, MainScreen):
    MODE = "practice"
    AUTO_FOCUS = "#practice-answer"

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "switch", "Interview/study", id="practice-switch", priority=True),
        Binding("f6", "next", "Send/reveal", id="practice-next", priority=True),  # over TextArea's f6
        Binding("1", "rate(1)", "Again", id="practice-rate-1", show=False),
        Binding("2", "rate(2)", "Hard", id="practice-rate-2", show=False),
        Binding("3", "rate(3)", "Good", id="practice-rate-3", show=False),
        Binding("4", "rate(4)", "Easy", id="practice-rate-4", show=False),
    ]

    DEFAULT_CSS = """
    #practice-body { height: 1fr; }
    #practice-question { height: auto; padding: 0 1; }
    #practice-answer { height: 8; }
    #practice-feedback-box { height: 1fr; }
    #practice-feedback { padding: 0 1; }
    """

    class _Questions(Message):
        def __init__(self, session: InterviewSession, questions: list[InterviewQuestion]) -> None:
            super().__init__()
            self.session, self.questions = session, questions

    class _Feedback(Message):
        def __init__(self, feedback: Feedback, saved: str | None) -> None:
            super().__init__()
            self.feedback, self.saved = feedback, saved

    class _Deck(Message):
        def __init__(self, deck: StudyDeck, due: list[DeckCard]) -> None:
            super().__init__()
            self.deck, self.due = deck, due

    class _Rated(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self) -> None:
        super().__init__()
        self.mode = "interview"
        self.session: InterviewSession | None = None
        self.questions: list[InterviewQuestion] = []
        self.index = 0
        self.feedback: Feedback | None = None
        self.busy = False
        self.deck: StudyDeck | None = None
        self.due: list[DeckCard] = []
        self.revealed = False
        self.reviewed = 0
        self.saved: str | None = None

    def compose_body(self) -> ComposeResult:
        with Vertical(id="practice-body"):
            yield Label(
                "Interview practice (memory-only) — f5: study", id="practice-title", classes="panel-title"
            )
            yield Static(Text("Opening the vault…", style="dim"), id="practice-question")
            yield TextArea(id="practice-answer")
            with VerticalScroll(id="practice-feedback-box"):
                yield Static("", id="practice-feedback")

    def on_mount(self) -> None:
        self.jm.main_screens[self.MODE] = self

    def on_unmount(self) -> None:
        if self.deck is not None:
            self.deck.close()

    def vault_ready(self, reason: str) -> None:
        if self.mode == "interview" and self.session is None:
            self._start_interview()
        elif self.mode == "study":
            self._load_deck()

    def _set(self, widget: str, text: Text | str) -> None:
        self.query_one(f"#{widget}", Static).update(text)

    # -- interview -------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="practice-interview", exit_on_error=False)
    def _start_interview(self) -> None:
        journal = self.jm.journal
        if journal is None:
            return
        from journal_me.life.practice import InterviewSession
        from journal_me.roles import load_roles

        role = load_roles(self.jm.settings.roles_file)["work"]
        # the configured model writes questions and feedback; without one, memory-only
        session = InterviewSession(journal, role, self.jm.engine_slot.wait())
        self.post_message(self._Questions(session, session.questions()))

    @on(_Questions)
    def _got_questions(self, msg: _Questions) -> None:
        self.session, self.questions, self.index = msg.session, msg.questions, 0
        self._show_question()

    def _show_question(self) -> None:
        if not self.questions:
            return
        q = self.questions[self.index]
        text = Text()
        text.append(f"Q{q.n}/{len(self.questions)}. ", style="bold")
        text.append(q.text)
        if q.skill:
            text.append(f"  ({q.skill})", style="dim")
        self._set("practice-question", text)
        self._set("practice-feedback", Text("Type your answer, then f6.", style="dim"))
        self.query_one("#practice-answer", TextArea).text = ""

    @work(thread=True, exclusive=True, group="practice-feedback", exit_on_error=False)
    def _send(self, q: InterviewQuestion, answer: str, last: bool) -> None:
        assert self.session is not None
        fb = self.session.feedback(q, answer)
        saved = None
        if last:
            from journal_me.life.practice import practice_folder

            saved = str(self.session.save_summary(practice_folder(self.jm.settings.vault_data_dir)))
        self.post_message(self._Feedback(fb, saved))

    @on(_Feedback)
    def _got_feedback(self, msg: _Feedback) -> None:
        self.busy = False
        self.feedback = msg.feedback
        text = Text(msg.feedback.text)
        for c in msg.feedback.citations:
            text.append(f"\n  {c.label()}", style="dim")
        if msg.saved:
            self.saved = msg.saved
            text.append(f"\n\nSummary saved to {msg.saved}", style="bold")
        else:
            text.append("\n\nf6: next question", style="dim")
        self._set("practice-feedback", text)

    # -- study -----------------------------------------------------------------------------
    @work(thread=True, exclusive=True, group="practice-deck", exit_on_error=False)
    def _load_deck(self) -> None:
        journal = self.jm.journal
        if journal is None:
            return
        from journal_me.life.study import StudyDeck, build_cards, deck_path
        from journal_me.roles import load_roles

        role = load_roles(self.jm.settings.roles_file).get("study")
        deck = self.deck or StudyDeck(deck_path(self.jm.settings.vault_data_dir))
        deck.sync(build_cards(journal, role))
        self.post_message(self._Deck(deck, deck.due()))

    @on(_Deck)
    def _got_deck(self, msg: _Deck) -> None:
        self.deck, self.due, self.revealed = msg.deck, msg.due, False
        self._show_card()

    def _show_card(self) -> None:
        if not self.due:
            self._set("practice-question", Text(f"Nothing due. Reviewed {self.reviewed} today.", style="dim"))
            self._set("practice-feedback", "")
            return
        c = self.due[0].card
        text = Text()
        text.append(f"{c.date} — {c.title}\n", style="dim")
        text.append(c.question)
        self._set("practice-question", text)
        self._set("practice-feedback", Text(f"{len(self.due)} due. f6: reveal", style="dim"))

    @work(thread=True, exclusive=True, group="practice-rate", exit_on_error=False)
    def _rate(self, deck: StudyDeck, cid: str, rating: int) -> None:
        nxt = deck.review(cid, rating)
        self.post_message(self._Rated(f"next {nxt:%Y-%m-%d %H:%M}"))

    @on(_Rated)
    def _rated(self, msg: _Rated) -> None:
        self.busy = False
        self.reviewed += 1
        self.due = self.due[1:]
        self.revealed = False
        self._show_card()
        self.notify(msg.text, timeout=3)

    # -- actions ---------------------------------------------------------------------------
    def action_switch(self) -> None:
        self.mode = "study" if self.mode == "interview" else "interview"
        answer = self.query_one("#practice-answer", TextArea)
        answer.display = self.mode == "interview"
        title = (
            "Interview practice (memory-only) — f5: study"
            if self.mode == "interview"
            else "Study review — f6 reveals, 1–4 rates — f5: interview"
        )
        self.query_one("#practice-title", Label).update(title)
        if self.mode == "study":
            self.set_focus(None)  # the digits rate cards, not type into the hidden answer box
            self._set("practice-question", Text("Loading your study cards…", style="dim"))
            self._load_deck()
        else:
            answer.focus()
            if self.session is None:
                self._start_interview()
            else:
                self._show_question()

    def action_next(self) -> None:
        if self.busy:
            return
        if self.mode == "study":
            if self.due and not self.revealed:
                self.revealed = True
                c = self.due[0].card
                self._set(
                    "practice-feedback",
                    Text.assemble(("Answer: ", "bold"), c.answer, "\n1 again · 2 hard · 3 good · 4 easy"),
                )
            return
        if not self.questions:
            return
        if self.feedback is not None:
            if self.index + 1 < len(self.questions):
                self.index += 1
                self.feedback = None
                self._show_question()
            return
        answer = self.query_one("#practice-answer", TextArea).text
        if not answer.strip():
            self.notify("Type an answer first.", timeout=3)
            return
        self.busy = True
        self._set("practice-feedback", Text("Looking through your journal…", style="dim"))
        self._send(self.questions[self.index], answer, self.index + 1 == len(self.questions))

    def action_rate(self, rating: int) -> None:
        if self.mode != "study" or not self.revealed or not self.due or self.deck is None or self.busy:
            return
        self.busy = True
        self._rate(self.deck, self.due[0].card.id, rating)
