"""The model registry: bases, adapters, the active pointer, rollback, atomic files, pull."""

from __future__ import annotations

import dataclasses
import json
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from journal_me.config import Settings
from journal_me.models import (
    CATALOG,
    DownloadError,
    ModelRegistry,
    RegistryError,
    catalog_entry,
    pull,
    write_json_atomic,
)
from trainer.tiny_gguf import build_tiny_adapter, build_tiny_gguf


@pytest.fixture
def registry(settings: Settings) -> ModelRegistry:
    return ModelRegistry(settings)


@pytest.fixture
def base_file(tmp_path: Path, tiny_gguf: Path) -> Path:
    """A private copy, so tests may register, move or delete it."""
    path = tmp_path / "downloads" / "Tiny-Chat-Q8_0.gguf"
    path.parent.mkdir()
    path.write_bytes(tiny_gguf.read_bytes())
    return path


def test_empty_registry(registry: ModelRegistry) -> None:
    assert registry.bases() == []
    assert registry.adapters() == []
    active = registry.active()
    assert active.base is None and active.adapter is None
    assert active.label == "no model"
    assert registry.engine_paths() == (None, None)
    with pytest.raises(RegistryError, match="nothing to roll back"):
        registry.rollback()


def test_register_base_in_place(registry: ModelRegistry, base_file: Path) -> None:
    base = registry.register_base(base_file)
    assert base.name == "tiny-chat-q8_0"
    assert base.gguf == base_file.resolve()  # referenced, not copied
    assert not (base.dir / "model.gguf").exists()
    assert base.architecture == "llama"
    assert base.manifest["has_chat_template"] is True
    assert registry.register_base(base_file) == base  # idempotent
    with pytest.raises(RegistryError, match="already exists"):
        registry.register_base(build_tiny_gguf(base_file.parent / "other.gguf", seed=9), name=base.name)


def test_register_base_copy_and_hf_dir(registry: ModelRegistry, base_file: Path, tmp_path: Path) -> None:
    hf = tmp_path / "hf"
    hf.mkdir()
    base = registry.register_base(base_file, name="tiny", hf_dir=hf, copy=True)
    assert base.gguf == base.dir / "model.gguf"
    assert base.gguf.read_bytes() == base_file.read_bytes()
    assert base.hf_dir == hf.resolve()
    base_file.unlink()  # the copy does not depend on the original
    assert registry.base("tiny").exists


def test_register_rejects_non_models(registry: ModelRegistry, tmp_path: Path, tiny_adapter: Path) -> None:
    with pytest.raises(RegistryError, match="no such file"):
        registry.register_base(tmp_path / "missing.gguf")
    junk = tmp_path / "junk.gguf"
    junk.write_text("nope")
    with pytest.raises(RegistryError, match="not a usable GGUF"):
        registry.register_base(junk)
    with pytest.raises(RegistryError, match="not a base model"):
        registry.register_base(tiny_adapter)
    with pytest.raises(RegistryError, match="invalid model name"):
        registry.register_base(build_tiny_gguf(tmp_path / "ok.gguf"), name="../escape")


def test_use_add_activate_rollback(registry: ModelRegistry, base_file: Path, tiny_adapter: Path) -> None:
    active = registry.use(str(base_file))
    assert active.base is not None and active.base.name == "tiny-chat-q8_0"
    assert active.adapter is None

    first = registry.add_adapter(
        tiny_adapter, {"metrics": {"facts": 0.8}, "data": {"sft": 12}}, activate=True
    )
    assert first.version == "v0001"
    assert first.base == "tiny-chat-q8_0"
    assert first.metrics == {"facts": 0.8}
    assert first.gguf.read_bytes() == tiny_adapter.read_bytes()
    second = registry.add_adapter(tiny_adapter, {"metrics": {"facts": 0.6}}, activate=True)
    assert second.version == "v0002"
    assert registry.active().label == "tiny-chat-q8_0 + v0002"
    assert [a.version for a in registry.adapters()] == ["v0001", "v0002"]

    assert registry.rollback().label == "tiny-chat-q8_0 + v0001"
    assert registry.rollback().label == "tiny-chat-q8_0"
    with pytest.raises(RegistryError, match="nothing to roll back"):
        registry.rollback()

    assert registry.activate_adapter("2").adapter == second
    assert registry.use("v0001").adapter == first
    assert registry.deactivate_adapter().adapter is None
    quiet = registry.add_adapter(tiny_adapter, {}, activate=False)
    assert quiet.version == "v0003" and registry.active().adapter is None


