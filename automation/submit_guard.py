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
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import weakref
from typing import TYPE_CHECKING, Any

from automation import page_js

if TYPE_CHECKING:
    from browser_use import BrowserSession

log = logging.getLogger(__name__)

GUARDED_TARGET_TYPES = frozenset({"page", "tab", "iframe"})
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
  Object.defineProperty(window, marker, {value: Object.freeze({get blocked() { return blocked; }})});
  const stop = (event) => { event.preventDefault(); event.stopImmediatePropagation(); blocked += 1; };
  const onSubmit = (event) => { if (!lifted) stop(event); };
  const onClick = (event) => {
    const path = event.composedPath();
    if (!lifted && wouldSubmit(path.length ? path[0] : event.target)) stop(event);
  };
  const guard = (target) => {
    listen.call(target, 'submit', onSubmit, true);
    listen.call(target, 'click', onClick, true);
  };
  guard(window);
  listen.call(window, %(lift)s, () => { lifted = true; }, true);
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
        self.script = _GUARD_TEMPLATE % {
            "marker": json.dumps(self.marker),
            "lift": json.dumps(self._lift_event),
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
                except Exception:  # the target went away meanwhile
                    continue
                for frame_id in _frame_ids(tree.get("frameTree", {})):
                    lifted += await self._lift_frame(client, session.session_id, frame_id)
        log.debug("submit guard lifted in %d frames", lifted)
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
        except Exception as exc:  # a target that closed meanwhile needs no guard
            log.debug("submit guard not added to session %s: %s", session_id[:8], exc)
            return
        self._covered.add(session_id)

    async def _lift_frame(self, client: Any, session_id: str, frame_id: str) -> int:
        try:
            world = await client.send.Page.createIsolatedWorld(
                params={"frameId": frame_id, "worldName": LIFT_WORLD}, session_id=session_id
            )
            await client.send.Runtime.evaluate(
                params={
                    "expression": f"window.dispatchEvent(new Event({json.dumps(self._lift_event)}))",
                    "contextId": world["executionContextId"],
                },
                session_id=session_id,
            )
        except Exception:  # a frame of another process (its own target lifts it) or one that went away
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


def _frame_ids(tree: dict) -> list[str]:
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
