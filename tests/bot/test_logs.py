"""Logs: JSON lines with the user's id (LOG_FORMAT=json), and no secret in any line, tracebacks included."""

from __future__ import annotations

import json
import logging

import pytest

from bot.config import load_settings
from bot.logs import configure_logging, secrets_of
from tests.support import STRANGER

TOKEN = "123456:AAH-the-bots-secret-part"
DB_PASSWORD = "pg p@ss/word"  # percent-encoded in the URL
REDIS_PASSWORD = "redis-secret-pw"


@pytest.fixture
def restore_logging():
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def lines(err: str) -> list[dict]:
    return [json.loads(line) for line in err.splitlines() if line.startswith("{")]


def test_every_secret_is_scrubbed_from_messages_and_tracebacks(capsys, restore_logging):
    settings = load_settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        llm_api_key="sk-llm-key-1234",
        twocaptcha_api_key="2cap-key-5678",
        database_url="postgresql://nyx:pg%20p%40ss%2Fword@db:5432/nyx",
        redis_url=f"redis://:{REDIS_PASSWORD}@redis:6379/0",
        webhook_url="https://bot.example/hook",
        webhook_secret="hook_secret_value",
        http_port=8080,
    )
    configure_logging("INFO", secrets=secrets_of(settings), json=True)
    log = logging.getLogger("nyx.test")
    log.info("calling https://api.telegram.org/bot%s/getMe with %s", TOKEN, "sk-llm-key-1234")
    try:
        raise RuntimeError(
            f"could not connect to {settings.database_url} nor redis://:{REDIS_PASSWORD}@redis "
            f"(2captcha key 2cap-key-5678, secret hook_secret_value, raw {DB_PASSWORD})"
        )
    except RuntimeError:
        log.exception("start-up failed")
    err = capsys.readouterr().err
    for secret in (
        TOKEN,
        "AAH-the-bots-secret-part",
        "sk-llm-key-1234",
        "2cap-key-5678",
        "hook_secret_value",
        "pg%20p%40ss%2Fword",
        DB_PASSWORD,
        REDIS_PASSWORD,
    ):
        assert secret not in err, secret
    records = lines(err)
    assert records[0]["event"].startswith("calling https://api.telegram.org/bot***/getMe")
    assert "RuntimeError: could not connect to postgresql://nyx:***@db:5432/nyx" in records[1]["exception"]


async def test_json_lines_carry_the_user_id(nyx, fake_telegram, capsys, restore_logging):
    configure_logging("INFO", json=True)
    stranger = fake_telegram.user(STRANGER)
    await stranger.send_command("/start")
    await fake_telegram.wait_for_message(lambda m: m.chat_id == STRANGER)
    refused = [r for r in lines(capsys.readouterr().err) if "not on the allowlist" in r["event"]]
    assert refused and refused[0]["user_id"] == STRANGER and refused[0]["level"] == "info"
    assert refused[0]["update_type"] == "message" and "timestamp" in refused[0]


def test_opening_a_browser_later_keeps_our_logging():
    """browser-use sets up logging of its own when it is first imported (at a worker's first browser),
    unless the root logger has handlers already: ours must stay, JSON and redaction with them."""
    import subprocess
    import sys
    from pathlib import Path

    script = (
        "import logging\n"
        "from bot.logs import configure_logging\n"
        f"configure_logging('INFO', secrets=['{TOKEN}'], json=True)\n"
        "import browser_use\n"
        f"logging.getLogger('nyx.test').warning('token %s', '{TOKEN}')\n"
    )
    root = str(Path(__file__).resolve().parents[2])
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": root,
            "ANONYMIZED_TELEMETRY": "false",
            "BROWSER_USE_VERSION_CHECK": "false",
            "HOME": "/tmp",
        },
    )
    assert TOKEN not in result.stdout + result.stderr
    assert json.loads(result.stderr.strip().splitlines()[-1])["event"] == "token ***"
