"""The local classic Greenhouse form with a CAPTCHA on it: a reCAPTCHA-like widget or an image CAPTCHA.

`CaptchaJobSite(captcha="recaptcha")` adds what Google's widget puts in a page, served locally (no
Google script): `.g-recaptcha[data-sitekey][data-callback]`, a hidden `textarea[name=g-recaptcha-response]`
inside the form and a `grecaptcha` object; the page's callback sets `captcha_passed=yes`. Nobody can
tick it but a "person": the widget long-polls `/captcha/human`, which answers once the test calls
`solve_like_a_human()`, as if someone solved it in the browser window, or once a trusted click (real
input, e.g. replayed through the live view; never a script's `.click()`) lands on its magenta box. `captcha="image"` adds an
`<img alt="captcha">` (a solid-colour PNG, one colour per round) labelled "Enter the characters shown"
with a required text box. Like many such forms, the page checks the characters when Submit is
clicked (`POST /captcha/check`) before it posts the form: a wrong answer shows an error, clears
the box (or leaves the wrong characters in it: `clears_wrong_answer=False`) and loads a new image
with new characters (`round` counts them).

The server refuses a POST whose CAPTCHA is missing or wrong (the form comes back with the error
flash), so a missing solve can never look like a successful application.
"""

from __future__ import annotations

import asyncio
import struct
import zlib
from dataclasses import dataclass, field

from aiohttp import web

from tests.fakes.ats_greenhouse_classic import (
    ClassicGreenhouseJobSite,
    render_posting,
    validate,
)
from tests.fakes.local_site import Submission

SITEKEY = "6LcNyxFakeSiteKeyForLocalTests-0000000000"
HUMAN_TOKEN = "03AFcWeA-solved-by-a-person-in-the-browser"
IMAGE_TEXT = "XK7P2"
IMAGE_SIZE = (180, 60)
IMAGE_COLOUR = (200, 40, 120)
# Each new image (after a wrong answer) has its own characters and colour.
ROUND_TEXTS = (IMAGE_TEXT, "M3QW8", "T9LD4", "B6NZ1", "R2VC7")
ROUND_COLOURS = (IMAGE_COLOUR, (30, 140, 60), (40, 60, 200), (220, 160, 20), (90, 90, 90))
TOKEN_FIELD = "g-recaptcha-response"
PASSED_FIELD = "captcha_passed"
TEXT_FIELD = "captcha_text"
TEXT_LABEL = "Enter the characters shown"
WRONG_TEXT = "The characters did not match the picture"

RECAPTCHA_HTML = f"""
      <div class="field" id="captcha_field">
        <div class="g-recaptcha" data-sitekey="{SITEKEY}" data-callback="onCaptchaPassed"></div>
        <input type="hidden" id="{PASSED_FIELD}" name="{PASSED_FIELD}" value="">
      </div>
      <script>function onCaptchaPassed(token) {{ document.getElementById('{PASSED_FIELD}').value = 'yes'; }}</script>
      <script src="/captcha/api.js" async defer></script>
"""

IMAGE_HTML = f"""
      <div class="field" id="security_check" data-clears-wrong-answer="{{clears}}">
        <img src="/captcha/image.png?round=1" alt="captcha" width="{IMAGE_SIZE[0]}" height="{IMAGE_SIZE[1]}">
        <label for="{TEXT_FIELD}">{TEXT_LABEL} <span class="asterisk">*</span></label>
        <input type="text" id="{TEXT_FIELD}" name="{TEXT_FIELD}" autocomplete="off" aria-required="true">
      </div>
      <script>
      // The characters are checked when Submit is clicked, before the form is posted.
      (() => {{
        let checked = false;
        document.addEventListener('click', async (event) => {{
          const button = event.target.closest && event.target.closest('#submit_app');
          if (!button || checked) return;
          const box = document.getElementById('{TEXT_FIELD}');
          if (!box.value.trim()) return;  // the form's own check says it is blank
          event.stopImmediatePropagation();
          const reply = await fetch('/captcha/check', {{method: 'POST', body: new URLSearchParams({{text: box.value}})}});
          const verdict = await reply.json();
          if (verdict.ok) {{ checked = true; button.click(); return; }}
          const field = document.getElementById('security_check');
          field.querySelectorAll('.field-error-msg').forEach(e => e.remove());
          const message = document.createElement('span');
          message.className = 'field-error-msg';
          message.textContent = '{WRONG_TEXT}';
          field.appendChild(message);
          if (field.dataset.clearsWrongAnswer === 'yes') box.value = '';
          field.querySelector('img').src = '/captcha/image.png?round=' + verdict.round;
        }}, true);
      }})();
      </script>
"""

