"""Measure the live view on loopback: first frame after opening, input-to-frame latency, frames/s and
what a live view costs the worker in CPU.

Real parts: the worker's headed Chromium with a LiveView (automation/live_view.py) on a local page,
the bot's web server with the live-view routes (bot/live_view.py), Redis between them, PostgreSQL for
the prompt, and a second Chromium as the phone (tests/fakes/phone.py). Needs DATABASE_URL / REDIS_URL
(default the local ones) and an X display:

    xvfb-run -a -s "-screen 0 1280x1024x24" .venv/bin/python -m bench.live_view [--taps 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psutil
from aiogram import Bot
from aiohttp import web
from arq.connections import ArqRedis

from automation.browser import BrowserOptions, open_browser
from automation.live_view import LiveViewConfig, live_view
from automation.prompts import PromptBridge
from automation.queue import ApplicationQueue
from bench.database import database
from bot.live_view import LiveViewServer
from bot.web import start_web
from storage.applications import ApplicationRepository
from storage.db import create_pool
from storage.migrate import migrate
from storage.models import PromptKind
from storage.prompts import PromptRepository
from storage.users import UserRepository
from tests.fakes.phone import phone_at
from tests.plugins.browser import LOCAL_HOSTS, OFFLINE_ARGS

USER = 4242
WINDOW_S = 5.0
# The page the worker shows: a box that turns from blue to red where it is tapped (input-to-frame),
# and a spinning square (frames/s while something moves).
PAGE = """<!doctype html><html><body style="margin:0">
<div id="box" style="position:absolute;left:100px;top:100px;width:300px;height:300px;background:rgb(0,0,255)"></div>
<div id="spin" style="position:absolute;left:600px;top:100px;width:200px;height:200px;background:#0a0;display:none"></div>
<style>@keyframes s{to{transform:rotate(360deg)}} .on{display:block!important;animation:s 1s linear infinite}</style>
<script>
const box = document.getElementById('box');
box.addEventListener('mousedown', () => {
  box.style.background = box.style.background === 'rgb(255, 0, 0)' ? 'rgb(0, 0, 255)' : 'rgb(255, 0, 0)';
});
window.spin = (on) => document.getElementById('spin').classList.toggle('on', on);
</script></body></html>"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _cpu_seconds(marker: str) -> float:
    """User+system CPU of the Chromium processes whose command line names `marker` (one browser's profile)."""
    total = 0.0
    for process in psutil.Process().children(recursive=True):
        try:
            if marker in " ".join(process.cmdline()):
                times = process.cpu_times()
                total += times.user + times.system
        except psutil.Error:
            continue
    return total


async def _cpu_over(marker: str, seconds: float) -> tuple[float, float]:
    """CPU used in `seconds` (as % of one core) by the browser and by this process (worker + bot relay)."""
    me = psutil.Process()
    chrome0, self0 = _cpu_seconds(marker), sum(me.cpu_times()[:2])
    await asyncio.sleep(seconds)
    chrome1, self1 = _cpu_seconds(marker), sum(me.cpu_times()[:2])
    return 100 * (chrome1 - chrome0) / seconds, 100 * (self1 - self0) / seconds


