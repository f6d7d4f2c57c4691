"""CAPTCHAs end to end: solved through the local 2captcha and sent with the form; without a key (or when
2captcha fails) asked in the chat — the image's characters by reply, a widget solved in the browser
window then "Done" — and always reviewed before anything is submitted.

Real path: the fake Bot API, real Chromium on the local classic Greenhouse form with a CAPTCHA on it,
real PostgreSQL and Redis, and the fake 2captcha over TLS trusted through SSL_CERT_FILE.
"""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from PIL import Image

from tests.fakes.captcha_site import (
    HUMAN_TOKEN,
    IMAGE_SIZE,
    PASSED_FIELD,
    ROUND_COLOURS,
    TEXT_FIELD,
    TEXT_LABEL,
    TOKEN_FIELD,
    WRONG_TEXT,
    CaptchaJobSite,
)
from tests.fakes.openai_api import ChatRequest
from tests.fakes.twocaptcha_api import FakeTwoCaptcha
from tests.support import ALLOWED_USER
from tests.support.chat import (
    CLASSIC_PROFILE,
    DONE,
    WAIT,
    apply_to,
    captcha_prompt,
    forces_reply,
    load,
    next_review,
    saved_answers,
)

pytestmark = pytest.mark.browser

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


def captcha_picture(fake, user, before_message_id: int):
    """The last picture of the CAPTCHA sent before the message `before_message_id`."""
    pictures = [
        m for m in fake.messages(user.chat_id) if m.photo and "CAPTCHA" in m.body and m.message_id < before_message_id
    ]
    return pictures[-1]


