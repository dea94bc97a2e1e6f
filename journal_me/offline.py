"""No network at run time: the hub libraries' offline and no-telemetry switches.

journal-me talks to the network in exactly one place, ``journal-me model pull``. Every other
command (``train`` and ``doctor --smoke`` included) must not open a socket — yet TRL's
trainers start the hub library's telemetry thread (library versions, model architecture,
GPU name; a DNS lookup of the hub at the very least), transformers/datasets look up the hub
for files they already have, and wandb/other trackers phone home when installed.

:func:`enforce_offline` sets the switches those libraries read. Most of them are read once,
at import time, so it must run before they are imported: ``cli.main`` calls it first thing
for every command except ``model pull``, and the trainer's own entry points call it too.
Where a library is already imported, its cached constants are patched as well.

Offline and telemetry switches are forced (a user's ``HF_HUB_OFFLINE=0`` does not turn the
network back on: ``model pull`` is the way to fetch). Only tracker choices that are not
network related (none at present) would use ``setdefault``.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping

#: Set to these values whatever the environment says.
FORCED: dict[str, str] = {
    # huggingface_hub: no network at all, no telemetry thread, no token sent implicitly
    "HF_HUB_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_DISABLE_IMPLICIT_TOKEN": "1",
    "HF_HUB_DISABLE_UPDATE_CHECK": "1",  # the hub CLI's PyPI/skill update checks
    "DISABLE_TELEMETRY": "1",  # read by huggingface_hub next to the two below
    # transformers / datasets / evaluate: local files only
    "TRANSFORMERS_OFFLINE": "1",
    "HF_DATASETS_OFFLINE": "1",
    "HF_EVALUATE_OFFLINE": "1",
    # the cross-tool "do not track" convention (huggingface_hub, vLLM, gradio, …). TRL's
    # trainers call huggingface_hub's send_telemetry, which honours the switches above.
    "DO_NOT_TRACK": "1",
    # experiment trackers the HF Trainer auto-enables when installed (report_to="all")
    "WANDB_DISABLED": "true",
    "WANDB_MODE": "disabled",
    "WANDB_SILENT": "true",
    "DISABLE_MLFLOW_INTEGRATION": "TRUE",
    "COMET_MODE": "disabled",
    "CLEARML_OFF": "1",
    # unsloth's usage statistics (a hub request on model load)
    "UNSLOTH_DISABLE_STATISTICS": "1",
    # gradio-based tools (trackio's dashboard and the like)
    "GRADIO_ANALYTICS_ENABLED": "False",
}

#: Module attribute → value, for libraries imported before :func:`enforce_offline` ran.
_PATCHES: dict[str, dict[str, object]] = {
    "huggingface_hub.constants": {
        "HF_HUB_OFFLINE": True,
        "HF_HUB_DISABLE_TELEMETRY": True,
        "HF_HUB_DISABLE_IMPLICIT_TOKEN": True,
    },
    "datasets.config": {"HF_HUB_OFFLINE": True, "HF_DATASETS_OFFLINE": True},
}


def enforce_offline(environ: MutableMapping[str, str] | None = None) -> None:
    """Turn off every network path the ML libraries take on their own. Idempotent."""
    env = os.environ if environ is None else environ
    env.update(FORCED)
    if environ is None:
        _patch_imported()


def _patch_imported() -> None:
    for module_name, values in _PATCHES.items():
        module = sys.modules.get(module_name)
        if module is None:
            continue
        for attr, value in values.items():
            if hasattr(module, attr):
                setattr(module, attr, value)


def is_offline(environ: MutableMapping[str, str] | None = None) -> bool:
    """Whether :func:`enforce_offline` is in effect (for ``doctor`` and tests)."""
    env = os.environ if environ is None else environ
    return all(env.get(k) == v for k, v in FORCED.items())
