"""The live view end to end: a CAPTCHA widget is solved from a "phone" (a second real Chromium) that opens
the link under the chat message, sees the worker's browser on the page and taps the widget through it.

Real path: the fake Bot API, the worker's real Chromium on the local Greenhouse form with the reCAPTCHA
stand-in (which only a trusted click solves), the bot's web server, Redis between them, PostgreSQL.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator

import aiohttp
import pytest
import pytest_asyncio

from automation.live_view import token_digest, token_key
from bot.live_view import GONE
from handlers.captcha import LIVE_BUTTON
from tests.fakes.captcha_site import HUMAN_TOKEN, PASSED_FIELD, TOKEN_FIELD, CaptchaJobSite
from tests.fakes.phone import phone_at
from tests.support import ALLOWED_USER
from tests.support.chat import CLASSIC_PROFILE, DONE, WAIT, apply_to, captcha_prompt, load, next_review

pytestmark = pytest.mark.browser


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def port() -> int:
    return _free_port()


@pytest.fixture
def settings_overrides(port: int) -> dict[str, object]:
    return {"http_port": port, "live_view_base_url": f"http://127.0.0.1:{port}"}


@pytest_asyncio.fixture
async def recaptcha_site() -> AsyncIterator[CaptchaJobSite]:
    async with CaptchaJobSite(captcha="recaptcha") as site:
        yield site


async def refused(url: str) -> bool:
    """The live page and its WebSocket both refuse the link."""
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as page:
            if page.status != 404 or GONE not in await page.text():
                return False
        try:
            async with http.ws_connect(f"{url.replace('http', 'ws', 1)}/ws"):
                return False
        except aiohttp.WSServerHandshakeError as exc:
            return exc.status == 404


async def test_the_phone_solves_the_widget_through_the_live_view(
    nyx, fake_telegram, recaptcha_site, db, browser_options, port
):
    user = fake_telegram.user(ALLOWED_USER)
    await load(fake_telegram, user, CLASSIC_PROFILE)
    card = await apply_to(fake_telegram, user, recaptcha_site.posting_url)

    prompt = await captcha_prompt(fake_telegram, user, set())
    assert "live view" in prompt.body and "browser window on the computer" not in prompt.body
    assert [b.text for b in prompt.buttons()] == [LIVE_BUTTON, DONE, "Cancel application"]
    url = prompt.button(LIVE_BUTTON).url
    assert url.startswith(f"http://127.0.0.1:{port}/live/") and len(url.rsplit("/", 1)[1]) >= 40
    token = url.rsplit("/", 1)[1]
    stored = [k.decode() for k in await nyx.redis.keys("nyx:live:token:*")]
    assert stored and not any(token in key for key in stored), "only the token's hash is kept"

    async with phone_at(browser_options, url) as phone:
        assert await phone.next_frame(0) >= 1, "the worker's page shows on the phone"
        assert await phone.tap_widget(), "the widget shows in the live picture"
        await recaptcha_site.wait_until_solved(timeout=WAIT)
        assert recaptcha_site.widget_clicks >= 1

        await phone.tap(*await phone.centre_of("#done"))
        review = await next_review(fake_telegram, user, set())
        assert await phone.ended(), "the live view ends with the prompt"

    assert await refused(url), "after Done the link opens nothing"
    assert not await nyx.redis.exists(token_key(token_digest(token))), "the CAPTCHA's token is gone"
    [closed] = [m for m in fake_telegram.messages(user.chat_id) if m.message_id == prompt.message_id]
    assert closed.buttons() == [] and "Checking the page" in closed.body

    await user.tap(review, "Submit")
    submission = await recaptcha_site.wait_for_submission(timeout=WAIT)
    assert submission.fields[TOKEN_FIELD] == HUMAN_TOKEN and submission.fields[PASSED_FIELD] == "yes"
    await fake_telegram.wait_for_message(
        lambda m: m.message_id == card.message_id and "submitted" in m.body, timeout=WAIT
    )


async def test_done_in_the_chat_ends_the_live_view(nyx, fake_telegram, recaptcha_site, browser_options):
    user = fake_telegram.user(ALLOWED_USER)
    await load(fake_telegram, user, CLASSIC_PROFILE)
    await apply_to(fake_telegram, user, recaptcha_site.posting_url)
    first = await captcha_prompt(fake_telegram, user, set())
    url = first.button(LIVE_BUTTON).url

    async with phone_at(browser_options, url) as phone:
        assert await phone.next_frame(0) >= 1
        await user.tap(first, DONE)  # nothing solved yet: asked again, with a new link
        assert await phone.ended()
    second = await captcha_prompt(fake_telegram, user, {first.message_id})
    assert "still see no answer" in second.body
    assert await refused(url)
    assert second.button(LIVE_BUTTON).url != url, "each prompt has its own link"
