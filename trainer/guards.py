"""What a nightly run checks before it starts: one run at a time, and a machine fit to train.

- **Lock** (``fcntl.flock`` on a file in the vault's data dir): a timer firing while a
  manual run is going, or two timers, must not train twice. The kernel drops a flock when
  its process dies — even by ``kill -9`` — so a crashed run never leaves a stale lock; the
  file only carries who holds it, for the "already running" message.
- **GPU / free VRAM**: training a real model on the CPU takes hours; the nightly job skips
  instead (unless the user allows it). An NVIDIA GPU that PyTorch cannot use (CPU-only
  torch) is reported as such, with the fix.
- **Battery**: a laptop on battery is not a place for an hour of GPU training.

Each check is a plain function, so tests (and odd platforms) can replace it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from journal_me.fsutil import FileLock


class TrainLock:
    """A non-blocking exclusive lock held for the whole run (a :class:`FileLock`)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = FileLock(path)

    def acquire(self) -> bool:
        """Take the lock, or return False at once if another run holds it."""
        if not self._lock.acquire(blocking=False):
            return False
        handle = self._lock.handle
        assert handle is not None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        handle.flush()
        return True

    def holder(self) -> str:
        """Who holds it, as written by the holder ("pid 123 since …")."""
        try:
            return self.path.read_text(encoding="utf-8").strip() or "another process"
        except OSError:
            return "another process"

    def release(self) -> None:
        handle = self._lock.handle
        if handle is None:
            return
        with contextlib.suppress(OSError):
            handle.seek(0)
            handle.truncate()
        self._lock.release()

    def __enter__(self) -> TrainLock:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()


# --------------------------------------------------------------------------- GPU


@dataclass(frozen=True)
class GpuStatus:
    usable: bool  # PyTorch can train on an NVIDIA GPU
    name: str = ""
    free_gb: float | None = None
    total_gb: float | None = None
    detail: str = ""  # why not usable, in words the user can act on


def _nvidia_smi() -> tuple[str, float] | None:
    """(name, free GiB) of the first GPU nvidia-smi lists, or None."""
    exe = shutil.which("nvidia-smi")
    if exe is None:
        return None
    try:
        out = subprocess.run(
            [exe, "--query-gpu=name,memory.free", "--format=csv,noheader,nounits"],
            capture_output=True,
            text=True,
            timeout=15,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    line = out.strip().splitlines()[0] if out.strip() else ""
    name, _sep, free = line.rpartition(",")
    try:
        return name.strip(), float(free) / 1024
    except ValueError:
        return None


def gpu_status() -> GpuStatus:
    """Whether training can use an NVIDIA GPU, and how much memory is free on it."""
    try:
        import torch
    except ImportError:
        return GpuStatus(False, detail="PyTorch is not installed: pip install 'journal-me[train]'")
    if torch.cuda.is_available():
        try:
            free, total = torch.cuda.mem_get_info()
            name = torch.cuda.get_device_name(0)
        except RuntimeError as exc:
            return GpuStatus(False, detail=f"the NVIDIA GPU is not usable: {exc}")
        return GpuStatus(True, name=name, free_gb=free / 2**30, total_gb=total / 2**30)
    smi = _nvidia_smi()
    if smi is not None:
        return GpuStatus(
            False,
            name=smi[0],
            free_gb=smi[1],
            detail=(
                f"an NVIDIA GPU ({smi[0]}) is present but this PyTorch has no CUDA support — "
                "install the CUDA build of torch and the gpu extra: pip install 'journal-me[train,gpu]'"
            ),
        )
    return GpuStatus(False, detail="no NVIDIA GPU found")


# --------------------------------------------------------------------------- power


def on_battery(power_supply: Path = Path("/sys/class/power_supply")) -> bool:
    """True when running on battery power (Linux sysfs, macOS ``pmset``); False when on
    mains power or when it cannot be told (desktops have no battery at all)."""
    if sys.platform == "darwin":
        try:
            out = subprocess.run(
                ["pmset", "-g", "batt"], capture_output=True, text=True, timeout=10, check=False
            ).stdout
        except (OSError, subprocess.SubprocessError):
            return False
        return "'Battery Power'" in out
    if not power_supply.is_dir():
        return False
    mains_online = False
    discharging = False
    for supply in power_supply.iterdir():
        kind = _read(supply / "type")
        if kind == "Mains" and _read(supply / "online") == "1":
            mains_online = True
        elif kind == "Battery" and _read(supply / "status") == "Discharging":
            discharging = True
    return discharging and not mains_online


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError:
        return ""
