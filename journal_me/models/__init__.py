"""Models: the catalogue, the registry (shared bases, per-vault LoRA adapters, an active pointer,
rollback) and the downloader.

Layout (all under ``settings.data_root``, never in the vault)::

    models/bases/<name>/manifest.json     a base: GGUF path (the user's file in place, or
    models/bases/<name>/model.gguf        a copy / download here), optional HF weights dir
    vaults/<key>/adapters/v0001/adapter.gguf + manifest.json   (base name, created, metrics…)
    vaults/<key>/registry.json            {"base", "adapter", "history": [...]}

Why this shape: bases are GBs and shared by every vault, so they are referenced, not copied,
unless asked. Adapters are small, personal and produced nightly, so each vault keeps its own
numbered versions and a pointer with a history stack: publishing is "add + activate" and a bad
night is undone with ``rollback`` instead of a retrain. Every file is written to a temp file,
fsynced and ``os.replace``-d; an adapter directory counts only once its manifest exists, so a
crashed publish is invisible. A lock file serialises the nightly trainer and the app; what a
killed writer leaves behind (temp files, an adapter folder without its manifest) is removed
the next time a registry is opened and nobody holds that lock (:meth:`ModelRegistry.clean_leftovers`).
A ``registry.json`` that is not a registry raises :class:`RegistryCorruptError` (one line,
naming the file); chat then runs memory-only instead of crashing.

``pull`` is the only code in journal-me that touches the network (through ``huggingface_hub``).

The package's modules, each importable on its own:

- :mod:`~journal_me.models.catalog`: the curated models ``model pull`` offers;
- :mod:`~journal_me.models.registry`: :class:`ModelRegistry` and its records;
- :mod:`~journal_me.models.files`: atomic writes, leftovers (locks: :mod:`journal_me.fsutil`);
- :mod:`~journal_me.models.download`: ``pull`` via ``huggingface_hub``;
- :mod:`~journal_me.models.errors`: the errors, each naming what to do.

Every public name is re-exported here, so ``from journal_me.models import X`` keeps working.
"""

from __future__ import annotations

from journal_me.models.catalog import CATALOG, DEFAULT_PULL, CatalogEntry, catalog_entry
from journal_me.models.download import (
    HF_DIR,
    WEIGHT_PATTERNS,
    DownloadProgress,
    FileDownload,
    Snapshot,
    fetch_gguf,
    pull,
    pull_weights,
)
from journal_me.models.errors import DownloadError, RegistryCorruptError, RegistryError
from journal_me.models.files import LEFTOVER_AGE_S, copy_atomic, slugify, write_json_atomic
from journal_me.models.registry import (
    ADAPTER_FILE,
    BASE_FILE,
    HISTORY_LIMIT,
    MANIFEST,
    REGISTRY_VERSION,
    ActiveModel,
    Adapter,
    BaseModel,
    ModelRegistry,
)

__all__ = [
    "ADAPTER_FILE",
    "BASE_FILE",
    "CATALOG",
    "DEFAULT_PULL",
    "HF_DIR",
    "HISTORY_LIMIT",
    "LEFTOVER_AGE_S",
    "MANIFEST",
    "REGISTRY_VERSION",
    "WEIGHT_PATTERNS",
    "ActiveModel",
    "Adapter",
    "BaseModel",
    "CatalogEntry",
    "DownloadError",
    "DownloadProgress",
    "FileDownload",
    "ModelRegistry",
    "RegistryCorruptError",
    "RegistryError",
    "Snapshot",
    "catalog_entry",
    "copy_atomic",
    "fetch_gguf",
    "pull",
    "pull_weights",
    "slugify",
    "write_json_atomic",
]
