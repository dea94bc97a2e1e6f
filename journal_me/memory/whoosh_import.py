"""Whoosh, imported without three of its import-time dependencies that a search never uses.

Importing ``whoosh.query`` and ``whoosh.reading`` costs a one-shot CLI search ~0.1 s before it
reads a byte of the index, most of it in modules Whoosh imports and never calls on our path:

- ``whoosh.compat`` imports ``urllib.request`` for ``urlretrieve`` (pulling in http.client,
  email and ssl); nothing in Whoosh calls it;
- ``whoosh.query.terms`` imports ``whoosh.lang.morph_en.variations``, a module that compiles a
  few hundred regular expressions at import, for the ``Variations`` query we never build;
- ``whoosh.reading`` imports the ``cached_property`` backport, which imports ``asyncio``, for
  one property (``deleted_docs_set``) that :func:`functools.cached_property` serves the same.

:func:`load` imports Whoosh's modules with stand-ins for those three in ``sys.modules`` and
takes the stand-ins out again at once: from then on an import of any of them gets the real
module. What Whoosh keeps from a stand-in forwards to the real module on first use
(``urlretrieve``, ``variations``), and a stand-in asked for any other name meanwhile (another
thread importing) loads the real module and answers from it. Where Whoosh is already imported
(a test, a process that imported it first) nothing is done.

Import this module before any ``whoosh`` import (``journal_me.memory.index`` does, first).
"""

from __future__ import annotations

import functools
import importlib
import sys
import types
from collections.abc import Callable
from typing import Any

# the Whoosh modules whose imports reach the deferred ones
_WHOOSH = ("whoosh.compat", "whoosh.reading", "whoosh.query")


def _stand_in(name: str, forwarded: tuple[str, ...], own: dict[str, Any]) -> types.ModuleType:
    module = types.ModuleType(name, f"stand-in for {name} while Whoosh imports (journal_me)")

    def real() -> types.ModuleType:
        if sys.modules.get(name) is module:
            del sys.modules[name]
        return importlib.import_module(name)

    def __getattr__(attr: str) -> Any:
        if attr.startswith("__"):  # the import system probing (``__path__``): not a package
            raise AttributeError(attr)
        return getattr(real(), attr)

    def forward(attr: str) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            return getattr(real(), attr)(*args, **kwargs)

        call.__name__ = call.__qualname__ = attr
        return call

    module.__getattr__ = __getattr__  # type: ignore[method-assign]
    for attr in forwarded:
        setattr(module, attr, forward(attr))
    for attr, value in own.items():
        setattr(module, attr, value)
    return module


def load() -> None:
    """Import Whoosh's modules with the deferred dependencies stood in for (see above)."""
    if all(m in sys.modules for m in _WHOOSH):
        return
    stand_ins = {
        name: _stand_in(name, forwarded, own)
        for name, forwarded, own in (
            ("urllib.request", ("urlretrieve",), {}),
            ("whoosh.lang.morph_en", ("variations",), {}),
            ("cached_property", (), {"cached_property": functools.cached_property}),
        )
        if name not in sys.modules
    }
    sys.modules.update(stand_ins)
    try:
        for name in _WHOOSH:
            importlib.import_module(name)
    finally:
        for name, module in stand_ins.items():
            if sys.modules.get(name) is module:
                del sys.modules[name]


load()
