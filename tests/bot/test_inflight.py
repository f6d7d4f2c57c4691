"""A stopping bot lets the updates it is handling finish: InFlight counts them through aiogram's chain."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

from aiogram import Bot, Dispatcher
from aiogram.types import Chat, Message, Update, User

from bot.inflight import InFlight


def _update(update_id: int, text: str) -> Update:
    user = User(id=4242, is_bot=False, first_name="Ada")
    message = Message(
        message_id=update_id, date=datetime.now(UTC), chat=Chat(id=4242, type="private"), from_user=user, text=text
    )
    return Update(update_id=update_id, message=message)


async def test_drained_waits_for_the_update_being_handled():
    in_flight = InFlight()
    dp = Dispatcher()
    dp.update.outer_middleware(in_flight)
    entered, release, handled = asyncio.Event(), asyncio.Event(), []

    @dp.message()
    async def slow(message: Message) -> None:
        entered.set()
        await release.wait()
        handled.append(message.text)

    bot = Bot("42:TEST")
    try:
        feeding = asyncio.create_task(dp.feed_update(bot, _update(1, "hello")))
        await entered.wait()
        assert in_flight.count == 1
        assert await in_flight.drained(0) is False, "one update is still being handled"

        drained = asyncio.create_task(in_flight.drained(60))
        release.set()
        assert await drained is True and handled == ["hello"]
        await feeding
        assert in_flight.count == 0 and await in_flight.drained(0) is True
    finally:
        await bot.session.close()


async def test_a_failing_handler_is_counted_out_too():
    in_flight = InFlight()
    dp = Dispatcher()
    dp.update.outer_middleware(in_flight)

    @dp.message()
    async def broken(message: Message) -> None:
        raise RuntimeError("boom")

    bot = Bot("42:TEST")
    try:
        with contextlib.suppress(RuntimeError):
            await dp.feed_update(bot, _update(2, "x"))
        assert in_flight.count == 0 and await in_flight.drained(0) is True
    finally:
        await bot.session.close()