async def main(taps: int) -> None:
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    async with database("nyx_bench_live") as database_url:
        tmp = Path(tempfile.mkdtemp(prefix="nyx-bench-live-"))
        site = web.Application()

        async def page(request: web.Request) -> web.Response:
            return web.Response(text=PAGE, content_type="text/html")

        site.router.add_get("/", page)
        site_runner = web.AppRunner(site)
        await site_runner.setup()
        site_port = _free_port()
        await web.TCPSite(site_runner, "127.0.0.1", site_port).start()
        try:
            pool = await create_pool(database_url)
            async with pool.acquire() as conn:
                await migrate(conn)
            redis = ArqRedis.from_url(redis_url)
            prompts, users, applications = PromptRepository(pool), UserRepository(pool), ApplicationRepository(pool)
            await users.upsert(USER, USER, "Ada", None)
            url = f"http://127.0.0.1:{site_port}/"
            intake = await applications.intake(USER, url=url, canonical_url=url, host="127.0.0.1")
            prompt = await prompts.create(
                intake.application.id, USER, PromptKind.CAPTCHA, {}, datetime.now(UTC) + timedelta(minutes=10)
            )
            port = _free_port()
            bridge = PromptBridge(redis, prompts, ApplicationQueue(redis, "nyx:bench:live-view"))
            web_server = await start_web(
                host="127.0.0.1",
                port=port,
                # A bot never called: nobody taps Done here (no request, no session opened).
                live_view=LiveViewServer(redis, prompts, bridge, bot=Bot("1:NO-DONE-IN-BENCH")),
            )

            def options(role: str) -> BrowserOptions:
                return BrowserOptions(
                    executable_path=os.environ.get("CHROME_PATH", "/usr/bin/chromium"),
                    profiles_dir=tmp / role,
                    extra_args=OFFLINE_ARGS,
                    allow_hosts=LOCAL_HOSTS,
                )

            marker = str(tmp / "worker")
            try:
                async with open_browser(options("worker")) as browser:
                    await browser.navigate_to(url)
                    idle_chrome, idle_self = await _cpu_over(marker, WINDOW_S)
                    worker_page = await browser.get_current_page()
                    await worker_page.evaluate("() => window.spin(true)")
                    spin_chrome, spin_self = await _cpu_over(marker, WINDOW_S)
                    await worker_page.evaluate("() => window.spin(false)")
                    async with live_view(LiveViewConfig(redis, f"http://127.0.0.1:{port}"), browser) as view:
                        await view.bind(prompt)
                        async with phone_at(options("phone"), None) as phone:
                            started = time.perf_counter()
                            await phone.open(view.url)
                            await phone.next_frame(0, 10_000)
                            first_frame = time.perf_counter() - started

                            latencies = []
                            for i in range(taps):
                                colour = (255, 0, 0) if i % 2 == 0 else (0, 0, 255)
                                spot = await phone.find((0, 0, 255) if i % 2 == 0 else (255, 0, 0))
                                if spot is None:
                                    raise SystemExit(f"tap {i}: the square to tap is not on the phone")
                                seen = await phone.frames()
                                began = time.perf_counter()
                                await phone.tap(*spot)
                                for _ in range(50):  # bounded: a tap that never shows fails the bench
                                    if await phone.find(colour) is not None:
                                        break
                                    seen = await phone.next_frame(seen, 2000)
                                else:
                                    shown = await worker_page.evaluate(
                                        "() => document.getElementById('box').style.background"
                                    )
                                    raise SystemExit(
                                        f"tap {i} at {spot} never showed on the phone (worker: {shown}, "
                                        f"frames {await phone.frames()})"
                                    )
                                latencies.append(time.perf_counter() - began)

                            still_chrome, still_self = await _cpu_over(marker, WINDOW_S)
                            await worker_page.evaluate("() => window.spin(true)")
                            await phone.next_frame(await phone.frames())
                            before = await phone.frames()
                            moving_chrome, moving_self = await _cpu_over(marker, WINDOW_S)
                            fps = (await phone.frames() - before) / WINDOW_S
            finally:
                await web_server.stop()
                await redis.aclose()
                await pool.close()
        finally:
            await site_runner.cleanup()

    print(f"first frame after opening the page: {first_frame * 1000:.0f} ms")
    print(
        f"input to frame ({taps} taps): median {statistics.median(latencies) * 1000:.0f} ms, "
        f"max {max(latencies) * 1000:.0f} ms"
    )
    print(f"frames/s while the page moves: {fps:.1f}")
    print("worker CPU (% of one core; Chromium / this process = worker + bot relay + phone driver):")
    print(f"  no live view, page still:   {idle_chrome:5.1f} / {idle_self:5.1f}")
    print(f"  no live view, page moving:  {spin_chrome:5.1f} / {spin_self:5.1f}")
    print(f"  live view, page still:      {still_chrome:5.1f} / {still_self:5.1f}")
    print(f"  live view, page moving:     {moving_chrome:5.1f} / {moving_self:5.1f}")


if __name__ == "__main__":
    import logging

    logging.basicConfig(level=logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--taps", type=int, default=10)
    asyncio.run(main(parser.parse_args().taps))
