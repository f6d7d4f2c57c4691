"""Driving the current tab without an agent: in-page scripts and CDP calls for form controls.

Adapters describe *which* fields to fill; this module knows *how* to set a value so
that React-style pages notice it, attach files, click like a user and read the form back.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from automation.questions import Choice, Question, best_option
from storage.errors import NyxError

if TYPE_CHECKING:
    from browser_use import BrowserSession


class PageScriptError(NyxError, RuntimeError):
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

# Would a click on this node send a form? The one rule for every click made while finding or
# filling a form (and for the submit guard in the page): a submit input (`submit` or `image`), a
# `<button>` without a type or with `type=submit` that has a form owner (`form=` included), or a
# label whose control is one of those. Returns why, or null. Used inside other scripts.
WOULD_SUBMIT_JS = """
(node) => {
  const el = node && node.nodeType === 1 ? node : (node && node.parentElement);
  if (!el || !el.closest) return null;
  const sends = (control) => {
    if (!control) return null;
    if (control.localName === 'input') {
      const type = (control.getAttribute('type') || '').toLowerCase();
      return type === 'submit' || type === 'image' ? 'a submit input' : null;
    }
    if (control.localName === 'button' && control.type === 'submit' && control.form) {
      return "the form's submit button";
    }
    return null;
  };
  const control = el.closest('button, input');
  if (control) return sends(control);
  const label = el.closest('label');
  return label && sends(label.control) ? 'the label of a submit button' : null;
}
"""

# Vendors' own submit controls that are no form's submit button (Workday's "Submit" on its Review page, a
# plain button outside any form), as their signatures declare them (automation.adapters.vendors): a CSS
# selector and what the control says. A click on one is refused like a click on a form's submit button.
_DECLARED_SUBMITS: list[dict[str, str]] = []

_DECLARED_SUBMIT_TEMPLATE = """
(node) => {
  const formSubmit = (%(form)s)(node);
  if (formSubmit) return formSubmit;
  const el = node && node.nodeType === 1 ? node : (node && node.parentElement);
  if (!el || !el.closest) return null;
  for (const declared of %(declared)s) {
    let control = null;
    try { control = el.closest(declared.selector); } catch (e) { continue; }
    if (!control) continue;
    const says = (control.innerText || control.value || control.getAttribute('aria-label') || '').replace(/\\s+/g, ' ').trim();
    if (new RegExp(declared.text, 'i').test(says)) return "the site's own submit button";
  }
  return null;
}
"""


def declare_submit_control(selector: str, text_pattern: str) -> None:
    """A vendor's submit control outside any form: from now on clicks on it are refused until the approved submit."""
    entry = {"selector": selector, "text": text_pattern}
    if entry not in _DECLARED_SUBMITS:
        _DECLARED_SUBMITS.append(entry)


def would_submit_js() -> str:
    """WOULD_SUBMIT_JS, refusing the declared vendor submit controls as well."""
    if not _DECLARED_SUBMITS:
        return WOULD_SUBMIT_JS
    return _DECLARED_SUBMIT_TEMPLATE % {"form": WOULD_SUBMIT_JS.strip(), "declared": json.dumps(_DECLARED_SUBMITS)}


# Is this node inside a form (through open shadow roots), or a control owned by one (`form=`)?
INSIDE_FORM_JS = """
(node) => {
  for (let el = node; el; el = el.parentElement
       || (el.getRootNode && el.getRootNode() instanceof ShadowRoot ? el.getRootNode().host : null)) {
    if (el.localName === 'form' || el.form) return true;
  }
  return false;
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

# A way into a form: like MARK_ELEMENT_JS, but only links and buttons outside every form, and
# never one whose click would send a form.
MARK_WAY_IN_JS = (
    """
(candidatesSelector, textPattern, marker) => {
  const wouldSubmit = """
    + WOULD_SUBMIT_JS.strip()
    + """;
  const insideForm = """
    + INSIDE_FORM_JS.strip()
    + """;
  const pattern = new RegExp(textPattern, 'i');
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const text = (el) => (el.innerText || el.value || el.getAttribute('aria-label') || '').replace(/\\s+/g, ' ').trim();
  const el = [...document.querySelectorAll(candidatesSelector)]
    .find(e => shown(e) && pattern.test(text(e)) && !insideForm(e) && !wouldSubmit(e));
  document.querySelectorAll('[' + marker + ']').forEach(e => e.removeAttribute(marker));
  if (!el) return null;
  el.setAttribute(marker, '1');
  return {tag: el.tagName.toLowerCase(), text: text(el), href: el.href || null, here: location.href};
}
"""
)


class SubmitRefused(PageScriptError):
    """A click while finding or filling a form would have sent it; nothing was clicked."""


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
    url: str = await evaluate(browser, "() => location.href")
    return url


# Resolves with the first truthy result of `check(...args)`, re-checked on every DOM change (and every
# `recheckMs` for what no mutation reports, e.g. layout), or with null after `timeoutMs`.
WAIT_FOR_JS = """
(check, args, timeoutMs, recheckMs) => new Promise((resolve) => {
  let done = false, observer = null, timer = null, ticker = null;
  const finish = (value) => {
    if (done) return;
    done = true;
    if (observer) observer.disconnect();
    clearTimeout(timer);
    clearInterval(ticker);
    resolve(value);
  };
  const test = () => {
    if (done) return;
    let value = null;
    try { value = check(...args); } catch (e) { value = null; }
    if (value) finish(value);
  };
  test();
  if (done) return;
  observer = new MutationObserver(test);
  observer.observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
  ticker = setInterval(test, recheckMs);
  timer = setTimeout(() => finish(null), timeoutMs);
})
"""
RECHECK_MS = 250


async def wait_until(browser: BrowserSession, function: str, *args: Any, timeout_s: float) -> Any:
    """Wait in the page until a page script returns something truthy, re-checking it whenever the DOM
    changes (a MutationObserver); returns its result, or None on timeout.

    Errors while the page navigates (no execution context yet) count as "not yet".
    """
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while True:
        remaining_ms = max(0, int((deadline - loop.time()) * 1000))
        try:
            value = await evaluate(
                browser,
                f"(...a) => ({WAIT_FOR_JS.strip()})({function.strip()}, a, {remaining_ms}, {RECHECK_MS})",
                *args,
            )
        except Exception:  # noqa: BLE001 - the page is between documents: ask the next one
            value = None
            if loop.time() < deadline:
                await asyncio.sleep(0.1)
        if value or loop.time() >= deadline:
            return value or None


async def read_controls(browser: BrowserSession, root_selector: str) -> list[Control]:
    rows = await evaluate(browser, READ_CONTROLS_JS, root_selector) or []
    return [Control(**row) for row in rows]


async def set_value(browser: BrowserSession, selector: str, value: str) -> bool:
    """Set a text input, textarea or select the way a user's typing would; False if not found."""
    outcome = await evaluate(browser, for_selectors(SET_VALUE_JS, selector), selector, value)
    return bool(outcome and outcome.get("found") and not outcome.get("missingOption"))


