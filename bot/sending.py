"""The one way the bot sends to Telegram: paced to Telegram's limits, retried, split to fit.

`install_sender(bot)` registers `SendingMiddleware` on the bot's session, so every call made
through that Bot (handlers' `message.answer`, the worker's notifier, the scheduler) passes
through it without the callers changing.

Only sending methods (`SENDING_METHODS`: send*, copy/forward, editMessage*) are touched; every
other call (getUpdates, answerCallbackQuery, getFile, ...) goes straight through.

Pacing
    One timeline for the whole bot (`SendTimeline`: 30 sends/s, evenly spaced, never more than
    30 in any second) and one aiolimiter leaky bucket per chat (1/s for a private chat, 20/min
    for a group or channel), per-chat ones kept in a bounded LRU dict. Every per-chat bucket has
    capacity 1, so sends are evenly spaced: Telegram publishes rates, not burst sizes, and we do
    not bet on a burst allowance. A per-chat lock keeps a chat's
    messages in order and makes the chat's spacing count from the moment each one is sent.

Errors
    429: all sending pauses for `retry_after` seconds (an asyncio.Event gate), then the call is
    retried. 5xx and network errors: retried with exponential back-off and jitter. Both count
    towards `max_retries`, after which the error is re-raised. Other 4xx errors are raised at
    once; 403 (the user blocked the bot) first calls `on_blocked(chat_id)`. A request that timed
    out may have reached Telegram, so a retried send can, rarely, arrive twice.

Splitting
    Text longer than 4096 visible characters becomes several messages, cut by `bot/splitting.py`
    (at paragraph, line or word boundaries; formatting closed and reopened, so every part is valid
    HTML). Text sent with explicit entities is turned into HTML first. Only the last part carries
    the reply_markup, only the first replies to a message, and the last Message is returned.
    A caption longer than 1024 characters: the media goes with the first part of the caption
    and the rest follows as text message(s) carrying the reply_markup; the last Message (the
    text) is returned. editMessage* calls are never split (an edit cannot become two messages),
    nor are media groups.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import OrderedDict, deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.client.session.middlewares.base import BaseRequestMiddleware, NextRequestMiddlewareType
from aiogram.exceptions import (
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import (
    SendAnimation,
    SendAudio,
    SendDocument,
    SendMessage,
    SendPhoto,
    SendVideo,
    SendVoice,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import MessageEntity
from aiogram.utils.text_decorations import html_decoration
from aiolimiter import AsyncLimiter
from prometheus_client import Counter

from bot.splitting import CAPTION_LIMIT, MESSAGE_LIMIT, is_blank, split_off, split_text, visible_length

log = logging.getLogger(__name__)

# The same counts as the middleware's attributes, for every sender in the process, for Prometheus.
TELEGRAM_SENT = Counter(
    "nyx_telegram_sent_total", "Sending calls Telegram accepted (one per part), by method", ["method"]
)
TELEGRAM_RETRIES = Counter("nyx_telegram_retries_total", "Sending calls made again after a 429, 5xx or network error")
TELEGRAM_RATE_LIMITED = Counter("nyx_telegram_rate_limited_total", "429 (Too Many Requests) answers from Telegram")
TELEGRAM_PAUSES = Counter("nyx_telegram_pauses_total", "Times all sending paused for a 429")

ChatId = int | str
OnBlocked = Callable[[ChatId], Awaitable[None]]
Next = NextRequestMiddlewareType[Any]  # the rest of aiogram's request chain

#: Bot API methods Telegram counts against the sending limits.
SENDING_METHODS = frozenset(
    {
        "sendMessage", "sendPhoto", "sendDocument", "sendVideo", "sendAnimation", "sendAudio",
        "sendVoice", "sendVideoNote", "sendSticker", "sendMediaGroup", "sendLocation",
        "sendContact", "sendPoll", "sendDice", "copyMessage", "copyMessages", "forwardMessage",
        "forwardMessages", "editMessageText", "editMessageCaption", "editMessageMedia",
        "editMessageReplyMarkup",
    }
)  # fmt: skip

_CAPTIONED = (SendPhoto, SendDocument, SendVideo, SendAnimation, SendAudio, SendVoice)


# --------------------------------------------------------------------------- text to cut


@dataclass(frozen=True)
class _Formatted:
    """Text as markup we can cut safely, and the parse mode to send the parts with."""

    text: str
    parse_mode: str | None

    @property
    def html_markup(self) -> bool:
        return (self.parse_mode or "").lower() == "html"


def _formatted(bot: Bot, text: str, parse_mode: Any, entities: list[MessageEntity] | None) -> _Formatted:
    if entities:
        return _Formatted(html_decoration.unparse(text, entities), "HTML")
    if isinstance(parse_mode, Default):
        parse_mode = bot.default[parse_mode.name]
    mode = getattr(parse_mode, "value", parse_mode)  # ParseMode is an enum
    return _Formatted(text, str(mode) if mode else None)


# --------------------------------------------------------------------------- the middleware


class SendTimeline:
    """The bot's overall pace: sends on a fixed timeline `1 / per_second` apart, and never more
    than `per_second` of them in any second.

    A leaky bucket of capacity 1 spaces each send from the moment the previous one was let through,
    so every late wake-up of a busy event loop is lost for good (at 30/s, 2 ms late per send is a
    6 % shortfall). Here slot n+1 is one period after slot n, so a late send is made up by the next;
    a timeline more than a period behind (the bot was idle) restarts at now, so idleness never buys
    a burst; and the window of the last `per_second` sends keeps the strict reading of Telegram's
    limit whatever the timeline does. Waiters are served in arrival order (an asyncio.Lock is fair).
    `clock` and `sleep` are the event loop's; tests pass a simulated pair.
    """

    def __init__(
        self,
        per_second: float,
        *,
        clock: Callable[[], float] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._period = 1 / per_second
        count = max(1, round(per_second))
        self._window_seconds = count / per_second
        self._recent: deque[float] = deque(maxlen=count)
        self._next = float("-inf")
        self._clock = clock
        self._sleep = sleep
        self._lock = asyncio.Lock()

    def _now(self) -> float:
        return self._clock() if self._clock is not None else asyncio.get_running_loop().time()

    async def acquire(self) -> None:
        async with self._lock:
            now = self._now()
            if now > self._next + self._period:
                self._next = now
            slot = self._next
            if len(self._recent) == self._recent.maxlen:
                slot = max(slot, self._recent[0] + self._window_seconds)
            if slot > now:
                await self._sleep(slot - now)
            self._recent.append(self._now())  # when it really left: the window errs on the safe side
            self._next = slot + self._period


@dataclass
class _ChatLane:
    """One chat's pace and order: its leaky bucket and the lock that keeps its sends in sequence."""

    limiter: AsyncLimiter
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


