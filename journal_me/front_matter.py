"""Front matter as YAML, read safely: PyYAML's safe loader (libyaml's when built with it),
constructing only node graphs checked first (no aliases, a bounded number of values).

Its own module so that writing an entry (`journal-me add`) does not load PyYAML: the vault
imports it when it first parses a file.
"""

from __future__ import annotations

from typing import Any

import yaml

from journal_me.vault import MAX_FRONT_MATTER_BYTES, MAX_FRONT_MATTER_NODES

__all__ = ["FrontMatterRefused", "load_front_matter"]


class FrontMatterRefused(yaml.YAMLError):
    """Front matter that is not read at all (aliases, too many values, too large)."""


_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when built with it


class _FrontMatterLoader(_BaseLoader):  # type: ignore[misc]
    """PyYAML's safe loader (libyaml's when available), constructing only node graphs that
    were checked first: no aliases, a bounded number of values (see ``load_front_matter``)."""


def _lenient_timestamp(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """``2026-02-30`` stays a string (and gets a date warning) instead of failing the block."""
    try:
        return loader.construct_yaml_timestamp(node)  # type: ignore[arg-type]
    except (ValueError, OverflowError):
        return loader.construct_scalar(node)  # type: ignore[arg-type]


_FrontMatterLoader.add_constructor("tag:yaml.org,2002:timestamp", _lenient_timestamp)


def _check_nodes(root: yaml.Node) -> None:
    """Refuse a node graph with aliases (a node reached twice: a few hundred bytes of nested
    aliases expand into gigabytes, the "billion laughs") or too many values."""
    seen: set[int] = set()
    stack: list[Any] = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise FrontMatterRefused("front matter uses YAML anchors/aliases; not read")
        seen.add(id(node))
        if len(seen) > MAX_FRONT_MATTER_NODES:
            raise FrontMatterRefused(
                f"front matter holds more than {MAX_FRONT_MATTER_NODES} values; not read"
            )
        if isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.append(key)
                stack.append(value)


def load_front_matter(block: str) -> dict[str, Any]:
    """The front matter block as a mapping; raises ``yaml.YAMLError`` (or ValueError…)."""
    if len(block) > MAX_FRONT_MATTER_BYTES:
        raise FrontMatterRefused(f"front matter larger than {MAX_FRONT_MATTER_BYTES // 1024} KB; not read")
    loader = _FrontMatterLoader(block)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}
        _check_nodes(node)
        loaded = loader.construct_document(node)
    finally:
        loader.dispose()
    if loaded is None:
        return {}
    if not isinstance(loaded, dict):
        raise yaml.YAMLError("front matter is not a mapping")
    return {str(k): v for k, v in loaded.items()}
