"""The model layer's errors: each message says what to do instead."""

from __future__ import annotations

from pathlib import Path


class RegistryError(ValueError):
    """A registry request that cannot be met; the message says what to do instead."""


class RegistryCorruptError(RegistryError):
    """A registry file (``registry.json``, a manifest) is unreadable or not the shape it
    must have. The message is one line naming the file and what to do."""

    def __init__(self, path: Path, why: str) -> None:
        why = " ".join(why.split())
        super().__init__(f"{path}: {why} — fix or delete it (the models themselves are kept)")
        self.path = path
        self.why = why


class DownloadError(RuntimeError):
    """A download failed; a partial ``.part`` file is kept so the next try resumes."""
