"""Bench: how close bot/sending.py gets to Telegram's 30 messages/s without a 429 or a lost message.

Starts the fake Bot API server (tests/fakes/telegram_api.py) on 127.0.0.1 with
`enforce_limits=True` (it answers 429 above 30 sends/s overall or 1/s per private chat),
installs the sender on a real aiogram Bot configured as the app configures it, queues all the
messages at once, spread round-robin over the chats, and waits for every one of them.

The rate is measured where Telegram would see it: from the arrival times the fake recorded
for the accepted sendMessage calls. Stops by itself (bounded message count and a time limit).

    .venv/bin/python -m bench.sending [--messages 600] [--chats 200]

The results table is printed; it is also written to docs/benchmarks.md only when that file
does not exist yet.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import platform
import sys
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.enums import ParseMode

from bot.sending import SendingMiddleware, install_sender
from tests.fakes.telegram_api import FakeTelegram

ALLOWED_RATE = 30.0  # Telegram's overall limit, messages per second
FIRST_CHAT = 10_000
ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = ROOT / "docs" / "benchmarks.md"


@dataclass(frozen=True)
class Result:
    messages: int
    chats: int
    wall_seconds: float
    sustained_rate: float
    refused: int
    lost: int
    failed: int
    retried: int
    min_chat_gap: float

    @property
    def percent_of_allowed(self) -> float:
        return 100 * self.sustained_rate / ALLOWED_RATE

    def table(self) -> str:
        rows = [
            ("messages", f"{self.messages} to {self.chats} private chats, all queued at once"),
            ("wall time", f"{self.wall_seconds:.2f} s"),
            ("sustained rate", f"{self.sustained_rate:.2f} msg/s"),
            ("of the allowed 30 msg/s", f"{self.percent_of_allowed:.1f} %"),
            ("429 answers", str(self.refused)),
            ("messages lost", str(self.lost)),
            ("sends that raised", str(self.failed)),
            ("retries", str(self.retried)),
            ("closest two sends to one chat", f"{self.min_chat_gap:.3f} s (limit 1 s)"),
        ]
        lines = ["| measure | value |", "|---|---|"]
        return "\n".join(lines + [f"| {name} | {value} |" for name, value in rows])


def html_bot(fake: FakeTelegram) -> Bot:
    session = AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))
    return Bot(fake.token, session=session, default=DefaultBotProperties(parse_mode=ParseMode.HTML))


def measure(
    fake: FakeTelegram, sender: SendingMiddleware, messages: int, chats: int, wall: float, failed: int
) -> Result:
    accepted = [call for call in fake.calls_of("sendMessage") if not call.error]
    arrivals = [call.at for call in accepted]
    span = arrivals[-1] - arrivals[0] if len(arrivals) > 1 else 0.0
    per_chat: dict[int, list[float]] = defaultdict(list)
    for call in accepted:
        per_chat[call.params["chat_id"]].append(call.at)
    gaps = [b - a for times in per_chat.values() for a, b in itertools.pairwise(times)]
    assert fake.flood_control is not None
    return Result(
        messages=messages,
        chats=chats,
        wall_seconds=wall,
        sustained_rate=(len(arrivals) - 1) / span if span else 0.0,
        refused=fake.flood_control.refused,
        lost=messages - len(fake.messages()),
        failed=failed,
        retried=sender.retried,
        min_chat_gap=min(gaps, default=float("nan")),
    )


async def run(messages: int, chats: int) -> Result:
    async with FakeTelegram(enforce_limits=True) as fake:
        chat_ids = [FIRST_CHAT + i for i in range(chats)]
        for chat_id in chat_ids:
            fake.user(chat_id)
        bot = html_bot(fake)
        sender = install_sender(bot)
        sends = [
            bot.send_message(chat_ids[n % chats], f"<b>Job #{n}</b>: scored {n % 100}/100") for n in range(messages)
        ]
        try:
            started = time.monotonic()
            async with asyncio.timeout(3 * messages / ALLOWED_RATE + 30):
                outcomes = await asyncio.gather(*sends, return_exceptions=True)
            wall = time.monotonic() - started
        finally:
            await bot.session.close()
        failed = sum(isinstance(outcome, BaseException) for outcome in outcomes)
        return measure(fake, sender, messages, chats, wall, failed)


def record(result: Result) -> str:
    """Writes docs/benchmarks.md if nobody has yet; otherwise leaves it to whoever owns it."""
    section = (
        "# Benchmarks\n\n"
        "## Sending within Telegram's limits (`bench/sending.py`)\n\n"
        f"{date.today().isoformat()}, Python {platform.python_version()}, {platform.machine()}, "
        "against the fake Bot API server on 127.0.0.1 enforcing Telegram's limits "
        "(30 msg/s overall, 1 msg/s per private chat). "
        "Reproduce with `.venv/bin/python -m bench.sending`.\n\n"
        f"{result.table()}\n"
    )
    try:
        with BENCHMARKS.open("x", encoding="utf-8") as file:
            file.write(section)
    except FileExistsError:
        return f"{BENCHMARKS.relative_to(ROOT)} exists: not touched, record the table above by hand"
    return f"wrote {BENCHMARKS.relative_to(ROOT)}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=600)
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--no-record", action="store_true", help="only print, never write docs/")
    args = parser.parse_args()
    result = asyncio.run(run(args.messages, args.chats))
    print(result.table())
    if not args.no_record:
        print(record(result))
    met = result.percent_of_allowed >= 90 and result.lost == 0 and result.refused == 0
    print("target (>= 90 % of 30 msg/s, no 429, nothing lost):", "met" if met else "NOT met")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
