"""The live view's edges without a browser: what the phone may send, and where links point."""

from __future__ import annotations

from datetime import UTC

import pytest

from automation.live_view import Done, Key, Tap, Text, Wheel, parse_input
from bot.config import SettingsError, load_settings


def test_only_well_formed_input_reaches_the_worker():
    assert parse_input('{"t":"tap","x":0.5,"y":0.25}') == Tap(t="tap", x=0.5, y=0.25)
    assert isinstance(parse_input('{"t":"wheel","x":0.1,"y":0.9,"dy":-0.3}'), Wheel)
    assert parse_input('{"t":"text","text":"Ada"}') == Text(t="text", text="Ada")
    assert isinstance(parse_input('{"t":"key","key":"Enter"}'), Key)
    assert isinstance(parse_input('{"t":"done"}'), Done)
    for bad in (
        '{"t":"tap","x":2,"y":0}',
        '{"t":"key","key":"F12"}',
        '{"t":"text","text":""}',
        '{"t":"text","text":"' + "x" * 501 + '"}',
        '{"t":"eval","code":"1"}',
        "not json",
        '{"x":1}',
    ):
        assert parse_input(bad) is None, bad


def test_links_use_the_live_view_base_url_else_the_webhooks_origin():
    token = "123456:ABCDEFGH"
    assert load_settings(_env_file=None, telegram_bot_token=token).live_view_url is None
    hooked = load_settings(
        _env_file=None,
        telegram_bot_token=token,
        webhook_url="https://nyx.example.org/tg/hook",
        webhook_secret="s3cret",
        http_port=8080,
    )
    assert hooked.live_view_url == "https://nyx.example.org"
    own = load_settings(
        _env_file=None, telegram_bot_token=token, live_view_base_url="https://live.example.org/", http_port=8080
    )
    assert own.live_view_url == "https://live.example.org"


def test_a_live_view_base_url_without_the_listener_is_refused_at_start_up():
    with pytest.raises(SettingsError, match="LIVE_VIEW_BASE_URL needs HTTP_PORT"):
        load_settings(
            _env_file=None, telegram_bot_token="123456:ABCDEFGH", live_view_base_url="https://live.example.org"
        )


def test_an_https_link_opens_inside_telegram_and_plain_http_as_a_link():
    from datetime import datetime

    from handlers.captcha import LIVE_BUTTON, captcha_markup
    from storage.models import Prompt, PromptKind, PromptStatus

    prompt = Prompt(
        id=7,
        application_id=1,
        user_id=1,
        kind=PromptKind.CAPTCHA,
        payload={"answer_by": "browser"},
        status=PromptStatus.PENDING,
        expires_at=datetime.now(UTC),
        created_at=datetime.now(UTC),
    )
    inside = captcha_markup(prompt, live_url="https://nyx.example.org/live/t").inline_keyboard[0][0]
    assert inside.text == LIVE_BUTTON and inside.web_app.url == "https://nyx.example.org/live/t" and inside.url is None
    link = captcha_markup(prompt, live_url="http://10.0.0.5:8080/live/t").inline_keyboard[0][0]
    assert link.url == "http://10.0.0.5:8080/live/t" and link.web_app is None
