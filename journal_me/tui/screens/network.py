"""Network: what friends' second mes asked, what waits for you, who they are, what was said.

- **Outbox**: answers drafted for peers and held for your consent. Pick one; its question and
  draft show below; edit the draft in place if you like; f5 sends it (your edit if you made
  one), f6 refuses (the peer is told you declined). Nothing leaves without you unless a peer
  is set to ``auto`` (``journal-me peers mode NAME auto``).
- **Inbox**: every question peers asked, newest first, with its task state.
- **Peers**: friends, their role (what of your memory may answer them), manual/auto, and
  whether each side can call the other.
- **Log**: everything received and said on your behalf.
- **Space**: start a Space (an objective, then the peers, comma-separated, enter): your second
  me opens, each peer speaks in turn for three rounds, then a summary; the turns appear as
  they come and the transcript is saved in the data dir (``journal_me.net.spaces``).

The state lives in ``network.sqlite3`` in the vault's data dir (``journal_me.net.store``,
shared with ``journal-me serve`` and ``journal-me outbox``); reads and writes run in thread
workers, and the screen re-reads it every few seconds while shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, RichLog, Static, TabbedContent, TabPane

from journal_me.termsafe import clean as clean_block
from journal_me.tui.screens.base import MainScreen
from journal_me.tui.text import one_line
from journal_me.tui.widgets.safe_text_area import SafeTextArea
from journal_me.tui.workers import ReportsWorkerErrors

if TYPE_CHECKING:
    from journal_me.net.spaces import SpaceEvent
    from journal_me.net.store import LogEntry, OutboxItem, Peer

LIMIT = 200  # inbox and log rows shown


@dataclass(frozen=True)
class NetSnapshot:
    """Everything the screen shows, read in one go (in a worker)."""

    pending: list[OutboxItem]
    inbox: list[OutboxItem]
    peers: list[Peer]
    log: list[LogEntry]


def read_snapshot(data_dir: Path) -> NetSnapshot:
    from journal_me.net.store import NetLog, Outbox, PeerStore

    outbox = Outbox(data_dir)
    return NetSnapshot(
        outbox.pending(), outbox.items(LIMIT), PeerStore(data_dir).list(), NetLog(data_dir).entries(LIMIT)
    )


def _when(iso: str) -> str:
    """``2026-11-02T09:15:00+00:00`` → ``11-02 09:15`` (UTC, as stored)."""
    return iso[5:16].replace("T", " ")


def _short(text: str, n: int = 60) -> str:
    line = one_line(text).strip()
    return line if len(line) <= n else line[: n - 1] + "…"


class NetworkScreen(ReportsWorkerErrors, MainScreen):
    MODE = "network"
    AUTO_FOCUS = "#net-outbox-table"
    REFRESH_SECONDS: ClassVar[float] = 5.0  # re-read the store while shown (0: never)

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f5", "approve", "Send", id="network-approve", priority=True),
        Binding("f6", "refuse", "Refuse", id="network-refuse", priority=True),
        Binding("ctrl+r", "refresh", "Refresh", id="network-refresh"),
    ]

    DEFAULT_CSS = """
    #net-tabs { height: 1fr; }
    #net-outbox-table { height: 1fr; min-height: 4; }
    #net-detail { height: 2fr; }
    #net-question { height: auto; max-height: 5; padding: 0 1; }
    #net-draft { height: 1fr; min-height: 3; }
    #net-hint { height: 1; padding: 0 1; color: $text-muted; }
    #net-inbox-table, #net-peers-table, #net-log-table { height: 1fr; }
    #net-space-objective, #net-space-with { height: 3; }
    #net-space-log { height: 1fr; padding: 0 1; }
    NetworkScreen.-narrow #net-question { max-height: 3; }
    """

    class _Loaded(Message):
        def __init__(self, snapshot: NetSnapshot) -> None:
            self.snapshot = snapshot
            super().__init__()

    class _SpaceEvent(Message):
        def __init__(self, event: SpaceEvent) -> None:
            self.event = event
            super().__init__()

    class _Done(Message):
        def __init__(self, text: str, ok: bool) -> None:
            self.text, self.ok = text, ok
            super().__init__()

    def __init__(self) -> None:
        super().__init__()
        self.snapshot = NetSnapshot([], [], [], [])
        self.selected: str | None = None  # the outbox item shown below the table
        self.shown_draft = ""

    # --- layout -------------------------------------------------------------------------

    def compose_body(self) -> ComposeResult:
        with TabbedContent(id="net-tabs", initial="net-outbox"):
            with TabPane("Outbox", id="net-outbox"):
                yield DataTable(id="net-outbox-table", cursor_type="row", zebra_stripes=True)
                with Vertical(id="net-detail"):
                    yield Static("", id="net-question")
                    yield SafeTextArea("", id="net-draft", soft_wrap=True)
                    yield Static(
                        "f5 sends the draft (your edit, if you changed it) · f6 refuses", id="net-hint"
                    )
            with TabPane("Inbox", id="net-inbox"):
                yield DataTable(id="net-inbox-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Peers", id="net-peers"):
                yield DataTable(id="net-peers-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Log", id="net-log"):
                yield DataTable(id="net-log-table", cursor_type="row", zebra_stripes=True)
            with TabPane("Space", id="net-space"):
                yield Input(placeholder="objective, e.g. plan a weekend in Skye", id="net-space-objective")
                yield Input(placeholder="with: peers, comma-separated (enter starts)", id="net-space-with")
                yield RichLog(id="net-space-log", wrap=True, markup=False, highlight=False)

    def on_mount(self) -> None:
        super().on_mount()
        self.query_one("#net-outbox-table", DataTable).add_columns("From", "Role", "Skill", "When", "Asked")
        self.query_one("#net-inbox-table", DataTable).add_columns(
            "When", "From", "Skill", "State", "Question"
        )
        self.query_one("#net-peers-table", DataTable).add_columns(
            "Peer", "Role", "Answers", "Can ask you", "You can ask", "URL"
        )
        self.query_one("#net-log-table", DataTable).add_columns("When", "Peer", "", "Kind", "Text")
        self.query_one("#net-draft", SafeTextArea).disabled = True
        if self.REFRESH_SECONDS > 0:
            self.set_interval(self.REFRESH_SECONDS, self._tick)

    def _tick(self) -> None:
        if self.app.screen is self:
            self.load()

    def on_screen_resume(self) -> None:
        self.load()

    def vault_ready(self, reason: str) -> None:
        if reason == "opened":
            self.load()

    @property
    def data_dir(self) -> Path:
        from journal_me.net.store import network_dir

        return network_dir(self.jm.settings.vault_data_dir)

    # --- reading ------------------------------------------------------------------------

    def action_refresh(self) -> None:
        self.load()

    @work(
        thread=True,
        exclusive=True,
        group="network-load",
        exit_on_error=False,
        name="reading the network state",
    )
    def load(self) -> None:
        self.post_message(self._Loaded(read_snapshot(self.data_dir)))

    @on(_Loaded)
    def _show(self, message: _Loaded) -> None:
        if message.snapshot == self.snapshot and self.selected is not None:
            return  # nothing changed: leave the cursors and the draft being edited alone
        snap = self.snapshot = message.snapshot
        tabs = self.query_one("#net-tabs", TabbedContent)
        tabs.get_tab("net-outbox").label = f"Outbox ({len(snap.pending)})" if snap.pending else "Outbox"
        table = self.query_one("#net-outbox-table", DataTable)
        keep = self.selected
        table.clear()
        for item in snap.pending:
            table.add_row(
                one_line(item.peer),
                item.role,
                item.skill,
                _when(item.created),
                _short(item.question),
                key=item.id,
            )
        inbox = self.query_one("#net-inbox-table", DataTable)
        inbox.clear()
        for item in snap.inbox:
            state = Text(item.state, style="bold yellow" if item.state == "input-required" else "")
            inbox.add_row(
                _when(item.created), one_line(item.peer), item.skill, state, _short(item.question, 80)
            )
        peers = self.query_one("#net-peers-table", DataTable)
        peers.clear()
        for p in snap.peers:
            peers.add_row(
                one_line(p.name),
                p.role,
                "auto" if p.mode == "auto" else "with your approval",
                "yes" if p.can_call_us else "no",
                "yes" if p.outbound_token else "no",
                one_line(p.url or ""),
            )
        log = self.query_one("#net-log-table", DataTable)
        log.clear()
        for e in snap.log:
            arrow = Text("→" if e.direction == "out" else "←", style="bold" if e.direction == "out" else "")
            log.add_row(_when(e.when), one_line(e.peer), arrow, e.kind, _short(e.text, 90))
        ids = [i.id for i in snap.pending]
        if keep in ids:
            table.move_cursor(row=ids.index(keep))
            return  # the draft being edited stays as it is
        self._select(ids[0] if ids else None)

    @on(DataTable.RowHighlighted, "#net-outbox-table")
    def _highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.cursor_row != event.data_table.cursor_row:
            return  # a stale highlight from refilling the table
        key = event.row_key.value if event.row_key is not None else None
        if key != self.selected:
            self._select(key)

    def _select(self, task_id: str | None) -> None:
        self.selected = task_id
        item = next((i for i in self.snapshot.pending if i.id == task_id), None)
        question = self.query_one("#net-question", Static)
        draft = self.query_one("#net-draft", SafeTextArea)
        if item is None:
            question.update(Text("Nothing waits for your approval.", style="dim"))
            self.shown_draft = ""
            draft.load_text("")
            draft.disabled = True
            return
        head = Text.assemble(
            (one_line(item.peer), "bold"),
            (f" ({item.role}, {item.skill}) asked: ", "dim"),
            one_line(item.question),
        )
        if item.memory_only:
            head.append("  — memory-only draft (no model)", style="italic dim")
        question.update(head)
        self.shown_draft = item.draft
        draft.disabled = False
        draft.load_text(item.draft)

    # --- approving and refusing -----------------------------------------------------------

    def action_approve(self) -> None:
        if self.selected is None:
            self.notify("Nothing selected in the outbox.", severity="warning")
            return
        text = self.query_one("#net-draft", SafeTextArea).text
        edited = text if text.strip() and text != self.shown_draft else None
        self._decide(self.selected, "approve", edited)

    def action_refuse(self) -> None:
        if self.selected is None:
            self.notify("Nothing selected in the outbox.", severity="warning")
            return
        self._decide(self.selected, "refuse", None)

    @work(thread=True, group="network-decide", exit_on_error=False, name="answering a peer")
    def _decide(self, task_id: str, verb: str, text: str | None) -> None:
        from journal_me.net.store import NetStoreError, Outbox

        outbox = Outbox(self.data_dir)
        try:
            if verb == "approve":
                item = outbox.approve(task_id, text)
                said = f"Sent to {item.peer}" + (" (your edit)." if text is not None else ".")
            else:
                item = outbox.refuse(task_id)
                said = f"Refused {item.peer}'s question: they are told you declined."
        except NetStoreError as exc:
            self.post_message(self._Done(str(exc), False))
            return
        self.post_message(self._Done(said, True))

    @on(_Done)
    def _decided(self, message: _Done) -> None:
        self.notify(message.text, severity="information" if message.ok else "warning", markup=False)
        self.selected = None
        self.load()

    # --- Spaces -------------------------------------------------------------------------------

    @on(Input.Submitted, "#net-space-objective")
    def _objective_given(self) -> None:
        self.query_one("#net-space-with", Input).focus()

    @on(Input.Submitted, "#net-space-with")
    def _start_space(self) -> None:
        objective = self.query_one("#net-space-objective", Input).value.strip()
        names = [n.strip() for n in self.query_one("#net-space-with", Input).value.split(",") if n.strip()]
        log = self.query_one("#net-space-log", RichLog)
        if not objective or not names:
            self.notify("Give the objective and at least one peer.", severity="warning")
            return
        log.clear()
        log.write(Text(f"Space: {one_line(objective)} — with {', '.join(names)}", style="bold"))
        self.jm.ensure_engine()
        self.run_space(objective, names)

    @work(thread=True, exclusive=True, group="network-space", exit_on_error=False, name="running the Space")
    def run_space(self, objective: str, names: list[str]) -> None:
        from journal_me.net.spaces import JournalHost, Space, spaces_dir
        from journal_me.net.store import PeerStore
        from journal_me.roles import load_roles

        jm = self.jm
        journal = jm.journal
        if journal is None:
            raise RuntimeError("the vault is not open")
        peers = PeerStore(self.data_dir)
        participants = [peers.get(n) for n in names]
        role = load_roles(jm.settings.roles_file)["social"]
        host = JournalHost(journal, role, name=jm.settings.name or "me", engine=jm.engine_slot.wait())
        space = Space(objective, participants, host, spaces_dir(jm.settings.vault_data_dir))
        for event in space.run():
            self.post_message(self._SpaceEvent(event))

    @on(_SpaceEvent)
    def _space_event(self, message: _SpaceEvent) -> None:
        e = message.event
        log = self.query_one("#net-space-log", RichLog)
        if e.kind == "open":
            log.write(Text(f"{e.speaker}'s second me opens:", style="bold"))
        elif e.kind == "turn":
            log.write(
                Text(f"[round {e.round}] {e.speaker}", style="bold" if e.state == "completed" else "yellow")
            )
        elif e.kind == "waiting":
            log.write(Text(f"[round {e.round}] {e.speaker}: {e.text}…", style="yellow"))
            return
        elif e.kind == "summary":
            log.write(Text("Summary", style="bold"))
        elif e.kind == "saved":
            log.write(Text(f"(transcript saved to {one_line(e.text)})", style="dim"))
            self.load()
            return
        log.write(Text(clean_block(e.text) + "\n"))
