"""Model registry: shared base models, per-vault LoRA adapters, an active pointer, rollback.

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

``pull`` (and :func:`download`) is the only code in journal-me that touches the network.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from journal_me.config import Settings
from journal_me.llm.gguf_info import GGUFFormatError, GGUFInfo, read_gguf_info

REGISTRY_VERSION = 1
HISTORY_LIMIT = 50
MANIFEST = "manifest.json"
BASE_FILE = "model.gguf"
ADAPTER_FILE = "adapter.gguf"
_VERSION_RE = re.compile(r"^v(\d{4,})$")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")


Snapshot = Callable[..., Any]  # huggingface_hub.snapshot_download's shape


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


# --------------------------------------------------------------------------- records


@dataclass(frozen=True)
class BaseModel:
    """A registered base model."""

    name: str
    gguf: Path
    dir: Path
    manifest: Mapping[str, Any]

    @property
    def hf_dir(self) -> Path | None:
        """Hugging Face weights matching this GGUF (what the trainer fine-tunes)."""
        value = self.manifest.get("hf_dir")
        return Path(value) if value else None

    @property
    def hf_repo(self) -> str | None:
        value = self.manifest.get("hf_repo")
        return str(value) if value else None

    @property
    def architecture(self) -> str:
        return str(self.manifest.get("architecture", ""))

    @property
    def exists(self) -> bool:
        return self.gguf.is_file()


@dataclass(frozen=True)
class Adapter:
    """A published LoRA adapter of one vault."""

    version: str
    dir: Path
    gguf: Path
    base: str
    created: str
    manifest: Mapping[str, Any]

    @property
    def number(self) -> int:
        return int(self.version[1:])

    @property
    def metrics(self) -> Mapping[str, Any]:
        value = self.manifest.get("metrics")
        return value if isinstance(value, Mapping) else {}


@dataclass(frozen=True)
class ActiveModel:
    """What chats run on: a base and, optionally, an adapter made for it."""

    base: BaseModel | None
    adapter: Adapter | None

    @property
    def label(self) -> str:
        if self.base is None:
            return "no model"
        return self.base.name + (f" + {self.adapter.version}" if self.adapter else "")


# --------------------------------------------------------------------------- catalogue


@dataclass(frozen=True)
class CatalogEntry:
    """A curated model: where its chat GGUF lives and which HF weights train it."""

    key: str
    title: str
    gguf_repo: str
    gguf_file: str
    hf_repo: str
    approx_bytes: int
    family: str  # architecture family of its training weights: "qwen2", "qwen3", "llama3" (trainer.twins)
    reasoning: bool = False
    chat_only: bool = False  # True: offered for chat, but the trainer cannot train it (say why in note)
    note: str = ""

    @property
    def url(self) -> str:
        return f"https://huggingface.co/{self.gguf_repo}/resolve/main/{self.gguf_file}"


_GB = 1_000_000_000
CATALOG: dict[str, CatalogEntry] = {
    entry.key: entry
    for entry in (
        CatalogEntry(
            "qwen2.5-1.5b",
            "Qwen2.5 1.5B Instruct (Q4_K_M) — the default: fast on CPU",
            "bartowski/Qwen2.5-1.5B-Instruct-GGUF",
            "Qwen2.5-1.5B-Instruct-Q4_K_M.gguf",
            "Qwen/Qwen2.5-1.5B-Instruct",
            int(0.99 * _GB),
            "qwen2",
        ),
        CatalogEntry(
            "qwen2.5-3b",
            "Qwen2.5 3B Instruct (Q4_K_M)",
            "bartowski/Qwen2.5-3B-Instruct-GGUF",
            "Qwen2.5-3B-Instruct-Q4_K_M.gguf",
            "Qwen/Qwen2.5-3B-Instruct",
            int(1.93 * _GB),
            "qwen2",
        ),
        CatalogEntry(
            "llama-3.2-1b",
            "Llama 3.2 1B Instruct (Q4_K_M)",
            "bartowski/Llama-3.2-1B-Instruct-GGUF",
            "Llama-3.2-1B-Instruct-Q4_K_M.gguf",
            "unsloth/Llama-3.2-1B-Instruct",
            int(0.81 * _GB),
            "llama3",
            note="Llama 3.2 community licence; training weights from the ungated unsloth mirror",
        ),
        CatalogEntry(
            "llama-3.2-3b",
            "Llama 3.2 3B Instruct (Q4_K_M)",
            "bartowski/Llama-3.2-3B-Instruct-GGUF",
            "Llama-3.2-3B-Instruct-Q4_K_M.gguf",
            "unsloth/Llama-3.2-3B-Instruct",
            int(2.02 * _GB),
            "llama3",
            note="Llama 3.2 community licence; training weights from the ungated unsloth mirror",
        ),
        CatalogEntry(
            "qwen3-1.7b",
            "Qwen3 1.7B (Q8_0) — thinks in <think> blocks",
            "Qwen/Qwen3-1.7B-GGUF",
            "Qwen3-1.7B-Q8_0.gguf",
            "Qwen/Qwen3-1.7B",
            int(2.17 * _GB),
            "qwen3",
            reasoning=True,
        ),
        CatalogEntry(
            "qwen3-4b",
            "Qwen3 4B (Q4_K_M) — thinks in <think> blocks",
            "Qwen/Qwen3-4B-GGUF",
            "Qwen3-4B-Q4_K_M.gguf",
            "Qwen/Qwen3-4B",
            int(2.5 * _GB),
            "qwen3",
            reasoning=True,
        ),
    )
}
DEFAULT_PULL = "qwen2.5-1.5b"


def catalog_entry(key: str) -> CatalogEntry:
    try:
        return CATALOG[key.lower()]
    except KeyError:
        known = ", ".join(CATALOG)
        raise RegistryError(f"unknown model {key!r} — choose one of: {known}") from None


# --------------------------------------------------------------------------- files


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not supported everywhere (Windows)
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON so that readers see the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True, ensure_ascii=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def copy_atomic(source: Path, dest: Path) -> None:
    """Copy a (possibly large) file via a temp file in the destination directory."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".tmp", dir=dest.parent)
    try:
        with os.fdopen(fd, "wb") as out, open(source, "rb") as src:
            shutil.copyfileobj(src, out, length=1024 * 1024)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dest)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(dest.parent)


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise RegistryCorruptError(path, "not a text file (garbage bytes)") from None
    except ValueError as exc:
        raise RegistryCorruptError(path, f"not valid JSON ({exc})") from None
    except OSError as exc:
        raise RegistryCorruptError(path, f"unreadable ({exc.strerror or exc})") from None
    if not isinstance(data, dict):
        raise RegistryCorruptError(path, f"a JSON {_json_kind(data)}, not an object")
    return data


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    return {list: "list", str: "string", int: "number", float: "number"}.get(type(value), "value")


