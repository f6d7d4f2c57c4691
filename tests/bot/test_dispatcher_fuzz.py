"""Thousands of random updates through the real dispatcher: no unhandled exception, and a database
that still obeys its rules afterwards (every application has its trail, strangers left no trace)."""

from __future__ import annotations

import asyncio
import itertools
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from aiogram import Bot, Dispatcher
from aiogram.types import Update
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.app import build_dispatcher
from bot.config import load_settings
from bot.services import Services, make_bot
from tests.fakes.telegram_api import FakeTelegram
from tests.support import ALLOWED_USER, STRANGER

LINKS = [
    "https://boards.greenhouse.io/acme/jobs/1",
    "http://127.0.0.1:9/jobs/1",
    "http://127.0.0.1:9/jobs/2?utm_source=x",
    "javascript:alert(1)",
    "file:///etc/passwd",
    "http://169.254.169.254/latest",
    "http://10.0.0.1/",
    "https://xn--80ak6aa92e.com/job",
    "https://g\u043e\u043egle.com/jobs",
    "http://[::1]/",
    "https://youtube.com/watch?v=1",
    "ftp://x/y",
    "http://",
    "https://a.b/" + "x" * 3000,
]
COMMANDS = [
    "/start",
    "/help",
    "/profile",
    "/jobs",
    "/job 1",
    "/job x",
    "/cancel 1",
    "/retry 1",
    "/pause",
    "/resume",
    "/stats",
    "/export",
    "/settings",
    "/answers",
    "/nope",
    "/job " + "9" * 30,
]
CALLBACKS = [
    "job:apply:1",
    "job:skip:1",
    "job:apply:999999",
    "rev:submit:1",
    "rev:cancel:1",
    "rev:bogus:1",
    "jobs:all:0",
    "jobs:done:7",
    "jd:1",
    "set:auto",
    "set:review",
    "garbage",
    "",
    "x" * 64,
    "job:apply:-1",
]

ids = itertools.count(1)
text = st.one_of(
    st.text(max_size=200),
    st.sampled_from(COMMANDS),
    st.builds(lambda a, link, b: f"{a} {link} {b}", st.text(max_size=30), st.sampled_from(LINKS), st.text(max_size=30)),
    st.just("x" * 10_000),
)


def _entities(body: str, draw_entities: list[tuple[str, int, int]]) -> list[dict]:
    found = []
    for link in LINKS:
        at = body.find(link)
        if at >= 0:
            found.append(
                {
                    "type": "url",
                    "offset": len(body[:at].encode("utf-16-le")) // 2,
                    "length": len(link.encode("utf-16-le")) // 2,
                }
            )
    if body.startswith("/"):
        found.append({"type": "bot_command", "offset": 0, "length": len(body.split(" ", 1)[0])})
    found += [
        {
            "type": kind,
            "offset": offset,
            "length": length,
            **({"url": LINKS[offset % len(LINKS)]} if kind == "text_link" else {}),
        }
        for kind, offset, length in draw_entities
    ]
    return found


@st.composite
def updates(draw) -> dict:
    user_id = draw(st.sampled_from([ALLOWED_USER, ALLOWED_USER, ALLOWED_USER, STRANGER]))
    user = {"id": user_id, "is_bot": False, "first_name": draw(st.text(min_size=1, max_size=20))}
    chat = {"id": user_id, "type": draw(st.sampled_from(["private", "private", "group"])), "first_name": "X"}
    message = {"message_id": next(ids), "date": int(time.time()), "chat": chat, "from": user}
    kind = draw(st.sampled_from(["text", "caption", "sticker", "voice", "document", "callback", "forward", "edited"]))
    junk_entities = draw(
        st.lists(
            st.tuples(st.sampled_from(["url", "text_link", "bold"]), st.integers(0, 300), st.integers(0, 300)),
            max_size=2,
        )
    )
    if kind in ("text", "forward", "edited"):
        body = draw(text)
        message.update(text=body, entities=_entities(body, junk_entities))
        if kind == "forward":
            message["forward_origin"] = {
                "type": "channel",
                "date": 1,
                "message_id": 5,
                "chat": {"id": -100123, "type": "channel", "title": "Jobs"},
            }
        if kind == "edited":
            message["edit_date"] = int(time.time())
            return {"update_id": next(ids), "edited_message": message}
    elif kind == "caption":
        body = draw(text)
        message.update(
            photo=[{"file_id": "p", "file_unique_id": "p", "width": 1, "height": 1}],
            caption=body,
            caption_entities=_entities(body, junk_entities),
        )
    elif kind == "sticker":
        message["sticker"] = {
            "file_id": "s",
            "file_unique_id": "s",
            "type": "regular",
            "width": 1,
            "height": 1,
            "is_animated": False,
            "is_video": False,
        }
    elif kind == "voice":
        message["voice"] = {"file_id": "v", "file_unique_id": "v", "duration": 1}
    elif kind == "document":
        name = draw(st.sampled_from(["cv.pdf", "profile.yaml", "virus.exe", "x.json", "", "a" * 300 + ".pdf"]))
        message["document"] = {
            "file_id": "missing",
            "file_unique_id": "d",
            "file_name": name,
            "file_size": draw(st.integers(0, 50_000_000)),
        }
    else:
        return {
            "update_id": next(ids),
            "callback_query": {
                "id": str(next(ids)),
                "from": user,
                "chat_instance": "c",
                "data": draw(st.sampled_from(CALLBACKS)),
                "message": {"message_id": 1, "date": int(time.time()), "chat": chat, "text": "old"},
            },
        }
    return {"update_id": next(ids), "message": message}


