"""The digest's picture: the last 7 days as stacked bars (submitted, skipped, failed) in a PNG.

Drawn with matplotlib's Agg canvas (no GUI, no pyplot state) in small child processes
(`ChartRenderer`): drawing holds the GIL, and in a thread it slowed the event loop's own sends to
a crawl during a fan-out (measured with bench/digest.py). About 15-25 ms of CPU a chart (blitting
onto a cached background), so one core keeps up with Telegram's 30 messages a second.
Made to be read on a phone in either theme: its own neutral light-grey background (never
transparent), near-black text, large type, and the Okabe–Ito colours, which stay apart for
colour-blind eyes; failed bars are hatched as well. Identical weeks (common: many users have
quiet days on the same dates) are drawn once (a small LRU of PNG bytes).
"""

from __future__ import annotations

import asyncio
import functools
import io
import json
import sys
from asyncio.subprocess import PIPE
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from storage.digests import DayCounts

BACKGROUND = "#E9ECEF"
INK = "#111111"
GRID = "#B8BEC4"
SUBMITTED = "#0072B2"  # blue
SKIPPED = "#E69F00"  # orange
FAILED = "#D55E00"  # vermilion
RATE = "#00795A"  # bluish green, the response-rate line
WIDTH_IN, HEIGHT_IN, DPI = 6.4, 3.8, 120  # 768 × 456 px: sharp on a phone, a few tens of KB

DAYS = 7
Y_TOPS = (4, 6, 8, 10, 12, 15, 20, 25, 30, 40, 50, 60, 80, 100, 150, 200)
BACKGROUNDS = 6  # about 1.8 MB each; a day's fan-out needs a handful
PROJECT_ROOT = Path(__file__).resolve().parents[1]
Week = tuple[tuple[str, int, int, int, float | None], ...]  # (label, submitted, skipped, failed, rate)


def _week_key(days: Sequence[DayCounts]) -> Week:
    return tuple(
        (
            day.day.strftime("%a\n%d"),
            day.submitted,
            day.skipped,
            day.failed,
            None if day.responses is None or not day.submitted else min(1.0, day.responses / day.submitted),
        )
        for day in days
    )


def _top(total: int) -> int:
    """The y axis' top for a week whose tallest day is `total`: a few fixed steps, so backgrounds repeat."""
    return next((step for step in Y_TOPS if total * 1.2 <= step), max(Y_TOPS[-1], int(total * 1.2) + 1))