def _check_pointer(path: Path, data: dict[str, Any]) -> None:
    """``registry.json`` must be ``{"base": str|null, "adapter": str|null, "history": [{…}]}``."""
    for key in ("base", "adapter"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise RegistryCorruptError(path, f"{key!r} is a {_json_kind(value)}, not a name")
    history = data.get("history", [])
    if not isinstance(history, list) or not all(isinstance(h, dict) for h in history):
        raise RegistryCorruptError(path, "'history' is not a list of earlier states")


#: A temp file of an atomic write older than this cannot belong to a live writer (the
#: largest write, copying an adapter, takes seconds).
LEFTOVER_AGE_S = 600.0
_TMP_GLOB = ".*.tmp"
_cleaned: set[Path] = set()


def _old(path: Path, now: float) -> bool:
    try:
        return now - path.lstat().st_mtime > LEFTOVER_AGE_S
    except OSError:
        return False


@contextlib.contextmanager
def _try_lock(path: Path) -> Iterator[bool]:
    """The advisory lock taken without waiting: yields False while someone else holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: never assume nobody writes
        yield False
        return
    try:
        handle = open(path, "a+b")  # noqa: SIM115 - closed below
    except OSError:
        yield False
        return
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    """An advisory exclusive lock (POSIX ``flock``; a no-op where unavailable)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows
        yield
        return
    with open(path, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def slugify(text: str) -> str:
    """A registry name from a file name: ``Qwen2.5-1.5B-Instruct-Q4_K_M`` -> lower, safe."""
    slug = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._")
    return slug[:80] or "model"


def _gguf_info(path: Path) -> GGUFInfo:
    if not path.is_file():
        raise RegistryError(f"no such file: {path}")
    try:
        return read_gguf_info(path)
    except GGUFFormatError as exc:
        raise RegistryError(f"{path} is not a usable GGUF file: {exc}") from exc
    except OSError as exc:
        raise RegistryError(f"cannot read {path}: {exc}") from exc


# --------------------------------------------------------------------------- registry


class ModelRegistry:
    """Bases (shared) and adapters (per vault) with an active pointer and rollback."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.bases_dir = settings.models_dir / "bases"
        self.adapters_dir = settings.vault_data_dir / "adapters"
        self.pointer_file = settings.vault_data_dir / "registry.json"
        self._lock_file = settings.vault_data_dir / "registry.lock"
        self._bases_lock = settings.models_dir / "bases.lock"  # bases are shared by vaults
        key = settings.vault_data_dir.resolve()
        if key not in _cleaned:  # once per process and vault: the next start after a kill
            _cleaned.add(key)
            with contextlib.suppress(OSError):
                self.clean_leftovers()

    # ------------------------------------------------------------------ leftovers

    def clean_leftovers(self) -> list[str]:
        """Remove what a killed writer left: ``.NAME.*.tmp`` files of the atomic writes and
        ``adapters/vNNNN/`` folders that never got their manifest. Every registry writer
        holds the registry (or bases) lock from its first byte to its rename, so with that
        lock taken here nothing found can be in use; while another process holds it, only
        temp files older than :data:`LEFTOVER_AGE_S` go. Returns what was removed."""
        removed: list[Path] = []
        now = time.time()
        if self.settings.vault_data_dir.is_dir():
            with _try_lock(self._lock_file) as free:
                # only the registry's own: other writers share the data dir
                removed += _remove_tmp(
                    self.settings.vault_data_dir, now, free, f".{self.pointer_file.name}.*.tmp"
                )
                if self.adapters_dir.is_dir():
                    removed += _remove_tmp(self.adapters_dir, now, free)
                    for directory in self.adapters_dir.iterdir():
                        if not _VERSION_RE.match(directory.name) or not directory.is_dir():
                            continue
                        complete = (directory / MANIFEST).is_file() and (directory / ADAPTER_FILE).is_file()
                        if free and not complete:  # never published: invisible, and nobody's
                            shutil.rmtree(directory, ignore_errors=True)
                            removed.append(directory)
                        else:
                            removed += _remove_tmp(directory, now, free)
        if self.bases_dir.is_dir():
            with _try_lock(self._bases_lock) as free:
                for directory in self.bases_dir.iterdir():
                    if directory.is_dir():
                        removed += _remove_tmp(directory, now, free)
        return [str(p) for p in removed]

    # ------------------------------------------------------------------ reading

    def bases(self) -> list[BaseModel]:
        """Registered bases, by name."""
        if not self.bases_dir.is_dir():
            return []
        found = []
        for directory in sorted(self.bases_dir.iterdir()):
            base = self._load_base(directory)
            if base is not None:
                found.append(base)
        return found

    def _load_base(self, directory: Path) -> BaseModel | None:
        manifest = _read_json(directory / MANIFEST) if directory.is_dir() else None
        if manifest is None or "gguf" not in manifest:
            return None
        gguf = Path(str(manifest["gguf"]))
        if not gguf.is_absolute():
            gguf = directory / gguf
        return BaseModel(name=directory.name, gguf=gguf, dir=directory, manifest=manifest)

    def base(self, name: str) -> BaseModel:
        base = self._load_base(self.bases_dir / name) if _NAME_RE.match(name) else None
        if base is None:
            raise RegistryError(f"no base model named {name!r} — see `journal-me model list`")
        return base

    def adapters(self) -> list[Adapter]:
        """Published adapters of this vault, oldest first (unfinished ones are skipped)."""
        if not self.adapters_dir.is_dir():
            return []
        found = []
        for directory in self.adapters_dir.iterdir():
            adapter = self._load_adapter(directory)
            if adapter is not None:
                found.append(adapter)
        return sorted(found, key=lambda a: a.number)

    def _load_adapter(self, directory: Path) -> Adapter | None:
        if not _VERSION_RE.match(directory.name) or not directory.is_dir():
            return None
        manifest = _read_json(directory / MANIFEST)
        gguf = directory / ADAPTER_FILE
        if manifest is None or not gguf.is_file():
            return None
        return Adapter(
            version=directory.name,
            dir=directory,
            gguf=gguf,
            base=str(manifest.get("base", "")),
            created=str(manifest.get("created", "")),
            manifest=manifest,
        )

    def adapter(self, version: str | int) -> Adapter:
        """An adapter by ``"v0003"``, ``"3"`` or ``3``."""
        text = str(version).strip().lower().removeprefix("v")
        if not text.isdigit():
            raise RegistryError(f"{version!r} is not an adapter version (like v0003)")
        name = f"v{int(text):04d}"
        adapter = self._load_adapter(self.adapters_dir / name)
        if adapter is None:
            raise RegistryError(f"no adapter {name} in this vault — see `journal-me model list`")
        return adapter

    def _pointer(self) -> dict[str, Any]:
        """``registry.json`` checked; raises :class:`RegistryCorruptError` naming it."""
        try:
            data = _read_json(self.pointer_file) or {}
            _check_pointer(self.pointer_file, data)
        except RegistryCorruptError as exc:
            raise RegistryCorruptError(
                exc.path, f"{exc.why}; `journal-me model use NAME` starts a new one"
            ) from None
        return {
            "version": REGISTRY_VERSION,
            "base": data.get("base"),
            "adapter": data.get("adapter"),
            "history": list(data.get("history") or []),
            "updated": data.get("updated"),
        }

    def active(self) -> ActiveModel:
        """The pointer resolved; an adapter made for another base is not applied."""
        pointer = self._pointer()
        base = self._try_base(pointer["base"])
        adapter = self._try_adapter(pointer["adapter"])
        if base is None or (adapter is not None and adapter.base != base.name):
            adapter = None
        return ActiveModel(base=base, adapter=adapter)

    def _try_base(self, name: Any) -> BaseModel | None:
        if not isinstance(name, str):
            return None
        try:
            return self.base(name)
        except RegistryError:
            return None

    def _try_adapter(self, version: Any) -> Adapter | None:
        if not isinstance(version, str):
            return None
        try:
            return self.adapter(version)
        except RegistryError:
            return None

    def history(self) -> list[dict[str, Any]]:
        """Earlier pointer states, most recent last (what ``rollback`` returns to)."""
        return list(self._pointer()["history"])

    def engine_paths(self) -> tuple[Path | None, Path | None]:
        """``(base_gguf, adapter_gguf)`` for the engine.

        ``settings.llm.base_model`` overrides the registry's base; the active adapter is then
        used only if it was made for that very file. ``use_adapter = false`` never applies one.
        """
        llm = self.settings.llm
        active = self.active()
        adapter = active.adapter if llm.use_adapter else None
        if llm.base_model is not None:
            explicit = Path(llm.base_model).expanduser()
            if adapter is not None:
                owner = self._try_base(adapter.base)
                if owner is None or not _same_file(owner.gguf, explicit):
                    adapter = None
            return explicit, adapter.gguf if adapter else None
        if active.base is None:
            return None, None
        return active.base.gguf, adapter.gguf if adapter else None

    # ------------------------------------------------------------------ writing

    def _writable_pointer(self) -> dict[str, Any]:
        """The pointer, for a write the user asked for: a corrupt ``registry.json`` is moved
        aside (``registry.json.corrupt-STAMP``, kept for them) and a fresh one begins."""
        try:
            return self._pointer()
        except RegistryCorruptError:
            stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
            os.replace(
                self.pointer_file, self.pointer_file.with_name(f"{self.pointer_file.name}.corrupt-{stamp}")
            )
            return self._pointer()

    def _set_pointer(self, base: str | None, adapter: str | None, reason: str) -> ActiveModel:
        with _file_lock(self._lock_file):
            pointer = self._writable_pointer()
            if (pointer["base"], pointer["adapter"]) != (base, adapter):
                history = pointer["history"]
                if pointer["base"] is not None:
                    history.append(
                        {
                            "base": pointer["base"],
                            "adapter": pointer["adapter"],
                            "until": _now(),
                            "replaced_by": reason,
                        }
                    )
                write_json_atomic(
                    self.pointer_file,
                    {
                        "version": REGISTRY_VERSION,
                        "base": base,
                        "adapter": adapter,
                        "history": history[-HISTORY_LIMIT:],
                        "updated": _now(),
                    },
                )
        return self.active()

    def register_base(
        self,
        gguf_path: str | Path,
        name: str | None = None,
        hf_dir: str | Path | None = None,
        copy: bool = False,
        *,
        hf_repo: str | None = None,
        source: str | None = None,
    ) -> BaseModel:
        """Register a base GGUF. By default the user's file is referenced where it is (GBs
        are not duplicated); ``copy=True`` copies it into the registry. Registering the same
        file again returns the existing entry (updating ``hf_dir`` if given)."""
        path = Path(gguf_path).expanduser().resolve()
        info = _gguf_info(path)
        if info.kind != "model":
            raise RegistryError(
                f"{path.name} is a GGUF {info.kind}, not a base model"
                + (
                    " — add it with `journal-me model use` while its base is active"
                    if info.kind == "adapter"
                    else ""
                )
            )
        name = name or slugify(path.stem)
        if not _NAME_RE.match(name):
            raise RegistryError(f"invalid model name {name!r}: use lower-case letters, digits, '.', '-', '_'")
        with _file_lock(self._bases_lock):
            for existing in self.bases():
                if _same_file(existing.gguf, path):
                    if hf_dir is not None or hf_repo is not None:
                        return self._write_base(
                            existing.dir,
                            existing.gguf,
                            info,
                            existing.manifest,
                            hf_dir=hf_dir,
                            hf_repo=hf_repo,
                            source=source,
                        )
                    return existing
            directory = self.bases_dir / name
            if (directory / MANIFEST).exists():
                raise RegistryError(
                    f"a base named {name!r} already exists for another file — pick another name (`--name`)"
                )
            directory.mkdir(parents=True, exist_ok=True)
            target = path
            if copy:
                target = directory / BASE_FILE
                if not _same_file(path, target):
                    copy_atomic(path, target)
            return self._write_base(
                directory, target, info, {}, hf_dir=hf_dir, hf_repo=hf_repo, source=source
            )

    def _write_base(
        self,
        directory: Path,
        gguf: Path,
        info: GGUFInfo,
        previous: Mapping[str, Any],
        *,
        hf_dir: str | Path | None,
        hf_repo: str | None,
        source: str | None,
    ) -> BaseModel:
        inside = gguf.parent.resolve() == directory.resolve()
        manifest = dict(previous)
        manifest.update(
            {
                "name": directory.name,
                "gguf": gguf.name if inside else str(gguf),
                "architecture": info.architecture,
                "gguf_name": info.name,
                "context_length": info.context_length,
                "has_chat_template": info.chat_template is not None,
                "size_bytes": gguf.stat().st_size,
            }
        )
        manifest.setdefault("added", _now())
        if hf_dir is not None:
            manifest["hf_dir"] = str(Path(hf_dir).expanduser().resolve())
        if hf_repo is not None:
            manifest["hf_repo"] = hf_repo
        if source is not None:
            manifest["source"] = source
        write_json_atomic(directory / MANIFEST, manifest)
        return BaseModel(name=directory.name, gguf=gguf, dir=directory, manifest=manifest)

    def use(self, target: str, *, adapter: bool = True) -> ActiveModel:
        """Make ``target`` active: a ``.gguf`` path (a model is registered, an adapter is
        added for the active base), a base name, or an adapter version (``v0003``).

        Switching base keeps the current adapter if it was made for the new base, else picks
        the newest adapter made for it; ``adapter=False`` runs the base alone.
        """
        path = Path(target).expanduser()
        if target.lower().endswith(".gguf") or path.is_file():
            info = _gguf_info(path)
            if info.kind == "adapter":
                added = self.add_adapter(path, {"source": str(path.resolve())}, activate=False)
                return self.activate_adapter(added.version)
            base = self.register_base(path, source=str(path.resolve()))
            return self._activate_base(base, adapter=adapter)
        if re.fullmatch(r"v?\d+", target.lower()):
            return self.activate_adapter(target)
        if _NAME_RE.match(target.lower()) and (self.bases_dir / target.lower() / MANIFEST).exists():
            return self._activate_base(self.base(target.lower()), adapter=adapter)
        if target.lower() in CATALOG:
            raise RegistryError(
                f"{target} is not downloaded yet — run `journal-me model pull {target.lower()}`"
            )
        names = ", ".join(b.name for b in self.bases()) or "none registered"
        raise RegistryError(f"no model {target!r} (bases: {names}; or give a PATH.gguf)")

    def _activate_base(self, base: BaseModel, *, adapter: bool) -> ActiveModel:
        chosen: str | None = None
        if adapter:
            try:
                current = self.active().adapter
            except RegistryCorruptError:  # replaced by _set_pointer below
                current = None
            if current is not None and current.base == base.name:
                chosen = current.version
            else:
                mine = [a for a in self.adapters() if a.base == base.name]
                chosen = mine[-1].version if mine else None
        return self._set_pointer(base.name, chosen, f"use {base.name}")

    def add_adapter(
        self, gguf_path: str | Path, manifest: Mapping[str, Any], activate: bool = True
    ) -> Adapter:
        """Publish an adapter GGUF as the next version (the trainer's entry point).

        ``manifest`` should hold ``base`` (defaults to the active base) plus anything worth
        keeping: ``metrics``/``report`` of the eval gate, ``data`` counts, hyper-parameters.
        The file is copied into ``adapters/vNNNN/``; the manifest is written last, so a crash
        midway leaves nothing half-published.
        """
        source = Path(gguf_path).expanduser()
        info = _gguf_info(source)
        if info.kind != "adapter":
            raise RegistryError(f"{source.name} is a GGUF {info.kind}, not a LoRA adapter")
        base_name = manifest.get("base")
        if base_name is None:
            active_base = self.active().base
            if active_base is None:
                raise RegistryError(
                    "no active base model to attach the adapter to — run "
                    "`journal-me model use PATH.gguf` first"
                )
            base_name = active_base.name
        base = self.base(str(base_name))
        if base.architecture and info.architecture and base.architecture != info.architecture:
            raise RegistryError(
                f"adapter is for {info.architecture} but base {base.name} is {base.architecture}"
            )
        with _file_lock(self._lock_file):
            directory = self._reserve_version()
            try:
                copy_atomic(source, directory / ADAPTER_FILE)
                record = dict(manifest)
                record.update(
                    {
                        "version": directory.name,
                        "base": base.name,
                        "architecture": info.architecture,
                        "size_bytes": (directory / ADAPTER_FILE).stat().st_size,
                    }
                )
                record.setdefault("created", _now())
                write_json_atomic(directory / MANIFEST, record)
            except BaseException:
                shutil.rmtree(directory, ignore_errors=True)
                raise
        published = self.adapter(directory.name)
        if activate:
            self.activate_adapter(published.version)
        return published

    def _reserve_version(self) -> Path:
        self.adapters_dir.mkdir(parents=True, exist_ok=True)
        numbers = [int(m.group(1)) for p in self.adapters_dir.iterdir() if (m := _VERSION_RE.match(p.name))]
        number = max(numbers, default=0) + 1
        while True:
            directory = self.adapters_dir / f"v{number:04d}"
            try:
                directory.mkdir()
                return directory
            except FileExistsError:
                number += 1

    def activate_adapter(self, version: str | int) -> ActiveModel:
        """Run ``version`` (switching to the base it was made for)."""
        adapter = self.adapter(version)
        base = self.base(adapter.base)
        return self._set_pointer(base.name, adapter.version, f"activate {adapter.version}")

    def deactivate_adapter(self) -> ActiveModel:
        """Keep the base, drop the adapter."""
        pointer = self._pointer()
        return self._set_pointer(pointer["base"], None, "base only")

    def rollback(self) -> ActiveModel:
        """Return to the previous pointer state, skipping states whose files are gone."""
        with _file_lock(self._lock_file):
            pointer = self._pointer()
            history = pointer["history"]
            while history:
                previous = history.pop()
                base = self._try_base(previous.get("base"))
                wanted = previous.get("adapter")
                adapter = self._try_adapter(wanted)
                if base is None or (wanted is not None and adapter is None):
                    continue
                write_json_atomic(
                    self.pointer_file,
                    {
                        "version": REGISTRY_VERSION,
                        "base": base.name,
                        "adapter": adapter.version if adapter else None,
                        "history": history,
                        "updated": _now(),
                    },
                )
                break
            else:
                raise RegistryError("nothing to roll back to — no earlier model in the history")
        return self.active()


def _remove_tmp(directory: Path, now: float, free: bool, pattern: str = _TMP_GLOB) -> list[Path]:
    """Temp files of atomic writes directly in ``directory``: all of them when its lock is
    ``free``, else only old ones."""
    removed = []
    for tmp in directory.glob(pattern):
        if tmp.is_file() and (free or _old(tmp, now)):
            with contextlib.suppress(OSError):
                tmp.unlink()
                removed.append(tmp)
    return removed


def _same_file(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve() or (a.exists() and b.exists() and a.samefile(b))
    except OSError:
        return False


# --------------------------------------------------------------------------- network

Opener = Callable[[urllib.request.Request], Any]
Progress = Callable[[int, int | None], None]


def _default_opener(request: urllib.request.Request) -> Any:
    return urllib.request.urlopen(request, timeout=60)


def _content_range_total(value: str | None) -> int | None:
    match = re.match(r"bytes (?:\d+-\d+|\*)/(\d+)", value or "")
    return int(match.group(1)) if match else None


def download(
    url: str,
    dest: Path,
    *,
    opener: Opener | None = None,
    progress: Progress | None = None,
    chunk_size: int = 1024 * 1024,
) -> Path:
    """Download ``url`` to ``dest`` resumably: bytes go to ``dest.part`` (continued with an
    HTTP Range request next time), which is fsynced and renamed onto ``dest`` only when
    complete. ``opener`` replaces ``urllib.request.urlopen`` (tests use a local fake)."""
    opener = opener or _default_opener
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    offset = part.stat().st_size if part.exists() else 0
    headers = {"User-Agent": "journal-me"}
    if offset:
        headers["Range"] = f"bytes={offset}-"
    try:
        response = opener(urllib.request.Request(url, headers=headers))
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and offset:
            total = _content_range_total(exc.headers.get("Content-Range"))
            if total == offset:  # the part file already holds everything
                return _finish(part, dest, offset, total)
            part.unlink()
            return download(url, dest, opener=opener, progress=progress, chunk_size=chunk_size)
        raise DownloadError(f"{url}: HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError) as exc:
        raise DownloadError(f"{url}: {exc} — check the connection and try again") from exc
    with contextlib.closing(response):
        status = getattr(response, "status", None) or response.getcode()
        length = response.headers.get("Content-Length")
        if offset and status == 206:
            total = _content_range_total(response.headers.get("Content-Range"))
            if total is None and length is not None:
                total = offset + int(length)
            mode = "ab"
        else:  # fresh start, or a server that ignored the Range header
            offset = 0
            total = int(length) if length is not None else None
            mode = "wb"
        done = offset
        try:
            with open(part, mode) as out:
                if progress:
                    progress(done, total)
                while chunk := response.read(chunk_size):
                    out.write(chunk)
                    done += len(chunk)
                    if progress:
                        progress(done, total)
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            raise DownloadError(f"{url}: {exc} — run the command again to resume") from exc
    return _finish(part, dest, done, total)


def _finish(part: Path, dest: Path, size: int, total: int | None) -> Path:
    if total is not None and size != total:
        raise DownloadError(f"download stopped at {size} of {total} bytes — run the command again to resume")
    os.replace(part, dest)
    _fsync_dir(dest.parent)
    return dest


def hub_available() -> bool:
    """Whether ``huggingface_hub`` is importable (it is optional)."""
    try:
        import huggingface_hub  # noqa: F401
    except ImportError:
        return False
    return True


def pull(
    key: str,
    registry: ModelRegistry,
    *,
    use_hub: bool | None = None,
    opener: Opener | None = None,
    progress: Progress | None = None,
    activate: bool = True,
    weights: bool = False,
    snapshot: Snapshot | None = None,
) -> BaseModel:
    """Download a catalogue model into ``models/bases/<key>/model.gguf`` (and, with
    ``weights``, its HF training weights into ``hf/``), register it and (by default) make it
    active. Uses ``huggingface_hub`` when installed (auth tokens, fast
    transfers), plain urllib otherwise; both resume an interrupted download."""
    entry = catalog_entry(key)
    directory = registry.bases_dir / entry.key
    dest = directory / BASE_FILE
    if not dest.is_file():
        if use_hub is None:
            use_hub = hub_available() and opener is None
        if use_hub:
            _pull_with_hub(entry, directory, dest)
        else:
            download(entry.url, dest, opener=opener, progress=progress)
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


HF_DIR = "hf"
# What training needs from a Hugging Face repo: config, tokenizer, safetensors weights.
WEIGHT_PATTERNS = ("*.json", "*.safetensors", "tokenizer*", "*.model", "*.txt", "*.jinja")


def pull_weights(entry: CatalogEntry, target: Path, *, snapshot: Snapshot | None = None) -> Path:
    """Fetch the HF weights that match a catalogue GGUF (for `journal-me train`).

    Needs ``huggingface_hub`` (a repo is many files; the hub lists and resumes them); without
    it the error names the pip command and the GGUF stays usable for chat.
    """
    if target.is_dir() and (target / "config.json").is_file() and any(target.glob("*.safetensors")):
        return target
    if snapshot is None:
        if not hub_available():
            raise DownloadError(
                "the training weights need huggingface_hub: `pip install huggingface_hub`, then "
                "run the pull again (chat already works with the GGUF; or --no-weights)"
            )
        from huggingface_hub import snapshot_download

        snapshot = snapshot_download
    tmp = target.with_name(target.name + ".part")
    try:
        snapshot(repo_id=entry.hf_repo, local_dir=str(tmp), allow_patterns=list(WEIGHT_PATTERNS))
    except Exception as exc:  # the hub raises many types; the message says which repo failed
        raise DownloadError(
            f"training weights {entry.hf_repo}: {exc} — run the pull again to resume"
        ) from exc
    if not (tmp / "config.json").is_file():
        raise DownloadError(f"training weights {entry.hf_repo}: no config.json in the download")
    if target.exists():
        shutil.rmtree(target)
    os.replace(tmp, target)
    _fsync_dir(target.parent)
    return target


def _pull_with_hub(entry: CatalogEntry, directory: Path, dest: Path) -> None:
    from huggingface_hub import hf_hub_download

    try:
        fetched = Path(hf_hub_download(entry.gguf_repo, entry.gguf_file, local_dir=str(directory)))
    except Exception as exc:  # the hub raises many types; all mean "no file"
        raise DownloadError(f"{entry.gguf_repo}/{entry.gguf_file}: {exc}") from exc
    os.replace(fetched, dest)
    _fsync_dir(directory)
