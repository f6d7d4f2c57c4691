"""Settings: a missing or malformed value stops start-up with one line naming it; secrets stay secret."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.config import SettingsError, load_settings


def test_missing_token_is_named():
    with pytest.raises(SettingsError, match=r"^TELEGRAM_BOT_TOKEN is required$"):
        load_settings(_env_file=None)


def test_malformed_values_are_named_without_echoing_them():
    with pytest.raises(SettingsError) as info:
        load_settings(
            _env_file=None,
            telegram_bot_token="999:supersecretvalue",
            database_url="mysql://x",
            max_concurrent_browsers="0",
        )
    message = str(info.value)
    assert "DATABASE_URL must start with postgresql://" in message
    assert "MAX_CONCURRENT_BROWSERS" in message
    assert "supersecretvalue" not in message


def test_lists_come_comma_separated():
    settings = load_settings(
        _env_file=None,
        telegram_bot_token="1:abcdef",
        allowed_user_ids="1, 2,3",
        url_allow_hosts="127.0.0.1,jobs.intranet",
    )
    assert settings.allowed_user_ids == [1, 2, 3]
    assert settings.url_allow_hosts == ["127.0.0.1", "jobs.intranet"]
    assert "abcdef" not in repr(settings)
    assert settings.llm_base_url == "https://api.x.ai/v1"


def test_cli_reports_a_bad_setting_in_one_line(tmp_path):
    env = {"PATH": "/usr/bin:/bin", "TELEGRAM_BOT_TOKEN": "not-a-token", "HOME": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "migrate"],
        cwd=tmp_path,
        env=env | {"PYTHONPATH": _root()},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert lines == [
        "nyx: configuration error: TELEGRAM_BOT_TOKEN does not look like a bot token (expected <digits>:<secret>)"
    ]


def _root() -> str:
    from pathlib import Path

    return str(Path(__file__).resolve().parents[2])


def test_webhook_needs_its_secret_and_port():
    with pytest.raises(SettingsError, match=r"^WEBHOOK_URL needs WEBHOOK_SECRET and HTTP_PORT too$"):
        load_settings(_env_file=None, telegram_bot_token="1:abcdef", webhook_url="https://bot.example/hook")
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET must be 1-256 characters"):
        load_settings(
            _env_file=None,
            telegram_bot_token="1:abcdef",
            webhook_url="https://bot.example/hook",
            webhook_secret="has spaces",
            http_port=8080,
        )


def test_empty_optional_settings_are_not_set(monkeypatch):
    """`KEY=` (as .env.example ships them) means "not set", from the environment or as an argument."""
    for name in (
        "TWOCAPTCHA_API_KEY",
        "LLM_API_KEY",
        "WEBHOOK_URL",
        "WEBHOOK_SECRET",
        "HTTP_PORT",
        "TELEGRAM_API_BASE",
        "PROFILE_FILE",
        "CHROME_PATH",
        "BROWSER_CHANNEL",
        "LLM_BASE_URL",
    ):
        monkeypatch.setenv(name, "")
    monkeypatch.setenv("REDIS_URL", "   ")
    settings = load_settings(_env_file=None, telegram_bot_token="1:abcdef", database_url="")
    assert settings.twocaptcha_api_key is None and settings.llm_api_key is None and not settings.llm_configured
    assert settings.webhook_url is None and settings.webhook_secret is None and settings.http_port is None
    assert settings.telegram_api_base is None and settings.profile_file is None and settings.chrome_path is None
    assert settings.browser_channel is None and settings.database_url is None and settings.redis_url is None
    assert settings.llm_base_url == "https://api.x.ai/v1", "an empty setting with a default keeps its default"


def test_an_empty_token_is_missing_not_malformed(monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "")
    with pytest.raises(SettingsError, match=r"^TELEGRAM_BOT_TOKEN is required$"):
        load_settings(_env_file=None)


def test_empty_keys_in_a_dotenv_file_are_not_set(tmp_path, monkeypatch):
    monkeypatch.delenv("TWOCAPTCHA_API_KEY", raising=False)
    dotenv = tmp_path / ".env"
    dotenv.write_text("TELEGRAM_BOT_TOKEN=1:abcdef\nTWOCAPTCHA_API_KEY=\nLLM_API_KEY=\nWEBHOOK_URL=\n")
    settings = load_settings(_env_file=dotenv)
    assert settings.twocaptcha_api_key is None and settings.llm_api_key is None and settings.webhook_url is None


def test_prices_that_are_not_json_are_named_in_one_line(monkeypatch):
    monkeypatch.setenv("LLM_PRICES", "grok-4-fast=0.2/0.5")
    with pytest.raises(SettingsError, match=r'^LLM_PRICES must be JSON, e.g. \{"grok-4-fast": \[0.2, 0.5\]\}$'):
        load_settings(need_token=False, _env_file=None)
