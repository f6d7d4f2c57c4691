"""Workday end to end through the fake Bot API: the account is asked in the chat once per tenant and kept
sealed, the steps are walked, the review shown, and Submit sends exactly one application.

Real path: the fake Bot API, real headed Chromium on the local Workday copy, real PostgreSQL and Redis.
"""

from __future__ import annotations

import asyncio

import pytest
import yaml

from tests.fakes.ats_workday import PREVIOUS_WORKER, WorkdayJobSite
from tests.support import ALLOWED_USER
from tests.support.chat import RESUME, WAIT, card_for

pytestmark = pytest.mark.browser

CREDENTIALS_KEY = "9sKJ3fJ0m5mQ2H0f7bJYq5O9y2W3yYqk1s6lQ2ZL0Xk="
PROFILE = {
    "first_name": "Ada",
    "last_name": "Lovelace",
    "email": "ada.lovelace@example.org",
    "phone": "+1 512 555 0142",
    "location": "Austin, Texas, United States",
    "links": {"linkedin": "https://www.linkedin.com/in/ada-lovelace"},
    "work_authorization": ["United States"],
    "needs_sponsorship": False,
    "eeo": {"gender": "decline", "race": "decline", "veteran": "decline", "disability": "decline"},
}
ACCOUNT_QUESTION = "asks applicants to sign in"
# A refill opens a new browser, signs in and walks five steps again: on a busy 2-core machine that takes a while.
WAIT = 4 * WAIT
TIMEOUT = 900


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    return {"credentials_key": CREDENTIALS_KEY, "max_concurrent_browsers": 1}


async def load_profile(fake, user) -> None:
    await user.send_document("profile.yaml", yaml.safe_dump(PROFILE).encode(), "application/x-yaml")
    await fake.wait_for_message(lambda m: m.chat_id == user.chat_id and "Profile saved" in m.body)
    await user.send_document("ada-lovelace.pdf", RESUME, "application/pdf")
    await fake.wait_for_message(lambda m: m.chat_id == user.chat_id and "Résumé saved" in m.body)


async def apply_to(fake, user, url: str):
    await user.send(url)
    card = await card_for(fake, user, url)
    assert "Queued" in (await user.tap(card, "Apply")).text
    return card


async def submitted(fake, card) -> None:
    await fake.wait_for_message(lambda m: m.message_id == card.message_id and "submitted" in m.body, timeout=WAIT)


def open_prompt(user, text: str):
    return lambda m: (
        m.chat_id == user.chat_id
        and text in m.body
        and (bool(m.buttons()) or bool((m.reply_markup or {}).get("force_reply")))
    )


