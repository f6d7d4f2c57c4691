"""A phone that opens the live view: a second real Chromium, driven over CDP with real input events.

It looks at the page as a person would (the pixels drawn on the live view's canvas) and taps, scrolls
and presses buttons with `Input.dispatchMouseEvent`, so the live page's own pointer handlers run.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from automation.browser import BrowserOptions, open_browser

# The colour of the local reCAPTCHA stand-in's box (tests/fakes/captcha_site.py), in a JPEG frame.
WIDGET_RGB = (255, 0, 200)

FIND_COLOUR_JS = """(r, g, b) => {
  const canvas = document.getElementById('canvas');
  const { width, height } = canvas;
  const pixels = canvas.getContext('2d').getImageData(0, 0, width, height).data;
  let n = 0, sx = 0, sy = 0;
  for (let y = 0; y < height; y += 2) for (let x = 0; x < width; x += 2) {
    const i = (y * width + x) * 4;
    if (Math.abs(pixels[i] - r) < 40 && Math.abs(pixels[i + 1] - g) < 40 && Math.abs(pixels[i + 2] - b) < 40) {
      n += 1; sx += x; sy += y;
    }
  }
  if (n < 20) return JSON.stringify(null);
  const box = canvas.getBoundingClientRect();
  return JSON.stringify({x: box.left + (sx / n) * box.width / width, y: box.top + (sy / n) * box.height / height});
}"""


@dataclass
class Phone:
    browser: Any
    page: Any
    cdp: Any

    async def js(self, function: str, *args: Any) -> Any:
        return json.loads(await self.page.evaluate(function, *args))

    async def frames(self) -> int:
        return await self.js("() => JSON.stringify(window.nyxLive ? window.nyxLive.frames : 0)")

    async def next_frame(self, after: int, timeout_ms: int = 5000) -> int:
        """Frames drawn so far, once more than `after` are (or the timeout passed)."""
        return await self.js(
            """(after, ms) => new Promise((resolve) => {
                 const live = window.nyxLive;
                 if (live.frames > after) return resolve(JSON.stringify(live.frames));
                 live.waiters.push((n) => resolve(JSON.stringify(n)));
                 setTimeout(() => resolve(JSON.stringify(live.frames)), ms);
               })""",
            after,
            timeout_ms,
        )

    async def ended(self, timeout_ms: int = 30000) -> bool:
        return await self.js(
            """(ms) => new Promise((resolve) => {
                 const check = () => window.nyxLive.ended ? resolve('true') : null;
                 if (check() === null) {
                   const timer = setInterval(() => { if (window.nyxLive.ended) { clearInterval(timer); resolve('true'); } }, 50);
                   setTimeout(() => { clearInterval(timer); resolve('false'); }, ms);
                 }
               })""",
            timeout_ms,
        )

    async def find(self, rgb: tuple[int, int, int]) -> tuple[float, float] | None:
        """Where on the phone's screen the live picture shows this colour (its centre), if it does."""
        found = await self.js(FIND_COLOUR_JS, *rgb)
        return None if found is None else (found["x"], found["y"])

    async def centre_of(self, selector: str) -> tuple[float, float]:
        box = await self.js(
            "(s) => { const r = document.querySelector(s).getBoundingClientRect(); "
            "return JSON.stringify({x: r.left + r.width / 2, y: r.top + r.height / 2}); }",
            selector,
        )
        return box["x"], box["y"]

    async def tap(self, x: float, y: float) -> None:
        send, sid = self.cdp.cdp_client.send.Input, self.cdp.session_id
        await send.dispatchMouseEvent(params={"type": "mouseMoved", "x": x, "y": y}, session_id=sid)
        for kind in ("mousePressed", "mouseReleased"):
            await send.dispatchMouseEvent(
                params={"type": kind, "x": x, "y": y, "button": "left", "buttons": 1, "clickCount": 1}, session_id=sid
            )

    async def scroll(self, x: float, y: float, dy: float) -> None:
        await self.cdp.cdp_client.send.Input.dispatchMouseEvent(
            params={"type": "mouseWheel", "x": x, "y": y, "deltaX": 0, "deltaY": dy}, session_id=self.cdp.session_id
        )

    async def type(self, text: str) -> None:
        """Type into the live view's keyboard box, as the phone's keyboard would (the page sends it on)."""
        await self.tap(*await self.centre_of("#keys"))
        await self.cdp.cdp_client.send.Input.insertText(params={"text": text}, session_id=self.cdp.session_id)

    async def tap_widget(self, rgb: tuple[int, int, int] = WIDGET_RGB, *, tries: int = 20) -> bool:
        """Scroll the live picture until the colour shows, then tap it; False if it never showed."""
        for _ in range(tries):
            seen = await self.frames()
            spot = await self.find(rgb)
            if spot is not None:
                await self.tap(*spot)
                return True
            canvas = await self.centre_of("#canvas")
            await self.scroll(*canvas, 300)
            await self.next_frame(seen, 3000)
        return False

    async def open(self, url: str) -> None:
        await self.browser.navigate_to(url)
        self.page = await self.browser.get_current_page()
        self.cdp = await self.browser.get_or_create_cdp_session()


@asynccontextmanager
async def phone_at(options: BrowserOptions, url: str | None) -> AsyncIterator[Phone]:
    """A second Chromium showing `url` (the live view); None: nothing opened yet (call `open`)."""
    async with open_browser(options) as browser:
        phone = Phone(browser, None, None)
        if url is not None:
            await phone.open(url)
        yield phone
