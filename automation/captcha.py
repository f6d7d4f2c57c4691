"""Recognising CAPTCHAs on a page: reCAPTCHA v2/v3, hCaptcha, Cloudflare Turnstile and image CAPTCHAs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from automation import page_js

if TYPE_CHECKING:
    from browser_use import BrowserSession

_DETECT = r"""() => {
  const found = [];
  const add = (kind, sitekey) => { if (!found.some(f => f.kind === kind)) found.push({kind, sitekey: sitekey || null}); };
  const key = (el) => el && (el.getAttribute('data-sitekey') || null);
  const fromSrc = (src, name) => { try { return new URL(src, location.href).searchParams.get(name); } catch (e) { return null; } };
  for (const el of document.querySelectorAll('.g-recaptcha, [data-recaptcha], textarea[name="g-recaptcha-response"]'))
    add(el.getAttribute('data-size') === 'invisible' ? 'recaptcha_v2_invisible' : 'recaptcha_v2', key(el.closest('[data-sitekey]') || el));
  for (const s of document.querySelectorAll('script[src*="recaptcha/api.js"], script[src*="recaptcha/enterprise.js"]')) {
    const render = fromSrc(s.src, 'render');
    if (render && render !== 'explicit') add('recaptcha_v3', render);
  }
  for (const f of document.querySelectorAll('iframe[src*="google.com/recaptcha"], iframe[src*="recaptcha.net"]'))
    add('recaptcha_v2', fromSrc(f.src, 'k'));
  for (const el of document.querySelectorAll('.h-captcha, textarea[name="h-captcha-response"], iframe[src*="hcaptcha.com"]'))
    add('hcaptcha', key(el) || (el.src ? fromSrc(el.src, 'sitekey') : null));
  for (const el of document.querySelectorAll('.cf-turnstile, input[name="cf-turnstile-response"], iframe[src*="challenges.cloudflare.com"]'))
    add('turnstile', key(el.closest('[data-sitekey]') || el));
  for (const img of document.querySelectorAll('img')) {
    const hint = `${img.id} ${img.className} ${img.alt} ${img.getAttribute('src') || ''}`.toLowerCase();
    if (hint.includes('captcha')) add('image', null);
  }
  return found;
}"""


@dataclass(frozen=True)
class Captcha:
    kind: str  # recaptcha_v2, recaptcha_v2_invisible, recaptcha_v3, hcaptcha, turnstile, image
    sitekey: str | None


async def detect_captchas(browser: BrowserSession) -> list[Captcha]:
    return [Captcha(item["kind"], item.get("sitekey")) for item in await page_js.evaluate(browser, _DETECT) or []]
