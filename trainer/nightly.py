"""The training pipeline as one command: synthesis → filter → SFT → DPO → export → gate →
publish, safe to run from a timer every night.

Why it is shaped like this:

- **Every step reports and every failure explains.** The top complaint about Second-Me was
  opaque pipeline failures; here each step reports progress to a :class:`Reporter`, and any
  exception becomes a :class:`PipelineError` naming the step, the reason and what to do
  (out-of-memory → a smaller model, batch or max_length). A traceback goes to the run's
  ``run.log`` for bug reports.
- **Idempotent and timer-safe.** One run at a time (a lock); ``--nightly`` skips with exit 0
  and a one-line reason when nothing changed since the last completed run, when there is no
  usable GPU (unless CPU training is allowed), when VRAM is short, or on battery.
- **Crash-safe.** Everything is written under ``train/runs/<stamp>``; the active model only
  changes through the registry's atomic pointer switch at the very end, after the eval gate.
  A ``kill -9`` anywhere leaves the active model as it was, and the next run cleans up.

This module is the entry (lock, checks, skips); ``trainer.pipeline`` runs the steps;
``trainer.runtypes`` holds the shared types. The TUI can drive :func:`run_training`
in-process (pass a Reporter) or, better, run ``journal-me train --json-progress`` as a
subprocess and read one JSON event per line (training memory and llama.cpp stay out of
the app, and a kill is always safe).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from pathlib import Path
from typing import Any

from journal_me.api import Journal, open_vault
from journal_me.config import Settings
from journal_me.memory.index import IndexLockedError
from journal_me.models import ModelRegistry, RegistryError
from trainer import guards, state
from trainer.pipeline import failed, run_pipeline
from trainer.runtypes import (
    STEPS,
    NullReporter,
    PipelineError,
    Reporter,
    TrainBase,
    TrainOptions,
    TrainOutcome,
)

log = logging.getLogger(__name__)

__all__ = [
    "STEPS",
    "NullReporter",
    "PipelineError",
    "Reporter",
    "TrainBase",
    "TrainOptions",
    "TrainOutcome",
    "fingerprint",
    "resolve_base",
    "run_training",
]


def resolve_base(settings: Settings, registry: ModelRegistry) -> TrainBase:
    """The registry's active base and the HF weights that train it."""
    try:
        active = registry.active()
    except RegistryError as exc:
        raise PipelineError(
            "setup", str(exc), "fix or delete the file named, then `journal-me model use`"
        ) from exc
    base = active.base
    if base is None:
        raise PipelineError(
            "setup",
            "no base model yet",
            "run `journal-me model pull qwen2.5-1.5b` (and give it its HF weights), or "
            "`journal-me model use PATH.gguf --hf-dir DIR`",
        )
    hf = settings.train.hf_base or base.hf_dir
    if hf is None:
        repo = base.hf_repo or "the Hugging Face model the GGUF was made from"
        raise PipelineError(
            "setup",
            f"the base {base.name} has no Hugging Face weights to fine-tune",
            f"download {repo} (e.g. `huggingface-cli download {repo} --local-dir DIR`), then "
            f"`journal-me model use {base.gguf} --hf-dir DIR`, or set train.hf_base = DIR",
        )
    hf = Path(hf).expanduser()
    if not (hf / "config.json").is_file():
        raise PipelineError(
            "setup",
            f"{hf} is not a Hugging Face model directory (no config.json)",
            "point train.hf_base (or `journal-me model use … --hf-dir`) at the downloaded weights",
        )
    return TrainBase(base, hf)


def fingerprint(journal: Journal, settings: Settings, base: TrainBase) -> str:
    """What a run depends on: the public entries' contents, the base, the train settings."""
    public = sorted((s.rel, s.digest) for s in journal.entries() if not s.private)
    train = {k: str(v) for k, v in dataclasses.asdict(settings.train).items()}
    blob = json.dumps([base.base.name, str(base.hf_dir), train, settings.name, public])
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:24]


def run_training(
    settings: Settings, options: TrainOptions | None = None, reporter: Reporter | None = None
) -> TrainOutcome:
    """Run the pipeline once (or skip, with a reason). Never raises for expected failures:
    the outcome says what happened and which exit code the CLI should return."""
    from journal_me.offline import enforce_offline

    enforce_offline()  # also when driven in-process (the TUI, tests): never the network
    options = options or TrainOptions()
    reporter = reporter or NullReporter()
    tdir = state.train_dir(settings)
    tdir.mkdir(parents=True, exist_ok=True)
    lock = guards.TrainLock(tdir / "train.lock")
    if not lock.acquire():
        return TrainOutcome("busy", f"already running ({lock.holder()})", 0)
    try:
        return _run_locked(settings, options, reporter)
    finally:
        lock.release()


def _skip(settings: Settings, st: dict[str, Any], reason: str) -> TrainOutcome:
    st["last_check"] = {"time": state.now_iso(), "status": "skipped", "reason": reason}
    state.write_state(settings, st)
    return TrainOutcome("skipped", reason, 0)


