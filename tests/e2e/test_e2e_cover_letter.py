"""A strong match gets a cover letter written for the job: shown in the chat, used as approved, replaced by
the user's own version, or left out."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from automation.cover_letter import letter_file
from storage.models import Profile
from tests.support import ALLOWED_USER
from tests.support.chat import WAIT, card_for, load_profile

pytestmark = pytest.mark.browser

BODY = [
    "I have spent six years building Python services on PostgreSQL, most recently payment pipelines.",
    "Your posting asks for asyncio and careful data work; both are what I do every day.",
]
SCORE = {"score": 92, "reasons": ["Python and PostgreSQL match"], "missing": []}


def pdf_text(content: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture
def settings_overrides(fake_openai):
    return {"llm_base_url": fake_openai.base_url, "llm_api_key": fake_openai.api_key, "llm_model": "fake-model"}


async def letter_prompt(fake, user, job_site, fake_openai):
    """Load the profile, send a job that scores 92 (tailored) and tap Apply: the letter shown in the chat."""
    await load_profile(fake, user)
    fake_openai.queue(SCORE, {"paragraphs": BODY})
    await user.send(job_site.posting_url)
    card = await card_for(fake, user, job_site.posting_url)
    assert "92/100" in card.body
    await user.tap(card, "Apply")
    return await fake.wait_for_message(lambda m: "A cover letter for this job" in m.body, timeout=WAIT)


async def submit_review(fake, user, job_site):
    review = await fake.wait_for_message(lambda m: "Review before submitting" in m.body, timeout=WAIT)
    await user.tap(review, "Submit")
    submission = await job_site.wait_for_submission(timeout=WAIT)
    await fake.wait_for_message(
        lambda m: "submitted" in m.body and [b.text for b in m.buttons()] == ["Details"], timeout=WAIT
    )
    return submission


async def test_the_approved_letter_is_uploaded_and_kept(nyx, fake_telegram, fake_openai, job_site, db):
    user = fake_telegram.user(ALLOWED_USER)
    shown = await letter_prompt(fake_telegram, user, job_site, fake_openai)
    assert BODY[0] in shown.body and "Kind regards,\nAda Lovelace" in shown.body
    assert {b.text for b in shown.buttons()} == {"✅ Use this letter", "➖ Without a letter"}
    letter_request = fake_openai.completions[-1].prompt
    assert "ada@example.org" not in letter_request and "7946" not in letter_request, "no contact details sent"
    assert job_site.submissions == []

    await user.tap(shown, "✅ Use this letter")
    submission = await submit_review(fake_telegram, user, job_site)

    filename, content = submission.files["cover_letter"]
    assert filename == "Ada Lovelace - Cover letter.pdf" and content.startswith(b"%PDF")
    text = pdf_text(content)
    assert "Dear" in text and "six years building Python services" in text and "Ada Lovelace" in text
    row = await db.fetchrow(
        """SELECT a.status, a.llm_calls, f.content FROM applications a JOIN files f ON f.id = a.cover_letter_file_id"""
    )
    assert row["status"] == "submitted" and row["content"] == content, "the letter sent is kept"
    schemas = [r.body["response_format"]["json_schema"]["name"] for r in fake_openai.requests]
    assert schemas.count("LetterBody") == 1
    assert row["llm_calls"] == len(schemas), "every call, the job's score included, is counted on the application"
    notes = [r[0] for r in await db.fetch("SELECT note FROM application_events ORDER BY id")]
    assert "cover letter approved" in notes
    shown_now = next(m for m in fake_telegram.messages(user.chat_id) if m.message_id == shown.message_id)
    assert shown_now.buttons() == [] and "Using this letter" in shown_now.body

    await user.send("/job 1")
    kept = await fake_telegram.wait_for_message(lambda m: m.document_name == "Ada Lovelace - Cover letter.pdf")
    assert kept.document == content, "Details hand the letter back as it was sent"


async def test_a_reply_replaces_the_letter_and_a_short_one_is_refused(nyx, fake_telegram, fake_openai, job_site, db):
    user = fake_telegram.user(ALLOWED_USER)
    shown = await letter_prompt(fake_telegram, user, job_site, fake_openai)

    await user.reply(shown, "Hi!")
    await fake_telegram.wait_for_message(lambda m: "a cover letter needs at least" in m.body)
    assert await db.fetchval("SELECT status FROM prompts WHERE kind = 'cover_letter'") == "pending"

    own = (
        "Dear Acme team,\n\nI would love to build your rockets' ground software; "
        "my own letter says so in my own words.\n\nAda"
    )
    await user.reply(shown, own)
    await fake_telegram.wait_for_message(lambda m: "your version goes with the application" in m.body)
    submission = await submit_review(fake_telegram, user, job_site)
    text = pdf_text(submission.files["cover_letter"][1])
    assert "my own letter says so in my own words" in text and "six years" not in text
    notes = [r[0] for r in await db.fetch("SELECT note FROM application_events ORDER BY id")]
    assert "cover letter replaced by the user's own" in notes


async def test_without_a_letter_nothing_is_uploaded(nyx, fake_telegram, fake_openai, job_site, db):
    user = fake_telegram.user(ALLOWED_USER)
    shown = await letter_prompt(fake_telegram, user, job_site, fake_openai)
    await user.tap(shown, "➖ Without a letter")
    submission = await submit_review(fake_telegram, user, job_site)
    assert "cover_letter" not in submission.files
    assert await db.fetchval("SELECT cover_letter_file_id FROM applications") is None


async def test_an_llm_failure_goes_on_without_a_letter(nyx, fake_telegram, fake_openai, job_site, db):
    user = fake_telegram.user(ALLOWED_USER)
    await load_profile(fake_telegram, user)
    fake_openai.queue(SCORE)  # and nothing for the letter: the endpoint answers 400
    await user.send(job_site.posting_url)
    card = await card_for(fake_telegram, user, job_site.posting_url)
    await user.tap(card, "Apply")
    await fake_telegram.wait_for_message(lambda m: "I could not write a cover letter" in m.body, timeout=WAIT)
    submission = await submit_review(fake_telegram, user, job_site)
    assert submission.fields["first_name"] == "Ada" and "cover_letter" not in submission.files


def test_letter_file_is_a_readable_pdf():
    profile = Profile(first_name="Zoë", last_name="O'Brien/Ng", email="z@example.org")
    upload = letter_file("Dear team,\n\nA & B <tags> stay text.\n\nKind regards,\nZoë", profile, title="Job")
    assert upload.filename == "Zoë OBrienNg - Cover letter.pdf" and upload.content_type == "application/pdf"
    assert "A & B <tags> stay text." in pdf_text(upload.content)


async def test_a_retry_uses_the_approved_letter_without_asking_again(nyx, fake_telegram, fake_openai, job_site, db):
    user = fake_telegram.user(ALLOWED_USER)
    shown = await letter_prompt(fake_telegram, user, job_site, fake_openai)
    await user.tap(shown, "✅ Use this letter")
    first_review = await fake_telegram.wait_for_message(lambda m: "Review before submitting" in m.body, timeout=WAIT)
    await user.tap(first_review, "Cancel")
    card = await fake_telegram.wait_for_message(
        lambda m: "cancelled" in m.body and any(b.text == "Retry" for b in m.buttons()), timeout=WAIT
    )
    letters_written = sum(
        r.body["response_format"]["json_schema"]["name"] == "LetterBody" for r in fake_openai.requests
    )

    await user.tap(card, "Retry")
    review = await fake_telegram.wait_for_message(
        lambda m: "Review before submitting" in m.body and m.message_id != first_review.message_id, timeout=WAIT
    )
    await user.tap(review, "Submit")
    submission = await job_site.wait_for_submission(timeout=WAIT)
    assert "six years building Python services" in pdf_text(submission.files["cover_letter"][1])
    assert (
        sum(r.body["response_format"]["json_schema"]["name"] == "LetterBody" for r in fake_openai.requests)
        == letters_written
        == 1
    ), "no second letter written"
    assert await db.fetchval("SELECT count(*) FROM prompts WHERE kind = 'cover_letter'") == 1, "nor asked again"


class TestNobodyAnswers:
    @pytest.fixture
    def settings_overrides(self, fake_openai):
        return {
            "llm_base_url": fake_openai.base_url,
            "llm_api_key": fake_openai.api_key,
            "llm_model": "fake-model",
            "review_timeout_minutes": 0.05,
        }  # three seconds

    async def test_an_unanswered_letter_times_the_application_out(self, nyx, fake_telegram, fake_openai, job_site, db):
        user = fake_telegram.user(ALLOWED_USER)
        shown = await letter_prompt(fake_telegram, user, job_site, fake_openai)
        await fake_telegram.wait_for_message(
            lambda m: m.message_id == shown.message_id and "Nobody answered about this letter" in m.body, timeout=WAIT
        )
        closed = next(m for m in fake_telegram.messages(user.chat_id) if m.message_id == shown.message_id)
        assert closed.buttons() == []
        await fake_telegram.wait_for_message(lambda m: "timed out" in m.body.lower() and m.buttons(), timeout=WAIT)
        assert await db.fetchval("SELECT status FROM applications") == "timed_out"
        assert job_site.submissions == []
