"""``journal-me model pull``: download a catalogue model with ``huggingface_hub`` and register it.

This is the only code in journal-me that touches the network. The hub does the transfer:
``hf_hub_download(local_dir=…)`` for the chat GGUF and ``snapshot_download`` for the training
weights both keep an interrupted download's bytes under ``local_dir/.cache/huggingface/`` and
continue from there on the next try, verify the result, and honour ``HF_TOKEN`` and
``HF_ENDPOINT``. Tests inject functions with the hub's shapes instead (no network).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

from journal_me.fsutil import fsync_dir
from journal_me.models.catalog import CatalogEntry, catalog_entry
from journal_me.models.errors import DownloadError
from journal_me.models.registry import BASE_FILE, BaseModel, ModelRegistry

#: ``huggingface_hub.hf_hub_download``'s shape: (repo_id, filename, *, local_dir, tqdm_class) -> path.
FileDownload = Callable[..., Any]
#: ``huggingface_hub.snapshot_download``'s shape: (*, repo_id, local_dir, allow_patterns) -> path.
Snapshot = Callable[..., Any]
#: ``progress(done_bytes, total_bytes_or_None)``.
DownloadProgress = Callable[[int, int | None], None]  # bytes done, total (None: unknown)

HF_DIR = "hf"
# What training needs from a Hugging Face repo: config, tokenizer, safetensors weights.
WEIGHT_PATTERNS = ("*.json", "*.safetensors", "tokenizer*", "*.model", "*.txt", "*.jinja")


def pull(
    key: str,
    registry: ModelRegistry,
    *,
    download: FileDownload | None = None,
    progress: DownloadProgress | None = None,
    activate: bool = True,
    weights: bool = False,
    snapshot: Snapshot | None = None,
) -> BaseModel:
    """Download a catalogue model into ``models/bases/<key>/model.gguf`` (and, with
    ``weights``, its HF training weights into ``hf/``), register it and (by default) make it
    active. An interrupted download resumes on the next call. ``download`` and ``snapshot``
    replace the hub's functions (tests)."""
    entry = catalog_entry(key)
    directory = registry.bases_dir / entry.key
    dest = directory / BASE_FILE
    if not dest.is_file():
        fetch_gguf(entry, directory, dest, download=download, progress=progress)
    base = registry.register_base(dest, name=entry.key, hf_repo=entry.hf_repo, source=entry.url)
    if activate:
        registry.use(base.name)
    if weights:
        # after registering: if the weights fail, chat already works with the GGUF
        hf_dir = pull_weights(entry, directory / HF_DIR, snapshot=snapshot)
        base = registry.register_base(
            dest, name=entry.key, hf_dir=hf_dir, hf_repo=entry.hf_repo, source=entry.url
        )
    return base


def fetch_gguf(
    entry: CatalogEntry,
    directory: Path,
    dest: Path,
    *,
    download: FileDownload | None = None,
    progress: DownloadProgress | None = None,
) -> Path:
    """The chat GGUF of ``entry`` as ``dest``: the hub writes ``directory/<file name>``
    (resuming what an earlier try left in ``directory/.cache``), then it is renamed."""
    if download is None:
        from huggingface_hub import hf_hub_download

        download = hf_hub_download
    directory.mkdir(parents=True, exist_ok=True)
    options: dict[str, Any] = {"local_dir": str(directory)}
    if progress is not None:
        options["tqdm_class"] = _reporting_bar(progress)
    try:
        fetched = Path(download(entry.gguf_repo, entry.gguf_file, **options))
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # the hub raises many types; the message says which file failed
        raise DownloadError(
            f"{entry.gguf_repo}/{entry.gguf_file}: {_why(exc)} — run the command again to resume"
        ) from exc
    if not fetched.is_file():
        raise DownloadError(f"{entry.gguf_repo}/{entry.gguf_file}: the download left no file")
    os.replace(fetched, dest)
    fsync_dir(directory)
    return dest


def pull_weights(entry: CatalogEntry, target: Path, *, snapshot: Snapshot | None = None) -> Path:
    """Fetch the HF weights that match a catalogue GGUF (for `journal-me train`) into
    ``target``, via ``target.part`` (kept on failure: the next try resumes it)."""
    if target.is_dir() and (target / "config.json").is_file() and any(target.glob("*.safetensors")):
        return target
    if snapshot is None:
        from huggingface_hub import snapshot_download

        snapshot = snapshot_download
    tmp = target.with_name(target.name + ".part")
    try:
        snapshot(repo_id=entry.hf_repo, local_dir=str(tmp), allow_patterns=list(WEIGHT_PATTERNS))
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # the hub raises many types; the message says which repo failed
        raise DownloadError(
            f"training weights {entry.hf_repo}: {_why(exc)} — run the pull again to resume"
        ) from exc
    if not (tmp / "config.json").is_file():
        raise DownloadError(f"training weights {entry.hf_repo}: no config.json in the download")
    if target.exists():
        shutil.rmtree(target)
    os.replace(tmp, target)
    fsync_dir(target.parent)
    return target


def _why(exc: BaseException) -> str:
    """The hub's error in one line (its messages run to several, with request ids)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _reporting_bar(progress: DownloadProgress) -> type[Any]:
    """A ``tqdm`` class for the hub that draws nothing and reports bytes to ``progress``
    (the CLI draws its own bar)."""
    from tqdm.auto import tqdm

    class ReportingBar(tqdm):  # type: ignore[misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs["disable"] = True
            super().__init__(*args, **kwargs)
            self.done = int(kwargs.get("initial") or 0)
            total = kwargs.get("total")
            self.expected = int(total) if total else None
            progress(self.done, self.expected)

        def update(self, n: float | None = 1) -> bool | None:
            self.done += int(n or 0)
            progress(self.done, self.expected)
            return True

    return ReportingBar


__all__ = [
    "HF_DIR",
    "WEIGHT_PATTERNS",
    "DownloadProgress",
    "FileDownload",
    "Snapshot",
    "fetch_gguf",
    "pull",
    "pull_weights",
]
