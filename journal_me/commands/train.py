"""``journal-me train`` and ``journal-me schedule``: the nightly fine-tune, by hand or by timer.

Importing this module stays cheap (the CLI imports every command module to build its
parser): torch, TRL and llama.cpp are imported only when a command runs. It also adds the
trainer's check to ``journal-me doctor`` (``--smoke`` runs real training steps).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:  # rich.progress loads when a run reports (`doctor` imports this module)
    from rich.progress import TaskID

from journal_me.config import Settings
from journal_me.termsafe import clean


def _console(stderr: bool = False) -> Console:
    return Console(stderr=stderr, highlight=False, soft_wrap=True)


# --------------------------------------------------------------------------- reporters


class _RichReporter:
    """Step lines with timings, a live bar (with the loss) while a step runs."""

    def __init__(self, console: Console) -> None:
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.console = console
        self.bar = Progress(
            TextColumn("[progress.description]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[loss]}"),
            TimeElapsedColumn(),
            console=console,
            transient=True,
            disable=not console.is_terminal,
        )
        self.tasks: dict[str, TaskID] = {}

    def __enter__(self) -> _RichReporter:
        self.bar.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.bar.stop()

    def step(self, name: str, detail: str = "") -> None:
        self.tasks[name] = self.bar.add_task(f"{name} {detail}".strip(), total=None, loss="")

    def progress(self, name: str, done: int, total: int, loss: float | None = None) -> None:
        task = self.tasks.get(name)
        if task is not None:
            self.bar.update(
                task, completed=done, total=total or None, loss=f"loss {loss:.3f}" if loss else ""
            )

    def done(self, name: str, seconds: float, summary: str) -> None:
        task = self.tasks.pop(name, None)
        if task is not None:
            self.bar.remove_task(task)
        line = Text("✓ ", style="green")
        line.append(f"{name:<10}", style="bold")
        line.append(f"{seconds:6.1f}s  ")
        line.append(clean(summary))
        self.console.print(line)

    def note(self, text: str) -> None:
        self.console.print(Text(clean(f"· {text}"), style="yellow"))


class _JsonReporter:
    """One JSON object per line on stdout, for the TUI running the job as a subprocess."""

    def emit(self, **event: Any) -> None:
        print(json.dumps(event, ensure_ascii=False), flush=True)

    def __enter__(self) -> _JsonReporter:
        return self

    def __exit__(self, *_exc: object) -> None:
        pass

    def step(self, name: str, detail: str = "") -> None:
        self.emit(event="step", name=name, detail=detail)

    def progress(self, name: str, done: int, total: int, loss: float | None = None) -> None:
        self.emit(event="progress", name=name, done=done, total=total, loss=loss)

    def done(self, name: str, seconds: float, summary: str) -> None:
        self.emit(event="done", name=name, seconds=round(seconds, 2), summary=summary)

    def note(self, text: str) -> None:
        self.emit(event="note", text=text)


# --------------------------------------------------------------------------- train


def cmd_train(args: argparse.Namespace, settings: Settings) -> int:
    if importlib.util.find_spec("trl") is None:
        print(
            "journal-me: the training extra is not installed: pip install 'journal-me[train]'",
            file=sys.stderr,
        )
        return 1
    err = _console(stderr=True)
    if not args.dry_run:  # a dry run trains nothing: it may go on without a base model
        refused = _preflight(args, settings, err)
        if refused is not None:
            return refused
    from trainer.nightly import TrainOptions, run_training

    options = TrainOptions(
        nightly=args.nightly,
        allow_cpu=args.allow_cpu,
        dry_run=args.dry_run,
        max_steps=args.max_steps,
        synth=args.synth,
        backend=args.backend,
    )
    ui: _JsonReporter | _RichReporter = _JsonReporter() if args.json_progress else _RichReporter(err)
    with ui:
        outcome = run_training(settings, options, ui)
    if isinstance(ui, _JsonReporter):
        ui.emit(
            event="outcome",
            status=outcome.status,
            reason=outcome.reason,
            version=outcome.version,
            step=outcome.step,
            hint=outcome.hint,
            run_dir=str(outcome.run_dir) if outcome.run_dir else None,
        )
        return outcome.exit_code
    if outcome.status == "failed":
        where = f" at {outcome.step}" if outcome.step else ""
        err.print(Text(clean(f"journal-me: training failed{where}: {outcome.reason}"), style="bold red"))
        if outcome.hint:
            err.print(Text(clean(f"  what to do: {outcome.hint}")))
        if outcome.run_dir:
            err.print(Text(clean(f"  run directory: {outcome.run_dir}"), style="dim"))
        return outcome.exit_code
    print(clean(outcome.line()))
    return outcome.exit_code


PREFLIGHT_EXIT = 2


def _preflight(args: argparse.Namespace, settings: Settings, err: Console) -> int | None:
    """Check, in seconds, that the run can finish (trainer.preflight) before any synthesis.

    Returns the exit code when the run is refused (2; a ``--nightly`` timer skips with 0 and
    records why), None to go on. A busy lock alone is left to the run itself, which reports
    "already running" as it always has.
    """
    from trainer.preflight import failures, preflight

    checks = preflight(settings)
    bad = [c for c in failures(checks) if c.name != "lock" or len(failures(checks)) > 1]
    if args.json_progress:
        _JsonReporter().emit(event="preflight", ok=not bad, checks=[c.to_json() for c in checks])
    if not bad:
        if not args.json_progress:
            ok = sum(c.ok for c in checks)
            err.print(Text(f"preflight: {ok} of {len(checks)} checks passed", style="dim"))
        return None
    reason = "; ".join(f"{c.name}: {c.detail}" for c in bad)
    hint = "; ".join(dict.fromkeys(c.fix for c in bad if c.fix))
    if args.nightly:
        from trainer.state import now_iso, read_state, write_state

        st = read_state(settings)
        st["last_check"] = {"time": now_iso(), "status": "skipped", "reason": f"preflight: {reason}"}
        write_state(settings, st)
        line = f"skipped: preflight: {reason} — {hint}"
        if args.json_progress:
            _JsonReporter().emit(event="outcome", status="skipped", reason=line, step="preflight")
        else:
            print(clean(line))
        return 0
    if args.json_progress:
        _JsonReporter().emit(
            event="outcome", status="failed", reason=reason, step="preflight", hint=hint, run_dir=None
        )
        return PREFLIGHT_EXIT
    err.print(Text("journal-me: training refused — the preflight found:", style="bold red"))
    for check in bad:
        err.print(Text(clean(f"  ✗ {check.name}: {check.detail}")))
        if check.fix:
            err.print(Text(clean(f"    what to do: {check.fix}")))
    err.print(Text("nothing was synthesised or trained; `journal-me doctor` shows all checks", style="dim"))
    return PREFLIGHT_EXIT


# --------------------------------------------------------------------------- schedule


def _scheduler(args: argparse.Namespace) -> Any:
    """The nightly training's scheduler, or with ``--remind`` the hourly reminders' one."""
    if getattr(args, "remind", False):
        from trainer.schedule_remind import RemindScheduler

        return RemindScheduler(args.backend)
    from trainer.schedule import Scheduler

    return Scheduler(args.backend)


def _spec(args: argparse.Namespace, settings: Settings) -> Any:
    import datetime as dt

    from trainer.schedule import ScheduleSpec, default_command, parse_at

    env = {k: os.environ[k] for k in ("JOURNAL_ME_DATA_DIR",) if os.environ.get(k)}
    if getattr(args, "remind", False):
        from trainer.schedule_remind import remind_command

        return ScheduleSpec(
            command=remind_command(settings.vault, settings.config_file),
            at=dt.time(0, 0),
            env=env,
            log_file=settings.vault_data_dir / "remind.log",
        )
    return ScheduleSpec(
        command=default_command(settings.vault, settings.config_file),
        at=parse_at(args.at),
        env=env,
        log_file=settings.vault_data_dir / "train" / "nightly.log",
    )


def _schedule_error(exc: Exception) -> int:
    print(f"journal-me: {clean(str(exc))}", file=sys.stderr)
    return 1


def cmd_schedule_install(args: argparse.Namespace, settings: Settings) -> int:
    """``schedule install``: the nightly training timer; ``--remind``: the hourly reminders."""
    from trainer.schedule import ScheduleError

    remind = getattr(args, "remind", False)
    try:
        scheduler = _scheduler(args)
        spec = _spec(args, settings)
        if args.dry_run:
            plan = scheduler.plan_install(spec)
            if remind:
                print(f"would install an hourly {scheduler.backend} reminders timer:")
            else:
                print(f"would install a {scheduler.backend} schedule at {spec.at:%H:%M}:")
            for path, text in plan.files.items():
                print(f"\n--- {path}\n{text.rstrip()}")
            if plan.crontab is not None:
                lines = scheduler.job.cron_lines
                print(f"\n--- crontab (replacing any {lines} lines)\n{plan.crontab.rstrip()}")
            for cmd in plan.commands:
                print("then: " + " ".join(cmd))
            return 0
        for line in scheduler.install(spec):
            print(line)
    except ScheduleError as exc:
        return _schedule_error(exc)
    if remind:
        print(f"reminders scheduled every hour ({scheduler.backend}): `journal-me remind --notify`")
        return 0
    print(f"nightly training scheduled at {spec.at:%H:%M} ({scheduler.backend})")
    if scheduler.backend == "systemd":
        print("note: user timers run while you are logged in; `loginctl enable-linger` runs them always")
    return 0


def cmd_schedule_status(args: argparse.Namespace, settings: Settings) -> int:
    from trainer.schedule import ScheduleError
    from trainer.state import read_state

    try:
        status = _scheduler(args).status()
    except ScheduleError as exc:
        return _schedule_error(exc)
    detail = f" ({status.detail})" if status.detail else ""
    if getattr(args, "remind", False):
        if status.installed:
            print(f"reminders: {status.backend}, every hour{detail}")
            print(f"next run:  {status.next_run or 'within the hour'}")
        else:
            print(f"reminders: not installed ({status.backend}) — `journal-me schedule install --remind`")
        if status.last_trigger:
            print(f"timer last fired: {status.last_trigger}")
        return 0
    if status.installed:
        print(f"schedule:  {status.backend}, daily at {status.at or '?'}{detail}")
        print(f"next run:  {status.next_run or 'unknown'}")
    else:
        print(f"schedule:  not installed ({status.backend}) — `journal-me schedule install`")
    st = read_state(settings)
    last = st.get("last_run")
    if isinstance(last, dict):
        when = str(last.get("finished") or last.get("started") or "?")[:16].replace("T", " ")
        version = f" {last['version']}" if last.get("version") else ""
        print(f"last run:  {when} — {last.get('status')}{version}: {last.get('reason', '')}")
    else:
        print("last run:  never")
    check = st.get("last_check")
    last_finished = str(last.get("finished", "")) if isinstance(last, dict) else ""
    if isinstance(check, dict) and str(check.get("time", "")) > last_finished:
        when = str(check.get("time", "?"))[:16].replace("T", " ")
        print(f"last skip: {when} — {check.get('reason', '')}")
    if status.last_trigger:
        print(f"timer last fired: {status.last_trigger}")
    return 0


def cmd_schedule_remove(args: argparse.Namespace, settings: Settings) -> int:
    from trainer.schedule import NOTHING_INSTALLED, ScheduleError

    try:
        actions = _scheduler(args).remove(dry_run=args.dry_run)
    except ScheduleError as exc:
        return _schedule_error(exc)
    for line in actions:
        print("would " + line if args.dry_run and line != NOTHING_INSTALLED else line)
    return 0


# --------------------------------------------------------------------------- doctor


def doctor_trainer(args: argparse.Namespace, settings: Settings, out: Console) -> bool:
    """``journal-me doctor``: what training can use here; with ``--smoke``, prove it."""
    missing = [m for m in ("torch", "trl", "peft", "datasets") if importlib.util.find_spec(m) is None]
    if missing:
        out.print(
            Text(f"training:   not installed ({', '.join(missing)} missing): pip install 'journal-me[train]'")
        )
        return not getattr(args, "smoke", False)
    unsloth = "unsloth installed" if importlib.util.find_spec("unsloth") else "no unsloth (gpu extra)"
    out.print(Text(f"training:   TRL + PEFT installed; {unsloth}"))
    from trainer.state import read_state

    last = read_state(settings).get("last_run")
    if isinstance(last, dict):
        when = str(last.get("finished") or "?")[:16].replace("T", " ")
        out.print(Text(f"last train: {when} — {last.get('status')}: {last.get('reason', '')}"))
    ready = _doctor_preflight(settings, out)
    if not getattr(args, "smoke", False):
        return ready
    from trainer.smoke import SmokeStep, run_smoke

    out.print(Text("smoke test: trainer path (tiny model, real SFT + DPO steps, llama.cpp)"))

    def show(step: SmokeStep) -> None:
        # the same line format as the chat smoke test (journal_me.commands.talk)
        mark = Text("  ok  ", style="green") if step.ok else Text("  FAIL", style="bold red")
        out.print(mark + Text(f" {step.name} ({step.seconds:.2f}s) {step.detail}"))

    steps = run_smoke(report=show)
    return ready and bool(steps) and all(s.ok for s in steps)


def _doctor_preflight(settings: Settings, out: Console) -> bool:
    """The checks `journal-me train` runs first. No base model yet is not a fault (chat runs
    memory-only and training is optional); a base that could not be trained is."""
    from trainer.preflight import NO_BASE, preflight

    checks = preflight(settings)
    if checks[0].name == "base" and checks[0].detail == NO_BASE:
        out.print(Text(clean(f"preflight:  no base model to train yet — {checks[0].fix}")))
        return True
    out.print(Text("preflight:  what `journal-me train` checks first"))
    ready = True
    for check in checks:
        mark = Text("  ok  ", style="green") if check.ok else Text("  FAIL", style="bold red")
        fix = f" — {check.fix}" if not check.ok and check.fix else ""
        out.print(mark + Text(clean(f" {check.name}: {check.detail}{fix}")))
        ready = ready and (check.ok or check.name == "lock")  # a run going is not a fault
    return ready


doctor_check = doctor_trainer  # found by `journal-me doctor` (commands.journal.doctor_checks)


# --------------------------------------------------------------------------- parser


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "train",
        help="fine-tune your second me on the journal (synthesis → SFT → DPO → eval gate → publish)",
    )
    p.add_argument(
        "--nightly", action="store_true", help="timer mode: skip (exit 0) unless it makes sense to train"
    )
    p.add_argument(
        "--allow-cpu", action="store_true", help="train without an NVIDIA GPU (slow for real models)"
    )
    p.add_argument("--dry-run", action="store_true", help="build and filter the datasets only; no training")
    p.add_argument("--max-steps", type=int, default=None, help="cap optimizer steps (a quick trial run)")
    p.add_argument(
        "--synth",
        choices=["auto", "model", "templates"],
        default="auto",
        help="who writes the questions: the local model, templates, or auto (the model when a GPU trains)",
    )
    p.add_argument("--backend", choices=["unsloth", "peft"], default=None, help="force a training backend")
    p.add_argument("--json-progress", action="store_true", help="progress as JSON lines on stdout")
    p.set_defaults(handler=cmd_train)

    s = sub.add_parser("schedule", help="run `train --nightly` every night (systemd timer, cron or launchd)")
    actions = s.add_subparsers(dest="schedule_command", metavar="ACTION", required=True)
    for name, handler, help_text in (
        ("install", cmd_schedule_install, "install the nightly timer"),
        ("status", cmd_schedule_status, "next and last run, and the last outcome"),
        ("remove", cmd_schedule_remove, "remove the nightly timer"),
    ):
        a = actions.add_parser(name, help=help_text)
        a.add_argument(
            "--backend", choices=["systemd", "cron", "launchd"], default=None, help="override detection"
        )
        a.add_argument("--remind", action="store_true", help="the hourly `remind --notify` timer instead")
        if name != "status":
            a.add_argument("--dry-run", action="store_true", help="print what would change")
        if name == "install":
            a.add_argument("--at", default="03:30", help="time of day, HH:MM (default 03:30)")
        a.set_defaults(handler=handler)


__all__ = ["doctor_trainer", "register"]
