"""The live view, worker side: the browser's screen goes to the user's phone and their taps come back.

While a prompt needs the user's hands in the browser (a CAPTCHA widget), the worker streams its page
through Chromium's screencast (`Page.startScreencast`) and replays the user's input on it
(`Input.dispatchMouseEvent`, `Input.insertText`, `Input.dispatchKeyEvent`). Nothing listens on the
worker: frames and input travel through the Redis the bot and the worker already share, on channels
named after a one-time token's hash, and the bot's web server bridges them to the phone's WebSocket
(bot/live_view.py). The token is random, kept in Redis only as its SHA-256, bound to one prompt and
deleted when the prompt ends; the bot also refuses it once the prompt row is no longer pending.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import logging
import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, Field, TypeAdapter, ValidationError
from redis.asyncio import Redis

from storage.models import Prompt

if TYPE_CHECKING:
    from browser_use import BrowserSession
    from cdp_use.cdp.page.commands import StartScreencastParameters
    from cdp_use.cdp.page.events import ScreencastFrameEvent

log = logging.getLogger(__name__)

# Every message on a view's "out" channel starts with one of these bytes.
FRAME, END = b"F", b"E"
SCREENCAST: StartScreencastParameters = {
    "format": "jpeg",
    "quality": 60,
    "maxWidth": 1280,
    "maxHeight": 1600,
    "everyNthFrame": 1,
}
MAX_TEXT = 500
SYNC_TIMEOUT_S = 5.0  # the longest the end of a live view waits for the input still in flight


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_key(digest: str) -> str:
    """Where the prompt id a live-view token opens is kept (the token itself is never stored)."""
    return f"nyx:live:token:{digest}"


def out_channel(digest: str) -> str:
    """Frames (and the end) from the worker to whoever watches."""
    return f"nyx:live:{digest}:out"


def in_channel(digest: str) -> str:
    """The viewer's input from the bot to the worker."""
    return f"nyx:live:{digest}:in"


# --- what the phone may send (validated by the bot, and again by the worker) ------------------

Fraction = Annotated[float, Field(ge=0, le=1)]
Delta = Annotated[float, Field(ge=-5, le=5)]


class Hello(BaseModel):
    """A viewer connected: send a fresh frame."""

    t: Literal["hello"]


class Tap(BaseModel):
    """A tap or click at a point of the picture, as fractions of its width and height."""

    t: Literal["tap"]
    x: Fraction
    y: Fraction


class Wheel(BaseModel):
    """A scroll at a point, its distance as fractions of the picture's size."""

    t: Literal["wheel"]
    x: Fraction
    y: Fraction
    dx: Delta = 0
    dy: Delta = 0


class Text(BaseModel):
    t: Literal["text"]
    text: Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]


class Key(BaseModel):
    t: Literal["key"]
    key: Literal["Enter", "Backspace", "Tab", "Escape", "ArrowUp", "ArrowDown", "ArrowLeft", "ArrowRight", "Delete"]


class Done(BaseModel):
    """The user says they are done: answered by the bot, never sent to the worker."""

    t: Literal["done"]


class Sync(BaseModel):
    """The worker's own marker at the end of the input: everything sent before it has been replayed."""

    t: Literal["sync"]
    id: Annotated[str, Field(max_length=64)]


LiveInput = Annotated[Hello | Tap | Wheel | Text | Key | Done | Sync, Field(discriminator="t")]
LIVE_INPUT: TypeAdapter[LiveInput] = TypeAdapter(LiveInput)

# Windows virtual key codes: without them Chromium ignores a key's default action (e.g. Backspace).
KEY_CODES = {
    "Enter": 13,
    "Backspace": 8,
    "Tab": 9,
    "Escape": 27,
    "ArrowLeft": 37,
    "ArrowUp": 38,
    "ArrowRight": 39,
    "ArrowDown": 40,
    "Delete": 46,
}


def parse_input(raw: str | bytes) -> LiveInput | None:
    try:
        return LIVE_INPUT.validate_json(raw)
    except ValidationError:
        return None


# --- the worker's side ------------------------------------------------------------------------


@dataclass(frozen=True)
class LiveViewConfig:
    """Where live views are opened: the shared Redis and the bot's public base URL (LIVE_VIEW_BASE_URL)."""

    redis: Redis
    base_url: str


