"""FALLBACK_BACKEND: the setting, what `nyx doctor` says about it, and the backend an unknown form gets."""

from __future__ import annotations

import pytest

from bot.config import SettingsError, load_settings
from bot.doctor import check_backend
from bot.services import agent_config
from tests.fakes.vibesurf_api import FakeVibeSurf

TOKEN = "1:abcdef"


def test_browser_use_is_the_default():
    settings = load_settings(_env_file=None, telegram_bot_token=TOKEN, llm_api_key="sk-x")
    assert settings.fallback_backend == "browser-use"
    assert agent_config(settings).backend == "browser-use"


def test_vibesurf_needs_its_url_and_key():
    with pytest.raises(SettingsError, match="FALLBACK_BACKEND=vibesurf needs VIBESURF_URL and VIBESURF_API_KEY"):
        load_settings(_env_file=None, telegram_bot_token=TOKEN, fallback_backend="vibesurf")
    with pytest.raises(SettingsError, match="FALLBACK_BACKEND"):
        load_settings(_env_file=None, telegram_bot_token=TOKEN, fallback_backend="selenium")


def test_vibesurf_is_chosen_without_an_llm_key():
    settings = load_settings(
        _env_file=None,
        telegram_bot_token=TOKEN,
        fallback_backend="vibesurf",
        vibesurf_url="http://127.0.0.1:9/",
        vibesurf_api_key="k",
    )
    config = agent_config(settings)
    assert config.backend == "vibesurf" and config.vibesurf_url == "http://127.0.0.1:9"


async def test_doctor_says_whether_vibesurf_answers_and_takes_the_key():
    async with FakeVibeSurf() as vibesurf:
        good = load_settings(
            _env_file=None,
            telegram_bot_token=TOKEN,
            fallback_backend="vibesurf",
            vibesurf_url=vibesurf.base_url,
            vibesurf_api_key=vibesurf.api_key,
        )
        assert "answers and accepts the key" in await check_backend(good)
        wrong = good.model_copy(update={"vibesurf_api_key": good.vibesurf_api_key.__class__("not-the-key")})
        with pytest.raises(RuntimeError, match="refuses VIBESURF_API_KEY"):
            await check_backend(wrong)
        port = vibesurf.base_url.rsplit(":", 1)[1].rstrip("/")
    gone = good.model_copy(update={"vibesurf_url": f"http://127.0.0.1:{port}"})
    with pytest.raises(Exception):  # noqa: B017, PT011 - nothing listens there any more: a connection error
        await check_backend(gone)


async def test_doctor_says_when_browser_use_is_off():
    settings = load_settings(_env_file=None, telegram_bot_token=TOKEN)
    assert "browser-use: off (no LLM_API_KEY)" in await check_backend(settings)
