"""The live view, bot side: the page at /live/<token> and its WebSocket, bridged to the worker through Redis.

The worker streams its browser on Redis channels named after the token's hash (automation/live_view.py);
this side serves one static page to the phone and relays frames to it and its taps, scrolls and typing
back. A token opens only while Redis still binds it to a prompt and that prompt is pending; "Done" on
the page answers the prompt, after which the link opens nothing: a CAPTCHA as the chat's Done button
would, a review or a question as "done by hand" (the worker reads the form back: a fresh review, or
the question's answer taken from the page).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from pathlib import Path

from aiogram import Bot
from aiohttp import WSMsgType, web
from redis.asyncio import Redis

from automation.captcha import CaptchaDecision
from automation.live_view import (
    END,
    FRAME,
    Done,
    Sync,
    in_channel,
    out_channel,
    parse_input,
    token_digest,
    token_key,
)
from automation.prompts import PromptBridge
from handlers.captcha import OUTCOME_LINES as CAPTCHA_LINES
from handlers.questions import BY_HAND_DONE_LINE
from handlers.review import OUTCOME_LINES as REVIEW_LINES
from handlers.review import close_prompt_message
from storage.models import Prompt, PromptKind, PromptStatus, QuestionDecision, ReviewDecision
from storage.prompts import PromptRepository

log = logging.getLogger(__name__)

PAGE = (Path(__file__).parent / "live_view.html").read_text()
GONE = (
    "This live view has ended: its prompt was answered or expired, or the browser was put away while "
    "waiting for you. Answer in the chat."
)
# What Done on the page answers, and the line its chat message ends with, by kind of prompt.
DONE: dict[PromptKind, tuple[dict[str, str], str]] = {
    PromptKind.CAPTCHA: ({"decision": CaptchaDecision.DONE.value}, CAPTCHA_LINES[CaptchaDecision.DONE]),
    PromptKind.REVIEW: ({"decision": ReviewDecision.BY_HAND.value}, REVIEW_LINES[ReviewDecision.BY_HAND]),
    PromptKind.QUESTION: ({"decision": QuestionDecision.BY_HAND.value}, BY_HAND_DONE_LINE),
}
HEADERS = {
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",  # the token is in the path: never hand it to another site
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
        "img-src blob: data:; connect-src 'self'; frame-ancestors https://web.telegram.org"
    ),
}


class LiveViewServer:
    def __init__(self, redis: Redis, prompts: PromptRepository, bridge: PromptBridge, bot: Bot) -> None:
        self._redis, self._prompts, self._bridge, self._bot = redis, prompts, bridge, bot

    def register(self, app: web.Application) -> None:
        app.router.add_get("/live/{token}", self._page)
        app.router.add_get("/live/{token}/ws", self._socket)

    async def prompt_for(self, token: str) -> Prompt | None:
        """The pending prompt the token opens, or None (unknown, ended, answered, expired)."""
        if not token or len(token) > 100:
            return None
        bound = await self._redis.get(token_key(token_digest(token)))
        if bound is None:
            return None
        prompt = await self._prompts.get(int(bound))
        if prompt is None or prompt.status is not PromptStatus.PENDING:
            return None
        return prompt

    async def _page(self, request: web.Request) -> web.Response:
        if await self.prompt_for(request.match_info["token"]) is None:
            return web.Response(status=404, text=GONE, headers=HEADERS)
        return web.Response(text=PAGE, content_type="text/html", headers=HEADERS)

    async def _socket(self, request: web.Request) -> web.StreamResponse:
        token = request.match_info["token"]
        prompt = await self.prompt_for(token)
        if prompt is None:
            return web.Response(status=404, text=GONE, headers=HEADERS)
        digest = token_digest(token)
        ws = web.WebSocketResponse(heartbeat=20, max_msg_size=16 * 1024)
        await ws.prepare(request)
        pubsub = self._redis.pubsub()
        await pubsub.subscribe(out_channel(digest))
        frames = asyncio.create_task(self._frames(pubsub, ws))
        try:
            await self._redis.publish(in_channel(digest), '{"t":"hello"}')
            await self._inputs(ws, prompt, digest)
        finally:
            frames.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await frames
            await pubsub.unsubscribe()
            await pubsub.aclose()
            await ws.close()
        return ws

    async def _frames(self, pubsub, ws: web.WebSocketResponse) -> None:
        async for message in pubsub.listen():
            if message.get("type") != "message":
                continue
            data: bytes = message["data"]
            if data.startswith(END):
                await ws.close(message=b"ended")
                return
            if data.startswith(FRAME):
                await ws.send_bytes(data[1:])

    async def _inputs(self, ws: web.WebSocketResponse, prompt: Prompt, digest: str) -> None:
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                continue
            event = parse_input(message.data)
            if event is None or isinstance(event, Sync):  # the worker's own marker, never the phone's
                continue
            if isinstance(event, Done):
                await self._done(prompt)
                return
            await self._redis.publish(in_channel(digest), event.model_dump_json())

    async def _done(self, prompt: Prompt) -> None:
        """Done on the page answers the prompt, and the chat message says so."""
        if prompt.kind not in DONE:
            return
        answer, line = DONE[prompt.kind]
        answered = await self._bridge.answer(prompt.id, prompt.user_id, answer, prompt.kind)
        if answered is not None:
            await close_prompt_message(self._bot, answered, line)
