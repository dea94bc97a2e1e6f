"""One frozen settings object: config file + environment + flags, read once.

Precedence (highest first): explicit arguments (CLI flags) > environment variables >
the TOML config file > defaults.

Environment variables:
- ``JOURNAL_ME_CONFIG``: path of the config file (tests point it at a temp file).
- ``JOURNAL_ME_VAULT``: the vault directory.
- ``JOURNAL_ME_DATA_DIR``: root of derived state (index, graph, chats, models); defaults to
  the platformdirs user data dir. Tests point it at a temp dir so the user's data is never
  touched.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

# platformdirs and tomllib load when needed (~10 ms each of every command's start): the
# environment may name the config file and data dir, and the config file may not exist

APP_NAME = "journal-me"

DEFAULT_IGNORE: tuple[str, ...] = (
    ".obsidian/**",
    ".git/**",
    ".trash/**",
    "**/.*",
    "**/*~",
    "**/*.swp",
    "**/*.swx",
    "**/*.tmp",
    "**/4913",
)


class ConfigError(ValueError):
    """The config file or an environment variable holds a value we cannot use."""


@dataclass(frozen=True)
class LLMSettings:
    """Local model runtime (llama.cpp)."""

    base_model: Path | None = None  # explicit base GGUF; else the registry's base
    n_ctx: int = 4096
    n_threads: int | None = None
    n_gpu_layers: int = 0
    temperature: float = 0.7
    top_p: float = 0.95
    max_tokens: int = 768
    lora_scale: float = 1.0
    seed: int = -1
    use_adapter: bool = True


@dataclass(frozen=True)
class TrainSettings:
    """Nightly fine-tuning."""

    hf_base: Path | None = None  # HF weights dir matching the base GGUF
    lora_r: int = 8
    lora_alpha: int = 16
    learning_rate: float = 1e-4
    epochs: int = 3
    dpo_beta: float = 0.1
    dpo_learning_rate: float = 5e-6
    batch_size: int = 2
    max_length: int = 1024
    min_free_vram_gb: float = 6.0
    allow_cpu: bool = False
    # wall-clock budget of a run in minutes (None: 240 for a nightly CPU run, no limit on a
    # GPU; 0: no limit) — SFT/DPO stop at the step that would overrun and keep what they trained
    max_minutes: float | None = None


@dataclass(frozen=True)
class Settings:
    vault: Path
    data_root: Path
    config_file: Path | None = None
    ignore: tuple[str, ...] = DEFAULT_IGNORE
    polling: bool = False
    debounce_ms: int = 300
    private_tags: tuple[str, ...] = ("private",)
    editor: str | None = None
    theme: str = "journal-dark"
    name: str | None = None  # the journal's author, used in prompts ("You are Elena's past self")
    config_dir: Path | None = None  # where config.toml and roles.toml live
    keymap: Mapping[str, str] = field(default_factory=dict)
    # how an ambiguous numeric date ("10/11/2026") is read: "DMY", "MDY" or "YMD";
    # None: from the locale (journal_me.dates decides and says which reading it took)
    date_order: str | None = None
    # daily notes: folder and Moment.js-style file name format ("YYYY-MM-DD"), as in
    # Obsidian's .obsidian/daily-notes.json, which is read when these are unset
    daily_folder: str | None = None
    daily_format: str | None = None
    save_conversations: bool = True  # `ask`/`bridge` keep their conversations (--no-save)
    llm: LLMSettings = field(default_factory=LLMSettings)
    train: TrainSettings = field(default_factory=TrainSettings)

    @property
    def vault_key(self) -> str:
        resolved = str(self.vault.expanduser().resolve())
        digest = hashlib.sha1(resolved.encode("utf-8")).hexdigest()[:10]
        safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in self.vault.name)[:40]
        return f"{safe or 'vault'}-{digest}"

    @property
    def vault_data_dir(self) -> Path:
        """Derived state for this vault: index, graph, chats, profile, adapters, datasets."""
        return self.data_root / "vaults" / self.vault_key

    @property
    def index_dir(self) -> Path:
        return self.vault_data_dir / "index"

    @property
    def graph_file(self) -> Path:
        return self.vault_data_dir / "graph.json"

    @property
    def models_dir(self) -> Path:
        """Base models shared by all vaults (GGUF + matching HF weights)."""
        return self.data_root / "models"

    @property
    def roles_file(self) -> Path | None:
        return self.config_dir / "roles.toml" if self.config_dir else None

    @property
    def conversations_file(self) -> Path:
        return self.vault_data_dir / "conversations.sqlite3"

    @property
    def profile_file(self) -> Path:
        return self.vault_data_dir / "profile.json"

    @property
    def state_file(self) -> Path:
        """Small UI state (chosen theme, last screen) persisted between runs."""
        return self.data_root / "state.json"


def default_config_file(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("JOURNAL_ME_CONFIG"):
        return Path(env["JOURNAL_ME_CONFIG"]).expanduser()
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME)) / "config.toml"


def default_data_root(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("JOURNAL_ME_DATA_DIR"):
        return Path(env["JOURNAL_ME_DATA_DIR"]).expanduser()
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME))


def _path_value(value: Any, where: str) -> Path:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: expected a folder path (a string), got {value!r}")
    return Path(value).expanduser()


# allowed ranges (inclusive; None: open), checked once at load so a bad value is named here
# rather than failing later inside llama.cpp or the trainer
_RANGES: dict[str, tuple[float | None, float | None]] = {
    "llm.n_ctx": (256, 1_048_576),
    "llm.n_threads": (1, 1024),
    "llm.n_gpu_layers": (-1, 10_000),
    "llm.temperature": (0.0, 5.0),
    "llm.top_p": (0.0, 1.0),
    "llm.max_tokens": (1, 1_048_576),
    "llm.lora_scale": (0.0, 10.0),
    "llm.seed": (-1, 2**32 - 1),
    "train.lora_r": (1, 1024),
    "train.lora_alpha": (1, 4096),
    "train.learning_rate": (1e-9, 1.0),
    "train.epochs": (1, 1000),
    "train.dpo_beta": (1e-6, 100.0),
    "train.dpo_learning_rate": (1e-12, 1.0),
    "train.batch_size": (1, 4096),
    "train.max_length": (16, 1_048_576),
    "train.min_free_vram_gb": (0.0, 10_000.0),
    "train.max_minutes": (0.0, 10_080.0),
}


def _check_range(name: str, value: float) -> None:
    low, high = _RANGES.get(name, (None, None))
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "" if low is None else f"{low:g}"
        hi = "" if high is None else f"{high:g}"
        raise ConfigError(f"{name}: {value!r} is out of range (allowed: {lo}…{hi})")


def _coerce_section(cls: type[Any], raw: Any, where: str) -> Any:
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: expected a table ([{where}]), got {raw!r}")
    known = {f.name: f for f in fields(cls)}
    kwargs: dict[str, Any] = {}
    for key, value in raw.items():
        if key not in known:
            raise ConfigError(f"{where}: unknown setting {key!r}")
        default = getattr(cls(), key)
        # TOML booleans are Python ints: refuse them where a number is meant
        if isinstance(default, bool) or key in {"polling", "use_adapter", "allow_cpu"}:
            if not isinstance(value, bool):
                raise ConfigError(f"{where}.{key}: expected true/false, got {value!r}")
        elif isinstance(default, int) or key == "n_threads":
            if not isinstance(value, int) or isinstance(value, bool):
                raise ConfigError(f"{where}.{key}: expected an integer, got {value!r}")
            _check_range(f"{where}.{key}", value)
        elif isinstance(default, float) or key == "max_minutes":
            if not isinstance(value, int | float) or isinstance(value, bool):
                raise ConfigError(f"{where}.{key}: expected a number, got {value!r}")
            value = float(value)
            if value != value:  # NaN
                raise ConfigError(f"{where}.{key}: expected a number, got nan")
            _check_range(f"{where}.{key}", value)
        elif key in {"base_model", "hf_base"}:
            value = _path_value(value, f"{where}.{key}") if value != "" else None
        kwargs[key] = value
    return cls(**kwargs)


def load_settings(
    vault: Path | str | None = None,
    config_file: Path | str | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Read the config once: file, then environment, then explicit arguments."""
    env = os.environ if env is None else env
    path = Path(config_file).expanduser() if config_file else default_config_file(env)
    raw: dict[str, Any] = {}
    if path.is_file():
        import tomllib

        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    try:
        return _settings(raw, path, vault, env, overrides)
    except ConfigError as exc:
        if str(path) in str(exc):
            raise
        raise ConfigError(f"{path}: {exc}") from exc  # say which file holds the bad value


