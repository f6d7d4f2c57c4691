"""Settings: a missing or malformed value stops start-up with one line naming it; secrets stay secret."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.config import SettingsError, load_settings


def test_missing_token_is_named():
    with pytest.raises(SettingsError, match="^TELEGRAM_BOT_TOKEN is required$"):
        load_settings(_env_file=None)


def test_malformed_values_are_named_without_echoing_them():
    with pytest.raises(SettingsError) as info:
        load_settings(_env_file=None, telegram_bot_token="999:supersecretvalue", database_url="mysql://x",
                      max_concurrent_browsers="0")
    message = str(info.value)
    assert "DATABASE_URL must start with postgresql://" in message
    assert "MAX_CONCURRENT_BROWSERS" in message
    assert "supersecretvalue" not in message


def test_lists_come_comma_separated():
    settings = load_settings(_env_file=None, telegram_bot_token="1:abcdef", allowed_user_ids="1, 2,3",
                             url_allow_hosts="127.0.0.1,jobs.intranet")
    assert settings.allowed_user_ids == [1, 2, 3]
    assert settings.url_allow_hosts == ["127.0.0.1", "jobs.intranet"]
    assert "abcdef" not in repr(settings)
    assert settings.llm_base_url == "https://api.x.ai/v1"


def test_cli_reports_a_bad_setting_in_one_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "TELEGRAM_BOT_TOKEN": "not-a-token", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "migrate"], cwd=tmp_path, env=env | {"PYTHONPATH": _root()},
        capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == ["nyx: configuration error: TELEGRAM_BOT_TOKEN does not look like a bot token "
                     "(expected <digits>:<secret>)"]


def _root() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parent.parent)


def test_webhook_needs_its_secret_and_port():
    with pytest.raises(SettingsError, match="^WEBHOOK_URL needs WEBHOOK_SECRET and HTTP_PORT too$"):
        load_settings(_env_file=None, telegram_bot_token="1:abcdef", webhook_url="https://bot.example/hook")
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET must be 1-256 characters"):
        load_settings(_env_file=None, telegram_bot_token="1:abcdef", webhook_url="https://bot.example/hook",
                      webhook_secret="has spaces", http_port=8080)
