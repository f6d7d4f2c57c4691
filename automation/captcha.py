"""CAPTCHAs on a form: recognising them, solving them through 2captcha, putting the answer in the page.

Detected: reCAPTCHA v2 (checkbox and invisible) and v3, hCaptcha, Cloudflare Turnstile, and image
CAPTCHAs (an `<img>` whose id, class, alt or address says "captcha", with the text box it belongs to).
With a 2captcha key, `CaptchaSolver` sends reCAPTCHA, Turnstile and image CAPTCHAs to the service
(it no longer solves hCaptcha) and puts the answer in the page: the token into the widget's response
field plus its callback, or the text typed into the box. Whatever it cannot clear is the user's;
`captcha_payload` is what such a `captcha` prompt remembers (the worker writes it, the bot reads it).

Detection marks each CAPTCHA's own controls (`data-nyx-captcha`), so that the form's questions can
leave them out (`without_captcha_inputs`): a CAPTCHA's box is never a question, never sent to an
LLM and never remembered. An image CAPTCHA goes to the user as a picture of just that image,
enlarged when small (`picture_for_people`).
"""

from __future__ import annotations

import asyncio
import base64
import enum
import io
import logging
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PIL import Image
from pydantic import SecretStr
from twocaptcha import AsyncTwoCaptcha, SolverExceptions, TimeoutException
from twocaptcha.exceptions import api as api_errors

from automation import page_js
from automation.adapters.base import FieldReading
from automation.metrics import CAPTCHA_SOLVES
from automation.questions import Question
from storage.answers import looks_like_captcha
from storage.errors import NyxError

if TYPE_CHECKING:
    from browser_use import BrowserSession

log = logging.getLogger(__name__)

# What the library really raises: its HTTP client's own ApiException/NetworkException (not the
# classes exported at the package top level) and the solver's (timeout, validation, odd replies).
SERVICE_ERRORS = (api_errors.ApiException, api_errors.NetworkException, SolverExceptions)
MAX_TOKEN = 10_000  # reCAPTCHA tokens are about 2 kB; anything far longer is not a token
MAX_TEXT = 100  # an image CAPTCHA's answer
IMAGE_SELECTOR = '[data-nyx-captcha="image"]'
INPUT_SELECTOR = '[data-nyx-captcha="input"]'
# A wrong answer (the form refuses it, or shows a new image) is asked again, up to this many rounds in all.
MAX_CAPTCHA_ROUNDS = 3
IMAGE_LOAD_TIMEOUT_S = 5.0
IMAGE_POLL_S = 0.1
# A CAPTCHA picture narrower than this is enlarged for the chat (at most MAX_ENLARGE times), so a phone shows it.
MIN_PICTURE_WIDTH = 480
MAX_ENLARGE = 4
# What a form says when an image CAPTCHA's answer was wrong ("The characters did not match", "Invalid captcha").
_WRONG_ANSWER = re.compile(
    r"captcha|\b(characters|security code|verification code)\b.*\b(match|wrong|incorrect|invalid)"
    r"|\b(wrong|incorrect|invalid)\b.*\b(characters|security code|verification code)\b",
    re.IGNORECASE,
)
_ERROR_CODE = re.compile(r"\b(ERROR_[A-Z0-9_]+|IP_BANNED|MAX_USER_TURN)\b")


class CaptchaKind(str, enum.Enum):
    RECAPTCHA_V2 = "recaptcha_v2"
    RECAPTCHA_V2_INVISIBLE = "recaptcha_v2_invisible"
    RECAPTCHA_V3 = "recaptcha_v3"
    HCAPTCHA = "hcaptcha"
    TURNSTILE = "turnstile"
    IMAGE = "image"

    @property
    def label(self) -> str:
        return KIND_LABELS[self]