class LoopThread:
    """An event loop of its own: hypothesis drives a plain function, which runs coroutines here."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="fuzz-loop", daemon=True)
        self.thread.start()

    def run(self, coro, timeout: float = 120):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@dataclass
class Harness:
    fake: FakeTelegram
    services: Services
    bot: Bot
    dispatcher: Dispatcher
    failures: list[BaseException] = field(default_factory=list)
    fed: int = 0

    @classmethod
    async def start(cls, database_url: str, redis_url: str, data_dir: Path) -> Harness:
        fake = FakeTelegram()
        await fake.start()
        fake.user(ALLOWED_USER)
        fake.user(STRANGER)
        settings = load_settings(
            _env_file=None,
            telegram_bot_token=fake.token,
            telegram_api_base=fake.base_url,
            allowed_user_ids=str(ALLOWED_USER),
            database_url=database_url,
            redis_url=redis_url,
            queue_name=f"nyx:fuzz:{uuid.uuid4().hex[:8]}",
            data_dir=data_dir,
            url_allow_hosts="127.0.0.1",
        )
        services = await Services.connect(settings)
        # A bot without the sender's per-chat pacing: this test is about handlers, not Telegram's limits.
        harness = cls(fake, services, make_bot(settings), build_dispatcher(services))

        async def record(handler, event, data):  # around the app's own error handler: sees every failure
            harness.failures.append(event.exception)
            return await handler(event, data)

        harness.dispatcher.errors.outer_middleware(record)

        return harness

    async def feed(self, batch: list[dict]) -> None:
        for raw in batch:
            try:
                update = Update.model_validate(raw, context={"bot": self.bot})
            except ValidationError:
                continue
            await self.dispatcher.feed_update(self.bot, update)
            self.fed += 1

    async def stop(self) -> None:
        await self.bot.session.close()
        await self.services.close()
        await self.fake.stop()


def test_random_updates_never_crash_and_leave_a_consistent_database(database_url, embedded_services, tmp_path):
    loop = LoopThread()
    harness = loop.run(Harness.start(database_url, embedded_services[1], tmp_path / "data"))
    try:

        @hypothesis_settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
        @given(st.lists(updates(), min_size=5, max_size=20))
        def feed(batch: list[dict]) -> None:
            loop.run(harness.feed(batch))

        feed()
        loop.run(check_database(database_url))
    finally:
        loop.run(harness.stop())
        loop.close()
    assert harness.fed >= 1000, f"only {harness.fed} updates were fed"
    kinds = sorted({f"{type(f).__name__}: {str(f)[:120]}" for f in harness.failures})
    assert kinds == [], f"{len(harness.failures)} update(s) raised:\n" + "\n".join(kinds)


async def check_database(database_url: str) -> None:
    db = await asyncpg.connect(database_url)
    try:
        assert await db.fetchval("SELECT count(*) FROM users WHERE id = $1", STRANGER) == 0
        assert await db.fetchval("SELECT count(*) FROM applications WHERE user_id <> $1", ALLOWED_USER) == 0
        # Every application's status is the last step of its event trail.
        mismatched = await db.fetchval(
            """SELECT count(*) FROM applications a
               WHERE a.status IS DISTINCT FROM (SELECT to_status FROM application_events e
                                                WHERE e.application_id = a.id ORDER BY id DESC LIMIT 1)"""
        )
        assert mismatched == 0
        assert await db.fetchval("SELECT count(*) FROM jobs WHERE canonical_url !~ '^https?://'") == 0
    finally:
        await db.close()
