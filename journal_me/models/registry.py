"""The model registry: shared base models, per-vault LoRA adapters, an active pointer with
its history, rollback. See :mod:`journal_me.models` for the layout and the why."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from journal_me.config import Settings
from journal_me.fsutil import FileLock, json_kind, try_lock
from journal_me.llm.gguf_info import GGUFFormatError, GGUFInfo, read_gguf_info
from journal_me.models.catalog import CATALOG
from journal_me.models.errors import RegistryCorruptError, RegistryError
from journal_me.models.files import (
    copy_atomic,
    read_json,
    remove_tmp,
    same_file,
    slugify,
    write_json_atomic,
)
from journal_me.timestamps import file_stamp, now_iso

REGISTRY_VERSION = 1
HISTORY_LIMIT = 50
MANIFEST = "manifest.json"
BASE_FILE = "model.gguf"
ADAPTER_FILE = "adapter.gguf"
_VERSION_RE = re.compile(r"^v(\d{4,})$")
_NAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,79}$")
_cleaned: set[Path] = set()  # vault data dirs whose leftovers this process removed

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


def _check_pointer(path: Path, data: dict[str, Any]) -> None:
    """``registry.json`` must be ``{"base": str|null, "adapter": str|null, "history": [{…}]}``."""
    for key in ("base", "adapter"):
        value = data.get(key)
        if value is not None and not isinstance(value, str):
            raise RegistryCorruptError(path, f"{key!r} is a {json_kind(value)}, not a name")
    history = data.get("history", [])
    if not isinstance(history, list) or not all(isinstance(h, dict) for h in history):
        raise RegistryCorruptError(path, "'history' is not a list of earlier states")


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
            with try_lock(self._lock_file) as free:
                # only the registry's own: other writers share the data dir
                removed += remove_tmp(
                    self.settings.vault_data_dir, now, free, f".{self.pointer_file.name}.*.tmp"
                )
                if self.adapters_dir.is_dir():
                    removed += remove_tmp(self.adapters_dir, now, free)
                    for directory in self.adapters_dir.iterdir():
                        if not _VERSION_RE.match(directory.name) or not directory.is_dir():
                            continue
                        complete = (directory / MANIFEST).is_file() and (directory / ADAPTER_FILE).is_file()
                        if free and not complete:  # never published: invisible, and nobody's
                            shutil.rmtree(directory, ignore_errors=True)
                            removed.append(directory)
                        else:
                            removed += remove_tmp(directory, now, free)
        if self.bases_dir.is_dir():
            with try_lock(self._bases_lock) as free:
                for directory in self.bases_dir.iterdir():
                    if directory.is_dir():
                        removed += remove_tmp(directory, now, free)
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
        manifest = read_json(directory / MANIFEST) if directory.is_dir() else None
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
        manifest = read_json(directory / MANIFEST)
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
            data = read_json(self.pointer_file) or {}
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
                if owner is None or not same_file(owner.gguf, explicit):
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
            stamp = file_stamp()
            os.replace(
                self.pointer_file, self.pointer_file.with_name(f"{self.pointer_file.name}.corrupt-{stamp}")
            )
            return self._pointer()

    def _set_pointer(self, base: str | None, adapter: str | None, reason: str) -> ActiveModel:
        with FileLock(self._lock_file):
            pointer = self._writable_pointer()
            if (pointer["base"], pointer["adapter"]) != (base, adapter):
                history = pointer["history"]
                if pointer["base"] is not None:
                    history.append(
                        {
                            "base": pointer["base"],
                            "adapter": pointer["adapter"],
                            "until": now_iso(),
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
                        "updated": now_iso(),
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
        with FileLock(self._bases_lock):
            for existing in self.bases():
                if same_file(existing.gguf, path):
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
                if not same_file(path, target):
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
        manifest.setdefault("added", now_iso())
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
        with FileLock(self._lock_file):
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
                record.setdefault("created", now_iso())
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
        with FileLock(self._lock_file):
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
                        "updated": now_iso(),
                    },
                )
                break
            else:
                raise RegistryError("nothing to roll back to — no earlier model in the history")
        return self.active()
