"""The digest's picture: the last 7 days as stacked bars (submitted, skipped, failed) in a PNG.

Drawn with matplotlib's Agg canvas (no GUI, no pyplot state) on one worker thread, so the event
loop keeps serving updates while a chart is drawn; that thread alone uses the one figure.
Made to be read on a phone in either theme: its own neutral light-grey background (never
transparent), near-black text, large type, and the Okabe–Ito colours, which stay apart for
colour-blind eyes; failed bars are hatched as well. Identical weeks (common: many users have
quiet days on the same dates) are drawn once (a small LRU of PNG bytes).
"""

from __future__ import annotations

import asyncio
import functools
import io
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from storage.digests import DayCounts

BACKGROUND = "#E9ECEF"
INK = "#111111"
GRID = "#B8BEC4"
SUBMITTED = "#0072B2"  # blue
SKIPPED = "#E69F00"  # orange
FAILED = "#D55E00"  # vermilion
RATE = "#00795A"  # bluish green, the response-rate line
WIDTH_IN, HEIGHT_IN, DPI = 6.4, 3.8, 135  # 864 × 513 px: sharp on a phone, a few tens of KB

DAYS = 7
_renderer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="digest-chart")
Week = tuple[tuple[str, int, int, int, float | None], ...]  # (label, submitted, skipped, failed, rate)


def _week_key(days: Sequence[DayCounts]) -> Week:
    return tuple(
        (
            day.day.strftime("%a\n%d"),
            day.submitted,
            day.skipped,
            day.failed,
            None if day.responses is None or not day.submitted else day.responses / day.submitted,
        )
        for day in days
    )


class _WeekCanvas:
    """One figure, laid out once; each chart only moves the bars and numbers (several times faster
    than a new figure). Used by the renderer thread alone."""

    def __init__(self) -> None:
        self.figure = figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, facecolor=BACKGROUND)
        FigureCanvasAgg(figure)
        self.axes = axes = figure.add_subplot()
        axes.set_facecolor(BACKGROUND)
        x, zeros = list(range(DAYS)), [0] * DAYS
        self.submitted = axes.bar(x, zeros, color=SUBMITTED, label="submitted", width=0.7)
        self.skipped = axes.bar(x, zeros, color=SKIPPED, label="skipped", width=0.7)
        self.failed = axes.bar(x, zeros, color=FAILED, label="failed", width=0.7, hatch="//", edgecolor=INK,
                               linewidth=0)
        self.totals = [axes.text(i, 0, "", ha="center", va="bottom", fontsize=13, color=INK, fontweight="bold")
                       for i in x]
        axes.set_xticks(x, [""] * DAYS, fontsize=12, color=INK)
        axes.tick_params(axis="y", labelsize=12, colors=INK)
        axes.tick_params(axis="x", length=0)
        axes.yaxis.get_major_locator().set_params(integer=True)
        axes.grid(axis="y", color=GRID, linewidth=0.8)
        axes.set_axisbelow(True)
        for side in ("top", "right", "left"):
            axes.spines[side].set_visible(False)
        axes.spines["bottom"].set_color(INK)
        axes.set_title("Your last 7 days", fontsize=16, color=INK, fontweight="bold", loc="left", pad=30)
        axes.legend(loc="lower left", bbox_to_anchor=(0, 1.0), ncols=3, frameon=False, fontsize=12,
                    labelcolor=INK, handlelength=1.2, borderaxespad=0.2)
        self.rate_axes = rate = axes.twinx()
        (self.rate_line,) = rate.plot(x, zeros, color=RATE, marker="o", linewidth=2.5)
        rate.set_ylim(0, 125)  # 100 % sits below the totals and the legend
        rate.set_yticks([0, 25, 50, 75, 100])
        rate.tick_params(axis="y", labelsize=12, colors=RATE)
        rate.set_ylabel("response %", fontsize=12, color=RATE)
        for side in ("top", "left"):
            rate.spines[side].set_visible(False)

    def draw(self, week: Week) -> bytes:
        for i, (_, submitted, skipped, failed, _) in enumerate(week):
            self.submitted[i].set_height(submitted)
            self.skipped[i].set_y(submitted)
            self.skipped[i].set_height(skipped)
            self.failed[i].set_y(submitted + skipped)
            self.failed[i].set_height(failed)
            total = submitted + skipped + failed
            self.totals[i].set_position((i, total))
            self.totals[i].set_text(str(total) if total else "")
        self.axes.set_xticks(range(DAYS), [day[0] for day in week])
        self.axes.set_ylim(0, max(max(d[1] + d[2] + d[3] for d in week) * 1.25, 4))
        rates = [(i, day[4] * 100) for i, day in enumerate(week) if day[4] is not None]
        self.rate_axes.set_visible(bool(rates))
        self.rate_line.set_data([i for i, _ in rates], [r for _, r in rates])
        self.figure.subplots_adjust(left=0.08, right=0.9 if rates else 0.97, top=0.78, bottom=0.17)
        buffer = io.BytesIO()
        self.figure.savefig(buffer, format="png", facecolor=BACKGROUND)
        return buffer.getvalue()


_canvas: _WeekCanvas | None = None


@functools.lru_cache(maxsize=64)
def _draw(week: Week) -> bytes:
    global _canvas
    if _canvas is None:
        _canvas = _WeekCanvas()
    return _canvas.draw(week)


def draw_week(days: Sequence[DayCounts]) -> bytes:
    """The chart as PNG bytes (blocking: call through `week_chart` from async code)."""
    return _draw(_week_key(days))


async def week_chart(days: Sequence[DayCounts]) -> bytes:
    """The chart drawn on the renderer thread."""
    return await asyncio.get_running_loop().run_in_executor(_renderer, draw_week, list(days))