def _settings(
    raw: dict[str, Any],
    path: Path,
    vault: Path | str | None,
    env: Mapping[str, str],
    overrides: Mapping[str, Any],
) -> Settings:
    llm = _coerce_section(LLMSettings, raw.pop("llm", {}), "llm")
    train = _coerce_section(TrainSettings, raw.pop("train", {}), "train")
    keymap = raw.pop("keymap", {})
    if not isinstance(keymap, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in keymap.items()
    ):
        raise ConfigError('keymap: expected a table of binding-id = "keys"')

    file_vault = _path_value(raw.pop("vault"), "vault") if "vault" in raw else None
    chosen_vault: Path | None = None
    if vault:
        chosen_vault = Path(vault)
    elif env.get("JOURNAL_ME_VAULT"):
        chosen_vault = Path(env["JOURNAL_ME_VAULT"])
    else:
        chosen_vault = file_vault
    if chosen_vault is None:
        import platformdirs

        chosen_vault = Path(platformdirs.user_documents_dir()) / "journal"

    data_root = default_data_root(env)
    if "data_dir" in raw:
        file_data_root = _path_value(raw["data_dir"], "data_dir")
        if not env.get("JOURNAL_ME_DATA_DIR"):
            data_root = file_data_root
    raw.pop("data_dir", None)

    top: dict[str, Any] = {}
    for key, value in raw.items():
        if key == "ignore":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError("ignore: expected a list of glob strings")
            top["ignore"] = DEFAULT_IGNORE + tuple(value)
        elif key == "private_tags":
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                raise ConfigError("private_tags: expected a list of tags")
            # the built-in "private" tag always counts: the setting adds tags, never removes it
            tags = [v.lstrip("#").lower() for v in value if v.strip("# ")]
            top["private_tags"] = tuple(dict.fromkeys(["private", *tags]))
        elif key == "polling":
            if not isinstance(value, bool):
                raise ConfigError("polling: expected true/false")
            top["polling"] = value
        elif key == "debounce_ms":
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 60_000:
                raise ConfigError(
                    f"debounce_ms: expected a non-negative integer (at most 60000), got {value!r}"
                )
            top["debounce_ms"] = value
        elif key == "date_order":
            if not isinstance(value, str) or value.upper() not in {"DMY", "MDY", "YMD"}:
                raise ConfigError(f"date_order: expected one of DMY, MDY, YMD, got {value!r}")
            top["date_order"] = value.upper()
        elif key in {"daily_folder", "daily_format"}:
            if not isinstance(value, str):
                raise ConfigError(f"{key}: expected a string")
            top[key] = value
        elif key == "save_conversations":
            if not isinstance(value, bool):
                raise ConfigError("save_conversations: expected true/false")
            top["save_conversations"] = value
        elif key in {"editor", "theme", "name"}:
            if not isinstance(value, str):
                raise ConfigError(f"{key}: expected a string")
            top[key] = value
        else:
            raise ConfigError(f"{path}: unknown setting {key!r}")

    settings = Settings(
        vault=chosen_vault.expanduser(),
        data_root=data_root.expanduser(),
        config_file=path if path.is_file() else None,
        config_dir=path.parent,
        keymap=dict(keymap),
        llm=llm,
        train=train,
        **top,
    )
    if overrides:
        settings = replace(settings, **overrides)
    return settings
