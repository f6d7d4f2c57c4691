"""The second line against an application nobody approved: a submit guard in every frame.

`open_browser` installs it at the start of every session. A script runs in every document of
every tab and frame (out-of-process iframes and new tabs included) before the page's own
scripts: until the guard is lifted it cancels `submit` events (a click on a submit button,
Enter in a field, `requestSubmit()`), clicks that would send a form (page_js.WOULD_SUBMIT_JS,
so a submit button's own click handlers do not run either) and `form.submit()` /
`requestSubmit()` calls, also inside shadow roots the page attaches.

Only the approved submit lifts it (`automation.adapters.outcome.submit_form`, used by every
adapter and by the agent backend), in every frame, right before its one click. The lift is an
event whose name is random per session, dispatched from an isolated world the page cannot
reach: a page script cannot lift the guard by guessing a global name. Documents loaded after
that (the confirmation page) are guarded again.

A multi-step form whose "Next" is its submit button moves on through `take_step`: armed the same
way for one click on that control, the guard lets the click and its `submit` event reach the page's
handlers but always cancels the browser's own sending, and reports the step refused unless the
page's handler cancelled it too (it moves on by script). A control that reads like the final submit
is never taken as a step.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import weakref
from typing import TYPE_CHECKING, Any

from automation import page_js

if TYPE_CHECKING:
    from browser_use import BrowserSession
    from cdp_use.cdp.page.types import FrameTree

log = logging.getLogger(__name__)

GUARDED_TARGET_TYPES = frozenset({"page", "tab", "iframe"})
STEP_MARKER = "data-nyx-step"
STEP_VERDICT_TIMEOUT_S = 5.0
# The guard's verdict on the step just clicked, or "navigated" once another document replaced this one.
_STEP_VERDICT_JS = """
(marker, document) => performance.timeOrigin !== document ? 'navigated'
  : (window[marker] && ['taken', 'refused', 'none'].includes(window[marker].step) ? window[marker].step : null)