def _run_locked(settings: Settings, options: TrainOptions, reporter: Reporter) -> TrainOutcome:
    st = state.read_state(settings)
    for note in state.recover(settings, st):
        reporter.note(note)
    nightly = options.nightly and not options.dry_run
    allow_cpu = options.allow_cpu or settings.train.allow_cpu

    if nightly and guards.on_battery():
        return _skip(settings, st, "on battery power — training waits for mains power")

    registry = ModelRegistry(settings)
    try:
        base: TrainBase | None = resolve_base(settings, registry)
    except PipelineError as exc:
        if nightly:
            return _skip(settings, st, f"{exc.why} — {exc.hint}")
        if not options.dry_run:
            return failed(settings, st, exc, None)
        reporter.note(f"{exc.why} — {exc.hint}")
        base = None

    try:
        journal = open_vault(settings=settings)
    except (FileNotFoundError, IndexLockedError) as exc:
        return failed(
            settings, st, PipelineError("setup", str(exc), "check the vault path (--vault / config)"), None
        )
    try:
        try:
            journal.reindex()
        except IndexLockedError as exc:
            reason = f"the journal index is busy ({exc})"
            if nightly:
                return _skip(settings, st, reason)
            return failed(settings, st, PipelineError("setup", reason, "try again in a minute"), None)
        fp = fingerprint(journal, settings, base) if base else ""
        last = st.get("last_success") or {}
        if nightly and fp and last.get("fingerprint") == fp:
            when = str(last.get("finished", "?"))[:16].replace("T", " ")
            what = f", {last['version']}" if last.get("version") else ""
            return _skip(settings, st, f"no new or changed entries since the last run ({when}{what})")

        gpu = guards.gpu_status() if not options.dry_run else guards.GpuStatus(False, detail="dry run")
        if not options.dry_run:
            if not gpu.usable and not allow_cpu:
                reason = f"{gpu.detail} — training needs an NVIDIA GPU (or --allow-cpu, slow)"
                if nightly:
                    return _skip(settings, st, reason)
                return failed(
                    settings,
                    st,
                    PipelineError("setup", gpu.detail, "pass --allow-cpu to train on the CPU (slow)"),
                    None,
                )
            wanted = settings.train.min_free_vram_gb
            if gpu.usable and gpu.free_gb is not None and gpu.free_gb < wanted:
                reason = (
                    f"only {gpu.free_gb:.1f} GB of GPU memory free on {gpu.name} "
                    f"(train.min_free_vram_gb = {wanted:g})"
                )
                if nightly:
                    return _skip(settings, st, reason)
                return failed(
                    settings,
                    st,
                    PipelineError(
                        "setup", reason, "close programs using the GPU, or lower train.min_free_vram_gb"
                    ),
                    None,
                )
            if gpu.usable:
                try:
                    options = _import_unsloth_first(options, reporter)
                except PipelineError as exc:
                    return failed(settings, st, exc, None)
            elif allow_cpu:
                reporter.note(f"training on the CPU ({gpu.detail})")
        return run_pipeline(settings, options, reporter, st, journal, registry, base, fp, gpu)
    finally:
        journal.close()


UNSLOTH_BROKEN_HINT = (
    "fix the install (pip install -U 'journal-me[train,gpu]' — Unsloth pins its transformers/TRL "
    "versions), or train without it: journal-me train --backend peft"
)


def _import_unsloth_first(options: TrainOptions, reporter: Reporter) -> TrainOptions:
    """Unsloth must patch transformers/TRL before anything imports them (the length
    filter loads a tokenizer), so on the Unsloth path import it now.

    Only Unsloth itself missing means "train without it": the options come back with the
    PEFT backend and a note says so. Any other failure — a missing or mismatched
    dependency, an error inside Unsloth — is a broken install the user must hear about: a
    :class:`PipelineError` at the setup step (its traceback goes to the log)."""
    from trainer.backends import TrainingError, choose_backend

    try:
        chosen = choose_backend(options.backend)
    except TrainingError:
        return options  # an impossible --backend: loading the model says why, at its step
    if chosen != "unsloth":
        return options
    try:
        import unsloth  # noqa: F401
    except ModuleNotFoundError as exc:
        if exc.name != "unsloth":
            raise _unsloth_broken(exc) from exc
        if options.backend == "unsloth":
            raise PipelineError(
                "setup",
                f"--backend unsloth, but Unsloth is not installed ({exc})",
                "pip install 'journal-me[train,gpu]'",
            ) from exc
        reporter.note("Unsloth is not installed: training with transformers + PEFT")
        return dataclasses.replace(options, backend="peft")
    except Exception as exc:
        raise _unsloth_broken(exc) from exc
    return options


def _unsloth_broken(exc: BaseException) -> PipelineError:
    log.error("importing unsloth failed", exc_info=exc)
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return PipelineError(
        "setup",
        f"Unsloth is installed but does not import: {type(exc).__name__}: {first}",
        UNSLOTH_BROKEN_HINT,
    )
