"""``--copy``: OSC 52 to the terminal (tmux passthrough, size limit), native tools only in local
sessions, a non-zero exit when nothing worked. The real clipboard is never touched: the
terminal, PATH lookup and tool runner are injected."""

from __future__ import annotations

import base64
from collections.abc import Callable
from pathlib import Path

import pytest

import journal_me.clipboard as clipboard
from journal_me.clipboard import OSC52_MAX, copy_text, osc52_sequence


class FakeTty:
    def __init__(self) -> None:
        self.data = b""
        self.closed = False

    def write(self, data: bytes) -> int:
        self.data += data
        return len(data)

    def flush(self) -> None:
        pass

    def close(self) -> None:
        self.closed = True


class Tools:
    """Records native tool runs; ``found`` is what PATH has."""

    def __init__(self, found: set[str], works: bool = True) -> None:
        self.found = found
        self.works = works
        self.runs: list[tuple[list[str], bytes]] = []

    def which(self, name: str) -> str | None:
        return f"/usr/bin/{name}" if name in self.found else None

    def run(self, tool: list[str], data: bytes) -> bool:
        self.runs.append((tool, data))
        return self.works


LOCAL = {"WAYLAND_DISPLAY": "wayland-0"}
SSH = {"SSH_CONNECTION": "10.0.0.1 5000 10.0.0.2 22", "WAYLAND_DISPLAY": "wayland-0"}


def test_osc52_bytes() -> None:
    assert osc52_sequence("héllo") == b"\x1b]52;c;" + base64.b64encode("héllo".encode()) + b"\x07"
    wrapped = osc52_sequence("hi", tmux=True)
    assert wrapped == b"\x1bPtmux;\x1b\x1b]52;c;aGk=\x07\x1b\\" + b"\x1b]52;c;aGk=\x07"


def test_terminal_gets_osc52_and_local_tool_runs_too() -> None:
    tty, tools = FakeTty(), Tools({"wl-copy"})
    result = copy_text("draft", env=LOCAL, terminal=lambda: tty, which=tools.which, run=tools.run)
    assert tty.data == b"\x1b]52;c;ZHJhZnQ=\x07"
    assert tools.runs == [(["wl-copy"], b"draft")]
    assert result.ok and result.osc52 and result.tool == "wl-copy"


def test_inside_tmux_the_sequence_is_wrapped() -> None:
    tty = FakeTty()
    env = {**SSH, "TMUX": "/tmp/tmux-0/default,1,0"}
    result = copy_text("draft", env=env, terminal=lambda: tty, which=Tools(set()).which)
    assert tty.data == b"\x1bPtmux;\x1b\x1b]52;c;ZHJhZnQ=\x07\x1b\\\x1b]52;c;ZHJhZnQ=\x07"
    assert result.ok


def test_over_ssh_no_native_tool_runs() -> None:
    tty, tools = FakeTty(), Tools({"wl-copy", "xclip"})
    result = copy_text("draft", env=SSH, terminal=lambda: tty, which=tools.which, run=tools.run)
    assert tools.runs == []
    assert result.ok and result.osc52 and result.tool is None
    # and with no terminal either: nothing worked, and it says why
    result = copy_text("draft", env=SSH, terminal=lambda: None, which=tools.which, run=tools.run)
    assert not result.ok and tools.runs == []
    assert "no terminal" in result.describe() and "SSH" in result.describe()


def test_too_long_for_osc52_falls_back_to_a_local_tool() -> None:
    tty, tools = FakeTty(), Tools({"xclip"})
    text = "x" * (OSC52_MAX // 4 * 3 + 3)
    env = {"DISPLAY": ":0"}
    result = copy_text(text, env=env, terminal=lambda: tty, which=tools.which, run=tools.run)
    assert tty.data == b""
    assert tools.runs == [(["xclip", "-selection", "clipboard"], text.encode())]
    assert result.ok and not result.osc52
    # just under the limit still goes to the terminal
    text = "x" * (OSC52_MAX // 4 * 3)
    assert copy_text(text, env=env, terminal=lambda: tty, which=tools.which, run=tools.run).osc52


def test_a_failing_tool_and_no_terminal_is_a_failure() -> None:
    tools = Tools({"wl-copy"}, works=False)
    result = copy_text("draft", env=LOCAL, terminal=lambda: None, which=tools.which, run=tools.run)
    assert not result.ok and "wl-copy failed" in result.describe()


# -- the CLI -------------------------------------------------------------------------------
@pytest.fixture
def cli(
    vault: Path,
    write: Callable[..., Path],
    monkeypatch: pytest.MonkeyPatch,
    run_cli: Callable[..., tuple[int, str, str]],
) -> Callable[..., tuple[int, str, str]]:
    write(vault, "journal/2026/2026-03-03.md", "A calm day by the lighthouse.\n")
    monkeypatch.setattr("sys.stdin", _NoStdin())
    for var in ("SSH_CONNECTION", "SSH_TTY", "TMUX", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)

    return run_cli


class _NoStdin:
    def isatty(self) -> bool:
        return False

    def read(self) -> str:
        return ""


def test_bridge_copy_exits_non_zero_when_nothing_worked(
    cli: Callable[..., tuple[int, str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    tools = Tools(set())
    monkeypatch.setattr(clipboard, "_terminal", lambda: None)
    monkeypatch.setattr(clipboard, "_run_tool", tools.run)
    monkeypatch.setattr(clipboard.shutil, "which", tools.which)
    code, out, err = cli("bridge", "reply", "how", "are", "you?", "--copy")
    assert code == 1
    assert out.strip()  # the draft is still printed
    assert "could not copy to the clipboard" in err and "no terminal" in err
    assert tools.runs == []


def test_bridge_copy_sends_osc52_to_the_terminal(
    cli: Callable[..., tuple[int, str, str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    tty, tools = FakeTty(), Tools(set())
    monkeypatch.setattr(clipboard, "_terminal", lambda: tty)
    monkeypatch.setattr(clipboard, "_run_tool", tools.run)
    monkeypatch.setattr(clipboard.shutil, "which", tools.which)
    monkeypatch.setenv("SSH_CONNECTION", "10.0.0.1 5000 10.0.0.2 22")
    monkeypatch.setenv("TMUX", "/tmp/tmux-0/default,1,0")
    code, out, err = cli("bridge", "reply", "how", "are", "you?", "--copy")
    assert code == 0, err
    draft = out.strip()
    payload = base64.b64encode((draft + "").encode()).decode()
    assert tty.data == f"\x1bPtmux;\x1b\x1b]52;c;{payload}\x07\x1b\\\x1b]52;c;{payload}\x07".encode()
    assert "OSC 52" in err