class _WeekCanvas:
    """One figure, laid out once. Everything but the bars, their totals and the rate line is drawn
    once per (day labels, y scale, rate shown) and kept as a background; each chart restores it and
    draws just the moving parts (matplotlib's blitting), a few times faster than a full draw.
    One per renderer process."""

    def __init__(self) -> None:
        self.figure = figure = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, facecolor=BACKGROUND)
        self.canvas = FigureCanvasAgg(figure)
        self.axes = axes = figure.add_subplot()
        axes.set_facecolor(BACKGROUND)
        x, zeros = list(range(DAYS)), [0] * DAYS
        self.submitted = axes.bar(x, zeros, color=SUBMITTED, label="submitted", width=0.7)
        self.skipped = axes.bar(x, zeros, color=SKIPPED, label="skipped", width=0.7)
        self.failed = axes.bar(
            x, zeros, color=FAILED, label="failed", width=0.7, hatch="//", edgecolor=INK, linewidth=0
        )
        self.totals = [
            axes.text(i, 0, "", ha="center", va="bottom", fontsize=13, color=INK, fontweight="bold") for i in x
        ]
        axes.set_xticks(x, [""] * DAYS, fontsize=12, color=INK)
        axes.tick_params(axis="y", labelsize=12, colors=INK)
        axes.tick_params(axis="x", length=0)
        # The default AutoLocator is a MaxNLocator, which takes `integer`; matplotlib types the base Locator.
        axes.yaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
        axes.grid(axis="y", color=GRID, linewidth=0.8)
        axes.set_axisbelow(True)
        for side in ("top", "right", "left"):
            axes.spines[side].set_visible(False)
        axes.spines["bottom"].set_color(INK)
        axes.set_title("Your last 7 days", fontsize=16, color=INK, fontweight="bold", loc="left", pad=30)
        axes.legend(
            loc="lower left",
            bbox_to_anchor=(0, 1.0),
            ncols=3,
            frameon=False,
            fontsize=12,
            labelcolor=INK,
            handlelength=1.2,
            borderaxespad=0.2,
        )
        self.rate_axes = rate = axes.twinx()
        (self.rate_line,) = rate.plot(x, zeros, color=RATE, marker="o", linewidth=2.5)
        rate.set_ylim(0, 125)  # 100 % sits below the totals and the legend
        rate.set_yticks([0, 25, 50, 75, 100])
        rate.tick_params(axis="y", labelsize=12, colors=RATE)
        rate.set_ylabel("response %", fontsize=12, color=RATE)
        for side in ("top", "left"):
            rate.spines[side].set_visible(False)
        self.moving = [*self.submitted, *self.skipped, *self.failed, *self.totals]
        for artist in [*self.moving, self.rate_line]:
            artist.set_animated(True)  # left out of the background
        self._backgrounds: OrderedDict[tuple[object, ...], object] = OrderedDict()

    def _background(self, labels: tuple[str, ...], top: int, with_rate: bool) -> object:
        """The still parts for this scale (set on the axes, which the moving parts are drawn through)."""
        self.axes.set_ylim(0, top)
        self.rate_axes.set_visible(with_rate)
        self.figure.subplots_adjust(left=0.08, right=0.9 if with_rate else 0.97, top=0.78, bottom=0.17)
        key = (labels, top, with_rate)
        if key in self._backgrounds:
            self._backgrounds.move_to_end(key)
            return self._backgrounds[key]
        self.axes.set_xticks(range(DAYS), labels)
        self.canvas.draw()
        background = self._backgrounds[key] = self.canvas.copy_from_bbox(self.figure.bbox)
        if len(self._backgrounds) > BACKGROUNDS:
            self._backgrounds.popitem(last=False)
        return background

    def draw(self, week: Week) -> bytes:
        rates = [(i, day[4] * 100) for i, day in enumerate(week) if day[4] is not None]
        top = _top(max(d[1] + d[2] + d[3] for d in week))
        self.canvas.restore_region(self._background(tuple(day[0] for day in week), top, bool(rates)))
        for i, (_, submitted, skipped, failed, _) in enumerate(week):
            self.submitted[i].set_height(submitted)
            self.skipped[i].set_y(submitted)
            self.skipped[i].set_height(skipped)
            self.failed[i].set_y(submitted + skipped)
            self.failed[i].set_height(failed)
            total = submitted + skipped + failed
            self.totals[i].set_position((i, total))
            self.totals[i].set_text(str(total) if total else "")
        for artist in self.moving:
            self.axes.draw_artist(artist)
        if rates:
            self.rate_line.set_data([i for i, _ in rates], [r for _, r in rates])
            self.rate_axes.draw_artist(self.rate_line)
        width, height = self.canvas.get_width_height()
        image = Image.frombuffer("RGBA", (width, height), self.canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
        buffer = io.BytesIO()
        image.convert("RGB").save(buffer, format="png", compress_level=1)  # zlib was half the time
        return buffer.getvalue()


_canvas: _WeekCanvas | None = None


@functools.lru_cache(maxsize=64)
def _draw(week: Week) -> bytes:
    global _canvas
    if _canvas is None:
        _canvas = _WeekCanvas()
    return _canvas.draw(week)


def draw_week(days: Sequence[DayCounts]) -> bytes:
    """The chart as PNG bytes, drawn here (blocking: async code goes through `ChartRenderer`)."""
    return _draw(_week_key(days))


class ChartRenderer:
    """Charts drawn by `python -m bot.digest_chart` child processes: a week as a JSON line on
    stdin, the PNG back on stdout (4-byte length, then the bytes). A child imports matplotlib and
    this module only (a multiprocessing child would import the whole bot again: 300 MB each), starts
    on first use, and ends when its stdin closes, so it never outlives the bot."""

    def __init__(self, processes: int = 2) -> None:
        self._processes = processes
        self._idle: asyncio.Queue[asyncio.subprocess.Process] | None = None
        self._starting = asyncio.Lock()

    async def _spawn(self) -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot.digest_chart",
            stdin=PIPE,
            stdout=PIPE,
            cwd=PROJECT_ROOT,
        )

    async def __call__(self, days: Sequence[DayCounts]) -> bytes:
        async with self._starting:
            if self._idle is None:
                self._idle = asyncio.Queue()
                for _ in range(self._processes):
                    self._idle.put_nowait(await self._spawn())
        process = await self._idle.get()
        try:
            assert process.stdin is not None and process.stdout is not None
            process.stdin.write(json.dumps(_week_key(days)).encode() + b"\n")
            await process.stdin.drain()
            size = int.from_bytes(await process.stdout.readexactly(4), "big")
            png = await process.stdout.readexactly(size)
        except BaseException:
            if process.returncode is None:
                process.kill()
            self._idle.put_nowait(await self._spawn())  # a fresh one in its place
            raise
        self._idle.put_nowait(process)
        return png

    async def close(self) -> None:
        if self._idle is None:
            return
        while not self._idle.empty():
            process = self._idle.get_nowait()
            if process.stdin is not None:
                process.stdin.close()
            await process.wait()


def serve() -> None:
    """The child's loop: one chart per line of stdin, until it closes."""
    for line in sys.stdin.buffer:
        week: Week = tuple(tuple(day) for day in json.loads(line))
        png = _draw(week)
        sys.stdout.buffer.write(len(png).to_bytes(4, "big") + png)
        sys.stdout.buffer.flush()


if __name__ == "__main__":
    serve()