def assert_is_the_captcha(png: bytes, colour: tuple[int, int, int]) -> None:
    """A PNG of the CAPTCHA image alone (its shape and colour, enlarged for a phone), not of the page."""
    assert png.startswith(b"\x89PNG")
    picture = Image.open(io.BytesIO(png)).convert("RGB")
    width, height = picture.size
    assert width >= 2 * IMAGE_SIZE[0], "a small CAPTCHA is enlarged"
    assert abs(width / height - IMAGE_SIZE[0] / IMAGE_SIZE[1]) < 0.05, "cropped to the image"
    for point in ((width // 2, height // 2), (3, 3), (width - 4, height - 4)):
        pixel = picture.getpixel(point)
        assert isinstance(pixel, tuple), point  # an RGB picture: (red, green, blue)
        assert all(abs(a - b) <= 3 for a, b in zip(pixel, colour)), point


async def assert_nothing_remembered(db, *typed: str) -> None:
    """No saved answer to the CAPTCHA, nor any answer that was typed into it."""
    remembered = await saved_answers(db)
    assert TEXT_LABEL not in remembered
    assert not {answer.casefold() for answer, *_ in remembered.values()} & {t.casefold() for t in typed}


async def trail(db) -> list[str]:
    return [r["to_status"] for r in await db.fetch("SELECT to_status FROM application_events ORDER BY id")]


class TestWith2captcha:
    @pytest.fixture
    def settings_overrides(self, fake_twocaptcha):
        return with_2captcha(fake_twocaptcha)

    async def test_the_token_is_solved_and_sent_with_the_form(
        self, nyx, fake_telegram, fake_twocaptcha, recaptcha_site, db
    ):
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

    async def test_an_image_captcha_is_solved_by_2captcha_without_asking(
        self, nyx, fake_telegram, fake_twocaptcha, image_site, db
    ):
        user = fake_telegram.user(ALLOWED_USER)
        await load(fake_telegram, user, CLASSIC_PROFILE)
        await apply_to(fake_telegram, user, image_site.posting_url)

        review = await next_review(fake_telegram, user, set())
        assert not any("🧩" in m.body for m in fake_telegram.messages(user.chat_id)), "the user is not asked"
        await user.tap(review, "Submit")
        submission = await image_site.wait_for_submission(timeout=WAIT)
        [task] = fake_twocaptcha.tasks
        assert task.method == "base64" and submission.fields[TEXT_FIELD] == task.answer
        assert await db.fetchval("SELECT count(*) FROM prompts WHERE kind IN ('captcha', 'question')") == 0
        await assert_nothing_remembered(db, task.answer)

    async def test_when_2captcha_fails_the_image_is_asked_in_the_chat(
        self, nyx, fake_telegram, fake_twocaptcha, image_site, db
    ):
        fake_twocaptcha.result_error = "ERROR_CAPTCHA_UNSOLVABLE"
        user = fake_telegram.user(ALLOWED_USER)
        await load(fake_telegram, user, CLASSIC_PROFILE)
        await apply_to(fake_telegram, user, image_site.posting_url)

        prompt = await captcha_prompt(fake_telegram, user, set())
        assert "2captcha returned ERROR_CAPTCHA_UNSOLVABLE" in prompt.body and forces_reply(prompt)
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
    assert await trail(db) == [
        "received",
        "scored",
        "awaiting_approval",
        "queued",
        "running",
        "waiting_user",
        "running",
        "waiting_user",
        "running",
        "waiting_user",
        "running",
        "submitted",
    ]
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


# --- an image CAPTCHA on a form with questions of its own -------------------------------------

GENERAL_ANSWER = "I heard about it from a friend who builds rockets."


def _answers_every_question(body: dict) -> dict:
    """The fake LLM: scores the job, and answers every general question it is sent."""
    questions = _questions_sent(ChatRequest(body, None))
    if questions is None:
        return {"score": 70, "reasons": ["Python"], "missing": []}
    return {
        "answers": [{"question_id": q["question_id"], "answer": GENERAL_ANSWER, "confidence": 0.9} for q in questions]
    }


def _questions_sent(request: ChatRequest) -> list[dict] | None:
    """The form's questions a request asked the LLM to answer (None: not such a request)."""
    if "Questions:\n" not in request.prompt:
        return None
    return json.loads(request.prompt.split("Questions:\n", 1)[1])


class TestImageCaptchaWithoutAKey:
    """`TWOCAPTCHA_API_KEY=` left empty, as .env.example ships it, and an LLM for the form's questions."""

    @pytest.fixture
    def settings_overrides(self, fake_openai, fake_twocaptcha, monkeypatch):
        monkeypatch.setenv("TWOCAPTCHA_API_KEY", "")
        monkeypatch.setenv("TWOCAPTCHA_SERVER", fake_twocaptcha.server)  # would be called if the key counted
        return {"llm_base_url": fake_openai.base_url, "llm_api_key": fake_openai.api_key, "llm_model": "fake-model"}

    async def test_the_picture_is_asked_and_the_answer_sent_once_and_never_remembered(
        self, nyx, fake_telegram, fake_openai, fake_twocaptcha, image_site, db
    ):
        fake_openai.script(_answers_every_question)
        user = fake_telegram.user(ALLOWED_USER)
        await load(fake_telegram, user, CLASSIC_PROFILE)
        card = await apply_to(fake_telegram, user, image_site.posting_url)

        prompt = await captcha_prompt(fake_telegram, user, set())
        assert "No 2captcha key is set" in prompt.body and forces_reply(prompt)
        assert fake_twocaptcha.requests == 0, "an empty key is no key"
        picture = captcha_picture(fake_telegram, user, prompt.message_id)
        assert_is_the_captcha(picture.photo, ROUND_COLOURS[0])
        # The CAPTCHA's box is no question of the form: not asked, not sent to the LLM.
        assert not any("A question from the form" in m.body for m in fake_telegram.messages(user.chat_id))
        assert await db.fetchval("SELECT count(*) FROM prompts WHERE kind = 'question'") == 0
        [asked] = [_questions_sent(r) for r in fake_openai.requests if _questions_sent(r) is not None]
        assert asked and not any(TEXT_LABEL in q["question"] for q in asked), "the LLM is not asked about it"

        await user.reply(prompt, "xk7p2")
        review = await next_review(fake_telegram, user, set())
        assert GENERAL_ANSWER in review.body
        await user.tap(review, "Submit")
        submission = await image_site.wait_for_submission(timeout=WAIT)
        await fake_telegram.wait_for_message(
            lambda m: m.message_id == card.message_id and "submitted" in m.body, timeout=WAIT
        )
        assert submission.fields[TEXT_FIELD] == "xk7p2"
        assert image_site.checks == ["XK7P2"] and len(image_site.submissions) == 1
        assert image_site.rejected_posts == 0
        assert fake_twocaptcha.requests == 0
        remembered = await saved_answers(db)
        assert any(source == "llm" for _, source, _ in remembered.values()), "the LLM's approved answers are kept"
        await assert_nothing_remembered(db, "xk7p2")


@pytest.mark.parametrize("clears_wrong_answer", [True, False], ids=["box-cleared", "wrong-answer-left-in-box"])
async def test_a_wrong_answer_gets_a_fresh_picture(nyx, fake_telegram, db, clears_wrong_answer):
    async with CaptchaJobSite(captcha="image", clears_wrong_answer=clears_wrong_answer) as image_site:
        await _wrong_then_right(fake_telegram, image_site, db)


async def _wrong_then_right(fake_telegram, image_site, db) -> None:
    user = fake_telegram.user(ALLOWED_USER)
    await load(fake_telegram, user, CLASSIC_PROFILE)
    card = await apply_to(fake_telegram, user, image_site.posting_url)

    first = await captcha_prompt(fake_telegram, user, set())
    await user.reply(first, "wr0ng")
    review = await next_review(fake_telegram, user, set())
    await user.tap(review, "Submit")

    # The page says the characters were wrong and shows a new image: asked again, with that image.
    second = await captcha_prompt(fake_telegram, user, {first.message_id})
    assert "did not accept" in second.body and forces_reply(second)
    assert_is_the_captcha(captcha_picture(fake_telegram, user, second.message_id).photo, ROUND_COLOURS[1])
    assert image_site.submissions == [] and image_site.checks == ["WR0NG"]
    await user.reply(second, "M3QW8")

    submission = await image_site.wait_for_submission(timeout=WAIT)
    await fake_telegram.wait_for_message(
        lambda m: m.message_id == card.message_id and "submitted" in m.body, timeout=WAIT
    )
    assert submission.fields[TEXT_FIELD] == "M3QW8" and len(image_site.submissions) == 1
    assert image_site.checks == ["WR0NG", "M3QW8"]
    notes = [r[0] or "" for r in await db.fetch("SELECT note FROM application_events ORDER BY id")]
    assert any("refused the image CAPTCHA" in n and WRONG_TEXT in n for n in notes)
    await assert_nothing_remembered(db, "wr0ng", "M3QW8")


async def test_after_wrong_answers_up_to_the_limit_it_fails_with_the_reason(nyx, fake_telegram, image_site, db) -> None:
    user = fake_telegram.user(ALLOWED_USER)
    await load(fake_telegram, user, CLASSIC_PROFILE)
    card = await apply_to(fake_telegram, user, image_site.posting_url)

    seen: set[int] = set()
    prompt = await captcha_prompt(fake_telegram, user, seen)
    await user.reply(prompt, "nope1")
    await user.tap(await next_review(fake_telegram, user, set()), "Submit")
    for attempt in (2, 3):
        seen.add(prompt.message_id)
        prompt = await captcha_prompt(fake_telegram, user, seen)
        await user.reply(prompt, f"nope{attempt}")

    failed = await fake_telegram.wait_for_message(
        lambda m: m.message_id == card.message_id and "failed" in m.body.lower(), timeout=WAIT
    )
    assert "refused the image CAPTCHA answer 3 times" in failed.body
    assert image_site.submissions == [] and image_site.checks == ["NOPE1", "NOPE2", "NOPE3"]
    assert await db.fetchval("SELECT status FROM applications") == "failed"
