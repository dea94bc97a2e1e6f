"""The steps of one training run, in order, inside its run directory.

synthesis → filter (+ DPO pairs) → SFT → DPO → export → gate → publish. Each step runs in
:meth:`_Run.step`, which reports it, times it, records it in ``run.json`` and the state
file (so an interrupted run can be told apart later), and turns any failure into a
:class:`PipelineError` with the step, the reason and what to do. Publishing is the last
step and the only one that touches what chats run on.

A stop request (SIGTERM: systemd stopping the unit, the app's Stop) is honoured at the next
item boundary of every step — between synthesis entries, filtered examples, DPO pairs,
optimizer steps and gate questions — and before and after export and right before publish:
the run ends "stopped" and nothing is published.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import signal
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from journal_me.api import Journal
from journal_me.config import Settings
from journal_me.models import ModelRegistry, RegistryError
from trainer import guards, incremental, state
from trainer.budget import Budget, budget_minutes
from trainer.evaluate import EvalError, EvalItem, GateDecision, quick_gate, run_gate
from trainer.filter import FilterConfig, FilterResult, PrivacyGuard, filter_examples, heldout_rels
from trainer.pairs import FactPools, make_pairs
from trainer.progress import StopRequested, quiet_libraries
from trainer.runtypes import (
    HINTS,
    OOM_HINT,
    PipelineError,
    Reporter,
    RunStopped,
    TrainBase,
    TrainOptions,
    TrainOutcome,
)
from trainer.stage import StageResult
from trainer.synth import PrivacyViolation, synthesize, vault_texts
from trainer.vault_view import VaultView


class _Stop:
    """SIGTERM (systemd stopping the unit) → stop training at the next step boundary."""

    def __init__(self) -> None:
        self.requested = False
        self._previous: Any = None

    def __call__(self) -> bool:
        return self.requested

    def __enter__(self) -> _Stop:
        if threading.current_thread() is threading.main_thread():
            self._previous = signal.signal(signal.SIGTERM, self._handle)
        return self

    def _handle(self, _signum: int, _frame: Any) -> None:
        self.requested = True

    def check(self, step: str) -> None:
        """End the run here (as stopped) if a stop was requested."""
        if self.requested:
            raise RunStopped(step)

    def __exit__(self, *_exc: object) -> None:
        if self._previous is not None:
            signal.signal(signal.SIGTERM, self._previous)


class _Run:
    """One run in progress: its directory, timings and the error translation per step."""

    def __init__(self, settings: Settings, st: dict[str, Any], reporter: Reporter, run_dir: Path) -> None:
        self.settings = settings
        self.state = st
        self.reporter = reporter
        self.dir = run_dir
        self.durations: dict[str, float] = {}

    @contextlib.contextmanager
    def step(self, name: str, detail: str = "") -> Iterator[dict[str, str]]:
        """Time a step, record it in run.json/state, and translate failures."""
        self.reporter.step(name, detail)
        state.write_run(self.dir, step=name)
        self.state["running"]["step"] = name
        state.write_state(self.settings, self.state)
        started = time.monotonic()
        summary: dict[str, str] = {"text": ""}
        try:
            yield summary
        except PipelineError:
            raise
        except StopRequested:
            raise RunStopped(name) from None
        except Exception as exc:  # KeyboardInterrupt/SystemExit pass: run_pipeline records them
            self._log_traceback(name)
            raise _translate(name, exc) from exc
        seconds = time.monotonic() - started
        self.durations[name] = round(seconds, 2)
        self.reporter.done(name, seconds, summary["text"])

    def _log_traceback(self, name: str) -> None:
        with contextlib.suppress(OSError), open(self.dir / "run.log", "a", encoding="utf-8") as out:
            out.write(f"--- {state.now_iso()} step {name}\n{traceback.format_exc()}\n")


def _translate(step: str, exc: Exception) -> PipelineError:
    from trainer.backends import TrainingError, TrainingOOMError
    from trainer.export import GGUFConversionError

    if isinstance(exc, TrainingOOMError):
        return PipelineError(step, str(exc), OOM_HINT)
    if isinstance(exc, PrivacyViolation):
        return PipelineError(
            step, str(exc), "nothing was trained and nothing published; please report this bug"
        )
    if isinstance(exc, (TrainingError, GGUFConversionError, EvalError, RegistryError)):
        return PipelineError(step, str(exc))
    return PipelineError(step, f"{type(exc).__name__}: {exc}", f"{HINTS.get(step, '')} (details in run.log)")


def failed(settings: Settings, st: dict[str, Any], exc: PipelineError, run_dir: Path | None) -> TrainOutcome:
    st.pop("running", None)
    st["last_run"] = {
        "status": "failed",
        "finished": state.now_iso(),
        "step": exc.step,
        "reason": exc.why,
        "hint": exc.hint,
        "run_dir": str(run_dir) if run_dir else None,
    }
    state.record(settings, st, dict(st["last_run"]))
    if run_dir is not None:
        state.write_run(run_dir, status="failed", step=exc.step, reason=exc.why)
    return TrainOutcome("failed", exc.why, 1, run_dir=run_dir, step=exc.step, hint=exc.hint)


def stopped(settings: Settings, st: dict[str, Any], exc: RunStopped, run_dir: Path) -> TrainOutcome:
    """Record a run that ended on a stop request: nothing was published."""
    st.pop("running", None)
    st["last_run"] = {
        "status": "stopped",
        "finished": state.now_iso(),
        "step": exc.step,
        "reason": exc.why,
        "hint": exc.hint,
        "run_dir": str(run_dir),
    }
    state.record(settings, st, dict(st["last_run"]))
    state.write_run(run_dir, status="stopped", step=exc.step, reason=exc.why)
    return TrainOutcome("stopped", exc.why, 1, run_dir=run_dir, step=exc.step, hint=exc.hint)


def run_pipeline(
    settings: Settings,
    options: TrainOptions,
    reporter: Reporter,
    st: dict[str, Any],
    journal: Journal,
    registry: ModelRegistry,
    base: TrainBase | None,
    fp: str,
    gpu: guards.GpuStatus,
) -> TrainOutcome:
    run_dir = state.new_run_dir(settings)
    started = state.now_iso()
    state.write_run(run_dir, status="running", pid=os.getpid(), started=started)
    st["running"] = {"pid": os.getpid(), "started": started, "run_dir": str(run_dir), "step": None}
    state.write_state(settings, st)
    run = _Run(settings, st, reporter, run_dir)
    try:
        with _Stop() as stop:
            outcome = _steps(run, options, journal, registry, base, fp, gpu, stop)
    except RunStopped as exc:
        reporter.note(f"stopped during {exc.step}: {exc.hint}")
        return stopped(settings, st, exc, run_dir)
    except PipelineError as exc:
        reporter.note(f"run directory: {run_dir}")
        return failed(settings, st, exc, run_dir)
    except BaseException:
        # Ctrl-C and the like: the active model is untouched; say so in the state
        failed(settings, st, PipelineError(st["running"].get("step") or "start", "interrupted"), run_dir)
        raise
    st.pop("running", None)
    if outcome.status == "dry-run":  # history only: "last run" stays the last real one
        state.record(
            settings, st, {"status": "dry-run", "finished": state.now_iso(), "run_dir": str(run_dir)}
        )
        state.write_run(run_dir, status="dry-run")
        state.prune_runs(settings, options.keep_runs, current=run_dir)
        return outcome
    entry = {
        "status": outcome.status,
        "started": started,
        "finished": state.now_iso(),
        "reason": outcome.reason,
        "version": outcome.version,
        "run_dir": str(run_dir),
    }
    st["last_run"] = entry
    if outcome.status in ("published", "refused", "skipped"):  # skipped: nothing new to train
        st["last_success"] = {**entry, "fingerprint": fp}
    state.record(settings, st, dict(entry))
    state.write_run(run_dir, status=outcome.status, reason=outcome.reason, version=outcome.version)
    state.prune_runs(settings, options.keep_runs, current=run_dir)
    return outcome


def _profile_text(settings: Settings, journal: Journal, guard: PrivacyGuard) -> tuple[str, str]:
    """The profile chat serves with, unless it quotes private text (then the template one)."""
    from journal_me.profile import Profile, template_profile

    profile = Profile.load(settings.profile_file)
    if profile is not None and not guard.leaks(profile.prompt_text()):
        return profile.prompt_text(), profile.source
    return template_profile(journal, settings.name).prompt_text(), "template"


def _synth_engine(
    settings: Settings,
    options: TrainOptions,
    base: TrainBase | None,
    gpu: guards.GpuStatus,
    reporter: Reporter,
) -> tuple[Any, str]:
    if base is None or options.synth == "templates" or (options.synth == "auto" and not gpu.usable):
        return None, ""
    from journal_me.llm.engine import Engine, EngineError

    try:
        engine = Engine.with_llm_settings(base.base.gguf, settings.llm)
    except EngineError as exc:
        if options.synth == "model":
            raise PipelineError("synthesis", str(exc), "use --synth templates, or fix the model") from exc
        reporter.note(f"the model could not be loaded for synthesis ({exc}); using templates")
        return None, ""
    stat = base.base.gguf.stat()
    return engine, f"{base.base.name}:{stat.st_size}"


def _steps(
    run: _Run,
    options: TrainOptions,
    journal: Journal,
    registry: ModelRegistry,
    base: TrainBase | None,
    fp: str,
    gpu: guards.GpuStatus,
    stop: _Stop,
) -> TrainOutcome:
    from journal_me.roles import RoleError, load_roles
    from trainer.dataset import sft_row, write_examples, write_jsonl

    settings, reporter = run.settings, run.reporter
    quiet_libraries()
    today = options.today or dt.date.today()
    report: dict[str, Any] = {"run": run.dir.name, "fingerprint": fp}
    gate_config = quick_gate(options.gate, options.max_steps)
    budget = Budget(
        budget_minutes(
            options.max_minutes,
            settings.train.max_minutes,
            nightly=options.nightly,
            gpu=gpu.usable,
        )
    )
    if budget.limited:
        reporter.note(f"time budget: {budget.minutes:g} min for this run")

    # 1. synthesis ------------------------------------------------------------------------
    engine: Any = None
    model_id = ""
    try:
        with run.step("synthesis") as summary:
            heldout = heldout_rels(journal.entries(), options.holdout_fraction)
            private_texts, public_texts = vault_texts(
                journal, [s.rel for s in journal.entries() if s.private]
            )
            guard = PrivacyGuard(private_texts, public_texts)
            profile_text, profile_source = _profile_text(settings, journal, guard)
            try:
                roles = list(load_roles(settings.roles_file).values())
            except RoleError as exc:
                reporter.note(f"roles.toml: {exc}; using the built-in roles")
                roles = list(load_roles(None).values())
            view = VaultView(
                journal,
                name=settings.name,
                profile_text=profile_text,
                today=today,
                holdout=lambda rel: rel in heldout,
                memories=options.memories,
            )
            engine, model_id = _synth_engine(settings, options, base, gpu, reporter)
            synth_result = synthesize(
                view,
                roles=roles,
                engine=engine,
                model_id=model_id,
                cache_dir=state.train_dir(settings) / "cache",
                config=options.synth_config,
                progress=lambda d, t, what: reporter.progress("synthesis", d, t),
                should_stop=stop,
                note=reporter.note,  # model failures that fell back to templates
            )
            if synth_result.private_rels:
                # includes files marked private since the last index: guard against them too
                private_texts, _ = vault_texts(journal, synth_result.private_rels)
                guard = PrivacyGuard(private_texts, public_texts)
            write_examples(run.dir / "synth.jsonl", synth_result.examples)
            report["synthesis"] = {**synth_result.summary(), "profile": profile_source}
            summary["text"] = _counts_text(len(synth_result.examples), synth_result.counts)

        # 2. filter, and the DPO pairs while the model is still loaded ---------------------
        with run.step("filter") as summary:
            counter = _token_counter(base.hf_dir) if base else None
            filtered: FilterResult = filter_examples(
                synth_result.examples,
                support_of=view.support_text,
                heldout=heldout,
                guard=guard,
                count_tokens=counter,
                config=FilterConfig(max_tokens=settings.train.max_length, max_eval=gate_config.max_items),
                should_stop=stop,
            )
            pairs = make_pairs(
                filtered.train,
                FactPools.from_view(view),
                engine=engine,
                model_id=model_id,
                cache_dir=state.train_dir(settings) / "cache",
                config=options.pairs,
                should_stop=stop,
                note=reporter.note,
            )
            picked = _pick_examples(run, options, journal, registry, base, filtered, today)
            train_ids = {e.id for e in picked.train}
            pairs.rows[:] = [r for r in pairs.rows if r["id"] in train_ids]
            train_rows = [sft_row(e) for e in picked.train]
            report["incremental"] = picked.to_json()
            write_jsonl(run.dir / "sft_train.jsonl", train_rows)
            write_examples(run.dir / "eval.jsonl", filtered.eval)
            write_jsonl(run.dir / "dpo_train.jsonl", pairs.rows)
            write_jsonl(run.dir / "dropped.jsonl", _dropped_rows(filtered))
            report["filter"] = filtered.report.to_json()
            report["dpo_pairs"] = pairs.counts
            (run.dir / "data_report.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
            dropped = ", ".join(f"{k} {v}" for k, v in filtered.report.dropped.items() if v) or "none"
            summary["text"] = (
                f"{filtered.report.train} to train, {filtered.report.eval} held out for the gate, "
                f"{pairs.counts['pairs']} DPO pairs; dropped: {dropped}"
            )
            if picked.continued:
                summary["text"] += (
                    f"; continuing {picked.continued} on {picked.new} new + {picked.replay} replayed "
                    f"examples ({len(pairs.rows)} DPO pairs)"
                )
    finally:
        if engine is not None:
            engine.close()  # free the model before training needs the memory
    stop.check("filter")
    if options.dry_run:
        return TrainOutcome(
            "dry-run",
            f"{filtered.report.train} training examples, {filtered.report.eval} eval questions, "
            f"{pairs.counts['pairs']} DPO pairs written to {run.dir}",
            0,
            run_dir=run.dir,
            report=report,
        )
    if base is None:  # resolve_base failed: only dry runs may go on without a base
        raise PipelineError("setup", "no base model to train", "see `journal-me model list`")
    if picked.continued and not picked.new:
        return TrainOutcome(
            "skipped",
            f"nothing new to train on since {picked.continued} (the changed entries are held out "
            "for the eval gate, or gave no usable examples)",
            0,
            run_dir=run.dir,
            report=report,
        )
    if not train_rows:
        raise PipelineError(
            "filter", "no training examples survived filtering", "write a few more (public) entries first"
        )
    if not filtered.eval:
        raise PipelineError(
            "filter",
            "no held-out questions for the eval gate",
            "the gate needs at least five public diary entries",
        )

    from trainer import dpo as dpo_stage
    from trainer import sft as sft_stage
    from trainer.export import export_adapter_gguf

    train = settings.train
    sft_steps = options.max_steps
    dpo_steps = max(1, options.max_steps // 2) if options.max_steps else None
    stages = _StageRunner(
        run, budget, stop, report, base_dir=base.hf_dir, train=train, backend=options.backend
    )

    # 3. SFT ----------------------------------------------------------------------------
    detail = f"{len(train_rows)} conversations" + (
        f", continuing {picked.continued}" if picked.continued else ""
    )
    sft = stages.run(
        "sft",
        detail,
        sft_stage.run_sft,
        train_rows,
        deadline=lambda: budget.training_deadline("sft", dpo_follows=bool(pairs.rows)),
        max_steps=sft_steps,
        adapter_dir=picked.peft_dir,
    )
    adapter_dir = sft.adapter_dir

    # 4. DPO ----------------------------------------------------------------------------
    dpo_deadline = budget.training_deadline("dpo", dpo_follows=False)
    # loading the adapter again and one DPO step (policy + reference) take about two SFT steps
    if pairs.rows and not budget.has_time(dpo_deadline, need=2 * budget.longest_step("sft")):
        reporter.note("time budget: no time left for DPO; the SFT adapter goes to the eval gate")
        budget.notes.append("DPO skipped: no time left")
        report["budget"] = budget.summary()
        state.write_run(run.dir, budget=report["budget"])
    elif pairs.rows:
        dpo = stages.run(
            "dpo",
            f"{len(pairs.rows)} preference pairs",
            dpo_stage.run_dpo,
            [{k: r[k] for k in ("prompt", "chosen", "rejected")} for r in pairs.rows],
            deadline=lambda: dpo_deadline,
            max_steps=dpo_steps,
            sft_adapter_dir=sft.adapter_dir,
        )
        adapter_dir = dpo.adapter_dir
    else:
        reporter.note("no DPO pairs (no swappable facts): publishing the SFT adapter")

    # 5. export -------------------------------------------------------------------------
    stop.check("export")
    with run.step("export") as summary:
        exported = export_adapter_gguf(adapter_dir, base.hf_dir, run.dir / "adapter.gguf")
        summary["text"] = f"{exported.modules} LoRA modules, {exported.path.stat().st_size / 1e6:.1f} MB"
    stop.check("export")

    # 6. gate ---------------------------------------------------------------------------
    active = registry.active()
    active_lora = (
        active.adapter.gguf
        if active.adapter is not None and active.base is not None and active.base.name == base.base.name
        else None
    )
    gate_items = min(len(filtered.eval), gate_config.max_items)
    with run.step("gate", f"{gate_items} held-out questions") as summary:
        decision = run_gate(
            [EvalItem.from_example(e) for e in filtered.eval],
            base_gguf=base.base.gguf,
            candidate=exported.path,
            active=active_lora,
            llm=settings.llm,
            config=gate_config,
            progress=lambda d, t, label: reporter.progress("gate", d, t),
            should_stop=stop,
        )
        summary["text"] = decision.reason
    stop.check("gate")
    report["eval"] = decision.to_json()
    (run.dir / "eval_report.json").write_text(json.dumps(decision.to_json(), indent=2), encoding="utf-8")

    # 7. publish ------------------------------------------------------------------------
    if not decision.publish:
        run.durations["publish"] = 0.0
        report["durations"] = dict(run.durations)
        return TrainOutcome(
            "refused",
            f"the new adapter was not published: {decision.reason}",
            0,
            run_dir=run.dir,
            report=report,
        )
    stop.check("publish")
    with run.step("publish") as summary:
        report["durations"] = dict(run.durations)
        manifest = _manifest(base, decision, report, sft.backend, options, train)
        still_active = registry.active().base
        activate = still_active is not None and still_active.name == base.base.name
        published = registry.add_adapter(exported.path, manifest, activate=activate)
        summary["text"] = f"{published.version}" + (
            " is now active" if activate else " (base changed: not activated)"
        )
        incremental.keep_trained(
            state.train_dir(settings),
            published.version,
            adapter_dir,
            picked.entries,
            base=base.base.name,
            hf_dir=base.hf_dir,
            lora_r=train.lora_r,
            lora_alpha=train.lora_alpha,
        )
    return TrainOutcome(
        "published",
        decision.reason,
        0,
        version=published.version,
        run_dir=run.dir,
        report=report,
    )


class _StageRunner:
    """Runs a training stage (``trainer.sft.run_sft``, ``trainer.dpo.run_dpo``) as a step of
    this run: its progress goes to the reporter, the run's stop flag and the time budget
    can end it at an optimizer step, a stop request then ends the run, and its loss curve
    and any budget cut go into the report."""

    def __init__(self, run: _Run, budget: Budget, stop: _Stop, report: dict[str, Any], **common: Any) -> None:
        self._run, self.budget, self.stop, self.report = run, budget, stop, report
        self.common = common  # base_dir, train, backend: the same for every stage

    def run(
        self,
        name: str,
        detail: str,
        fit: Callable[..., StageResult],
        rows: list[dict[str, Any]],
        *,
        deadline: Callable[[], float | None],
        **options: Any,
    ) -> StageResult:
        """Train ``name`` on ``rows``; ``deadline`` runs inside the step (the budget may
        already be spent: that is this step's outcome)."""
        from datasets import Dataset

        run, budget, reporter = self._run, self.budget, self._run.reporter
        with run.step(name, detail) as summary:
            end = deadline()
            result = fit(
                Dataset.from_list(rows),
                out_dir=run.dir / name,
                progress=lambda p: reporter.progress(name, p.step, p.total, p.loss),
                should_stop=self.stop,
                callbacks=[budget.callback(name, end)] if budget.limited else [],
                **self.common,
                **options,
            )
            self.stop.check(name)
            summary["text"] = _loss_text(result.steps, result.losses, result.backend)
        _budget_note(run, budget, name, self.report)
        self.report.setdefault("losses", {})[name] = result.losses
        return result


def _pick_examples(
    run: _Run,
    options: TrainOptions,
    journal: Journal,
    registry: ModelRegistry,
    base: TrainBase | None,
    filtered: FilterResult,
    today: dt.date,
) -> incremental.Selection:
    """All filtered examples, or — a nightly run continuing the active adapter — the new
    ones plus a replay sample (``trainer.incremental``)."""
    entries = {s.rel: s.digest for s in journal.entries() if not s.private}
    wanted = options.incremental if options.incremental is not None else options.nightly
    prev = None
    if wanted and base is not None and not options.dry_run:
        active = registry.active()
        if active.adapter is not None and active.base is not None and active.base.name == base.base.name:
            train = run.settings.train
            prev = incremental.previous(
                state.train_dir(run.settings),
                active.adapter.version,
                base=base.base.name,
                hf_dir=base.hf_dir,
                lora_r=train.lora_r,
                lora_alpha=train.lora_alpha,
            )
            if prev is None:
                run.reporter.note(
                    f"{active.adapter.version} has no kept training weights for this base and LoRA "
                    "shape: training from scratch on every example"
                )
    sel = incremental.select(filtered.train, prev, entries, salt=f"{today.isoformat()}|{run.dir.name}")
    return sel


def _budget_note(run: _Run, budget: Budget, phase: str, report: dict[str, Any]) -> None:
    """Say (and record in the report and run.json) when the budget stopped ``phase``."""
    if not budget.limited:
        return
    line = budget.note_phase(phase)
    if line:
        run.reporter.note(line)
    report["budget"] = budget.summary()
    state.write_run(run.dir, budget=report["budget"])


def _manifest(
    base: TrainBase,
    decision: GateDecision,
    report: dict[str, Any],
    backend: str,
    options: TrainOptions,
    train: Any,
) -> dict[str, Any]:
    return {
        "base": base.base.name,
        "created": state.now_iso(),
        "source": "journal-me train",
        "metrics": decision.metrics(),
        "trainer": {
            "backend": backend,
            "hf_dir": str(base.hf_dir),
            "lora_r": train.lora_r,
            "lora_alpha": train.lora_alpha,
            "learning_rate": train.learning_rate,
            "epochs": train.epochs,
            "dpo_beta": train.dpo_beta,
            "dpo_learning_rate": train.dpo_learning_rate,
            "batch_size": train.batch_size,
            "max_length": train.max_length,
            "max_steps": options.max_steps,
        },
        "report": report,
    }


def _token_counter(hf_dir: Path) -> Any:
    """Exact prompt+answer length with the base's own tokenizer and chat template."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(hf_dir))

    def count(messages: Any) -> int:
        encoded: Any = tokenizer.apply_chat_template(list(messages), tokenize=True)
        if hasattr(encoded, "keys"):  # transformers 5 may return a BatchEncoding
            encoded = encoded["input_ids"]
        return len(encoded)

    return count


def _dropped_rows(filtered: FilterResult) -> Iterator[dict[str, Any]]:
    """What the filter dropped and why — without the text of anything dropped as private."""
    for why, e in filtered.dropped:
        row: dict[str, Any] = {"reason": why, "id": e.id, "kind": e.kind, "sources": list(e.sources)}
        if why != "private":
            row.update(question=e.question, answer=e.answer)
        yield row


def _counts_text(total: int, counts: dict[str, int]) -> str:
    return f"{total} examples (" + ", ".join(f"{k} {v}" for k, v in counts.items()) + ")"


def _loss_text(steps: int, losses: list[float], backend: str) -> str:
    if not losses:
        return f"{steps} steps ({backend})"
    return f"{steps} steps ({backend}), loss {losses[0]:.3f} → {losses[-1]:.3f}"
