"""The training loss curve (textual-plotext): SFT then DPO, one line each, laid end to end.

Two uses: a finished version's curves (``show``, from its manifest's ``report.losses``) and a
run in progress (``start_live`` then ``add_point`` per optimizer step). Live points can
arrive many times a second; the plot redraws at most every ``redraw_interval`` seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from textual.color import Color
from textual.timer import Timer
from textual_plotext import PlotextPlot

Point = tuple[float, float]
STAGE_COLORS = (("sft", "primary"), ("dpo", "accent"))


def curves_from_losses(losses: Mapping[str, Sequence[float]]) -> dict[str, list[Point]]:
    """``{"sft": [loss, …], "dpo": […]}`` (a manifest's report) as points: x counts logged
    steps, DPO continuing where SFT ends. Non-numbers are skipped."""
    curves: dict[str, list[Point]] = {}
    offset = 0.0
    for stage in ordered_stages(losses):
        values = [float(v) for v in losses[stage] if isinstance(v, int | float) and not isinstance(v, bool)]
        curves[stage] = [(offset + i + 1, v) for i, v in enumerate(values)]
        if values:
            offset += len(values)
    return curves


def ordered_stages(stages: Iterable[str]) -> list[str]:
    known = [name for name, _ in STAGE_COLORS]
    names = list(stages)
    return [s for s in known if s in names] + sorted(s for s in names if s not in known)


class LossPlot(PlotextPlot):
    """Loss per optimizer step; ``curves`` holds what is (or is about to be) drawn."""

    redraw_interval: float = 0.25

    def __init__(self, *, name: str | None = None, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.plot_title = "loss"
        self.curves: dict[str, list[Point]] = {}
        self.empty_text = "no loss curve yet"
        self.redraws = 0  # how often the figure was rebuilt (tests check the throttle)
        self._offsets: dict[str, float] = {}
        self._pending: Timer | None = None

    # -- what to show ----------------------------------------------------------------------
    def show(self, title: str, losses: Mapping[str, Sequence[float]], empty_text: str = "") -> None:
        """A finished run's curves (all at once)."""
        self._cancel_pending()
        self.plot_title = title
        self.empty_text = empty_text or "no loss recorded"
        self.curves = curves_from_losses(losses)
        self._offsets = {}
        self._draw()

    def start_live(self, title: str) -> None:
        self._cancel_pending()
        self.plot_title = title
        self.empty_text = "no steps yet"
        self.curves = {}
        self._offsets = {}
        self._draw()

    def add_point(self, stage: str, step: float, loss: float) -> None:
        """One optimizer step of a live run; a stage starts where the previous one ended."""
        if stage not in self.curves:
            ends = [points[-1][0] for points in self.curves.values() if points]
            self._offsets[stage] = max(ends, default=0.0)
            self.curves[stage] = []
        self.curves[stage].append((self._offsets.get(stage, 0.0) + step, loss))
        if self._pending is None:
            self._pending = self.set_timer(self.redraw_interval, self._flush)

    @property
    def point_count(self) -> int:
        return sum(len(points) for points in self.curves.values())

    def flush(self) -> None:
        """Draw now what has arrived (the end of a run)."""
        self._cancel_pending()
        self._draw()

    # -- drawing ---------------------------------------------------------------------------
    def _flush(self) -> None:
        self._pending = None
        self._draw()

    def _cancel_pending(self) -> None:
        if self._pending is not None:
            self._pending.stop()
            self._pending = None

    def on_resize(self) -> None:
        self._draw()

    def _draw(self) -> None:
        if not self.is_mounted:
            return
        self.redraws += 1
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        drawn = False
        variables = self.app.theme_variables
        colors = dict(STAGE_COLORS)
        for stage in ordered_stages(self.curves):
            points = self.curves[stage]
            if not points:
                continue
            color = Color.parse(variables.get(colors.get(stage, "warning"), "#888888")).rgb
            xs = [x for x, _ in points]
            ys = [y for _, y in points]
            # DPO's loss (~0.7 and falling) is on another scale than SFT's: its own axis
            side = "right" if drawn and stage != "sft" else "left"
            if len(points) == 1:
                plt.scatter(xs, ys, color=color, label=stage, marker="dot", yside=side)
            else:
                plt.plot(xs, ys, color=color, label=stage, marker="braille", yside=side)
            drawn = True
        if drawn:
            plt.title(self.plot_title)
            plt.xlabel("step")
        else:
            plt.title(f"{self.plot_title}: {self.empty_text}")
        self.refresh()
