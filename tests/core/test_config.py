"""Settings: flags > environment > config file > defaults, and clear validation errors."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import platformdirs
import pytest

from journal_me.config import APP_NAME, DEFAULT_IGNORE, ConfigError, load_settings


def write_config(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_file_or_env(tmp_path: Path) -> None:
    s = load_settings(config_file=tmp_path / "absent.toml", env={})
    assert s.vault == Path(platformdirs.user_documents_dir()) / "journal"
    assert s.data_root == Path(platformdirs.user_data_dir(APP_NAME))
    assert s.config_file is None
    assert s.ignore == DEFAULT_IGNORE
    assert (s.polling, s.debounce_ms, s.private_tags) == (False, 300, ("private",))
    assert s.llm.n_ctx == 4096 and s.train.lora_r == 8


def test_tests_never_use_the_real_dirs(tmp_path: Path) -> None:
    s = load_settings()
    assert s.data_root == tmp_path / "data"
    assert s.index_dir.is_relative_to(tmp_path)
    assert s.graph_file.is_relative_to(tmp_path)


def test_file_values(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "c.toml",
        f"""
vault = "{tmp_path / "from-file"}"
data_dir = "{tmp_path / "file-data"}"
ignore = ["templates/**"]
private_tags = ["#Secret", "therapy"]
polling = true
debounce_ms = 120
editor = "nano -w"
theme = "journal-light"

[llm]
n_ctx = 2048
temperature = 1
base_model = "~/models/base.gguf"

[train]
lora_r = 16
allow_cpu = true

[keymap]
search = "ctrl+f"
""",
    )
    s = load_settings(config_file=config, env={})
    assert s.vault == tmp_path / "from-file"
    assert s.data_root == tmp_path / "file-data"
    assert s.config_file == config
    assert s.ignore == (*DEFAULT_IGNORE, "templates/**")
    assert s.private_tags == ("private", "secret", "therapy")  # the built-in tag always counts
    assert (s.polling, s.debounce_ms, s.editor, s.theme) == (True, 120, "nano -w", "journal-light")
    assert (s.llm.n_ctx, s.llm.temperature) == (2048, 1.0)
    assert isinstance(s.llm.temperature, float)
    assert s.llm.base_model == Path("~/models/base.gguf").expanduser()
    assert (s.train.lora_r, s.train.allow_cpu) == (16, True)
    assert dict(s.keymap) == {"search": "ctrl+f"}


def test_precedence_flags_over_env_over_file(tmp_path: Path) -> None:
    config = write_config(
        tmp_path / "c.toml",
        f'vault = "{tmp_path / "file"}"\ndata_dir = "{tmp_path / "file-data"}"\ndebounce_ms = 100\n',
    )
    env = {
        "JOURNAL_ME_VAULT": str(tmp_path / "env"),
        "JOURNAL_ME_DATA_DIR": str(tmp_path / "env-data"),
        "JOURNAL_ME_CONFIG": str(tmp_path / "not-this.toml"),
    }
    from_file = load_settings(config_file=config, env={})
    from_env = load_settings(config_file=config, env=env)
    from_flags = load_settings(vault=tmp_path / "flag", config_file=config, env=env, debounce_ms=5)
    assert from_file.vault == tmp_path / "file" and from_file.data_root == tmp_path / "file-data"
    assert from_env.vault == tmp_path / "env" and from_env.data_root == tmp_path / "env-data"
    assert from_env.debounce_ms == 100  # not set by env: the file's value stays
    assert from_flags.vault == tmp_path / "flag" and from_flags.debounce_ms == 5
    assert from_flags.data_root == tmp_path / "env-data"


def test_config_file_from_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = write_config(tmp_path / "env-config.toml", 'theme = "from-env-file"\n')
    monkeypatch.setenv("JOURNAL_ME_CONFIG", str(config))
    assert load_settings().theme == "from-env-file"
    other = write_config(tmp_path / "flag.toml", 'theme = "from-flag-file"\n')
    assert load_settings(config_file=other).theme == "from-flag-file"


def test_settings_are_frozen_and_keyed_per_vault(tmp_path: Path) -> None:
    a = load_settings(vault=tmp_path / "a b", env={"JOURNAL_ME_DATA_DIR": str(tmp_path / "d")})
    b = load_settings(vault=tmp_path / "other" / "a b", env={"JOURNAL_ME_DATA_DIR": str(tmp_path / "d")})
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.vault = tmp_path  # type: ignore[misc]
    assert a.vault_key != b.vault_key
    assert a.vault_key.startswith("a_b-")
    assert a.vault_key == load_settings(vault=tmp_path / "a b").vault_key
    assert a.index_dir.parent == a.vault_data_dir
    assert not a.vault_data_dir.is_relative_to(a.vault)  # derived state never in the vault


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("vault = [", "not valid TOML"),
        ("colour = 'blue'", "unknown setting 'colour'"),
        ("polling = 'yes'", "polling: expected true/false"),
        ("debounce_ms = -1", "debounce_ms: expected a non-negative integer"),
        ("debounce_ms = 1.5", "debounce_ms: expected a non-negative integer"),
        ("debounce_ms = true", "debounce_ms: expected a non-negative integer"),
        ("ignore = 'templates/**'", "ignore: expected a list of glob strings"),
        ("ignore = [1, 2]", "ignore: expected a list of glob strings"),
        ("private_tags = 'private'", "private_tags: expected a list of tags"),
        ("editor = 5", "editor: expected a string"),
        ("vault = 5", "vault: expected a folder path"),
        ("data_dir = false", "data_dir: expected a folder path"),
        ("keymap = 'ctrl+f'", "keymap: expected a table"),
        ("[keymap]\nsearch = 1", "keymap: expected a table"),
        ("llm = 3", "llm: expected a table"),
        ("[llm]\nn_ctx = 'big'", "llm.n_ctx: expected an integer"),
        ("[llm]\nn_ctx = true", "llm.n_ctx: expected an integer"),
        ("[llm]\ntemperature = 'hot'", "llm.temperature: expected a number"),
        ("[llm]\ntemperature = false", "llm.temperature: expected a number"),
        ("[llm]\nuse_adapter = 1", "llm.use_adapter: expected true/false"),
        ("[llm]\nwhat = 1", "llm: unknown setting 'what'"),
        ("[train]\nepochs = 'three'", "train.epochs: expected an integer"),
        ("[train]\nhf_base = 7", "train.hf_base: expected a folder path"),
    ],
)
def test_validation_errors(tmp_path: Path, text: str, message: str) -> None:
    config = write_config(tmp_path / "c.toml", text + "\n")
    with pytest.raises(ConfigError) as err:
        load_settings(config_file=config, env={})
    assert message in str(err.value)


def test_not_utf8_config(tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    config.write_bytes(b'theme = "caf\xe9"\n')
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_settings(config_file=config, env={})
