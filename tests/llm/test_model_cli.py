"""``journal-me model …`` end to end through ``journal_me.cli.main``."""

from __future__ import annotations

from pathlib import Path

import pytest

from journal_me.cli import main
from journal_me.config import load_settings
from journal_me.models import ModelRegistry


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["model", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_list_without_models_says_what_to_do(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "list")
    assert code == 0
    assert "no model yet — run `journal-me model pull qwen2.5-1.5b`" in out
    assert "journal-me model use PATH.gguf" in out
    assert "qwen3-4b" in out  # the catalogue is offered
    assert run(capsys)[1] == out  # bare `model` lists too


def test_use_list_rollback_flow(
    isolated: Path, tiny_gguf: Path, tiny_adapter: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _ = run(capsys, "use", str(tiny_gguf), "--name", "tiny")
    assert code == 0 and "active: tiny" in out

    code, out, _ = run(capsys, "use", str(tiny_adapter))
    assert code == 0 and "active: tiny + v0001" in out

    code, out, _ = run(capsys, "list")
    assert code == 0
    assert "* tiny" in out and "llama" in out
    assert "* v0001  base tiny" in out
    assert "active: tiny + v0001" in out

    code, out, _ = run(capsys, "rollback")
    assert code == 0 and "active: tiny\n" in out
    code, _, err = run(capsys, "rollback")
    assert code == 1 and "nothing to roll back" in err

    code, out, _ = run(capsys, "use", "v1")
    assert code == 0 and "tiny + v0001" in out
    code, out, _ = run(capsys, "use", "tiny", "--no-adapter")
    assert code == 0 and "active: tiny\n" in out

    registry = ModelRegistry(load_settings())
    assert registry.base("tiny").gguf == tiny_gguf.resolve()


def test_use_errors(isolated: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "use", str(tmp_path / "missing.gguf"))
    assert code == 1 and "no such file" in err
    code, _, err = run(capsys, "use", "qwen2.5-3b")
    assert code == 1 and "journal-me model pull qwen2.5-3b" in err
    code, _, err = run(capsys, "use", "someone", "--copy")
    assert code == 1 and "PATH.gguf" in err


def test_use_copy_with_hf_dir(
    isolated: Path, tiny_gguf: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hf = tmp_path / "hf-weights"
    hf.mkdir()
    code, _, _ = run(capsys, "use", str(tiny_gguf), "--copy", "--hf-dir", str(hf))
    assert code == 0
    base = ModelRegistry(load_settings()).active().base
    assert base is not None
    assert base.gguf.parent == base.dir and base.hf_dir == hf.resolve()


def test_pull_dry_run_touches_nothing(isolated: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "pull", "qwen2.5-1.5b", "--dry-run")
    assert code == 0
    assert "https://huggingface.co/bartowski/Qwen2.5-1.5B-Instruct-GGUF/resolve/main/" in out
    assert "Qwen/Qwen2.5-1.5B-Instruct" in out
    assert not (isolated / "data" / "models").exists()
    code, _, err = run(capsys, "pull", "gpt-5")
    assert code == 1 and "choose one of" in err


def test_pull_uses_the_registry_download(
    isolated: Path, tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """No network: the download is replaced by a local copy."""
    import journal_me.commands.model as model_cmd

    calls: list[str] = []

    def fake_pull(key: str, registry: ModelRegistry, **_: object) -> object:
        calls.append(key)
        return registry.use(str(tiny_gguf))

    monkeypatch.setattr(model_cmd, "pull", fake_pull)
    code, out, _ = run(capsys, "pull", "llama-3.2-1b")
    assert code == 0 and calls == ["llama-3.2-1b"]
    assert "downloading llama-3.2-1b" in out and "active:" in out