"""
# The step control, marked for the click; returns what it says, or null when it is not shown.
_MARK_STEP_JS = """
(selector, marker) => {
  document.querySelectorAll('[' + marker + ']').forEach(e => e.removeAttribute(marker));
  const el = document.querySelector(selector);
  if (!el || !(el.getClientRects().length > 0)) return null;
  el.setAttribute(marker, '1');
  return (el.innerText || el.value || el.getAttribute('aria-label') || '').replace(/\\s+/g, ' ').trim();
}
"""
LIFT_WORLD = "nyx-submit-guard"

# %(marker)s: a read-only counter of blocked submissions on window (also "already installed");
# %(lift)s: the secret event type that lifts the guard. The listener functions and patched methods
# never hold the secret in their own source text, so reading them back reveals nothing.
_GUARD_TEMPLATE = """
(() => {
  const marker = %(marker)s;
  if (Object.prototype.hasOwnProperty.call(window, marker)) return;
  const wouldSubmit = %(would_submit)s;
  const listen = EventTarget.prototype.addEventListener;
  let lifted = false;
  let blocked = 0;
  // A step of a multi-step form: armed for one click on the control marked %(step_mark)s. Its submit event
  // reaches the page's own handlers, but the browser's own sending is always cancelled: the step counts
  // as taken only when the page's handler cancelled it too (it moves on by script), else as refused.
  let armed = false;
  let step = null;
  Object.defineProperty(window, marker, {value: Object.freeze({
    get blocked() { return blocked; }, get step() { return step; }})});
  const stop = (event) => { event.preventDefault(); event.stopImmediatePropagation(); blocked += 1; };
  const isStep = (node) => armed && !!node && !!node.closest && !!node.closest('[' + %(step_mark)s + ']');
  const nativePreventDefault = Event.prototype.preventDefault;
  const onSubmit = (event) => {
    if (lifted) return;
    if (!isStep(event.submitter)) { stop(event); return; }
    armed = false;
    let byPage = false;
    Object.defineProperty(event, 'preventDefault', {value: function preventDefault() {
      byPage = true; return nativePreventDefault.call(this); }});
    nativePreventDefault.call(event);
    step = 'pending';
    setTimeout(() => { step = byPage ? 'taken' : 'refused'; if (!byPage) blocked += 1; }, 0);
  };
  const onClick = (event) => {
    const path = event.composedPath();
    const target = path.length ? path[0] : event.target;
    if (isStep(target)) {  // one click, then disarmed; a click that sent no submit event was a plain one
      step = 'clicked';
      setTimeout(() => { armed = false; if (step === 'clicked') step = 'none'; }, 0);
      return;
    }
    if (!lifted && wouldSubmit(target)) stop(event);
  };
  const guard = (target) => {
    listen.call(target, 'submit', onSubmit, true);
    listen.call(target, 'click', onClick, true);
  };
  guard(window);
  listen.call(window, %(lift)s, () => { lifted = true; }, true);
  listen.call(window, %(arm)s, () => { armed = true; step = null; }, true);
  // `submit` does not leave a shadow root: guard each root the page attaches as well.
  const nativeAttachShadow = Element.prototype.attachShadow;
  Element.prototype.attachShadow = function attachShadow(...args) {
    const root = nativeAttachShadow.apply(this, args);
    guard(root);
    return root;
  };
  const proto = HTMLFormElement.prototype;
  const nativeSubmit = proto.submit;
  const nativeRequestSubmit = proto.requestSubmit;
  proto.submit = function submit() {
    if (lifted) return nativeSubmit.call(this);
    blocked += 1;
  };
  proto.requestSubmit = function requestSubmit(...args) {
    if (lifted) return nativeRequestSubmit.apply(this, args);
    blocked += 1;
  };
})();
"""


class SubmitGuard:
    """One browser session's guard: its script, installed on every page and frame target."""

    def __init__(self) -> None:
        self.marker = f"__nyxSubmitGuard_{secrets.token_hex(6)}"
        self._lift_event = f"nyx-lift-{secrets.token_hex(16)}"
        self._arm_event = f"nyx-step-{secrets.token_hex(16)}"
        self.script = _GUARD_TEMPLATE % {
            "marker": json.dumps(self.marker),
            "lift": json.dumps(self._lift_event),
            "arm": json.dumps(self._arm_event),
            "step_mark": json.dumps(STEP_MARKER),
            "would_submit": page_js.would_submit_js().strip(),
        }
        self._covered: set[str] = set()  # CDP session ids that run the script
        self._pending: set[asyncio.Task[None]] = set()

    async def install(self, browser: BrowserSession) -> None:
        """Guard every page and frame target now, and every one that attaches later."""
        self._follow_new_targets(browser)
        await self.cover(browser)

    async def cover(self, browser: BrowserSession) -> None:
        """Guard the targets not yet guarded (cheap when there are none)."""
        manager = browser.session_manager
        if manager is None:
            return
        for target_id, target in list(manager.get_all_targets().items()):
            if target.target_type not in GUARDED_TARGET_TYPES:
                continue
            for session in manager.get_all_sessions_for_target(target_id):
                await self._add_script(browser, session.session_id)

    async def lift(self, browser: BrowserSession) -> int:
        """Let the form be sent: lifts the guard in every frame of every target; returns how many."""
        return await self._signal(browser, self._lift_event)

    async def take_step(self, browser: BrowserSession, selector: str, final_words: str) -> None:
        """Click a control that moves a multi-step form on ("Next", a data consent's "I Accept") although
        it is the form's submit button; raises SubmitRefused when that would send the form.

        Refused without clicking when the control reads like the final submit (`final_words`). Otherwise
        its submit event reaches the page's own handlers while the browser's own sending stays cancelled;
        a page that did not cancel it too (it would have posted the form) gets it refused.
        """
        mark = page_js.for_selectors(_MARK_STEP_JS, selector)
        text = await page_js.evaluate(browser, mark, selector, STEP_MARKER)
        if text is None:
            raise page_js.SubmitRefused(f"no step control {selector} on the page")
        if re.search(final_words, text, re.IGNORECASE):
            raise page_js.SubmitRefused(f"refused to click {text!r} as a step: it reads like the final submit")
        document = await page_js.evaluate(browser, "() => performance.timeOrigin")
        await self._signal(browser, self._arm_event)
        await page_js.submit_click(browser, f"[{STEP_MARKER}]")
        verdict = await page_js.wait_until(
            browser, _STEP_VERDICT_JS, self.marker, document, timeout_s=STEP_VERDICT_TIMEOUT_S
        )
        if verdict in ("refused", None):  # None: no verdict at all, so it is not known to be safe
            raise page_js.SubmitRefused(f"refused the step {text!r}: the page would have sent its form")
        # "taken", "none" (a plain button: no submission at all) or "navigated" (the page's script moved on;
        # the browser's own sending was cancelled, so that is no form post).

    async def _signal(self, browser: BrowserSession, event_name: str) -> int:
        await self.cover(browser)
        manager = browser.session_manager
        if manager is None:
            return 0
        lifted = 0
        client = browser.cdp_client
        for target_id, target in list(manager.get_all_targets().items()):
            if target.target_type not in GUARDED_TARGET_TYPES:
                continue
            for session in manager.get_all_sessions_for_target(target_id):
                try:
                    tree = await client.send.Page.getFrameTree(session_id=session.session_id)
                except Exception:  # noqa: BLE001 - the target went away meanwhile
                    continue
                for frame_id in _frame_ids(tree.get("frameTree", {})):
                    lifted += await self._signal_frame(client, session.session_id, frame_id, event_name)
        log.debug("submit guard signalled in %d frames", lifted)
        return lifted

    async def blocked(self, browser: BrowserSession) -> int:
        """How many submissions the guard stopped in the current tab's top document."""
        with contextlib.suppress(Exception):
            script = "(marker) => (window[marker] ? window[marker].blocked : 0)"
            return int(await page_js.evaluate(browser, script, self.marker) or 0)
        return 0

    async def _add_script(self, browser: BrowserSession, session_id: str) -> None:
        if session_id in self._covered:
            return
        try:
            await browser.cdp_client.send.Page.addScriptToEvaluateOnNewDocument(
                params={"source": self.script, "runImmediately": True}, session_id=session_id
            )
        except Exception as exc:  # noqa: BLE001 - a target that closed meanwhile needs no guard
            log.debug("submit guard not added to session %s: %s", session_id[:8], exc)
            return
        self._covered.add(session_id)

    async def _signal_frame(self, client: Any, session_id: str, frame_id: str, event_name: str) -> int:
        try:
            world = await client.send.Page.createIsolatedWorld(
                params={"frameId": frame_id, "worldName": LIFT_WORLD}, session_id=session_id
            )
            await client.send.Runtime.evaluate(
                params={
                    "expression": f"window.dispatchEvent(new Event({json.dumps(event_name)}))",
                    "contextId": world["executionContextId"],
                },
                session_id=session_id,
            )
        except Exception:  # noqa: BLE001 - a frame of another process (its own target lifts it) or one that went away
            return 0
        return 1

    def _follow_new_targets(self, browser: BrowserSession) -> None:
        """Add the script to each page or frame target as it attaches (new tabs, out-of-process iframes).

        cdp-use keeps one handler per event: ours runs browser-use's first, then guards the target.
        """
        client = browser.cdp_client
        registry = client._event_registry
        method = "Target.attachedToTarget"
        previous = registry._handlers.get(method)
        guard_ref = weakref.ref(self)

        def on_attached(event: Any, session_id: str | None = None) -> Any:
            result = previous(event, session_id) if previous is not None else None
            guard = guard_ref()
            info = event.get("targetInfo", {})
            if guard is not None and info.get("type") in GUARDED_TARGET_TYPES and event.get("sessionId"):
                task = asyncio.get_running_loop().create_task(guard._add_script(browser, event["sessionId"]))
                guard._pending.add(task)  # keep it alive until it ran
                task.add_done_callback(guard._pending.discard)
            return result

        registry.register(method, on_attached)


def _frame_ids(tree: FrameTree) -> list[str]:
    frame = tree.get("frame", {})
    ids = [frame["id"]] if frame.get("id") else []
    for child in tree.get("childFrames", []) or []:
        ids.extend(_frame_ids(child))
    return ids


_GUARDS: dict[int, SubmitGuard] = {}


async def guard_browser(browser: BrowserSession) -> SubmitGuard:
    """The session's submit guard, installed on first use (open_browser installs it at the start)."""
    guard = _GUARDS.get(id(browser))
    if guard is None:
        guard = SubmitGuard()
        _GUARDS[id(browser)] = guard
        weakref.finalize(browser, _GUARDS.pop, id(browser), None)
        await guard.install(browser)
    else:
        await guard.cover(browser)
    return guard


def guard_of(browser: BrowserSession) -> SubmitGuard | None:
    """The session's guard if one was installed."""
    return _GUARDS.get(id(browser))


def forget(browser: BrowserSession) -> None:
    """The session is over: drop its guard."""
    _GUARDS.pop(id(browser), None)
