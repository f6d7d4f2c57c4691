"""Driving the current tab without an agent: in-page scripts and CDP calls for form controls.

Adapters describe *which* fields to fill; this module knows *how* to set a value so
that React-style pages notice it, attach files, click like a user and read the form back.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from browser_use import BrowserSession


class PageScriptError(RuntimeError):
    """A script threw in the page, or the element it needed is not there."""


# Uses the prototype's native setter: React tracks the last value it saw through the
# instance property, so a plain `el.value = x` would be ignored by its onChange.
SET_VALUE_JS = """
(selector, value) => {
  const el = document.querySelector(selector);
  if (!el) return {found: false};
  const proto = el instanceof HTMLTextAreaElement ? HTMLTextAreaElement.prototype
    : el instanceof HTMLSelectElement ? HTMLSelectElement.prototype
    : HTMLInputElement.prototype;
  if (el instanceof HTMLSelectElement) {
    const wanted = String(value).trim().toLowerCase();
    const option = [...el.options].find(o =>
      o.value.trim().toLowerCase() === wanted || o.text.trim().toLowerCase() === wanted);
    if (!option) return {found: true, value: el.value, missingOption: true};
    value = option.value;
  }
  el.focus();
  Object.getOwnPropertyDescriptor(proto, 'value').set.call(el, value);
  el.dispatchEvent(new Event('input', {bubbles: true}));
  el.dispatchEvent(new Event('change', {bubbles: true}));
  el.blur();
  return {found: true, value: el.value};
}
"""

# Every fillable control under `rootSelector`, in page order, with its visible label.
READ_CONTROLS_JS = """
(rootSelector) => {
  const root = document.querySelector(rootSelector) || document;
  const skipTypes = new Set(['hidden', 'submit', 'button', 'reset', 'image']);
  const clean = (text) => (text || '').replace(/\\*/g, ' ').replace(/\\s+/g, ' ').trim();
  const rawLabel = (el) => {
    if (el.labels && el.labels.length) return el.labels[0].innerText;
    const byIds = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
      .map(id => document.getElementById(id)).filter(Boolean);
    if (byIds.length) return byIds.map(n => n.innerText).join(' ');
    if (el.getAttribute('aria-label')) return el.getAttribute('aria-label');
    const named = el.id && (document.getElementById(el.id + '-label')
      || document.getElementById('upload-label-' + el.id));
    if (named) return named.innerText;
    const legend = el.closest('fieldset') && el.closest('fieldset').querySelector('legend');
    return legend ? legend.innerText : (el.placeholder || el.name || el.id || '');
  };
  const visible = (el) => el.type === 'file'
    || (el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden');
  const selectorFor = (el) => el.id ? '#' + CSS.escape(el.id)
    : el.name ? el.tagName.toLowerCase() + '[name="' + CSS.escape(el.name) + '"]' : null;
  const valueOf = (el) => {
    if (el.type === 'file') {
      if (el.files && el.files.length) return [...el.files].map(f => f.name).join(', ');
      const box = el.closest('.file-upload, [class*="upload"]');
      const shown = box && box.querySelector('.file-upload__filename, [class*="filename"]');
      return shown ? shown.innerText.trim() : '';
    }
    if (el.type === 'checkbox' || el.type === 'radio') return el.checked ? el.value : '';
    if (el instanceof HTMLSelectElement) {
      return el.selectedIndex >= 0 && el.value !== '' ? el.options[el.selectedIndex].text.trim() : '';
    }
    if (el.getAttribute('role') === 'combobox' && !el.value) {
      const control = el.closest('.select__control, [class*="-control"]');
      const chosen = control && control.querySelector('.select__single-value, [class*="singleValue"]');
      if (chosen) return chosen.innerText.trim();
    }
    return el.value;
  };
  const seen = new Set();
  const controls = [];
  for (const el of root.querySelectorAll('input, textarea, select')) {
    if (skipTypes.has((el.type || '').toLowerCase()) || !visible(el)) continue;
    const selector = selectorFor(el);
    if (!selector || seen.has(selector)) continue;
    seen.add(selector);
    const label = rawLabel(el);
    controls.push({
      id: el.id || '',
      selector: selector,
      tag: el.tagName.toLowerCase(),
      type: (el.type || '').toLowerCase(),
      role: el.getAttribute('role') || '',
      label: clean(label) || el.id || el.name,
      required: el.required || el.getAttribute('aria-required') === 'true' || label.includes('*'),
      value: valueOf(el),
    });
  }
  return controls;
}
"""

# What the page says right now: where it is, whether it confirms, which errors it shows.
PAGE_STATE_JS = """
(errorSelector, busySelector, phrases) => {
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const text = document.body ? document.body.innerText : '';
  const lower = text.toLowerCase().replace(/\\s+/g, ' ');
  const errors = [...document.querySelectorAll(errorSelector)].filter(shown)
    .map(el => el.innerText.replace(/\\s+/g, ' ').trim()).filter(Boolean);
  return {
    url: location.href,
    confirmation: phrases.find(p => lower.includes(p)) || null,
    errors: [...new Set(errors)],
    busy: !!document.querySelector(busySelector),
  };
}
"""

# The first visible element among the candidates whose text matches, tagged with `marker`.
MARK_ELEMENT_JS = """
(candidatesSelector, textPattern, marker) => {
  const pattern = new RegExp(textPattern, 'i');
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const text = (el) => (el.innerText || el.value || el.getAttribute('aria-label') || '').replace(/\\s+/g, ' ').trim();
  const el = [...document.querySelectorAll(candidatesSelector)].find(e => shown(e) && pattern.test(text(e)));
  document.querySelectorAll('[' + marker + ']').forEach(e => e.removeAttribute(marker));
  if (!el) return null;
  el.setAttribute(marker, '1');
  return {tag: el.tagName.toLowerCase(), text: text(el), href: el.href || null, here: location.href};
}
"""


@dataclass(frozen=True)
class Control:
    """One form control as the page shows it."""

    id: str
    selector: str
    tag: str
    type: str
    role: str
    label: str
    required: bool
    value: str

    @property
    def is_file(self) -> bool:
        return self.type == "file"

    @property
    def is_free_text(self) -> bool:
        """Text the user types; react-select comboboxes need choosing an option instead."""
        if self.tag == "textarea":
            return True
        return self.tag == "input" and self.type in {"text", "email", "tel", "url", "search", "number", ""}


@dataclass(frozen=True)
class PageState:
    url: str
    confirmation: str | None
    errors: tuple[str, ...]
    busy: bool


async def evaluate(browser: BrowserSession, function: str, *args: Any) -> Any:
    """Call a JS function expression in the current tab with JSON arguments; returns its JSON result."""
    session = await browser.get_or_create_cdp_session()
    call = f"({function})({', '.join(json.dumps(arg) for arg in args)})"
    result = await session.cdp_client.send.Runtime.evaluate(
        params={"expression": call, "returnByValue": True, "awaitPromise": True},
        session_id=session.session_id,
    )
    if "exceptionDetails" in result:
        details = result["exceptionDetails"]
        message = details.get("exception", {}).get("description") or details.get("text", "script failed")
        raise PageScriptError(message)
    return result.get("result", {}).get("value")


async def current_url(browser: BrowserSession) -> str:
    return await evaluate(browser, "() => location.href")


async def wait_until(
    browser: BrowserSession, function: str, *args: Any, timeout_s: float, interval_s: float = 0.1
) -> Any:
    """Poll a page script until it returns something truthy; returns it, or None on timeout.

    Errors while the page navigates (no execution context yet) count as "not yet".
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        try:
            value = await evaluate(browser, function, *args)
        except Exception:
            value = None
        if value or loop.time() >= deadline:
            return value or None
        await asyncio.sleep(interval_s)


async def read_controls(browser: BrowserSession, root_selector: str) -> list[Control]:
    rows = await evaluate(browser, READ_CONTROLS_JS, root_selector) or []
    return [Control(**row) for row in rows]


async def set_value(browser: BrowserSession, selector: str, value: str) -> bool:
    """Set a text input, textarea or select the way a user's typing would; False if not found."""
    outcome = await evaluate(browser, SET_VALUE_JS, selector, value)
    return bool(outcome and outcome.get("found") and not outcome.get("missingOption"))


async def _backend_node_id(browser: BrowserSession, selector: str) -> tuple[Any, int]:
    session = await browser.get_or_create_cdp_session()
    client, session_id = session.cdp_client, session.session_id
    found = await client.send.Runtime.evaluate(
        params={"expression": f"document.querySelector({json.dumps(selector)})", "returnByValue": False},
        session_id=session_id,
    )
    object_id = found.get("result", {}).get("objectId")
    if not object_id:
        raise PageScriptError(f"no element matches {selector}")
    try:
        described = await client.send.DOM.describeNode(params={"objectId": object_id}, session_id=session_id)
    finally:
        await client.send.Runtime.releaseObject(params={"objectId": object_id}, session_id=session_id)
    return session, described["node"]["backendNodeId"]


async def set_files(browser: BrowserSession, selector: str, paths: Sequence[Path]) -> None:
    """Attach local files to an `<input type=file>`, hidden or not, as browser-use's upload_file does.

    Chrome fires the input's `input` and `change` events itself, so the page's own upload
    handling runs exactly as after a user picked the file.
    """
    for path in paths:
        if not path.is_file() or path.stat().st_size == 0:
            raise FileNotFoundError(f"cannot upload {path}: missing or empty")
    session, backend_node_id = await _backend_node_id(browser, selector)
    await session.cdp_client.send.DOM.setFileInputFiles(
        params={"files": [str(path.resolve()) for path in paths], "backendNodeId": backend_node_id},
        session_id=session.session_id,
    )


async def click(browser: BrowserSession, selector: str) -> None:
    """One real mouse click (trusted events) at the element's centre, scrolled into view first."""
    from browser_use.actor.element import Element

    session, backend_node_id = await _backend_node_id(browser, selector)
    await Element(browser, backend_node_id, session.session_id).click()


async def mark_element(browser: BrowserSession, candidates: str, text_pattern: str, marker: str) -> dict | None:
    """Tag the first visible element whose text matches, so it can be clicked by `[marker]`."""
    return await evaluate(browser, MARK_ELEMENT_JS, candidates, text_pattern, marker)


async def page_state(
    browser: BrowserSession, error_selector: str, busy_selector: str, phrases: Sequence[str]
) -> PageState | None:
    """The page's state, or None while it is between documents."""
    try:
        raw = await evaluate(browser, PAGE_STATE_JS, error_selector, busy_selector, list(phrases))
    except Exception:
        return None
    if not raw:
        return None
    return PageState(raw["url"], raw["confirmation"], tuple(raw["errors"]), raw["busy"])
