"""Webhook mode: updates arrive over HTTP with Telegram's secret token, on a listener that serves nothing else."""

from __future__ import annotations

import socket
import time

import aiohttp
import pytest

from tests.support import ALLOWED_USER

SECRET = "s3cret_Token-42"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def port() -> int:
    return _free_port()


@pytest.fixture
def settings_overrides(port: int) -> dict[str, object]:
    return {"webhook_url": f"http://127.0.0.1:{port}/telegram/webhook", "webhook_secret": SECRET, "http_port": port}


def start_update(update_id: int) -> dict:
    return {
        "update_id": update_id,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": {"id": ALLOWED_USER, "type": "private", "first_name": "Ada"},
            "from": {"id": ALLOWED_USER, "is_bot": False, "first_name": "Ada"},
            "text": "/start",
            "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
        },
    }


async def test_updates_need_the_secret_token(nyx, fake_telegram, port):
    assert fake_telegram.webhook["url"] == f"http://127.0.0.1:{port}/telegram/webhook"
    assert fake_telegram.webhook["secret_token"] == SECRET
    url = fake_telegram.webhook["url"]
    fake_telegram.user(ALLOWED_USER)  # the chat exists on Telegram's side
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
            async with http.post(url, json=start_update(1), headers=headers) as response:
                assert response.status == 401
        async with http.post(
            url, json=start_update(2), headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
        ) as response:
            assert response.status == 200
    welcome = await fake_telegram.wait_for_message(lambda m: m.chat_id == ALLOWED_USER)
    assert "Nyx Venatrix" in welcome.body
    assert len(fake_telegram.messages(ALLOWED_USER)) == 1, "the refused requests were not handled"
    assert not [c for c in fake_telegram.calls if c.method == "getUpdates"], "no polling in webhook mode"


async def test_the_webhook_listener_serves_nothing_but_the_webhook(nyx, port):
    async with aiohttp.ClientSession() as http:
        for path in ("/healthz", "/readyz", "/metrics"):
            async with http.get(f"http://127.0.0.1:{port}{path}") as response:
                assert response.status == 404, path
