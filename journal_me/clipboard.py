"""Copy to the clipboard from the CLI (and native tools as the TUI's fallback).

Two ways, tried in this order by :func:`copy_text`:

* **OSC 52**, when a terminal is attached (stdout is a TTY, else ``/dev/tty``): the terminal
  itself sets the clipboard, so it works over SSH and inside tmux (wrapped in tmux's DCS
  passthrough, and plain for tmux's own ``set-clipboard``). The terminal never answers, so
  it cannot be confirmed; some terminals (VTE, older ones) ignore it. Sequences over
  :data:`OSC52_MAX` bytes are not sent: terminals cut or drop them.
* **A native tool** (pbcopy, wl-copy, xclip, xsel, clip.exe), only in local sessions (no
  ``SSH_CONNECTION``/``SSH_TTY``: over SSH it would fill the *remote* machine's clipboard).
  Locally it runs even after OSC 52 was sent, since OSC 52 may have been silently ignored.

The TUI copies with Textual's ``App.copy_to_clipboard`` (OSC 52) and then ``copy_native``.
Tests inject the terminal, the environment and the tool runner: the real clipboard is never
touched.
"""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO

__all__ = [
    "OSC52_MAX",
    "CopyResult",
    "copy_native",
    "copy_text",
    "is_remote",
    "native_tool",
    "osc52_sequence",
]

# Base64 payload limit: hterm/Chrome OS and many terminals stop at 74,994 bytes (100,000 in
# xterm's default); past it the copy is lost or truncated without a word.
OSC52_MAX = 74_994

Runner = Callable[[list[str], bytes], bool]


def is_remote(env: Mapping[str, str] | None = None) -> bool:
    env = os.environ if env is None else env
    return bool(env.get("SSH_CONNECTION") or env.get("SSH_TTY"))


def native_tool(
    env: Mapping[str, str] | None = None, which: Callable[[str], str | None] | None = None
) -> list[str] | None:
    env = os.environ if env is None else env
    which = which or shutil.which
    if is_remote(env):
        return None
    if sys.platform == "darwin" and which("pbcopy"):
        return ["pbcopy"]
    if env.get("WAYLAND_DISPLAY") and which("wl-copy"):
        return ["wl-copy"]
    if env.get("DISPLAY"):
        if which("xclip"):
            return ["xclip", "-selection", "clipboard"]
        if which("xsel"):
            return ["xsel", "--clipboard", "--input"]
    if which("clip.exe"):  # WSL
        return ["clip.exe"]
    return None


def _run_tool(tool: list[str], data: bytes) -> bool:
    try:
        subprocess.run(tool, input=data, check=True, timeout=5, capture_output=True)
    except (OSError, subprocess.SubprocessError):
        return False
    return True


def copy_native(
    text: str,
    *,
    env: Mapping[str, str] | None = None,
    which: Callable[[str], str | None] | None = None,
    run: Runner | None = None,
) -> bool:
    """Copy with a native tool; False when none is usable here."""
    tool = native_tool(env, which)
    return tool is not None and (run or _run_tool)(tool, text.encode("utf-8"))


def osc52_sequence(text: str, *, tmux: bool = False) -> bytes:
    """The OSC 52 "set clipboard" sequence for ``text``.

    ``tmux``: first in tmux's DCS passthrough (every ESC doubled), which tmux forwards to the
    outer terminal when ``allow-passthrough`` is on, then plain, which tmux itself takes when
    ``set-clipboard`` is on. Whichever the user's tmux allows sets the clipboard (both: the
    same text twice); the other is dropped by tmux.
    """
    payload = base64.b64encode(text.encode("utf-8")).decode("ascii")
    seq = f"\x1b]52;c;{payload}\x07"
    if tmux:
        seq = "\x1bPtmux;" + seq.replace("\x1b", "\x1b\x1b") + "\x1b\\" + seq
    return seq.encode("ascii")


def _terminal() -> BinaryIO | None:
    """Where OSC 52 goes: stdout when it is a terminal, else the controlling terminal."""
    try:
        if sys.stdout.isatty():
            return sys.stdout.buffer
    except (AttributeError, ValueError):
        pass
    try:
        return open("/dev/tty", "wb", buffering=0)
    except OSError:
        return None


@dataclass
class CopyResult:
    osc52: bool = False  # the sequence was written to a terminal (not confirmable)
    tool: str | None = None  # the native tool that copied
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.osc52 or self.tool is not None

    def describe(self) -> str:
        """One line for the user."""
        if self.tool and self.osc52:
            return f"copied to the clipboard ({self.tool}, and the terminal via OSC 52)"
        if self.tool:
            return f"copied to the clipboard ({self.tool})"
        if self.osc52:
            return "sent to the terminal's clipboard (OSC 52; a terminal that ignores it copies nothing)"
        return "could not copy to the clipboard: " + "; ".join(self.problems)


def copy_text(
    text: str,
    *,
    env: Mapping[str, str] | None = None,
    terminal: Callable[[], BinaryIO | None] | None = None,
    which: Callable[[str], str | None] | None = None,
    run: Runner | None = None,
) -> CopyResult:
    """Copy ``text``: OSC 52 to an attached terminal, and a native tool in local sessions.
    ``terminal``, ``which`` and ``run`` replace the real terminal, PATH lookup and tool run
    (tests)."""
    env = os.environ if env is None else env
    owned = terminal is None  # the /dev/tty we open is ours to close
    terminal = terminal or _terminal
    run = run or _run_tool
    result = CopyResult()
    seq = osc52_sequence(text, tmux=bool(env.get("TMUX")))
    if len(base64.b64encode(text.encode("utf-8"))) > OSC52_MAX:
        result.problems.append(f"too long for the terminal's clipboard (OSC 52 limit {OSC52_MAX} bytes)")
    else:
        stream = terminal()
        if stream is None:
            result.problems.append("no terminal attached for OSC 52")
        else:
            is_stdout = stream is getattr(sys.stdout, "buffer", None)
            try:
                if is_stdout:
                    sys.stdout.flush()  # keep the order of what was printed before
                stream.write(seq)
                stream.flush()
                result.osc52 = True
            except OSError as exc:
                result.problems.append(f"could not write to the terminal ({exc.strerror or exc})")
            finally:
                if owned and not is_stdout:
                    stream.close()  # the /dev/tty we opened
    if is_remote(env):
        result.problems.append("no native clipboard tool over SSH")
        return result
    tool = native_tool(env, which)
    if tool is None:
        result.problems.append("no clipboard tool found (wl-copy, xclip, xsel, pbcopy, clip.exe)")
    elif run(tool, text.encode("utf-8")):
        result.tool = tool[0]
    else:
        result.problems.append(f"{tool[0]} failed")
    return result