async def _backend_node_id(browser: BrowserSession, selector: str, *, expression: str | None = None) -> tuple[Any, int]:
    """The element's CDP session and backend node id. `expression` finds the element instead of
    `selector` (which then only names it in messages)."""
    session = await browser.get_or_create_cdp_session()
    client, session_id = session.cdp_client, session.session_id
    found = await client.send.Runtime.evaluate(
        params={"expression": expression or find_element_expression(selector), "returnByValue": False},
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


# Where to click an element: scrolled into view if needed, the centre of its first box in viewport
# pixels; or why not (`refused`: the click would send a form; `hidden`: it has no box). One round trip.
CLICK_POINT_JS = """
async (el, refuseSubmit, wouldSubmit, guardKey, settle) => {
  if (!el) return {found: false};
  if (refuseSubmit) {
    let why = null;
    try { why = wouldSubmit(el); } catch (e) { why = 'something that could not be checked'; }
    if (why) return {found: true, refused: why};
  }
  if (typeof el.scrollIntoViewIfNeeded === 'function') el.scrollIntoViewIfNeeded(true);
  else if (el.scrollIntoView) el.scrollIntoView({block: 'center', inline: 'center'});
  const measure = () => [...el.getClientRects()].find(r => r.width > 0 && r.height > 0);
  let box = measure();
  if (settle && box) {
    // After a missed click: wait (up to 2 s) until the element stays put from one frame to the next,
    // as at the end of a smooth scroll or an opening animation.
    const frame = () => new Promise(done => { requestAnimationFrame(done); setTimeout(done, 50); });
    for (const end = Date.now() + 2000; Date.now() < end;) {
      await frame();
      const now = measure();
      if (!now) break;
      const still = Math.abs(now.left - box.left) < 0.5 && Math.abs(now.top - box.top) < 0.5;
      box = now;
      if (still) break;
    }
  }
  if (!box) return {found: true, hidden: true};
  const x = Math.min(Math.max(box.left + box.width / 2, 0), window.innerWidth - 1);
  const y = Math.min(Math.max(box.top + box.height / 2, 0), window.innerHeight - 1);
  // The mouse lands on whatever is on top at that point (a child, an overlay), not on `el`: check it too.
  const root = el.getRootNode && el.getRootNode().elementFromPoint ? el.getRootNode() : document;
  const hit = root.elementFromPoint(x, y);
  if (refuseSubmit && hit && hit !== el) {
    let why = null;
    try { why = wouldSubmit(hit); } catch (e) { why = 'something that could not be checked'; }
    if (why) return {found: true, refused: why + ' (what the mouse would land on)'};
  }
  // The press comes a few round trips later: a page that moves in between (a list that renders again,
  // a hover that opens something, a late scroll) would put it on a neighbour. Until `guardKey` is
  // called, a press that lands anywhere but on `el` or what was measured on top of it is stopped before
  // the page sees it, with the rest of its gesture (release, click), and counted as missed. Where the
  // release lands is the page's business: a press on the right element may well re-render it.
  const view = el.ownerDocument.defaultView || window;
  const record = {landed: 0, missed: 0};
  const types = ['pointerdown', 'mousedown', 'pointerup', 'mouseup', 'click'];
  let pressMissed = false;
  const meant = (event) => {
    const path = event.composedPath();
    return path.includes(el) || (hit !== null && path.includes(hit));
  };
  const screen = (event) => {
    if (!event.isTrusted) return;
    const press = event.type === 'pointerdown' || event.type === 'mousedown';
    if (press && !meant(event)) pressMissed = true;
    if (!pressMissed) { record.landed += 1; return; }
    record.missed += 1;
    event.preventDefault();
    event.stopImmediatePropagation();
  };
  for (const type of types) view.addEventListener(type, screen, true);
  Object.defineProperty(view, guardKey, {configurable: true, value: () => {
    for (const type of types) view.removeEventListener(type, screen, true);
    delete view[guardKey];
    return record;
  }});
  return {found: true, x, y};
}
"""

# How often a click is measured and made again when the page moved under the mouse before it landed.
CLICK_ATTEMPTS = 3


class ClickMissed(PageScriptError):
    """The page kept moving under the mouse: the click never landed where it was measured."""


async def click(browser: BrowserSession, selector: str) -> None:
    """One real mouse click (trusted events) at the element's centre, scrolled into view first.

    Raises SubmitRefused, without clicking, when the click would send a form (WOULD_SUBMIT_JS):
    finding and filling never submit; only `submit_click` does, after the user approved.
    """
    await _click(browser, selector, find_element_expression(selector), refuse_submit=True)


async def submit_click(browser: BrowserSession, selector: str) -> None:
    """The approved submit's click: like `click`, on the form's own submit button. Only
    `automation.adapters.outcome.submit_form` calls it, right after lifting the submit guard."""
    await _click(browser, selector, find_element_expression(selector), refuse_submit=False)


async def _click(browser: BrowserSession, name: str, expression: str, *, refuse_submit: bool) -> None:
    """Find, check, scroll and measure the element in one script, then press and release the mouse there
    (CDP input events, which the page sees as trusted); an element without a box (hidden, display:
    contents) goes through browser-use's click, which falls back to the element's own click().

    A press that would land on something else because the page moved after measuring is stopped before
    the page sees it (CLICK_POINT_JS), and the click is made again once the element stays put, up to
    CLICK_ATTEMPTS in all.
    """
    session = await browser.get_or_create_cdp_session()
    client, session_id = session.cdp_client, session.session_id
    for attempt in range(CLICK_ATTEMPTS):
        guard_key = f"__nyxClick{secrets.token_hex(8)}"
        script = (
            f"({CLICK_POINT_JS.strip()})({expression}, {json.dumps(refuse_submit)}, "
            f"{would_submit_js().strip()}, {json.dumps(guard_key)}, {json.dumps(attempt > 0)})"
        )
        result = await client.send.Runtime.evaluate(
            params={"expression": script, "returnByValue": True, "awaitPromise": True}, session_id=session_id
        )
        if "exceptionDetails" in result:
            raise PageScriptError(f"could not find {name}: {result['exceptionDetails'].get('text', 'script failed')}")
        point = result.get("result", {}).get("value") or {}
        if not point.get("found"):
            raise PageScriptError(f"no element matches {name}")
        if point.get("refused"):
            raise SubmitRefused(
                f"refused to click {name}: it is {point['refused']}, and only the approved submit may send"
            )
        if point.get("hidden"):
            from browser_use.actor.element import Element

            session, backend_node_id = await _backend_node_id(browser, name, expression=expression)
            await Element(browser, backend_node_id, session.session_id).click()
            return
        try:
            for kind in ("mouseMoved", "mousePressed", "mouseReleased"):
                params: dict[str, Any] = {"type": kind, "x": point["x"], "y": point["y"]}
                if kind != "mouseMoved":
                    params.update(button="left", clickCount=1)
                await client.send.Input.dispatchMouseEvent(params=params, session_id=session_id)
        finally:
            record = await _lift_click_guard(client, session_id, guard_key)
        if not record.get("missed"):
            return
    raise ClickMissed(f"the page kept moving under the click on {name}: it never landed")


async def _lift_click_guard(client: Any, session_id: str | None, guard_key: str) -> dict[str, Any]:
    """Remove a click's guard; what it let through and stopped ({} once the click left the document)."""
    script = f"(() => {{ const lift = window[{json.dumps(guard_key)}]; return lift ? lift() : null; }})()"
    try:
        result = await client.send.Runtime.evaluate(
            params={"expression": script, "returnByValue": True}, session_id=session_id
        )
    except Exception:  # noqa: BLE001 - the click navigated and took the document (and the guard) with it
        return {}
    outcome: dict[str, Any] = result.get("result", {}).get("value") or {}
    return outcome


async def mark_element(
    browser: BrowserSession, candidates: str, text_pattern: str, marker: str
) -> dict[str, Any] | None:
    """Tag the first visible element whose text matches, so it can be clicked by `[marker]`."""
    marked: dict[str, Any] | None = await evaluate(
        browser, for_selectors(MARK_ELEMENT_JS, candidates), candidates, text_pattern, marker
    )
    return marked


async def mark_way_in(
    browser: BrowserSession, candidates: str, text_pattern: str, marker: str
) -> dict[str, Any] | None:
    """Tag the first visible link or button outside every form whose text matches (an "Apply" that
    leads to the form, never the form's own submit button)."""
    marked: dict[str, Any] | None = await evaluate(browser, MARK_WAY_IN_JS, candidates, text_pattern, marker)
    return marked


async def page_state(
    browser: BrowserSession, error_selector: str, busy_selector: str, phrases: Sequence[str]
) -> PageState | None:
    """The page's state, or None while it is between documents."""
    try:
        script = for_selectors(PAGE_STATE_JS, error_selector, busy_selector)
        raw = await evaluate(browser, script, error_selector, busy_selector, list(phrases))
    except Exception:  # noqa: BLE001 - between documents the page cannot be asked
        return None
    if not raw:
        return None
    return PageState(raw["url"], raw["confirmation"], tuple(raw["errors"]), raw["busy"])


# --- Choosing among options: selects, radio groups, button groups, listbox entries ---

NTH_ELEMENT_JS = "(selector, index) => document.querySelectorAll(selector)[index] || null"

# Focus a text field and select its text, so typing replaces it and the field keeps focus.
FOCUS_FOR_TYPING_JS = """
(selector) => {
  const el = document.querySelector(selector);
  if (!el) return false;
  el.focus();
  if (typeof el.select === 'function') el.select();
  return document.activeElement === el;
}
"""

# Each matching option's text while at least one of them shows (null for hidden ones), else null.
LISTED_OPTIONS_JS = """
(selector) => {
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const options = [...document.querySelectorAll(selector)];
  if (!options.some(shown)) return null;
  return options.map(el => shown(el) ? (el.innerText || el.textContent || '').replace(/\\s+/g, ' ').trim() : null);
}
"""

# Each matching element's text, shown or not (a closed dropdown's options).
OPTION_TEXTS_JS = """
(selector) => [...document.querySelectorAll(selector)].map(el => (el.textContent || '').replace(/\\s+/g, ' ').trim())
"""


async def click_nth(browser: BrowserSession, selector: str, index: int) -> bool:
    """One real click on the index-th element matching `selector`; False if there is none.

    The element is found, measured and clicked in one go: no marker to look up again, which a list
    rendering again in between used to remove ("no element matches [data-nyx-option]")."""
    try:
        await _click(
            browser, f"{selector} (number {index + 1})", _nth_element_expression(selector, index), refuse_submit=True
        )
    except SubmitRefused:
        raise
    except PageScriptError:
        return False
    return True


async def option_texts(browser: BrowserSession, selector: str) -> list[str]:
    """The text of every element matching `selector`, hidden ones included, in page order."""
    return await evaluate(browser, for_selectors(OPTION_TEXTS_JS, selector), selector) or []


async def pick_listed_option(
    browser: BrowserSession, options_selector: str, answer: str, timeout_s: float
) -> str | None:
    """Once a listbox shows its options, click the shown one that best matches `answer`.

    Returns the chosen option's text, or None if no option showed or none matches.
    """
    script = for_selectors(LISTED_OPTIONS_JS, options_selector)
    shown = await wait_until(browser, script, options_selector, timeout_s=timeout_s)
    if not shown:
        return None
    candidates = [(index, text) for index, text in enumerate(shown) if text is not None]
    best = best_option(answer, [text for _, text in candidates])
    if best is None:
        return None
    index, text = candidates[best]
    return text if await click_nth(browser, options_selector, index) else None


async def type_text(browser: BrowserSession, selector: str, text: str) -> bool:
    """Replace a field's text by typing (trusted input events) and leave it focused, as an
    autocomplete needs to show its suggestions; False if the field is not there."""
    if not await evaluate(browser, for_selectors(FOCUS_FOR_TYPING_JS, selector), selector):
        return False
    session = await browser.get_or_create_cdp_session()
    await session.cdp_client.send.Input.insertText(params={"text": text}, session_id=session.session_id)
    return True


# Every question under `rootSelector` in page order: text-like controls, selects and file inputs
# one by one; radios and checkboxes grouped by name, with their options. `questionSelector` and
# `labelSelector` name the wrapper a site puts round each question and the element in it that
# holds the question's text (Lever: `.application-question` / `.application-label`), for labels
# that are not bound to the control.
READ_QUESTIONS_JS = """
(rootSelector, questionSelector, labelSelector) => {
  const root = document.querySelector(rootSelector) || document;
  const skipTypes = new Set(['hidden', 'submit', 'button', 'reset', 'image']);
  const clean = (text) => (text || '').replace(/[*\\u2731]/g, ' ').replace(/\\s+/g, ' ').trim();
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const byIds = (ids) => (ids || '').split(/\\s+/).filter(Boolean).map(id => document.getElementById(id))
    .filter(Boolean).map(n => n.innerText).join(' ');
  const hookName = (el) => ['data-ui', 'data-qa', 'data-testid'].find(name => el.getAttribute(name));
  const hook = (el) => hookName(el) ? el.getAttribute(hookName(el)) : '';
  const byName = (el) => el.tagName.toLowerCase() + '[name="' + CSS.escape(el.name) + '"]';
  // An upload widget's file input often has no id, name or hook: it gets a mark of ours to be found by,
  // its place among such inputs (the same on the page loaded again), else a random one.
  const marked = (el) => {
    if (!el.getAttribute('data-nyx-control')) {
      const place = 'f' + [...root.querySelectorAll('input[type="file"]:not([id]):not([name])')].indexOf(el);
      const free = !document.querySelector('[data-nyx-control="' + place + '"]');
      el.setAttribute('data-nyx-control', free ? place : Math.random().toString(36).slice(2, 10));
    }
    return 'input[data-nyx-control="' + el.getAttribute('data-nyx-control') + '"]';
  };
  const selectorFor = (el) => el.id ? '#' + CSS.escape(el.id) : el.name ? byName(el)
    : hook(el) ? el.tagName.toLowerCase() + '[' + hookName(el) + '="' + CSS.escape(hook(el)) + '"]'
    : (el.type || '').toLowerCase() === 'file' ? marked(el) : null;
  const hinted = (el) => {
    const question = questionSelector && el.closest(questionSelector);
    const label = question && labelSelector && question.querySelector(labelSelector);
    return label && !label.contains(el) ? label.innerText : '';
  };
  // A fieldset or ARIA group around one radio/checkbox name carries the question's text.
  const groupOf = (el) => {
    const group = el.closest('fieldset, [role="radiogroup"], [role="group"]');
    const own = group && [...group.querySelectorAll('input, select, textarea')].every(c => c.name === el.name);
    return own ? group : null;
  };
  const groupLabel = (group) => {
    if (!group) return '';
    const legend = group.querySelector('legend');
    return byIds(group.getAttribute('aria-labelledby')) || group.getAttribute('aria-label')
      || (legend ? legend.innerText : '');
  };
  const ownLabel = (el) => {
    const referenced = byIds(el.getAttribute('aria-labelledby'));
    if (referenced.trim()) return referenced;
    const bound = [...(el.labels || [])].find(l => !l.contains(el));
    if (bound) return bound.innerText;
    const hint = hinted(el);
    if (hint) return hint;
    const wrapping = el.labels && el.labels[0];
    if (wrapping && wrapping.innerText.trim()) return wrapping.innerText;
    return el.getAttribute('aria-label') || el.placeholder || askedBefore(el) || el.name || el.id || hook(el);
  };
  const optionLabel = (el) => {
    const bound = el.labels && el.labels[0];
    return clean(bound ? bound.innerText : (el.getAttribute('aria-label') || byIds(el.getAttribute('aria-labelledby'))))
      || el.value;
  };
  const fileValue = (el) => {
    if (el.files && el.files.length) return [...el.files].map(f => f.name).join(', ');
    const box = el.closest('.file-upload, [class*="upload"]');
    const chosen = box && box.querySelector('.file-upload__filename, [class*="filename"]');
    if (chosen && chosen.innerText.trim()) return chosen.innerText.trim();
    // An uploader that empties its input once the file is sent lists the file beside it instead.
    const block = el.closest('[class*="upload" i]');
    const listed = block && block.querySelector('[class*="filename" i], ul li');
    return listed ? listed.innerText.trim() : '';
  };
  const isRequired = (el) => el.required || el.getAttribute('aria-required') === 'true';
  const genericFile = /^(files?|upload( a)? files?|upload|browse|(choose|select|attach)( a)? files?|datei|fichier|archivo)$/i;
  // The label of the button that opens the popup a control sits in (aria-controls, data-popup, data-target, href).
  const openerOf = (el) => {
    for (let node = el.parentElement, depth = 0; node && depth < 6; node = node.parentElement, depth++) {
      if (!node.id) continue;
      const id = CSS.escape(node.id);
      const opener = document.querySelector('[aria-controls~="' + id + '"], [data-popup="' + id + '"], [data-target="#'
        + id + '"], [data-bs-target="#' + id + '"], a[href="#' + id + '"]');
      if (opener && !opener.contains(el)) {
        return byIds(opener.getAttribute('aria-labelledby')) || opener.getAttribute('aria-label') || opener.innerText || '';
      }
    }
    return '';
  };
  // A group of options asked by the text just before it (a <p> or heading, not bound as a label).
  const several = (el) => !!el.name
    && (el.getRootNode().querySelectorAll(['radio', 'checkbox'].map(type => 'input[type="' + type + '"][name="'
      + CSS.escape(el.name) + '"]').join(', ')).length > 1);
  const askedBefore = (node) => {
    for (let depth = 0; node && depth < 4; depth++, node = node.parentElement) {
      const before = node.previousElementSibling;
      if (before && !before.querySelector('input, select, textarea') && clean(before.innerText || '')) {
        return before.innerText;
      }
    }
    return '';
  };
  // What else the page says about a control, for telling its meaning: the fieldset's legend, the text
  // around it (a hidden file input's "Attach résumé" button), and whether it is hidden from people
  // (aria-hidden, or placed off-screen): a honeypot.
  const legendOf = (el) => {
    const fieldset = el.closest('fieldset');
    const legend = fieldset && fieldset.querySelector('legend');
    return legend ? clean(legend.innerText).slice(0, 300) : '';
  };
  const nearbyOf = (el) => {
    let node = el.parentElement;
    for (let depth = 0; node && depth < 3; depth++, node = node.parentElement) {
      const text = clean(node.innerText || '');
      if (text) return text.length <= 300 ? text : '';
    }
    return '';
  };
  const hiddenFromPeople = (el) => {
    if (el.closest('[aria-hidden="true"]')) return true;
    // Transparent and out of the tab order: nobody can see or reach it (a styled widget's own input stays reachable).
    if (el.getAttribute('tabindex') === '-1' && getComputedStyle(el).opacity === '0') return true;
    const box = el.getBoundingClientRect();
    return box.right + window.scrollX <= 0 || box.bottom + window.scrollY <= 0;
  };
  // The ids, names and test hooks of the custom elements a control sits in (a web component's own input).
  const hostsOf = (el) => {
    const names = [];
    for (let root = el.getRootNode(); root && root.host; root = root.host.getRootNode()) {
      const host = root.host;
      names.push(host.id, host.getAttribute('name'), host.getAttribute('data-test'), host.getAttribute('data-testid'));
    }
    return names.filter(Boolean).join(' ');
  };
  const facts = (el) => ({
    host: hostsOf(el),
    autocomplete: el.getAttribute('autocomplete') || '', placeholder: el.getAttribute('placeholder') || '',
    legend: legendOf(el), nearby: nearbyOf(el), input_type: (el.getAttribute('type') || '').toLowerCase(),
    hidden: (el.type || '') !== 'file' && hiddenFromPeople(el),
  });
  const questions = [];
  const groups = new Map();
  const seen = new Set();
  for (const el of root.querySelectorAll('input, textarea, select')) {
    const type = (el.type || '').toLowerCase();
    if (skipTypes.has(type)) continue;
    if (type === 'radio' || type === 'checkbox') {
      const key = el.name || el.id;
      if (!key) continue;
      let question = groups.get(key);
      if (!question) {
        const group = groupOf(el);
        const raw = groupLabel(group) || hinted(el) || (several(el) && askedBefore(group || el)) || ownLabel(el);
        question = {
          kind: type, name: el.name || '', id: el.name ? '' : el.id, hook: hook(el),
          selector: el.name ? byName(el) : '#' + CSS.escape(el.id), label: clean(raw),
          required: /[*\\u2731]/.test(raw) || (!!group && group.getAttribute('aria-required') === 'true'),
          value: '', choices: [], visible: false, ...facts(el), hidden: false,
        };
        groups.set(key, question);
        questions.push(question);
      }
      question.required = question.required || isRequired(el);
      question.visible = question.visible || shown(el) || [...(el.labels || [])].some(shown);
      question.choices.push({
        label: optionLabel(el), value: el.value, checked: el.checked,
        selector: el.id ? '#' + CSS.escape(el.id) : byName(el) + '[value="' + CSS.escape(el.value) + '"]',
      });
      continue;
    }
    if (type !== 'file' && !shown(el)) continue;
    const selector = selectorFor(el);
    if (!selector || seen.has(selector)) continue;
    seen.add(selector);
    let raw = ownLabel(el);
    // A hidden file input behind an "Attach résumé" button is named by the text around it, or, in a popup
    // that only says "File", by the button that opens that popup.
    if (type === 'file' && (raw === el.name || raw === el.id || genericFile.test(clean(raw)))) {
      raw = openerOf(el) || nearbyOf(el) || raw;
    }
    const tag = el.tagName.toLowerCase();
    const question = {
      kind: tag === 'select' ? 'select' : tag === 'textarea' ? 'textarea' : type === 'file' ? 'file' : 'text',
      name: el.name || '', id: el.id || '', hook: hook(el), selector, label: clean(raw) || el.name || el.id,
      required: isRequired(el) || /[*\\u2731]/.test(raw), value: '', choices: [], visible: true, ...facts(el),
    };
    if (el instanceof HTMLSelectElement) {
      question.choices = [...el.options].filter(o => o.value !== '' && !o.disabled)
        .map(o => ({label: clean(o.text), value: o.value, checked: o.selected, selector: ''}));
      const chosen = el.selectedIndex >= 0 ? el.options[el.selectedIndex] : null;
      question.value = chosen && chosen.value !== '' && !chosen.disabled ? clean(chosen.text) : '';
    } else {
      question.value = type === 'file' ? fileValue(el) : el.value;
    }
    questions.push(question);
  }
  for (const question of groups.values()) {
    question.value = question.choices.filter(c => c.checked).map(c => c.label).join(', ');
  }
  return questions.filter(q => q.visible).map(({visible, ...question}) => question);
}
"""

# Ticks or unticks like a user's click, so the page's own click/input/change handlers run
# (React tracks checkboxes and radios through the click event, not through `checked`); never
# clicks something that would send the form.
SET_CHECKED_JS = (
    """
(selector, checked) => {
  const wouldSubmit = """
    + WOULD_SUBMIT_JS.strip()
    + """;
  const el = document.querySelector(selector);
  if (!el || wouldSubmit(el)) return {found: false};
  if (el.checked !== checked) el.click();
  return {found: true, checked: el.checked};
}
"""
)


async def read_questions(
    browser: BrowserSession,
    root_selector: str,
    question_selector: str | None = None,
    label_selector: str | None = None,
) -> list[Question]:
    script = DEEP_READ_QUESTIONS_JS if is_deep(root_selector) else READ_QUESTIONS_JS
    rows = await evaluate(browser, script, root_selector, question_selector, label_selector) or []
    return [
        Question(
            **{
                **row,
                "choices": (choices := tuple(Choice(**choice) for choice in row["choices"])),
                "options": tuple(choice.label for choice in choices),
            }
        )
        for row in rows
    ]


async def set_checked(browser: BrowserSession, selector: str, checked: bool = True) -> bool:
    """Tick (or untick) a checkbox or radio as a click would; False if missing or it would not change."""
    outcome = await evaluate(browser, for_selectors(SET_CHECKED_JS, selector), selector, checked)
    return bool(outcome and outcome.get("found") and outcome.get("checked") == checked)


# --- Open shadow roots: web-component forms (SmartRecruiters' spl-* elements) ---
#
# A selector with ">>>" reaches into open shadow roots: "host >>> inner" is `inner` inside the
# shadow root of `host` (nested roots included), and a leading ">>>" searches the whole page,
# every open shadow root included. Every helper above that takes a selector accepts one; plain
# selectors behave exactly as before.

DEEP_COMBINATOR = ">>>"

# Defines, for the script it wraps, `deepQueryAll(selector, scope)`, `shadowPrefix(el)` and a
# `document` whose querySelector(All) and getElementById reach into open shadow roots and whose
# activeElement is the focused element inside them.
DEEP_QUERY_PRELUDE_JS = """
  const realDocument = window.document;
  const allDeep = (base, selector) => {
    const found = [];
    const visit = (node) => {
      for (const child of node.children) {
        if (child.matches(selector)) found.push(child);
        if (child.shadowRoot) visit(child.shadowRoot);
        visit(child);
      }
    };
    if (base.nodeType === 1 && base.shadowRoot) visit(base.shadowRoot);
    visit(base);
    return found;
  };
  const deepQueryAll = (selector, scope) => {
    const parts = String(selector).split('>>>').map(part => part.trim()).filter(Boolean);
    let found = [scope || realDocument];
    parts.forEach((part, i) => {
      found = [...new Set(found.flatMap(el => {
        const base = i === 0 ? el : el.shadowRoot;
        return base ? allDeep(base, part) : [];
      }))];
    });
    return parts.length ? found : [];
  };
  // How to find `el` in its own tree: its id, name, test hook or tag where that is unique there.
  const localSelector = (el) => {
    const root = el.getRootNode();
    const tag = el.tagName.toLowerCase();
    const unique = (selector) => root.querySelectorAll(selector).length === 1 ? selector : null;
    const attribute = (name) => el.getAttribute(name)
      ? unique(tag + '[' + name + '="' + CSS.escape(el.getAttribute(name)) + '"]') : null;
    return (el.id && unique('#' + CSS.escape(el.id))) || attribute('name') || attribute('data-test')
      || attribute('data-testid') || unique(tag)
      || tag + ':nth-of-type(' + ([...el.parentNode.children].filter(c => c.tagName === el.tagName)
        .indexOf(el) + 1) + ')';
  };
  // "" for an element of the page itself, else "host >>> ... >>> " down to the root holding it.
  const shadowPrefix = (el) => {
    const root = el.getRootNode();
    if (!(root instanceof ShadowRoot)) return '';
    return shadowPrefix(root.host) + localSelector(root.host) + ' >>> ';
  };
  const deepActive = () => {
    let el = realDocument.activeElement;
    while (el && el.shadowRoot && el.shadowRoot.activeElement) el = el.shadowRoot.activeElement;
    return el;
  };
  const document = new Proxy(realDocument, {
    get(target, property) {
      if (property === 'querySelector') return (selector) => deepQueryAll(selector, target)[0] || null;
      if (property === 'querySelectorAll') return (selector) => deepQueryAll(selector, target);
      if (property === 'getElementById') return (id) => deepQueryAll('#' + CSS.escape(id), target)[0] || null;
      if (property === 'activeElement') return deepActive();
      const value = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
"""


def is_deep(selector: str | None) -> bool:
    """The selector reaches into open shadow roots (it has ">>>")."""
    return selector is not None and DEEP_COMBINATOR in selector


def through_shadow_roots(script: str) -> str:
    """The same page script, with `document` queries reaching into open shadow roots."""
    return f"(() => {{{DEEP_QUERY_PRELUDE_JS}  return ({script.strip()});\n}})()"


def for_selectors(script: str, *selectors: str | None) -> str:
    """`script` as is, or through shadow roots when any of the selectors it will be given is deep."""
    return through_shadow_roots(script) if any(is_deep(selector) for selector in selectors) else script


def find_element_expression(selector: str) -> str:
    """A JS expression for the element: a plain selector that matches nothing on the page itself
    (an element marked inside a shadow root) is looked for in open shadow roots too."""
    deep = f"({through_shadow_roots('(selector) => document.querySelector(selector)')})({json.dumps(selector)})"
    return deep if is_deep(selector) else f"(document.querySelector({json.dumps(selector)}) || {deep})"


def _nth_element_expression(selector: str, index: int) -> str:
    """A JS expression for the index-th element matching `selector` in document order (null if none)."""
    script = for_selectors(NTH_ELEMENT_JS, selector).strip()
    return f"({script})({json.dumps(selector)}, {int(index)})"


def _through_shadow_roots_reader(script: str) -> str:
    """READ_QUESTIONS_JS for a deep root: controls inside open shadow roots, with deep selectors."""
    replacements = (
        ("root.querySelectorAll('input, textarea, select')", "deepQueryAll('input, textarea, select', root)"),
        ("'#' + CSS.escape(el.id)", "shadowPrefix(el) + '#' + CSS.escape(el.id)"),
        ("const byName = (el) => el.tagName", "const byName = (el) => shadowPrefix(el) + el.tagName"),
        ("hook(el) ? el.tagName", "hook(el) ? shadowPrefix(el) + el.tagName"),
    )
    for old, new in replacements:
        if old not in script:
            raise RuntimeError(f"READ_QUESTIONS_JS changed: update the shadow-root reader for {old!r}")
        script = script.replace(old, new)
    return through_shadow_roots(script)


DEEP_READ_QUESTIONS_JS = _through_shadow_roots_reader(READ_QUESTIONS_JS)


# --- Custom list controls: a button or div that opens a list of options (ARIA's select-only combobox) ---
#
# Many application forms draw their dropdowns themselves: a `div[role=combobox]` (Rippling) or a
# `button[aria-haspopup]` (BambooHR's Fabric selects) that opens a `role=listbox` of `role=option`s or a
# `role=menu` of `role=menuitem`s, often rendered elsewhere in the page (a portal). They read as page
# questions of kind "listbox": the toggle (found again by a mark of ours), its label, the option it shows,
# and its options when the page already holds them (`aria-controls`); otherwise they are read by opening it.

LIST_MARKER = "data-nyx-list"
LIST_OPTION_MARKER = "data-nyx-list-option"
LIST_OPTIONS = "[role='option'], [role='menuitem'], [role='menuitemradio']"

READ_LISTS_JS = (
    """
(rootSelector, marker, optionSelector) => {
  const wouldSubmit = """
    + WOULD_SUBMIT_JS.strip()
    + """;
  const root = document.querySelector(rootSelector) || document;
  const clean = (text) => (text || '').replace(/[*\\u2731]/g, ' ').replace(/\\s+/g, ' ').trim();
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const byIds = (ids) => (ids || '').split(/\\s+/).filter(Boolean).map(id => document.getElementById(id))
    .filter(Boolean).map(n => n.innerText).join(' ');
  // What a toggle shows before anything is chosen: "Select", "-Select-", "Choose…", "Bitte wählen".
  const placeholder = /^[\\s\\-\\u2013\\u2014.]*(select|choose|pick|please (select|choose)|bitte (aus)?w(ä|a)hlen|ausw(ä|a)hlen|s(é|e)lectionner|choisir|seleccion(e|ar)|elegir)\\b.{0,30}$/i;
  const askedBefore = (node) => {
    for (let depth = 0; node && depth < 4; depth++, node = node.parentElement) {
      const before = node.previousElementSibling;
      if (before && !before.querySelector('input, select, textarea, [role="combobox"], [aria-haspopup]')
          && clean(before.innerText || '')) return before.innerText;
    }
    return '';
  };
  const nearbyOf = (el) => {
    let node = el.parentElement;
    for (let depth = 0; node && depth < 3; depth++, node = node.parentElement) {
      const text = clean(node.innerText || '');
      if (text) return text.length <= 300 ? text : '';
    }
    return '';
  };
  const legendOf = (el) => {
    const fieldset = el.closest('fieldset');
    const legend = fieldset && fieldset.querySelector('legend');
    return legend ? clean(legend.innerText).slice(0, 300) : '';
  };
  const toggles = [...root.querySelectorAll('[role="combobox"], [aria-haspopup]')].filter(el =>
    !['input', 'select', 'textarea'].includes(el.localName)
    && !el.closest('header, nav, footer, [role="navigation"], [role="banner"], [role="menubar"], [role="menu"]')
    && !/^(false|dialog)$/i.test(el.getAttribute('aria-haspopup') || '')
    && !el.querySelector('input, select, textarea') && shown(el)
    // Never one whose click would send a form or follow a link.
    && !wouldSubmit(el) && !(el.matches('a[href]') && !/^#/.test(el.getAttribute('href'))));
  // The mark is the toggle's place among them, so that the same page loaded again marks it alike (a parked
  // application's answers are put back by selector); a place already taken gets a random one.
  const taken = (mark) => !!document.querySelector('[' + marker + '="' + mark + '"]');
  return toggles.map((el, place) => {
    if (!el.getAttribute(marker)) {
      el.setAttribute(marker, taken('l' + place) ? Math.random().toString(36).slice(2, 10) : 'l' + place);
    }
    const popup = (el.getAttribute('aria-controls') || el.getAttribute('aria-owns') || '').split(/\\s+/)
      .filter(Boolean).map(id => document.getElementById(id)).find(Boolean);
    const items = popup ? [...popup.querySelectorAll(optionSelector)] : [];
    const raw = byIds(el.getAttribute('aria-labelledby')) || el.getAttribute('aria-label') || askedBefore(el);
    const text = clean(el.innerText || el.textContent || '');
    return {
      kind: 'listbox', name: '', id: el.id || '', hook: '', selector: '[' + marker + '="' + el.getAttribute(marker) + '"]',
      label: clean(raw) || text, required: el.getAttribute('aria-required') === 'true' || /[*\\u2731]/.test(raw),
      value: placeholder.test(text) ? '' : text,
      choices: items.map(item => ({label: clean(item.textContent), value: item.getAttribute('data-value') || clean(item.textContent),
                                   checked: item.getAttribute('aria-selected') === 'true', selector: ''})),
      known: items.length > 0, autocomplete: '', placeholder: '', legend: legendOf(el), nearby: nearbyOf(el),
      input_type: '', hidden: !!el.closest('[aria-hidden="true"]'), host: '',
    };
  });
}
"""
)

# The options a list control shows now that it is open: those of its own popup, else any shown on the page.
SHOWN_LIST_OPTIONS_JS = """
(toggleSelector, optionSelector, marker) => {
  const shown = (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== 'hidden';
  const toggle = document.querySelector(toggleSelector);
  if (!toggle) return null;
  const popup = (toggle.getAttribute('aria-controls') || toggle.getAttribute('aria-owns') || '').split(/\\s+/)
    .filter(Boolean).map(id => document.getElementById(id)).find(Boolean);
  // A site menu's entries are links: not options of a form's question.
  const options = [...(popup || document).querySelectorAll(optionSelector)]
    .filter(o => shown(o) && !o.closest('a[href]') && !o.querySelector('a[href]'));
  document.querySelectorAll('[' + marker + ']').forEach(e => e.removeAttribute(marker));
  options.forEach((option, i) => option.setAttribute(marker, String(i)));
  return options.length ? options.map(o => (o.textContent || '').replace(/\\s+/g, ' ').trim()) : null;
}
"""


async def read_lists(browser: BrowserSession, root_selector: str) -> list[dict[str, Any]]:
    """The page's custom list controls as rows for `Question` (plus `known`: whether their options were read)."""
    script = for_selectors(READ_LISTS_JS, root_selector)
    return await evaluate(browser, script, root_selector, LIST_MARKER, LIST_OPTIONS) or []


async def open_list(browser: BrowserSession, toggle: str, timeout_s: float) -> list[str] | None:
    """Click a list control's toggle and wait for its options; returns their texts (marked for
    `pick_open_list`), or None when no options showed."""
    await click(browser, toggle)
    script = for_selectors(SHOWN_LIST_OPTIONS_JS, toggle)
    options: list[str] | None = await wait_until(
        browser, script, toggle, LIST_OPTIONS, LIST_OPTION_MARKER, timeout_s=timeout_s
    )
    return options


async def pick_open_list(browser: BrowserSession, index: int) -> None:
    """Click the index-th option `open_list` found."""
    await click(browser, f'[{LIST_OPTION_MARKER}="{index}"]')


async def close_list(browser: BrowserSession, toggle: str) -> None:
    """Close a list control opened only to read its options: its toggle again, if it still shows them."""
    script = for_selectors(SHOWN_LIST_OPTIONS_JS, toggle)
    still_open = "(selector) => document.querySelector(selector)?.getAttribute('aria-expanded') === 'true'"
    if await evaluate(browser, script, toggle, LIST_OPTIONS, LIST_OPTION_MARKER) or await evaluate(
        browser, for_selectors(still_open, toggle), toggle
    ):
        await click(browser, toggle)
