"""Read a GGUF file's scalar metadata without loading the model.

Why not ``gguf.GGUFReader``: it maps the whole file and builds Python objects for every array
element (150k-token vocabularies), and pulls numpy into ``journal-me model list``. Here we
stream the header, keep scalars (strings, numbers, bools), record arrays only by length, and
optionally read the tensor infos (names and shapes, not data) — milliseconds even for a
multi-GB model.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

GGUF_MAGIC = b"GGUF"

Scalar = str | int | float | bool

_SCALARS: dict[int, str] = {
    0: "<B",
    1: "<b",
    2: "<H",
    3: "<h",
    4: "<I",
    5: "<i",
    6: "<f",
    7: "<?",
    10: "<Q",
    11: "<q",
    12: "<d",
}
_STRING = 8
_ARRAY = 9
_MAX_STRING = 64 * 1024 * 1024  # a chat template is a few KB; anything huge is corruption


class GGUFFormatError(ValueError):
    """Not a GGUF file, or a truncated / corrupt header."""


@dataclass(frozen=True)
class GGUFInfo:
    """What a GGUF says about itself."""

    path: Path
    version: int
    tensor_count: int
    metadata: dict[str, Scalar]
    array_lengths: dict[str, int] = field(default_factory=dict)
    tensor_shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    """ggml order (``ne[0]`` first: a ``(out, in)`` HF matrix is ``(in, out)``); filled only
    when read with ``tensors=True``."""

    @property
    def architecture(self) -> str:
        return str(self.metadata.get("general.architecture", ""))

    @property
    def kind(self) -> str:
        """``"model"`` or ``"adapter"`` (older files omit ``general.type``: a model)."""
        return str(self.metadata.get("general.type", "model"))

    @property
    def name(self) -> str:
        return str(self.metadata.get("general.name", ""))

    @property
    def chat_template(self) -> str | None:
        value = self.metadata.get("tokenizer.chat_template")
        return str(value) if value else None

    @property
    def context_length(self) -> int | None:
        value = self.metadata.get(f"{self.architecture}.context_length")
        return int(value) if isinstance(value, int) else None

    @property
    def vocab_size(self) -> int | None:
        return self.array_lengths.get("tokenizer.ggml.tokens")


def _read(handle: BinaryIO, size: int) -> bytes:
    data = handle.read(size)
    if len(data) != size:
        raise GGUFFormatError("unexpected end of file in the GGUF header")
    return data


def _unpack(handle: BinaryIO, fmt: str) -> Scalar:
    value: Scalar = struct.unpack(fmt, _read(handle, struct.calcsize(fmt)))[0]
    return value


def _read_string(handle: BinaryIO) -> str:
    length = int(_unpack(handle, "<Q"))
    if length > _MAX_STRING:
        raise GGUFFormatError(f"implausible string length {length} in the GGUF header")
    return _read(handle, length).decode("utf-8", errors="replace")


def _skip_array(handle: BinaryIO, item_type: int, count: int) -> None:
    if item_type == _STRING:
        for _ in range(count):
            length = int(_unpack(handle, "<Q"))
            handle.seek(length, 1)
    elif item_type in _SCALARS:
        handle.seek(struct.calcsize(_SCALARS[item_type]) * count, 1)
    elif item_type == _ARRAY:
        for _ in range(count):
            inner_type = int(_unpack(handle, "<I"))
            inner_count = int(_unpack(handle, "<Q"))
            _skip_array(handle, inner_type, inner_count)
    else:
        raise GGUFFormatError(f"unknown GGUF value type {item_type}")


def read_gguf_info(path: str | Path, *, tensors: bool = False) -> GGUFInfo:
    """Parse the header of ``path`` (and the tensor infos if ``tensors``); raises
    :class:`GGUFFormatError` or ``OSError``."""
    path = Path(path)
    with open(path, "rb") as handle:
        if handle.read(4) != GGUF_MAGIC:
            raise GGUFFormatError(f"{path} is not a GGUF file")
        version = int(_unpack(handle, "<I"))
        if version < 2:
            raise GGUFFormatError(f"{path}: GGUF version {version} is too old for llama.cpp")
        tensor_count = int(_unpack(handle, "<Q"))
        kv_count = int(_unpack(handle, "<Q"))
        metadata: dict[str, Scalar] = {}
        arrays: dict[str, int] = {}
        for _ in range(kv_count):
            key = _read_string(handle)
            value_type = int(_unpack(handle, "<I"))
            if value_type == _STRING:
                metadata[key] = _read_string(handle)
            elif value_type in _SCALARS:
                metadata[key] = _unpack(handle, _SCALARS[value_type])
            elif value_type == _ARRAY:
                item_type = int(_unpack(handle, "<I"))
                count = int(_unpack(handle, "<Q"))
                arrays[key] = count
                _skip_array(handle, item_type, count)
            else:
                raise GGUFFormatError(f"{path}: unknown GGUF value type {value_type}")
        shapes: dict[str, tuple[int, ...]] = {}
        if tensors:
            for _ in range(tensor_count):
                name = _read_string(handle)
                n_dims = int(_unpack(handle, "<I"))
                if n_dims > 8:
                    raise GGUFFormatError(f"{path}: tensor {name!r} has {n_dims} dimensions")
                shapes[name] = tuple(int(_unpack(handle, "<Q")) for _ in range(n_dims))
                handle.seek(4 + 8, 1)  # ggml type, data offset
    return GGUFInfo(
        path=path,
        version=version,
        tensor_count=tensor_count,
        metadata=metadata,
        array_lengths=arrays,
        tensor_shapes=shapes,
    )


def adapter_mismatches(base: GGUFInfo, adapter: GGUFInfo, limit: int = 3) -> list[str]:
    """Why llama.cpp would refuse ``adapter`` on ``base`` (empty when it fits).

    Mirrors the checks of ``llama_adapter_lora_init``: every ``X.lora_a``/``X.lora_b`` pair
    needs a base tensor ``X`` with ``X.ne[0] == a.ne[0]``, ``X.ne[1] == b.ne[1]`` and a shared
    rank. Both infos must have been read with ``tensors=True``.
    """
    problems: list[str] = []
    pairs: dict[str, dict[str, tuple[int, ...]]] = {}
    for name, shape in adapter.tensor_shapes.items():
        for suffix in (".lora_a", ".lora_b"):
            if name.endswith(suffix):
                pairs.setdefault(name.removesuffix(suffix), {})[suffix] = shape
                break
        else:
            if not name.endswith("_norm.weight"):
                problems.append(f"unexpected tensor {name!r}")
    for target, parts in sorted(pairs.items()):
        a, b = parts.get(".lora_a"), parts.get(".lora_b")
        model = base.tensor_shapes.get(target)
        if a is None or b is None:
            problems.append(f"{target}: lora_a or lora_b is missing")
        elif model is None:
            problems.append(f"{target} does not exist in the base model")
        elif target.endswith("token_embd.weight"):
            if model[0] != b[1] or model[1] != a[1]:
                problems.append(f"{target}: adapter shape does not match the base")
        elif len(model) < 2 or model[0] != a[0] or model[1] != b[1] or a[1] != b[0]:
            problems.append(f"{target}: base is {model[:2]} but the adapter is A{a} B{b}")
        if len(problems) >= limit:
            break
    return problems


def is_gguf(path: str | Path) -> bool:
    """Cheap magic-number check."""
    try:
        with open(path, "rb") as handle:
            return handle.read(4) == GGUF_MAGIC
    except OSError:
        return False