KIND_LABELS = {
    CaptchaKind.RECAPTCHA_V2: "reCAPTCHA",
    CaptchaKind.RECAPTCHA_V2_INVISIBLE: "invisible reCAPTCHA",
    CaptchaKind.RECAPTCHA_V3: "reCAPTCHA v3",
    CaptchaKind.HCAPTCHA: "hCaptcha",
    CaptchaKind.TURNSTILE: "Cloudflare Turnstile",
    CaptchaKind.IMAGE: "image CAPTCHA",
}


class Fallback(str, enum.Enum):
    """Why a CAPTCHA went to the user instead of 2captcha."""

    NO_KEY = "no_key"
    UNSUPPORTED = "unsupported"
    FAILED = "failed"


class AnswerBy(str, enum.Enum):
    """How the user answers a `captcha` prompt: by replying with the image's text, or in the browser."""

    TEXT = "text"
    BROWSER = "browser"


class CaptchaDecision(str, enum.Enum):
    """The buttons under a CAPTCHA the user solves in the browser window."""

    DONE = "done"
    CANCEL = "cancel"


class CaptchaSolveFailed(NyxError):
    """2captcha gave no usable answer; `reason` is short, secret-free and fit to show the user."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Captcha:
    kind: CaptchaKind
    sitekey: str | None
    invisible: bool = False  # runs only when the form is sent: nothing to click before that
    action: str | None = None  # reCAPTCHA v3 / Turnstile action named by the page

    @property
    def label(self) -> str:
        return self.kind.label


@dataclass(frozen=True)
class Solution:
    captcha_id: str
    code: str  # the token, or an image's text


@dataclass(frozen=True)
class Help:
    """A CAPTCHA the user is asked about, and why."""

    fallback: Fallback
    detail: str = ""  # for FAILED: what went wrong, e.g. ERROR_ZERO_BALANCE


_DETECT = r"""() => {
  const found = [];
  const add = (kind, sitekey, extra) => {
    if (!found.some(f => f.kind === kind)) found.push({kind, sitekey: sitekey || null, invisible: false, action: null, ...extra});
  };
  const key = (el) => el && el.getAttribute && (el.getAttribute('data-sitekey') || null);
  const attr = (el, name) => (el && el.getAttribute && el.getAttribute(name)) || null;
  const fromSrc = (src, name) => { try { return new URL(src, location.href).searchParams.get(name); } catch (e) { return null; } };
  for (const el of document.querySelectorAll('.g-recaptcha, [data-recaptcha], textarea[name="g-recaptcha-response"]')) {
    const holder = el.closest('[data-sitekey]') || el;
    const invisible = attr(holder, 'data-size') === 'invisible';
    add(invisible ? 'recaptcha_v2_invisible' : 'recaptcha_v2', key(holder), {invisible, action: attr(holder, 'data-action')});
  }
  for (const s of document.querySelectorAll('script[src*="recaptcha/api.js"], script[src*="recaptcha/enterprise.js"]')) {
    const render = fromSrc(s.src, 'render');
    if (render && render !== 'explicit') add('recaptcha_v3', render, {invisible: true});
  }
  for (const f of document.querySelectorAll('iframe[src*="google.com/recaptcha"], iframe[src*="recaptcha.net"]')) {
    const invisible = fromSrc(f.src, 'size') === 'invisible';
    add(invisible ? 'recaptcha_v2_invisible' : 'recaptcha_v2', fromSrc(f.src, 'k'), {invisible});
  }
  for (const el of document.querySelectorAll('.h-captcha, textarea[name="h-captcha-response"], iframe[src*="hcaptcha.com"]')) {
    const holder = el.closest('[data-sitekey]') || el;
    add('hcaptcha', key(holder) || (el.src ? fromSrc(el.src, 'sitekey') : null),
        {invisible: attr(holder, 'data-size') === 'invisible'});
  }
  for (const el of document.querySelectorAll('.cf-turnstile, input[name="cf-turnstile-response"], iframe[src*="challenges.cloudflare.com"]')) {
    const holder = el.closest('[data-sitekey]') || el;
    add('turnstile', key(holder), {action: attr(holder, 'data-action')});
  }
  // The widgets' own fields are no questions of the form.
  for (const el of document.querySelectorAll('.g-recaptcha, .h-captcha, .cf-turnstile, [name="g-recaptcha-response"], [name="h-captcha-response"], [name="cf-turnstile-response"]')) {
    if (!el.hasAttribute('data-nyx-captcha')) el.setAttribute('data-nyx-captcha', 'widget');
  }
  // An image CAPTCHA counts only with a text box to type its answer into; both are marked for later.
  const boxes = [...document.querySelectorAll('input:not([type]), input[type="text"], input[type="tel"]')];
  const hintOf = (el) => [el.name, el.id, el.placeholder, attr(el, 'aria-label'),
    el.labels && el.labels[0] ? el.labels[0].innerText : ''].join(' ').toLowerCase();
  for (const img of document.querySelectorAll('img')) {
    const hint = `${img.id} ${img.className} ${img.alt} ${img.getAttribute('src') || ''}`.toLowerCase();
    if (!hint.includes('captcha') || found.some(f => f.kind === 'image')) continue;
    const form = img.closest('form');
    const near = boxes.filter(el => !form || el.form === form);
    const box = near.find(el => /captcha|security code|verification code|characters/.test(hintOf(el)))
      || near.find(el => img.compareDocumentPosition(el) & Node.DOCUMENT_POSITION_FOLLOWING);
    if (!box) continue;
    img.setAttribute('data-nyx-captcha', 'image');
    box.setAttribute('data-nyx-captcha', 'input');
    add('image', null, {});
  }
  return found;
}"""

# Fills the widget's response fields and, for reCAPTCHA and Turnstile, answers the page's own calls.
# A checkbox widget's callback runs now (it only marks the widget done); an invisible one's runs when
# the page itself asks for the token, i.e. when the form is sent after the review, because its
# callback usually submits the form.
_INJECT = r"""(kind, token, invisible) => {
  const recaptcha = kind.startsWith('recaptcha');
  const name = recaptcha ? 'g-recaptcha-response' : 'cf-turnstile-response';
  const holders = [...document.querySelectorAll(recaptcha ? '.g-recaptcha, [data-recaptcha]' : '.cf-turnstile')];
  let fields = [...document.querySelectorAll(`[name="${name}"]`)];
  if (!fields.length) {
    fields = holders.map((holder) => {
      const field = document.createElement(recaptcha ? 'textarea' : 'input');
      if (!recaptcha) field.type = 'hidden';
      field.name = name;
      field.style.display = 'none';
      holder.appendChild(field);
      return field;
    });
  }
  for (const field of fields) {
    field.value = token;
    if (field.tagName === 'TEXTAREA') field.textContent = token;
  }
  const named = (value) => typeof value === 'function' ? value
    : (typeof value === 'string' && typeof window[value] === 'function' ? window[value] : null);
  let callback = null;
  for (const holder of holders) callback = callback || named(holder.getAttribute('data-callback'));
  if (!callback && recaptcha && window.___grecaptcha_cfg && window.___grecaptcha_cfg.clients) {
    // Widgets rendered by script keep their callback in the client config, a few levels down.
    const seen = new Set();
    const search = (value, depth) => {
      if (!value || typeof value !== 'object' || depth > 4 || seen.has(value)) return null;
      seen.add(value);
      for (const [k, v] of Object.entries(value)) {
        if (k === 'callback' && named(v)) return named(v);
        const deeper = search(v, depth + 1);
        if (deeper) return deeper;
      }
      return null;
    };
    for (const client of Object.values(window.___grecaptcha_cfg.clients)) callback = callback || search(client, 0);
  }
  const api = recaptcha ? window.grecaptcha : window.turnstile;
  for (const target of [api, api && api.enterprise]) {
    if (!target) continue;
    target.getResponse = () => token;
    if (recaptcha && invisible) {
      target.execute = () => { if (callback) setTimeout(() => callback(token)); return Promise.resolve(token); };
    }
  }
  if (callback && !invisible) callback(token);
  return fields.length > 0 || !!api;
}"""

_SOLVED = r"""(kind) => {
  const filled = (selector) => [...document.querySelectorAll(selector)].some(f => (f.value || '').trim());
  if (kind.startsWith('recaptcha')) {
    if (filled('[name="g-recaptcha-response"]')) return true;
    try { return !!(window.grecaptcha && window.grecaptcha.getResponse && window.grecaptcha.getResponse()); }
    catch (e) { return false; }
  }
  if (kind === 'hcaptcha') return filled('[name="h-captcha-response"], [name="g-recaptcha-response"]');
  if (kind === 'turnstile') return filled('[name="cf-turnstile-response"]');
  return filled('[data-nyx-captcha="input"]');
}"""

_IMAGE_BOX = r"""(selector) => {
  const img = document.querySelector(selector);
  if (!img) return null;
  if (!img.complete || !img.naturalWidth) return {loading: true};  // a new image is still on its way
  img.scrollIntoView({block: 'center', inline: 'center'});
  const r = img.getBoundingClientRect();
  if (r.width < 1 || r.height < 1) return null;
  return {x: r.left + window.scrollX, y: r.top + window.scrollY, width: r.width, height: r.height};
}"""


_CLAIMED = r"""(selectors) => selectors.filter((selector) => {
  try {
    const el = document.querySelector(selector);
    return !!(el && el.closest('[data-nyx-captcha]'));
  } catch (e) { return false; }  // not a CSS selector (e.g. an agent's question id)
})"""


async def detect_captchas(browser: BrowserSession) -> list[Captcha]:
    """The CAPTCHAs on the page now; their controls are marked so that no question reader takes them."""
    found = []
    for item in await page_js.evaluate(browser, _DETECT) or []:
        found.append(
            Captcha(
                CaptchaKind(item["kind"]),
                _text(item.get("sitekey"), 200),
                bool(item.get("invisible")),
                _text(item.get("action"), 100),
            )
        )
    return found


async def captcha_solved(browser: BrowserSession, captcha: Captcha) -> bool:
    """Whether the page now holds an answer for the CAPTCHA (a token, or text in the image's box)."""
    return bool(await page_js.evaluate(browser, _SOLVED, captcha.kind.value))


async def captcha_image(browser: BrowserSession) -> bytes | None:
    """A PNG of just the image CAPTCHA as the page shows it, once loaded (None when it is not on screen)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + IMAGE_LOAD_TIMEOUT_S
    box = await page_js.evaluate(browser, _IMAGE_BOX, IMAGE_SELECTOR)
    while box and box.get("loading") and loop.time() < deadline:
        await asyncio.sleep(IMAGE_POLL_S)
        box = await page_js.evaluate(browser, _IMAGE_BOX, IMAGE_SELECTOR)
    if not box or box.get("loading"):
        return None
    return await browser.take_screenshot(clip={k: box[k] for k in ("x", "y", "width", "height")})


def picture_for_people(png: bytes) -> bytes:
    """The CAPTCHA's picture for the chat: enlarged when small, so its characters can be read on a phone."""
    with Image.open(io.BytesIO(png)) as picture:
        width, height = picture.size
        if not width or width >= MIN_PICTURE_WIDTH:
            return png
        scale = min(MAX_ENLARGE, MIN_PICTURE_WIDTH / width)
        bigger = picture.convert("RGB").resize((round(width * scale), round(height * scale)), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    bigger.save(out, format="PNG")
    return out.getvalue()


async def without_captcha_inputs(browser: BrowserSession, questions: list[Question]) -> list[Question]:
    """The form's questions less any CAPTCHA's control (claimed by `detect_captchas`, or worded like one)."""
    if not questions:
        return questions
    await detect_captchas(browser)  # again: filling may have moved to a page with a CAPTCHA of its own
    claimed = set(await page_js.evaluate(browser, _CLAIMED, [q.key for q in questions]) or [])
    return [q for q in questions if q.key not in claimed and not looks_like_captcha(q.label)]


def refused_by_page(captcha: Captcha, errors: str) -> bool:
    """The form's refusal names the image CAPTCHA, whose box may still hold the old, wrong answer."""
    return captcha.kind is CaptchaKind.IMAGE and bool(_WRONG_ANSWER.search(errors))


async def enter_captcha_text(browser: BrowserSession, text: str) -> bool:
    """Type an image CAPTCHA's answer into its box; False when the box is gone."""
    return await page_js.type_text(browser, INPUT_SELECTOR, text)


async def put_solution(browser: BrowserSession, captcha: Captcha, code: str) -> bool:
    """Put a solved CAPTCHA's answer into the page; False when there was nowhere to put it."""
    if captcha.kind is CaptchaKind.IMAGE:
        return await enter_captcha_text(browser, code)
    return bool(await page_js.evaluate(browser, _INJECT, captcha.kind.value, code, captcha.invisible))


class CaptchaSolver:
    """2captcha through its own client (2captcha-python's AsyncTwoCaptcha); `server` is a bare host[:port]."""

    def __init__(self, api_key: SecretStr, *, server: str = "2captcha.com", polling_seconds: int = 10) -> None:
        self._api_key = api_key
        self._client = AsyncTwoCaptcha(api_key.get_secret_value(), server=server, pollingInterval=polling_seconds)

    def can_solve(self, captcha: Captcha) -> bool:
        if captcha.kind is CaptchaKind.HCAPTCHA:
            return False  # the service stopped solving hCaptcha
        return captcha.kind is CaptchaKind.IMAGE or bool(captcha.sitekey)

    async def solve(self, captcha: Captcha, page_url: str, image: bytes | None = None) -> Solution:
        """2captcha's answer to a CAPTCHA on `page_url` (an image CAPTCHA: its PNG); raises CaptchaSolveFailed."""
        if not self.can_solve(captcha):
            raise CaptchaSolveFailed(f"2captcha cannot solve this {captcha.label}")
        try:
            result = await self._request(captcha, page_url, image)
            solution = self._solution(captcha, result)
        except (*SERVICE_ERRORS, CaptchaSolveFailed) as exc:
            CAPTCHA_SOLVES.labels(captcha.kind.value, "failed").inc()
            if isinstance(exc, CaptchaSolveFailed):
                raise
            raise CaptchaSolveFailed(self._reason(exc)) from None
        CAPTCHA_SOLVES.labels(captcha.kind.value, "solved").inc()
        return solution

    async def clear(self, browser: BrowserSession, captcha: Captcha) -> Solution:
        """Solve the CAPTCHA on the current page and put the answer in it; raises CaptchaSolveFailed."""
        image = await captcha_image(browser) if captcha.kind is CaptchaKind.IMAGE else None
        if captcha.kind is CaptchaKind.IMAGE and image is None:
            raise CaptchaSolveFailed("the CAPTCHA image is not on the page")
        solution = await self.solve(captcha, await page_js.current_url(browser), image)
        if not await put_solution(browser, captcha, solution.code) or not await captcha_solved(browser, captcha):
            raise CaptchaSolveFailed("the answer could not be put into the page")
        return solution

    async def _request(self, captcha: Captcha, url: str, image: bytes | None) -> Any:
        kind = captcha.kind
        if kind is CaptchaKind.IMAGE:
            if not image:
                raise CaptchaSolveFailed("no CAPTCHA image to send")
            return await self._client.normal(base64.b64encode(image).decode("ascii"))
        if kind is CaptchaKind.TURNSTILE:
            extra = {"action": captcha.action} if captcha.action else {}
            return await self._client.turnstile(sitekey=captcha.sitekey, url=url, **extra)
        if kind is CaptchaKind.RECAPTCHA_V3:
            return await self._client.recaptcha(
                sitekey=captcha.sitekey, url=url, version="v3", action=captcha.action or "verify"
            )
        invisible = {"invisible": 1} if kind is CaptchaKind.RECAPTCHA_V2_INVISIBLE else {}
        return await self._client.recaptcha(sitekey=captcha.sitekey, url=url, version="v2", **invisible)

    @staticmethod
    def _solution(captcha: Captcha, result: Any) -> Solution:
        """2captcha's reply, checked: a non-empty answer of a sensible length."""
        code = result.get("code") if isinstance(result, dict) else None
        limit = MAX_TEXT if captcha.kind is CaptchaKind.IMAGE else MAX_TOKEN
        if not isinstance(code, str) or not code.strip() or len(code) > limit or any(c in code for c in "\r\n\0"):
            raise CaptchaSolveFailed("2captcha sent an answer that is not usable")
        return Solution(str(result.get("captchaId", ""))[:64], code.strip())

    def _reason(self, exc: BaseException) -> str:
        """A short reason without the key: 2captcha's error code when it sent one."""
        text = str(exc).replace(self._api_key.get_secret_value(), "***")
        code = _ERROR_CODE.search(text)
        if code:
            return f"2captcha returned {code.group(1)}"
        if isinstance(exc, api_errors.NetworkException):
            return "2captcha could not be reached"
        if isinstance(exc, TimeoutException):
            return "2captcha sent no answer in time"
        return f"2captcha failed ({type(exc).__name__})"


async def solve_with_service(solver: CaptchaSolver | None, browser: BrowserSession, captcha: Captcha) -> Help | None:
    """Clear the CAPTCHA through 2captcha; None when done, else why the user is needed."""
    if solver is None:
        return Help(Fallback.NO_KEY)
    if not solver.can_solve(captcha):
        return Help(Fallback.UNSUPPORTED)
    try:
        solution = await solver.clear(browser, captcha)
    except CaptchaSolveFailed as exc:
        log.info("2captcha did not solve the %s: %s", captcha.label, exc.reason)
        return Help(Fallback.FAILED, exc.reason)
    log.info("2captcha solved the %s (captcha id %s)", captcha.label, solution.captcha_id)
    return None


def captcha_payload(
    application_id: int,
    captcha: Captcha,
    why: Help,
    *,
    image_shown: bool,
    again: bool = False,
    refused: bool = False,
) -> dict[str, Any]:
    """What a `captcha` prompt row remembers: which CAPTCHA, why the user is asked, how to answer.

    An image CAPTCHA whose picture is in the chat is answered by reply; anything else in the browser window.
    `again`: the page still held no answer; `refused`: the form did not accept the last one.
    """
    by_text = captcha.kind is CaptchaKind.IMAGE and image_shown
    return {
        "application": application_id,
        "captcha": captcha.kind.value,
        "answer_by": (AnswerBy.TEXT if by_text else AnswerBy.BROWSER).value,
        "why": why.fallback.value,
        "detail": why.detail[:80],
        "again": again,
        "refused": refused,
    }


def _text(value: object, limit: int) -> str | None:
    """A string read from the page, kept only when it is short and single-line."""
    if not isinstance(value, str) or not value.strip() or len(value) > limit or "\n" in value:
        return None
    return value.strip()


def unsolved_reading(captcha: Captcha) -> FieldReading:
    """A CAPTCHA left for the moment the form is sent, shown as a required, empty field of the review."""
    label = f"{captcha.label} (runs when you submit; solve any challenge in the browser window)"
    return FieldReading(label=label, selector="", intended=None, actual=None, required=True)