# A stand-in for Google's api.js: the same DOM and `grecaptcha` calls, solved only by a "person".
WIDGET_JS = r"""
(() => {
  const widgets = [];
  const render = (holder) => {
    const anchor = document.createElement('div');
    anchor.className = 'rc-anchor';
    anchor.setAttribute('role', 'checkbox');
    anchor.setAttribute('aria-checked', 'false');
    anchor.textContent = "I'm not a robot";
    // Easy to spot in a picture of the page (the live-view test looks for this colour).
    anchor.style.cssText = 'display:inline-block;padding:14px 28px;background:rgb(255,0,200);color:#fff;cursor:pointer';
    // Only a real click counts (a person's, or input replayed through CDP), never a script's .click().
    anchor.addEventListener('click', (event) => {
      if (event.isTrusted) fetch('/captcha/human/click', {method: 'POST'});
    });
    const response = document.createElement('textarea');
    response.id = 'g-recaptcha-response';
    response.name = 'g-recaptcha-response';
    response.className = 'g-recaptcha-response';
    response.style.display = 'none';
    holder.append(anchor, response);
    widgets.push({holder, response});
    fetch('/captcha/human').then((r) => r.text()).then((token) => {
      if (!token) return null;
      response.value = token;
      anchor.setAttribute('aria-checked', 'true');
      const callback = window[holder.dataset.callback];
      if (typeof callback === 'function') callback(token);
      return fetch('/captcha/human/ack', {method: 'POST'});
    }).catch(() => {});
  };
  window.grecaptcha = {
    ready: (fn) => fn(),
    render: (holder) => render(typeof holder === 'string' ? document.getElementById(holder) : holder),
    getResponse: () => (widgets.length ? widgets[0].response.value : ''),
    reset: () => widgets.forEach((w) => { w.response.value = ''; }),
    execute: () => {},
  };
  document.querySelectorAll('.g-recaptcha').forEach(render);
})();
"""


