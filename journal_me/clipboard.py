"""Native clipboard tools, for the CLI and as the TUI's fallback in local sessions.

The TUI copies with Textual's ``App.copy_to_clipboard`` (OSC 52) first: it works over SSH
but some terminals ignore it silently. A native tool is tried only in local sessions (no
``SSH_CONNECTION``), since over SSH it would fill the *remote* machine's clipboard.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys


def native_tool() -> list[str] | None:
    if os.environ.get("SSH_CONNECTION") or os.environ.get("SSH_TTY"):
        return None
    if sys.platform == "darwin" and shutil.which("pbcopy"):
        return ["pbcopy"]
    if os.environ.get("WAYLAND_DISPLAY") and shutil.which("wl-copy"):
        return ["wl-copy"]
    if os.environ.get("DISPLAY"):
        if shutil.which("xclip"):
            return ["xclip", "-selection", "clipboard"]
        if shutil.which("xsel"):
            return ["xsel", "--clipboard", "--input"]
    if shutil.which("clip.exe"):  # WSL
        return ["clip.exe"]
    return None


def copy_native(text: str) -> bool:
    """Copy with a native tool; False when none is usable here."""
    tool = native_tool()
    if tool is None:
        return False
    try:
        subprocess.run(tool, input=text.encode("utf-8"), check=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return False
    return True