def test_use_adapter_path_and_names(registry: ModelRegistry, base_file: Path, tiny_adapter: Path) -> None:
    with pytest.raises(RegistryError, match="no active base"):
        registry.use(str(tiny_adapter))
    registry.use(str(base_file))
    active = registry.use(str(tiny_adapter))
    assert active.adapter is not None and active.adapter.manifest["source"] == str(tiny_adapter)
    assert registry.use("tiny-chat-q8_0").adapter == active.adapter  # keeps its adapter
    assert registry.use("tiny-chat-q8_0", adapter=False).adapter is None
    with pytest.raises(RegistryError, match=r"model pull qwen2\.5-3b"):
        registry.use("qwen2.5-3b")
    with pytest.raises(RegistryError, match="no model 'mystery'"):
        registry.use("mystery")
    with pytest.raises(RegistryError, match="no adapter v0009"):
        registry.use("v0009")


def test_switching_base_picks_that_bases_adapter(
    registry: ModelRegistry, base_file: Path, tmp_path: Path, tiny_adapter: Path
) -> None:
    registry.use(str(base_file))
    mine = registry.add_adapter(tiny_adapter, {}, activate=True)
    other = registry.use(str(build_tiny_gguf(tmp_path / "other.gguf", seed=5)))
    assert other.base is not None and other.base.name == "other"
    assert other.adapter is None  # v0001 was made for the first base
    back = registry.use("tiny-chat-q8_0")
    assert back.adapter == mine


def test_adapter_for_another_arch_is_refused(
    registry: ModelRegistry, base_file: Path, tmp_path: Path
) -> None:
    registry.use(str(base_file))
    qwen = build_tiny_adapter(tmp_path / "q.gguf", arch="qwen2")
    with pytest.raises(RegistryError, match="adapter is for qwen2"):
        registry.add_adapter(qwen, {})
    assert registry.adapters() == []
    assert not list((registry.adapters_dir).glob("v*"))  # the reserved dir was removed


def test_engine_paths_honour_settings(
    settings: Settings, base_file: Path, tiny_adapter: Path, tmp_path: Path
) -> None:
    registry = ModelRegistry(settings)
    registry.use(str(base_file))
    adapter = registry.add_adapter(tiny_adapter, {}, activate=True)
    assert registry.engine_paths() == (base_file.resolve(), adapter.gguf)

    no_adapter = dataclasses.replace(settings, llm=dataclasses.replace(settings.llm, use_adapter=False))
    assert ModelRegistry(no_adapter).engine_paths() == (base_file.resolve(), None)

    same = dataclasses.replace(settings, llm=dataclasses.replace(settings.llm, base_model=base_file))
    assert ModelRegistry(same).engine_paths() == (base_file, adapter.gguf)

    elsewhere = tmp_path / "elsewhere.gguf"
    explicit = dataclasses.replace(settings, llm=dataclasses.replace(settings.llm, base_model=elsewhere))
    assert ModelRegistry(explicit).engine_paths() == (elsewhere, None)


def test_adapters_are_per_vault(
    settings: Settings, base_file: Path, tiny_adapter: Path, tmp_path: Path
) -> None:
    ModelRegistry(settings).use(str(base_file))
    ModelRegistry(settings).add_adapter(tiny_adapter, {}, activate=True)
    other_vault = dataclasses.replace(settings, vault=tmp_path / "second-vault")
    other = ModelRegistry(other_vault)
    assert [b.name for b in other.bases()] == ["tiny-chat-q8_0"]  # bases are shared
    assert other.adapters() == []
    assert other.active().base is None  # each vault has its own pointer


