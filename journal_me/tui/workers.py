"""Thread workers report failures in one place: a notification naming the worker and the
error, never a crash (workers run with ``exit_on_error=False``).

``Worker.StateChanged`` does not bubble, so every node that starts workers mixes this in."""

from __future__ import annotations

from textual.dom import DOMNode
from textual.worker import Worker, WorkerState


def report_worker_error(node: DOMNode, worker: Worker[object]) -> None:
    error = worker.error
    if error is None:
        return
    node.app.notify(
        f"{worker.name or 'background task'}: {type(error).__name__}: {error}",
        title="Something failed",
        severity="error",
        timeout=15,
        markup=False,
    )


class ReportsWorkerErrors:
    """Mixin for widgets, screens and the app that run workers."""

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR and isinstance(self, DOMNode):
            report_worker_error(self, event.worker)
