"""``journal-me model list | use | rollback | pull``: which model the second you runs on."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from rich.console import Console

from journal_me.commands.output import clean_line
from journal_me.config import Settings
from journal_me.models import (
    CATALOG,
    DEFAULT_PULL,
    ActiveModel,
    DownloadError,
    ModelRegistry,
    RegistryError,
    catalog_entry,
    pull,
)

if TYPE_CHECKING:  # rich.progress loads with a download's bar (`doctor` imports this module)
    from rich.progress import Progress

NO_MODEL = f"no model yet — run `journal-me model pull {DEFAULT_PULL}` or `journal-me model use PATH.gguf`"


def _fail(message: str) -> int:
    print(f"journal-me: {clean_line(message)}", file=sys.stderr)
    return 1


def _say(line: str) -> None:
    print(clean_line(line))


def _human(n: object) -> str:
    if not isinstance(n, int):
        return "?"
    value = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1000 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} B"  # pragma: no cover


def _say_active(active: ActiveModel, settings: Settings) -> None:
    _say(f"active: {active.label}")
    if active.base is not None and not active.base.exists:
        _say(f"  warning: {active.base.gguf} is missing — `journal-me model use` another model")
    if active.adapter is not None and not settings.llm.use_adapter:
        print("  note: [llm] use_adapter = false, so the adapter is not applied")


def cmd_list(args: argparse.Namespace, settings: Settings) -> int:
    registry = ModelRegistry(settings)
    try:
        active = registry.active()
        bases = registry.bases()
        adapters = registry.adapters()
    except (RegistryError, ValueError, OSError) as exc:  # a corrupt registry.json: one line
        return _fail(str(exc))
    if settings.llm.base_model is not None:
        _say(f"config [llm] base_model overrides the registry: {settings.llm.base_model}")
    if not bases:
        print(NO_MODEL)
    else:
        print("base models:")
        for base in bases:
            mark = "*" if active.base and active.base.name == base.name else " "
            missing = "" if base.exists else "  (file missing)"
            arch = base.architecture or "?"
            size = _human(base.manifest.get("size_bytes"))
            _say(f" {mark} {base.name:<24} {arch:<8} {size:>8}  {base.gguf}{missing}")
    if adapters:
        print("adapters (this vault):")
        for adapter in reversed(adapters):
            mark = "*" if active.adapter and active.adapter.version == adapter.version else " "
            metrics = ", ".join(
                f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}"
                for k, v in list(adapter.metrics.items())[:4]
            )
            created = adapter.created[:19].replace("T", " ")
            _say(f" {mark} {adapter.version}  base {adapter.base:<20} {created}  {metrics}".rstrip())
    if bases:
        _say_active(active, settings)
    pullable = [e for e in CATALOG.values() if e.key not in {b.name for b in bases}]
    if pullable:
        print("available to pull:")
        for entry in pullable:
            print(f"   {entry.key:<14} {'~' + _human(entry.approx_bytes):>9}  {entry.title}")
    return 0


def cmd_use(args: argparse.Namespace, settings: Settings) -> int:
    registry = ModelRegistry(settings)
    target: str = args.target
    try:
        if args.name or args.hf_dir or args.copy:
            if not target.lower().endswith(".gguf"):
                return _fail("--name/--hf-dir/--copy apply to a PATH.gguf")
            base = registry.register_base(target, name=args.name, hf_dir=args.hf_dir, copy=args.copy)
            target = base.name
        active = registry.use(target, adapter=not args.no_adapter)
    except RegistryError as exc:
        return _fail(str(exc))
    _say_active(active, settings)
    return 0


def cmd_rollback(args: argparse.Namespace, settings: Settings) -> int:
    registry = ModelRegistry(settings)
    try:
        active = registry.rollback()
    except RegistryError as exc:
        return _fail(str(exc))
    print("rolled back")
    _say_active(active, settings)
    return 0


@contextmanager
def _progress_bar(label: str, enabled: bool) -> Iterator[Progress]:
    from rich.progress import (
        BarColumn,
        DownloadColumn,
        Progress,
        TextColumn,
        TimeRemainingColumn,
        TransferSpeedColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
        console=Console(stderr=True),
        transient=True,
        disable=not enabled,
    ) as bar:
        yield bar


def cmd_pull(args: argparse.Namespace, settings: Settings) -> int:
    registry = ModelRegistry(settings)
    try:
        entry = catalog_entry(args.name)
    except RegistryError as exc:
        return _fail(str(exc))
    dest = registry.bases_dir / entry.key / "model.gguf"
    if args.dry_run:
        print(f"would download {entry.title}")
        print(f"  from  {entry.url}")
        print(f"  to    {dest}  (~{_human(entry.approx_bytes)})")
        if args.no_weights:
            print("  training weights: skipped (--no-weights)")
        else:
            print(f"  training weights: https://huggingface.co/{entry.hf_repo} -> {dest.parent / 'hf'}")
        if entry.note:
            print(f"  note: {entry.note}")
        return 0
    if dest.is_file():
        print(f"{entry.key} is already downloaded")
    else:
        print(f"downloading {entry.key} (~{_human(entry.approx_bytes)}) to {dest}")
        if args.no_hub:
            print("note: --no-hub is gone: downloads always use huggingface_hub (resumable)")
    with _progress_bar(entry.key, sys.stderr.isatty()) as bar:
        task = bar.add_task(entry.key, total=None)

        def progress(done: int, total: int | None) -> None:
            bar.update(task, completed=done, total=total)

        try:
            pull(entry.key, registry, progress=progress, weights=not args.no_weights)
        except (RegistryError, DownloadError) as exc:
            return _fail(str(exc))
        except KeyboardInterrupt:
            print("interrupted — run the same command again to resume", file=sys.stderr)
            return 130
    _say_active(registry.active(), settings)
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    model = sub.add_parser("model", help="list, choose, roll back or download models")
    actions = model.add_subparsers(dest="model_command", metavar="ACTION")
    model.set_defaults(handler=cmd_list)

    p = actions.add_parser("list", help="bases, this vault's adapters, and what can be pulled")
    p.set_defaults(handler=cmd_list)

    p = actions.add_parser("use", help="switch to a base name, an adapter version or a PATH.gguf")
    p.add_argument("target", metavar="NAME_OR_PATH.gguf")
    p.add_argument("--name", help="registry name for a new PATH.gguf")
    p.add_argument("--hf-dir", help="Hugging Face weights matching the GGUF (for training)")
    p.add_argument("--copy", action="store_true", help="copy the GGUF into the data dir")
    p.add_argument("--no-adapter", action="store_true", help="run the base without an adapter")
    p.set_defaults(handler=cmd_use)

    p = actions.add_parser("rollback", help="return to the previous model / adapter")
    p.set_defaults(handler=cmd_rollback)

    p = actions.add_parser("pull", help=f"download a curated model ({', '.join(CATALOG)})")
    p.add_argument("name", metavar="NAME", help=f"e.g. {DEFAULT_PULL}")
    p.add_argument("--dry-run", action="store_true", help="show what would be downloaded")
    p.add_argument("--no-hub", action="store_true", help=argparse.SUPPRESS)  # gone; accepted for old scripts
    p.add_argument("--no-weights", action="store_true", help="skip the HF training weights (chat only)")
    p.set_defaults(handler=cmd_pull)
