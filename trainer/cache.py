"""A tiny on-disk cache of model replies (JSON files keyed by a hash).

Model-written synthesis and model-written DPO rejections are the slow parts of a nightly
run when llama.cpp runs on the CPU. Their inputs rarely change from one night to the next
(an entry's text, an example's question), so replies are kept per (input, model, prompt
version) and only new or edited entries cost model time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from pathlib import Path
from typing import Any

from journal_me.fsutil import atomic_write_json


class ReplyCache:
    def __init__(self, directory: Path | None, salt: str) -> None:
        self.directory = directory
        self.salt = salt

    def _path(self, key: str) -> Path | None:
        if self.directory is None:
            return None
        name = hashlib.sha1(f"{self.salt}|{key}".encode()).hexdigest()[:24]
        return self.directory / f"{name}.json"

    def get(self, key: str) -> Any | None:
        path = self._path(key)
        if path is None or not path.is_file():
            return None
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, key: str, value: Any) -> None:
        path = self._path(key)
        if path is None:
            return
        with contextlib.suppress(OSError):  # a cache that cannot be written is only slower
            atomic_write_json(path, value)