@dataclass
class LiveView:
    """One prompt's live view: its link, and the screencast that runs while the prompt waits."""

    config: LiveViewConfig
    browser: BrowserSession
    token: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    _size: tuple[float, float] | None = None  # the page's CSS size, from the last frame
    _cdp: Any = None
    _bound: str | None = None
    _sync: str | None = None
    _synced: asyncio.Event = field(default_factory=asyncio.Event)
    _forwarding: set[asyncio.Task[None]] = field(default_factory=set)  # frames on their way, kept from the GC

    @property
    def digest(self) -> str:
        return token_digest(self.token)

    @property
    def url(self) -> str:
        return f"{self.config.base_url}/live/{self.token}"

    async def bind(self, prompt: Prompt) -> None:
        """Let the link open this prompt until it expires; done before the link is sent."""
        seconds = max(1, int((prompt.expires_at - datetime.now(UTC)).total_seconds()) + 1)
        await self.config.redis.set(token_key(self.digest), str(prompt.id), ex=seconds)
        self._bound = token_key(self.digest)

    async def listen(self) -> Any:
        """Subscribe to the viewer's input; done before the link exists, so no hello is missed."""
        pubsub = self.config.redis.pubsub()
        await pubsub.subscribe(in_channel(self.digest))
        return pubsub

    async def run(self, pubsub: Any) -> None:
        """Follow the viewer's input until cancelled: a hello (re)starts the screencast, the rest is replayed."""
        try:
            async for message in pubsub.listen():
                if message.get("type") != "message":
                    continue
                event = parse_input(message["data"])
                if event is None or isinstance(event, Done):
                    continue
                if isinstance(event, Sync):
                    if event.id == self._sync:
                        self._synced.set()
                    continue
                try:
                    await self._handle(event)
                except Exception:  # a closed tab or a detached target: the next hello starts again
                    log.warning("live view: input %s could not be replayed", event.t, exc_info=True)
                    self._cdp = None
        finally:
            await pubsub.unsubscribe()
            await pubsub.aclose()

    async def settle(self) -> None:
        """Wait until the input sent before now has been replayed (typing just before Done is not lost).

        Redis delivers a channel's messages in the order they were published, so once our own marker
        comes back through the channel, everything the viewer sent before the prompt's answer has run.
        """
        self._sync = secrets.token_hex(8)
        self._synced.clear()
        await self.config.redis.publish(in_channel(self.digest), Sync(t="sync", id=self._sync).model_dump_json())
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._synced.wait(), SYNC_TIMEOUT_S)

    async def end(self) -> None:
        """Stop the screencast, tell the watchers, and make the link open nothing."""
        if self._bound:
            await self.config.redis.delete(self._bound)
        await self.config.redis.publish(out_channel(self.digest), END)
        if self._cdp is not None:
            with contextlib.suppress(Exception):
                await self._cdp.cdp_client.send.Page.stopScreencast(session_id=self._cdp.session_id)
            self._cdp = None

    async def _handle(self, event: LiveInput) -> None:
        if isinstance(event, Hello):
            await self._restart_screencast()
            return
        cdp = self._cdp or await self._restart_screencast()
        send, sid = cdp.cdp_client.send.Input, cdp.session_id
        width, height = self._size or await self._page_size(cdp)
        if isinstance(event, Tap):
            point = {"x": event.x * width, "y": event.y * height}
            await send.dispatchMouseEvent(params={"type": "mouseMoved", **point}, session_id=sid)
            for kind in ("mousePressed", "mouseReleased"):
                await send.dispatchMouseEvent(
                    params={"type": kind, **point, "button": "left", "buttons": 1, "clickCount": 1}, session_id=sid
                )
        elif isinstance(event, Wheel):
            await send.dispatchMouseEvent(
                params={
                    "type": "mouseWheel",
                    "x": event.x * width,
                    "y": event.y * height,
                    "deltaX": event.dx * width,
                    "deltaY": event.dy * height,
                },
                session_id=sid,
            )
        elif isinstance(event, Text):
            await send.insertText(params={"text": event.text}, session_id=sid)
        elif isinstance(event, Key):
            code = KEY_CODES[event.key]
            for kind in ("keyDown", "keyUp"):
                await send.dispatchKeyEvent(
                    params={
                        "type": kind,
                        "key": event.key,
                        "code": event.key,
                        "windowsVirtualKeyCode": code,
                        **({"text": "\r"} if event.key == "Enter" and kind == "keyDown" else {}),
                    },
                    session_id=sid,
                )

    async def _restart_screencast(self) -> Any:
        """Start the screencast on the current tab; restarting makes Chromium send a frame at once."""
        cdp = await self.browser.get_or_create_cdp_session(focus=False)
        if self._cdp is not None:
            with contextlib.suppress(Exception):
                await self._cdp.cdp_client.send.Page.stopScreencast(session_id=self._cdp.session_id)
        self._cdp = cdp
        cdp.cdp_client.register.Page.screencastFrame(self._on_frame)
        await cdp.cdp_client.send.Page.startScreencast(params=SCREENCAST, session_id=cdp.session_id)
        return cdp

    def _on_frame(self, event: ScreencastFrameEvent, session_id: str | None) -> None:
        cdp = self._cdp
        if cdp is None or session_id != cdp.session_id:
            return
        meta = event.get("metadata") or {}
        if meta.get("deviceWidth") and meta.get("deviceHeight"):
            self._size = (float(meta["deviceWidth"]), float(meta["deviceHeight"]))
        task = asyncio.ensure_future(self._forward(cdp, event, session_id))
        self._forwarding.add(task)
        task.add_done_callback(self._forwarding.discard)

    async def _forward(self, cdp: Any, event: ScreencastFrameEvent, session_id: str | None) -> None:
        # The ack comes after the publish, so Chromium never gets ahead of Redis.
        try:
            await self.config.redis.publish(out_channel(self.digest), FRAME + base64.b64decode(event["data"]))
            await cdp.cdp_client.send.Page.screencastFrameAck(
                params={"sessionId": event["sessionId"]}, session_id=session_id
            )
        except Exception:
            log.debug("live view: a frame was dropped", exc_info=True)

    @staticmethod
    async def _page_size(cdp: Any) -> tuple[float, float]:
        metrics = await cdp.cdp_client.send.Page.getLayoutMetrics(session_id=cdp.session_id)
        viewport = metrics["cssVisualViewport"]
        return float(viewport["clientWidth"]), float(viewport["clientHeight"])


@contextlib.asynccontextmanager
async def live_view(config: LiveViewConfig | None, browser: BrowserSession | None) -> AsyncIterator[LiveView | None]:
    """A live view of `browser` for as long as the block runs; None when no base URL is configured (or no browser)."""
    if config is None or browser is None:
        yield None
        return
    view = LiveView(config, browser)
    task = asyncio.create_task(view.run(await view.listen()), name="live-view")
    try:
        yield view
        await view.settle()
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
        with contextlib.suppress(Exception):
            await view.end()