def _chat_id(method: TelegramMethod[Any]) -> ChatId | None:
    chat_id = getattr(method, "chat_id", None)
    if isinstance(chat_id, str) and chat_id.lstrip("-").isdigit():
        return int(chat_id)
    return chat_id if isinstance(chat_id, int | str) else None


class SendingMiddleware(BaseRequestMiddleware):
    """An aiogram session request middleware that paces, retries and splits the bot's sends.

    Counters for the bench and metrics: `sent` (successful sending calls, one per part),
    `retried` (calls made again after a 429, 5xx or network error) and
    `rate_limited_pauses` (times all sending paused for a 429).
    """

    def __init__(
        self,
        *,
        on_blocked: OnBlocked | None = None,
        global_rate: float = 30,
        private_rate: float = 1.0,
        group_per_minute: float = 20,
        max_retries: int = 5,
        backoff_base: float = 0.5,
        backoff_cap: float = 30.0,
        max_chats: int = 10_000,
    ) -> None:
        self._on_blocked = on_blocked
        self._global = SendTimeline(global_rate)
        self._private_period = 1 / private_rate
        self._group_period = 60 / group_per_minute
        self._max_retries = max_retries
        self._backoff_base = backoff_base
        self._backoff_cap = backoff_cap
        self._max_chats = max_chats
        self._lanes: OrderedDict[ChatId, _ChatLane] = OrderedDict()
        self._open = asyncio.Event()  # cleared while a 429 pauses all sending
        self._open.set()
        self._paused_until = 0.0
        self._reopen: asyncio.TimerHandle | None = None
        self.sent = 0
        self.retried = 0
        self.rate_limited_pauses = 0

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Any:
        if method.__api_method__ not in SENDING_METHODS:
            return await make_request(bot, method)
        if isinstance(method, SendMessage):
            return await self._send_text(make_request, bot, method)
        if isinstance(method, _CAPTIONED) and method.caption:
            return await self._send_captioned(make_request, bot, method)
        return await self._deliver(make_request, bot, method)

    # splitting -------------------------------------------------------------

    async def _send_text(self, make_request: Next, bot: Bot, method: SendMessage) -> Any:
        formatted = _formatted(bot, method.text, method.parse_mode, method.entities)
        fits = visible_length(formatted.text, html_markup=formatted.html_markup) <= MESSAGE_LIMIT
        parts = [] if fits else split_text(formatted.text, MESSAGE_LIMIT, html_markup=formatted.html_markup)
        if len(parts) < 2:  # fits, or nothing visible to split: Telegram decides
            return await self._deliver(make_request, bot, method)
        log.info("message to chat %s split into %d parts", method.chat_id, len(parts))
        sent = None
        for index, part in enumerate(parts):
            update: dict[str, Any] = {"text": part}
            if method.entities:
                update |= {"entities": None, "parse_mode": formatted.parse_mode}
            if index < len(parts) - 1:
                update["reply_markup"] = None
            if index > 0:
                update |= {"reply_parameters": None, "reply_to_message_id": None}
            sent = await self._deliver(make_request, bot, method.model_copy(update=update))
        return sent

    async def _send_captioned(self, make_request: Next, bot: Bot, method: Any) -> Any:
        formatted = _formatted(bot, method.caption, method.parse_mode, method.caption_entities)
        if visible_length(formatted.text, html_markup=formatted.html_markup) <= CAPTION_LIMIT:
            return await self._deliver(make_request, bot, method)
        head, rest = split_off(formatted.text, CAPTION_LIMIT, html_markup=formatted.html_markup)
        caption = {"caption": head, "caption_entities": None, "parse_mode": formatted.parse_mode}
        if is_blank(rest, html_markup=formatted.html_markup):
            return await self._deliver(make_request, bot, method.model_copy(update=caption))
        await self._deliver(make_request, bot, method.model_copy(update=caption | {"reply_markup": None}))
        follow_up = SendMessage(
            chat_id=method.chat_id,
            text=rest,
            parse_mode=formatted.parse_mode,
            message_thread_id=method.message_thread_id,
            disable_notification=method.disable_notification,
            protect_content=method.protect_content,
            reply_markup=method.reply_markup,
        )
        return await self._send_text(make_request, bot, follow_up)

    # delivery --------------------------------------------------------------

    async def _deliver(self, make_request: Next, bot: Bot, method: TelegramMethod[Any]) -> Any:
        """One call, paced and retried; a chat's calls go one at a time and in order."""
        chat_id = _chat_id(method)
        lane = self._lane(chat_id)
        if lane is None:
            return await self._attempt(make_request, bot, method, chat_id, None)
        async with lane.lock:
            return await self._attempt(make_request, bot, method, chat_id, lane)

    async def _attempt(
        self,
        make_request: Next,
        bot: Bot,
        method: TelegramMethod[Any],
        chat_id: ChatId | None,
        lane: _ChatLane | None,
    ) -> Any:
        failures = 0
        while True:
            await self._wait_for_turn(lane)
            try:
                result = await make_request(bot, method)
            except TelegramRetryAfter as error:
                TELEGRAM_RATE_LIMITED.inc()
                failures += 1
                if not self._may_retry(failures, method, chat_id, error):
                    raise
                self._pause(error.retry_after)
            except TelegramEntityTooLarge:
                raise  # a network error by class, but sending it again cannot help
            except (TelegramServerError, TelegramNetworkError) as error:
                failures += 1
                if not self._may_retry(failures, method, chat_id, error):
                    raise
                await asyncio.sleep(self._backoff(failures))
            except TelegramForbiddenError:
                await self._report_blocked(chat_id)
                raise
            else:
                self.sent += 1
                TELEGRAM_SENT.labels(method.__api_method__).inc()
                return result

    def _may_retry(self, failures: int, method: TelegramMethod[Any], chat_id: ChatId | None, error: Exception) -> bool:
        """Whether a call that has failed `failures` times gets another try (counted and logged)."""
        name = method.__api_method__
        if failures > self._max_retries:
            log.warning("%s to chat %s failed %d times, giving up: %s", name, chat_id, failures, error)
            return False
        limit = self._max_retries
        log.info("%s to chat %s failed (%s); retry %d of %d", name, chat_id, error, failures, limit)
        self.retried += 1
        TELEGRAM_RETRIES.inc()
        return True

    def _backoff(self, failures: int) -> float:
        """Exponential back-off with jitter: half the delay fixed, half random."""
        delay = min(self._backoff_cap, self._backoff_base * 2 ** (failures - 1))
        return delay / 2 + random.uniform(0, delay / 2)

    async def _report_blocked(self, chat_id: ChatId | None) -> None:
        if self._on_blocked is None or chat_id is None:
            return
        try:
            await self._on_blocked(chat_id)
        except Exception:  # the Forbidden error is what the caller must see
            log.exception("on_blocked(%s) failed", chat_id)

    # pacing ----------------------------------------------------------------

    async def _wait_for_turn(self, lane: _ChatLane | None) -> None:
        """Waits out any 429 pause, then for a slot in the bot's and the chat's buckets.

        Global first, chat last, so the chat's slot is taken right before the request leaves;
        a slot won while a pause began is void, and the caller queues again once it ends.
        """
        while True:
            await self._open.wait()
            await self._global.acquire()
            if lane is not None:
                await lane.limiter.acquire()
            if self._open.is_set():
                return

    def _pause(self, seconds: float) -> None:
        """Stops all sending for `seconds` (extending a pause already running)."""
        loop = asyncio.get_running_loop()
        until = loop.time() + seconds
        if until <= self._paused_until:
            return
        if self._open.is_set():
            self.rate_limited_pauses += 1
            TELEGRAM_PAUSES.inc()
            log.warning("Telegram asked to slow down: pausing all sending for %s s", seconds)
            self._open.clear()
        self._paused_until = until
        if self._reopen is not None:
            self._reopen.cancel()
        self._reopen = loop.call_at(until, self._open.set)

    def _lane(self, chat_id: ChatId | None) -> _ChatLane | None:
        if chat_id is None:
            return None
        lane = self._lanes.get(chat_id)
        if lane is not None:
            self._lanes.move_to_end(chat_id)
            return lane
        private = isinstance(chat_id, int) and chat_id > 0
        period = self._private_period if private else self._group_period
        lane = self._lanes[chat_id] = _ChatLane(AsyncLimiter(1, period))
        self._forget_idle_chats(keep=chat_id)
        return lane

    def _forget_idle_chats(self, keep: ChatId) -> None:
        """Keeps memory flat: drops the least recently used lanes nobody is sending through.

        A lane unused for max_chats / global_rate seconds (over 5 minutes by default) has long
        drained, so forgetting it cannot let a chat exceed its pace.
        """
        while len(self._lanes) > self._max_chats:
            idle = next((k for k, lane in self._lanes.items() if k != keep and not lane.lock.locked()), None)
            if idle is None:
                return
            del self._lanes[idle]

    @property
    def chats_tracked(self) -> int:
        return len(self._lanes)


def install_sender(
    bot: Bot,
    *,
    on_blocked: OnBlocked | None = None,
    global_rate: float = 30,
    private_rate: float = 1.0,
    group_per_minute: float = 20,
    max_retries: int = 5,
    backoff_base: float = 0.5,
    max_chats: int = 10_000,
) -> SendingMiddleware:
    """Routes every call made through `bot` via a new SendingMiddleware, and returns it."""
    sender = SendingMiddleware(
        on_blocked=on_blocked,
        global_rate=global_rate,
        private_rate=private_rate,
        group_per_minute=group_per_minute,
        max_retries=max_retries,
        backoff_base=backoff_base,
        max_chats=max_chats,
    )
    bot.session.middleware(sender)
    return sender
