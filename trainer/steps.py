"""The steps of a training run, in order: one list for the pipeline, the CLI and the app.

Kept in a module of its own (no imports) so that drawing a progress bar does not load the
retriever, the eval gate or the data synthesis that :mod:`trainer.runtypes` brings in.
"""

from __future__ import annotations

STEPS: tuple[str, ...] = ("synthesis", "filter", "sft", "dpo", "export", "gate", "publish")