def solid_png(width: int, height: int, rgb: tuple[int, int, int]) -> bytes:
    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF)

    rows = b"".join(b"\x00" + bytes(rgb) * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")


@dataclass
class CaptchaJobSite(ClassicGreenhouseJobSite):
    captcha: str = "recaptcha"  # or "image"
    round: int = 1  # the image CAPTCHA now shown (a wrong answer moves to the next)
    clears_wrong_answer: bool = True  # False: the wrong characters stay in the box next to the new image
    checks: list[str] = field(default_factory=list)  # what was typed, each time Submit checked it
    images_served: list[int] = field(default_factory=list)  # the round of each image sent
    human_acks: int = 0
    widget_clicks: int = 0  # trusted clicks on the widget
    _human: asyncio.Event = field(default_factory=asyncio.Event)
    _closing: asyncio.Event = field(default_factory=asyncio.Event)
    _acked: asyncio.Condition = field(default_factory=asyncio.Condition)

    def routes(self, app: web.Application) -> None:
        super().routes(app)
        app.router.add_get("/captcha/api.js", self._widget_js)
        app.router.add_get("/captcha/image.png", self._image)
        app.router.add_post("/captcha/check", self._check)
        app.router.add_get("/captcha/human", self._human_poll)
        app.router.add_post("/captcha/human/ack", self._human_ack)
        app.router.add_post("/captcha/human/click", self._human_click)

    async def stop(self) -> None:
        self._closing.set()  # lets open long-polls end, unanswered
        await super().stop()

    async def solve_like_a_human(self, timeout: float) -> None:
        """Tick the widget as a person at the browser window would; returns once the page has the token."""
        async with self._acked:
            before = self.human_acks
            self._human.set()
            await asyncio.wait_for(self._acked.wait_for(lambda: self.human_acks > before), timeout)

    async def wait_until_solved(self, timeout: float) -> None:
        """Returns once the page holds the widget's token, however it was solved."""
        async with self._acked:
            await asyncio.wait_for(self._acked.wait_for(lambda: self.human_acks > 0), timeout)

    async def _posting(self, request: web.Request) -> web.Response:
        return self.html_response(self._render())

    async def _apply(self, request: web.Request) -> web.Response:
        fields, files = await self.read_multipart(request)
        errors = validate(fields, files) | self._captcha_errors(fields)
        if not await self.accept(Submission(fields, files), errors):
            return self.html_response(self._render(errors))
        raise web.HTTPSeeOther(self.confirmation_url.removeprefix(self.base_url))

    def _captcha_errors(self, fields: dict) -> dict[str, str]:
        if self.captcha == "image":
            typed = str(fields.get(TEXT_FIELD, "")).strip().upper()
            return {} if typed == self.image_text else {TEXT_FIELD: WRONG_TEXT}
        if not str(fields.get(TOKEN_FIELD, "")).strip() or fields.get(PASSED_FIELD) != "yes":
            return {TOKEN_FIELD: "Please complete the CAPTCHA"}
        return {}

    def _render(self, errors: dict[str, str] | None = None) -> str:
        page = render_posting(errors)
        widget = RECAPTCHA_HTML
        if self.captcha == "image":
            widget = IMAGE_HTML.replace("{clears}", "yes" if self.clears_wrong_answer else "no")
        marker = '<div id="submit_buttons">'
        return page.replace(marker, widget + "      " + marker, 1)

    async def _widget_js(self, request: web.Request) -> web.Response:
        return web.Response(text=WIDGET_JS, content_type="application/javascript")

    @property
    def image_text(self) -> str:
        """The characters in the image now shown."""
        return ROUND_TEXTS[(self.round - 1) % len(ROUND_TEXTS)]

    async def _image(self, request: web.Request) -> web.Response:
        shown = self.round  # the page always shows the current image, whatever its address says
        self.images_served.append(shown)
        colour = ROUND_COLOURS[(shown - 1) % len(ROUND_COLOURS)]
        return web.Response(
            body=solid_png(*IMAGE_SIZE, colour), content_type="image/png", headers={"Cache-Control": "no-store"}
        )

    async def _check(self, request: web.Request) -> web.Response:
        typed = str((await request.post()).get("text", "")).strip().upper()
        self.checks.append(typed)
        if typed != self.image_text:
            self.round += 1  # a wrong answer costs the image: a new one, with new characters
            return web.json_response({"ok": False, "round": self.round})
        return web.json_response({"ok": True, "round": self.round})

    async def _human_poll(self, request: web.Request) -> web.Response:
        human, closing = asyncio.ensure_future(self._human.wait()), asyncio.ensure_future(self._closing.wait())
        try:
            await asyncio.wait([human, closing], return_when=asyncio.FIRST_COMPLETED)
        finally:
            human.cancel()
            closing.cancel()
        return web.Response(text=HUMAN_TOKEN if self._human.is_set() else "", content_type="text/plain")

    async def _human_click(self, request: web.Request) -> web.Response:
        """A trusted click on the widget: solved, as Google's would be for a person passing its check."""
        self.widget_clicks += 1
        self._human.set()
        return web.Response(text="ok")

    async def _human_ack(self, request: web.Request) -> web.Response:
        async with self._acked:
            self.human_acks += 1
            self._acked.notify_all()
        return web.Response(text="ok")