async def parked(db, prompts: int) -> None:
    """Until the worker has parked its `prompts`-th prompt and let go of the browser (it parks just after
    sending the message, so an answer tapped at once would still find it holding on)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT
    while loop.time() < deadline:
        if (
            await db.fetchval("SELECT count(*) FROM prompts WHERE parked_at IS NOT NULL AND status = 'pending'") == 1
            and await db.fetchval("SELECT count(*) FROM prompts") == prompts
            and await db.fetchval("SELECT count(*) FROM browser_sessions WHERE ended_at IS NULL") == 0
        ):
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"prompt {prompts} was not parked within {WAIT} s")


async def text_in_database(db, secret: str) -> list[str]:
    """Every text or JSON column of every table that holds `secret` in clear."""
    columns = await db.fetch(
        "SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = 'public' "
        "AND data_type IN ('text', 'jsonb', 'json', 'character varying')"
    )
    found = []
    for column in columns:
        table, name = column["table_name"], column["column_name"]
        hits = await db.fetchval(f'SELECT count(*) FROM "{table}" WHERE "{name}"::text LIKE $1', f"%{secret}%")
        if hits:
            found.append(f"{table}.{name}")
    return found


@pytest.mark.timeout(TIMEOUT)
async def test_workday_account_is_created_once_and_the_next_job_there_signs_in(nyx, fake_telegram, db):
    user = fake_telegram.user(ALLOWED_USER)
    async with WorkdayJobSite() as site:
        await load_profile(fake_telegram, user)
        card = await apply_to(fake_telegram, user, site.job_url("R-1001"))

        choice = await fake_telegram.wait_for_message(open_prompt(user, ACCOUNT_QUESTION), timeout=WAIT)
        assert {b.text for b in choice.buttons()} == {"Sign in with my account", "Create an account for me"}
        await user.tap(choice, "Create an account for me")

        # The one question the profile does not settle, on the first step; then the review of every step.
        question = await fake_telegram.wait_for_message(open_prompt(user, PREVIOUS_WORKER), timeout=WAIT)
        await user.tap(question, "No")
        review = await fake_telegram.wait_for_message(
            lambda m: m.chat_id == user.chat_id and "Review before submitting" in m.body and bool(m.buttons()),
            timeout=WAIT,
        )
        for value in ("Lovelace", "Texas", "512 555 0142", "I do not wish to answer", "I do not want to answer"):
            assert value in review.body
        assert site.created_accounts == ["ada.lovelace@example.org"]
        assert len(site.step_saves) == 5 and site.submissions == [], "steps saved, nothing submitted yet"

        await user.tap(review, "Submit")
        first = await site.wait_for_submission(timeout=WAIT)
        assert first.fields["legalNameSection_firstName"] == "Ada"
        assert first.fields["candidateIsPreviousWorker"] == "No"
        assert first.fields["disabilityStatus"] == "I do not want to answer"
        assert first.files["resume"] == ("ada-lovelace.pdf", RESUME)
        await submitted(fake_telegram, card)

        # The password Nyx made up is kept sealed: nowhere in the database in clear.
        password = site.accounts["ada.lovelace@example.org"]
        assert len(password) >= 16
        assert await text_in_database(db, password) == []
        row = await db.fetchrow("SELECT email, origin, confirmed, password_sealed FROM ats_accounts")
        assert (row["email"], row["origin"], row["confirmed"]) == ("ada.lovelace@example.org", "created", True)

        # Another job on the same tenant: signed in with the kept account, nothing asked but the review.
        second_card = await apply_to(fake_telegram, user, site.job_url("R-1002"))
        second_review = await fake_telegram.wait_for_message(
            lambda m: (
                m.chat_id == user.chat_id
                and "Review before submitting" in m.body
                and bool(m.buttons())
                and m.message_id != review.message_id
            ),
            timeout=WAIT,
        )
        await user.tap(second_review, "Submit")
        await site.wait_for_submission(timeout=WAIT, count=2)
        await submitted(fake_telegram, second_card)

    asked = [m for m in fake_telegram.messages(user.chat_id) if ACCOUNT_QUESTION in m.body]
    assert len(asked) == 1, "the account is asked once per tenant"
    assert site.created_accounts == ["ada.lovelace@example.org"] and site.sign_ins == ["ada.lovelace@example.org"]
    assert len(site.submissions) == 2, "each application submitted exactly once"
    assert await db.fetchval("SELECT count(*) FROM applications WHERE status = 'submitted'") == 2


class TestEveryPromptParked:
    """PARK_AFTER_MINUTES=0: every prompt parks at once and its answer is carried out by a fresh browser."""

    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"credentials_key": CREDENTIALS_KEY, "max_concurrent_browsers": 1, "park_after_minutes": 0}

    @pytest.mark.timeout(TIMEOUT)
    async def test_workday_own_account_signs_in_again_for_each_answer(self, nyx, fake_telegram, db):
        """The user's own account, sent in the chat and deleted from it; every prompt parks, so each answer has a
        worker sign in again and walk the steps again before it goes on."""
        user = fake_telegram.user(ALLOWED_USER)
        async with WorkdayJobSite() as site:
            site.accounts["ada.own@example.org"] = "My0wn-Pass word!"
            await load_profile(fake_telegram, user)
            card = await apply_to(fake_telegram, user, site.job_url("R-1001"))

            choice = await fake_telegram.wait_for_message(open_prompt(user, ACCOUNT_QUESTION), timeout=WAIT)
            await parked(db, 1)
            await user.tap(choice, "Sign in with my account")
            login = await fake_telegram.wait_for_message(
                open_prompt(user, "reply with its e-mail and password"), timeout=WAIT
            )
            await parked(db, 2)
            sent = await user.reply(login, "ada.own@example.org My0wn-Pass word!")
            await fake_telegram.wait_for_message(
                lambda m: m.chat_id == user.chat_id and "your message with the password is deleted" in m.body
            )
            assert fake_telegram.user_message_deleted(user.chat_id, sent)

            question = await fake_telegram.wait_for_message(open_prompt(user, PREVIOUS_WORKER), timeout=WAIT)
            await parked(db, 3)
            await user.tap(question, "No")
            review = await fake_telegram.wait_for_message(
                lambda m: m.chat_id == user.chat_id and "Review before submitting" in m.body and bool(m.buttons()),
                timeout=WAIT,
            )
            await parked(db, 4)
            assert site.submissions == []
            await user.tap(review, "Submit")
            submission = await site.wait_for_submission(timeout=WAIT)
            await submitted(fake_telegram, card)

        assert submission.fields["account"] == "ada.own@example.org"
        assert len(site.submissions) == 1
        assert site.created_accounts == [], "the user's own account was used"
        # Parked after the choice, the login, the question and the review: each answer opened a new browser
        # that signed in again and walked the steps again (a new sign-in finds the draft at its first step).
        assert len(site.sign_ins) == 3, site.sign_ins
        assert [save.step for save in site.step_saves].count("myInformation") == 2
        assert await db.fetchval("SELECT count(*) FROM prompts WHERE parked_at IS NOT NULL") == 4
        assert await text_in_database(db, "My0wn-Pass word!") == []
        assert await db.fetchval("SELECT origin FROM ats_accounts") == "user"
