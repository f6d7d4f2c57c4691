"""CAPTCHAs end to end: solved through the local 2captcha and sent with the form; without a key (or when
2captcha fails) asked in the chat — the image's characters by reply, a widget solved in the browser
window then "Done" — and always reviewed before anything is submitted.

Real path: the fake Bot API, real Chromium on the local classic Greenhouse form with a CAPTCHA on it,
real PostgreSQL and Redis, and the fake 2captcha over TLS trusted through SSL_CERT_FILE.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from tests.conftest import ALLOWED_USER
from tests.fakes.captcha_site import (
    HUMAN_TOKEN,
    PASSED_FIELD,
    TEXT_FIELD,
    TOKEN_FIELD,
    CaptchaJobSite,
)
from tests.fakes.twocaptcha_api import FakeTwoCaptcha
from tests.test_e2e_apply import PROFILE, WAIT
from tests.test_e2e_questions import apply_to, forces_reply, load, next_review

pytestmark = pytest.mark.browser

CLASSIC_PROFILE = {**PROFILE, "answers": {**PROFILE["answers"], "Are you legally authorized to work in Germany?": "Yes"}}
DONE = "Done — I solved it"
CANCEL = "Cancel application"


@pytest_asyncio.fixture
async def fake_twocaptcha(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeTwoCaptcha]:
    async with FakeTwoCaptcha(tmp_path / "ca") as fake:
        monkeypatch.setenv("SSL_CERT_FILE", str(fake.ca_file))
        yield fake


@pytest_asyncio.fixture
async def recaptcha_site() -> AsyncIterator[CaptchaJobSite]:
    async with CaptchaJobSite(captcha="recaptcha") as site:
        yield site


@pytest_asyncio.fixture
async def image_site() -> AsyncIterator[CaptchaJobSite]:
    async with CaptchaJobSite(captcha="image") as site:
        yield site


def with_2captcha(fake: FakeTwoCaptcha) -> dict[str, object]:
    return {"twocaptcha_api_key": fake.api_key, "twocaptcha_server": fake.server, "twocaptcha_polling_seconds": 1}


async def captcha_prompt(fake, user, after: set[int]):
    return await fake.wait_for_message(
        lambda m: m.chat_id == user.chat_id and m.message_id not in after and "🧩" in m.body, timeout=WAIT
    )


async def trail(db) -> list[str]:
    return [r["to_status"] for r in await db.fetch("SELECT to_status FROM application_events ORDER BY id")]


class TestWith2captcha:
    @pytest.fixture
    def settings_overrides(self, fake_twocaptcha):
        return with_2captcha(fake_twocaptcha)

    async def test_the_token_is_solved_and_sent_with_the_form(self, nyx, fake_telegram, fake_twocaptcha,
                                                              recaptcha_site, db):
        user = fake_telegram.user(ALLOWED_USER)
        await load(fake_telegram, user, CLASSIC_PROFILE)
        card = await apply_to(fake_telegram, user, recaptcha_site.posting_url)

        review = await next_review(fake_telegram, user, set())
        assert recaptcha_site.submissions == [], "the review comes first"
        assert await db.fetchval("SELECT count(*) FROM prompts WHERE kind = 'captcha'") == 0
        await user.tap(review, "Submit")

        submission = await recaptcha_site.wait_for_submission(timeout=WAIT)
        [task] = fake_twocaptcha.tasks
        assert task.method == "userrecaptcha" and task.params["pageurl"] == recaptcha_site.posting_url
        assert submission.fields[TOKEN_FIELD] == task.answer and submission.fields[PASSED_FIELD] == "yes"
        notes = [r[0] for r in await db.fetch("SELECT note FROM application_events ORDER BY id")]
        assert "reCAPTCHA solved through 2captcha" in notes, "the trail says who solved it"
        await fake_telegram.wait_for_message(
            lambda m: m.message_id == card.message_id and "submitted" in m.body, timeout=WAIT
        )

    async def test_when_2captcha_fails_the_image_is_asked_in_the_chat(self, nyx, fake_telegram, fake_twocaptcha,
                                                                      image_site, db):
        fake_twocaptcha.result_error = "ERROR_CAPTCHA_UNSOLVABLE"
        user = fake_telegram.user(ALLOWED_USER)
        await load(fake_telegram, user, CLASSIC_PROFILE)
        await apply_to(fake_telegram, user, image_site.posting_url)

        prompt = await captcha_prompt(fake_telegram, user, set())
        assert "ERROR_CAPTCHA_UNSOLVABLE" in prompt.body and forces_reply(prompt)
        picture = next(m for m in fake_telegram.messages(user.chat_id) if m.photo and "CAPTCHA" in m.body)
        assert picture.photo.startswith(b"\x89PNG") and picture.message_id < prompt.message_id
        assert await db.fetchval("SELECT status FROM applications") == "waiting_user"

        await user.reply(prompt, "xk7p2")
        review = await next_review(fake_telegram, user, set())
        assert "xk7p2" in review.body
        await user.tap(review, "Submit")
        submission = await image_site.wait_for_submission(timeout=WAIT)
        assert submission.fields[TEXT_FIELD] == "xk7p2"
        [answer] = [r["answer"] for r in await db.fetch("SELECT answer FROM prompts WHERE kind = 'captcha'")]
        assert json.loads(answer) == {"text": "xk7p2"}
        assert len(fake_twocaptcha.tasks) == 1
        notes = [r[0] for r in await db.fetch("SELECT note FROM application_events ORDER BY id")]
        assert any("could not solve" in (n or "") and "ERROR_CAPTCHA_UNSOLVABLE" in n for n in notes)


async def test_without_a_key_the_user_solves_the_widget_in_the_browser(nyx, fake_telegram, recaptcha_site, db):
    user = fake_telegram.user(ALLOWED_USER)
    await load(fake_telegram, user, CLASSIC_PROFILE)
    card = await apply_to(fake_telegram, user, recaptcha_site.posting_url)

    first = await captcha_prompt(fake_telegram, user, set())
    assert "reCAPTCHA" in first.body and "browser window" in first.body and "TWOCAPTCHA_API_KEY" in first.body
    assert [b.text for b in first.buttons()] == [DONE, CANCEL]
    assert all(len(b.callback_data.encode()) <= 64 for b in first.buttons())

    # "Done" before solving it: the page has no token, so it is asked again.
    done_data = first.button(DONE).callback_data
    await user.tap(first, DONE)
    second = await captcha_prompt(fake_telegram, user, {first.message_id})
    assert "still see no answer" in second.body
    assert first.buttons() == [] and "Checking the page" in first.body
    assert "Already answered" in (await user.tap_data(first, done_data)).text

    await recaptcha_site.solve_like_a_human(timeout=WAIT)
    await user.tap(second, DONE)
    review = await next_review(fake_telegram, user, set())
    assert recaptcha_site.submissions == []
    await user.tap(review, "Submit")
    submission = await recaptcha_site.wait_for_submission(timeout=WAIT)
    assert submission.fields[TOKEN_FIELD] == HUMAN_TOKEN and submission.fields[PASSED_FIELD] == "yes"
    await fake_telegram.wait_for_message(
        lambda m: m.message_id == card.message_id and "submitted" in m.body, timeout=WAIT
    )
    assert await trail(db) == ["received", "scored", "awaiting_approval", "queued", "running",
                               "waiting_user", "running", "waiting_user", "running", "waiting_user", "running",
                               "submitted"]
    answers = [json.loads(r["answer"]) for r in await db.fetch("SELECT answer FROM prompts WHERE kind = 'captcha'")]
    assert answers == [{"decision": "done"}, {"decision": "done"}]


async def test_cancel_at_the_captcha_submits_nothing(nyx, fake_telegram, recaptcha_site, db):
    user = fake_telegram.user(ALLOWED_USER)
    await load(fake_telegram, user, CLASSIC_PROFILE)
    card = await apply_to(fake_telegram, user, recaptcha_site.posting_url)
    prompt = await captcha_prompt(fake_telegram, user, set())
    assert "Cancelled" in (await user.tap(prompt, CANCEL)).text
    await fake_telegram.wait_for_message(
        lambda m: m.message_id == card.message_id and "cancelled" in m.body, timeout=WAIT
    )
    assert recaptcha_site.submissions == []
    assert await db.fetchval("SELECT status FROM applications") == "cancelled"