def test_half_written_adapter_is_invisible(
    registry: ModelRegistry, base_file: Path, tiny_adapter: Path
) -> None:
    registry.use(str(base_file))
    crashed = registry.adapters_dir / "v0001"
    crashed.mkdir(parents=True)
    (crashed / "adapter.gguf").write_bytes(b"GGUF partial")  # no manifest: crash midway
    assert registry.adapters() == []
    published = registry.add_adapter(tiny_adapter, {}, activate=True)
    assert published.version == "v0002"  # never reuses a reserved number


def test_pointer_write_is_atomic(
    registry: ModelRegistry, base_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registry.use(str(base_file))
    registry.register_base(build_tiny_gguf(base_file.parent / "next.gguf", seed=2))
    before = registry.pointer_file.read_bytes()
    real_replace = os.replace

    def crash_on_pointer(src: Any, dst: Any) -> None:
        if Path(dst) == registry.pointer_file:
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(os, "replace", crash_on_pointer)
    with pytest.raises(OSError, match="disk full"):
        registry.use("next")
    assert registry.pointer_file.read_bytes() == before
    assert registry.active().base is not None
    assert registry.active().base.name == "tiny-chat-q8_0"  # type: ignore[union-attr]
    assert not [p for p in registry.pointer_file.parent.iterdir() if p.suffix == ".tmp"]


def test_crashed_base_registration_is_invisible(
    registry: ModelRegistry, base_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def crash(*_args: Any) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        registry.register_base(base_file)
    monkeypatch.undo()
    assert registry.bases() == []
    assert registry.register_base(base_file).name == "tiny-chat-q8_0"  # retry works


def test_write_json_atomic_roundtrip(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "x.json"
    write_json_atomic(target, {"b": 1, "a": "é"})
    assert json.loads(target.read_text(encoding="utf-8")) == {"a": "é", "b": 1}


def test_corrupt_pointer_is_a_clear_error(registry: ModelRegistry) -> None:
    registry.pointer_file.parent.mkdir(parents=True)
    registry.pointer_file.write_text("{not json")
    with pytest.raises(RegistryError, match="fix or delete it"):
        registry.active()


def test_rollback_skips_deleted_models(registry: ModelRegistry, base_file: Path, tmp_path: Path) -> None:
    registry.use(str(base_file))
    second = build_tiny_gguf(tmp_path / "second.gguf", seed=8)
    registry.use(str(second))
    third = build_tiny_gguf(tmp_path / "third.gguf", seed=9)
    registry.use(str(third))
    (registry.bases_dir / "second" / "manifest.json").unlink()
    assert registry.rollback().label == "tiny-chat-q8_0"


def test_concurrent_publishes_get_distinct_versions(
    registry: ModelRegistry, base_file: Path, tiny_adapter: Path
) -> None:
    registry.use(str(base_file))
    errors: list[BaseException] = []

    def publish() -> None:
        try:
            ModelRegistry(registry.settings).add_adapter(tiny_adapter, {}, activate=True)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=publish) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert [a.version for a in registry.adapters()] == [f"v{i:04d}" for i in range(1, 7)]
    assert len(registry.history()) == 6


# --------------------------------------------------------------------------- catalogue + pull


def test_catalogue() -> None:
    assert {"qwen2.5-1.5b", "qwen2.5-3b", "llama-3.2-1b", "llama-3.2-3b", "qwen3-1.7b", "qwen3-4b"} <= set(
        CATALOG
    )
    for entry in CATALOG.values():
        assert entry.url.startswith("https://huggingface.co/")
        assert entry.url.endswith(".gguf")
        assert "/" in entry.hf_repo and entry.approx_bytes > 100_000_000
    assert catalog_entry("Qwen3-4B").reasoning
    with pytest.raises(RegistryError, match="choose one of"):
        catalog_entry("gpt-5")


class FakeHub:
    """``hf_hub_download``'s shape, no network: writes the payload to ``local_dir/filename``.

    ``fail_after``: the first call leaves that many bytes where the hub keeps an unfinished
    download (``local_dir/.cache/huggingface/download/<file>.incomplete``) and raises; the
    next call continues from those bytes, as the hub does."""

    def __init__(self, payload: bytes, *, fail_after: int | None = None) -> None:
        self.payload = payload
        self.fail_after = fail_after
        self.calls: list[dict[str, Any]] = []
        self.resumed_from: int | None = None

    def __call__(self, repo_id: str, filename: str, *, local_dir: str, **kwargs: Any) -> str:
        self.calls.append({"repo_id": repo_id, "filename": filename, "local_dir": local_dir, **kwargs})
        root = Path(local_dir)
        partial = root / ".cache" / "huggingface" / "download" / f"{filename}.incomplete"
        partial.parent.mkdir(parents=True, exist_ok=True)
        start = partial.stat().st_size if partial.exists() else 0
        if start:
            self.resumed_from = start
        bar_class = kwargs.get("tqdm_class")
        bar = bar_class(total=len(self.payload), initial=start) if bar_class else None
        if self.fail_after is not None:
            partial.write_bytes(self.payload[: self.fail_after])
            self.fail_after = None
            raise OSError("Connection reset by peer")
        with open(partial, "ab") as out:
            for i in range(start, len(self.payload), 4096):
                chunk = self.payload[i : i + 4096]
                out.write(chunk)
                if bar is not None:
                    bar.update(len(chunk))
        dest = root / filename
        os.replace(partial, dest)
        return str(dest)


def test_pull_resumes_an_interrupted_download(registry: ModelRegistry, tiny_gguf: Path) -> None:
    payload = tiny_gguf.read_bytes()
    hub = FakeHub(payload, fail_after=len(payload) // 2)
    with pytest.raises(
        DownloadError, match=r"Qwen2\.5-1\.5B-Instruct-Q4_K_M\.gguf: Connection reset.*resume"
    ):
        pull("qwen2.5-1.5b", registry, download=hub)
    assert registry.bases() == [] and registry.active().base is None  # nothing half-registered
    seen: list[tuple[int, int | None]] = []
    base = pull("qwen2.5-1.5b", registry, download=hub, progress=lambda d, t: seen.append((d, t)))
    assert hub.resumed_from == len(payload) // 2  # the unfinished bytes were kept for the hub
    assert base.gguf.read_bytes() == payload
    assert seen[0] == (len(payload) // 2, len(payload)) and seen[-1] == (len(payload), len(payload))
    assert hub.calls[-1]["repo_id"] == "bartowski/Qwen2.5-1.5B-Instruct-GGUF"
    assert hub.calls[-1]["filename"] == "Qwen2.5-1.5B-Instruct-Q4_K_M.gguf"
    assert Path(hub.calls[-1]["local_dir"]) == registry.bases_dir / "qwen2.5-1.5b"


class LoopbackHub:
    """A loopback HTTP server answering the hub's HEAD and GET for any ``/<repo>/resolve/main/<file>``
    with one payload; the first GET is cut off after ``drop`` bytes."""

    def __init__(self, payload: bytes, drop: int) -> None:
        import hashlib
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        digest = hashlib.sha256(payload).hexdigest()
        self.requests: list[tuple[str, str]] = []
        hub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *_args: Any) -> None:
                pass

            def _headers(self) -> None:
                self.send_response(200)
                self.send_header("X-Repo-Commit", "0" * 40)
                self.send_header("ETag", f'"{digest}"')
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()

            def do_HEAD(self) -> None:
                hub.requests.append(("HEAD", self.path))
                self._headers()

            def do_GET(self) -> None:
                hub.requests.append(("GET", self.path))
                self._headers()
                cut = hub.drop
                hub.drop = 0
                self.wfile.write(payload[:cut] if cut else payload)
                if cut:
                    self.wfile.flush()
                    self.close_connection = True

        self.drop = drop
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_pull_with_the_real_hub_client_over_loopback(
    registry: ModelRegistry, tiny_gguf: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``huggingface_hub.hf_hub_download`` itself (no fake), against a local server that cuts
    the first transfer: the hub retries, pull renames and registers the file, and the
    progress bridge sees the bytes."""
    import functools

    import huggingface_hub.constants
    from huggingface_hub import hf_hub_download

    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    # an earlier in-process `cli.main` (enforce_offline) may have switched the imported hub off
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", False)
    payload = tiny_gguf.read_bytes()
    hub = LoopbackHub(payload, drop=len(payload) // 3)
    seen: list[tuple[int, int | None]] = []
    try:
        download = functools.partial(hf_hub_download, endpoint=hub.url)
        base = pull("qwen3-1.7b", registry, download=download, progress=lambda d, t: seen.append((d, t)))
    finally:
        hub.close()
    assert base.gguf.read_bytes() == payload and registry.active().label == "qwen3-1.7b"
    assert ("GET", "/Qwen/Qwen3-1.7B-GGUF/resolve/main/Qwen3-1.7B-Q8_0.gguf") in hub.requests
    assert sum(1 for method, _ in hub.requests if method == "GET") == 2  # cut, then retried
    assert seen and seen[-1] == (len(payload), len(payload))


def test_pull_errors_are_one_line_naming_the_file(registry: ModelRegistry) -> None:
    def not_found(repo_id: str, filename: str, **_: Any) -> str:
        raise OSError(f"404 Client Error.\n\nEntry Not Found for url: https://huggingface.co/{repo_id}")

    with pytest.raises(DownloadError) as caught:
        pull("qwen3-4b", registry, download=not_found)
    message = str(caught.value)
    assert "\n" not in message and message.startswith("Qwen/Qwen3-4B-GGUF/Qwen3-4B-Q4_K_M.gguf: 404")

    def no_file(repo_id: str, filename: str, *, local_dir: str, **_: Any) -> str:
        return str(Path(local_dir) / "nothing-here.gguf")

    with pytest.raises(DownloadError, match="left no file"):
        pull("qwen3-4b", registry, download=no_file)


def test_pull_downloads_registers_and_activates(registry: ModelRegistry, tiny_gguf: Path) -> None:
    server = FakeHub(tiny_gguf.read_bytes())
    base = pull("qwen2.5-1.5b", registry, download=server)
    assert base.name == "qwen2.5-1.5b"
    assert base.gguf == registry.bases_dir / "qwen2.5-1.5b" / "model.gguf"
    assert base.hf_repo == "Qwen/Qwen2.5-1.5B-Instruct"
    assert registry.active().label == "qwen2.5-1.5b"
    assert len(server.calls) == 1
    pull("qwen2.5-1.5b", registry, download=server)  # already there: no second download
    assert len(server.calls) == 1


def test_pull_with_weights_fetches_the_training_weights(
    registry: ModelRegistry, tiny_gguf: Path, tmp_path: Path
) -> None:
    """The HF weights land in bases/<key>/hf and the base records them (no network: the hub's
    snapshot_download is replaced by a function with its shape)."""
    server = FakeHub(tiny_gguf.read_bytes())
    asked: list[dict[str, object]] = []

    def snapshot(**kwargs: object) -> str:
        asked.append(kwargs)
        out = Path(str(kwargs["local_dir"]))
        out.mkdir(parents=True, exist_ok=True)
        (out / "config.json").write_text('{"model_type": "qwen2"}')
        (out / "model.safetensors").write_bytes(b"\0" * 8)
        return str(out)

    base = pull("qwen2.5-1.5b", registry, download=server, weights=True, snapshot=snapshot)
    hf = registry.bases_dir / "qwen2.5-1.5b" / "hf"
    assert base.hf_dir == hf and (hf / "config.json").is_file()
    assert asked[0]["repo_id"] == "Qwen/Qwen2.5-1.5B-Instruct"
    assert "*.safetensors" in asked[0]["allow_patterns"]  # type: ignore[operator]
    assert not (hf.parent / "hf.part").exists()
    pull("qwen2.5-1.5b", registry, download=server, weights=True, snapshot=snapshot)
    assert len(asked) == 1  # complete weights are not fetched again

    def broken(**kwargs: object) -> str:
        raise OSError("connection reset")

    other = pull("llama-3.2-1b", registry, download=server, weights=False)
    assert other.hf_dir is None
    with pytest.raises(DownloadError, match="training weights"):
        pull("qwen2.5-3b", registry, download=server, weights=True, snapshot=broken)
    # the GGUF is registered all the same: chat works without the weights
    assert any(b.name == "qwen2.5-3b" for b in registry.bases())
