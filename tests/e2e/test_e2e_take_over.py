"""Taking over from a phone: "Let me do this myself" on the review, and a question filled in by hand, through
the live view of the worker's browser. A second real Chromium (the phone) opens the link under the chat
message, taps a field in the live picture and types; Done there makes the worker read the form back. Only
Submit in the chat sends the form: a tap on the form's own Submit button in the live view sends nothing.

Real path: the fake Bot API, the worker's real Chromium on the local Greenhouse-style form (its motivation
box and Submit button painted in colours the phone can find in the picture), the bot's web server, Redis
between them, PostgreSQL.
"""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass

import aiohttp
import pytest
import pytest_asyncio
from aiohttp import web

from bot.live_view import GONE
from handlers.cards import REOPEN_BUTTON, TAKE_OVER_BUTTON
from handlers.questions import BY_HAND_BUTTON, BY_HAND_DONE_LINE
from handlers.review import OUTCOME_LINES
from storage.models import ReviewDecision
from tests.fakes.job_site import MOTIVATION, MOTIVATION_ID, SPONSORSHIP, GreenhouseJobSite
from tests.fakes.phone import phone_at
from tests.support import ALLOWED_USER
from tests.support.chat import BARE_PROFILE, PROFILE, WAIT, apply_to, asks, load, next_review, saved_answers

pytestmark = pytest.mark.browser

MAGENTA, CYAN = (255, 0, 200), (0, 200, 255)
# The motivation box and the form's Submit button, in colours the phone finds in the live picture.
PAINT = (
    f"<style>#{MOTIVATION_ID} {{ background: rgb{MAGENTA} !important; min-height: 120px; }}"
    f".application--submit button {{ background: rgb{CYAN} !important; padding: 24px 48px; }}</style>"
)
TYPED = "I typed this on my phone"


@dataclass
class PaintedJobSite(GreenhouseJobSite):
    async def _posting(self, request: web.Request) -> web.Response:
        page = (await super()._posting(request)).text
        return self.html_response(page.replace("</head>", f"{PAINT}</head>", 1))


@pytest_asyncio.fixture
async def painted_site() -> AsyncIterator[PaintedJobSite]:
    async with PaintedJobSite() as site:
        yield site


@pytest.fixture
def settings_overrides() -> dict[str, object]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return {"http_port": port, "live_view_base_url": f"http://127.0.0.1:{port}"}


async def refused(url: str) -> bool:
    async with aiohttp.ClientSession() as http, http.get(url) as page:
        return page.status == 404 and GONE in await page.text()


async def test_let_me_do_this_myself_changes_the_form_and_only_submit_in_the_chat_sends_it(
    nyx, fake_telegram, painted_site, db, browser_options
):
    user = fake_telegram.user(ALLOWED_USER)
    await load(fake_telegram, user, PROFILE)
    card = await apply_to(fake_telegram, user, painted_site.posting_url)
    review = await next_review(fake_telegram, user, set())
    assert TAKE_OVER_BUTTON in [b.text for b in review.buttons()]
    assert "Nothing you tap there sends the application" in review.body
    url = review.button(TAKE_OVER_BUTTON).url
    before = PROFILE["answers"][MOTIVATION]

    async with phone_at(browser_options, url) as phone:
        assert await phone.next_frame(0) >= 1, "the filled form shows on the phone"
        note = await phone.js("() => JSON.stringify(document.getElementById('note').textContent)")
        assert "only when you tap Submit in the chat" in note
        assert await phone.tap_widget(MAGENTA), "the motivation box shows in the live picture"
        await phone.type(f" {TYPED}")
        assert await phone.tap_widget(CYAN), "the form's Submit button shows in the live picture"
        await phone.tap(*await phone.centre_of("#done"))
        changed = await fake_telegram.wait_for_message(
            lambda m: m.chat_id == user.chat_id and "You changed" in m.body, timeout=WAIT
        )
        fresh = await next_review(fake_telegram, user, {review.message_id})
        assert await phone.ended(), "the live view ends with the review"

    assert MOTIVATION in changed.body and TYPED in changed.body and before in changed.body
    assert TYPED in fresh.body and "expected" not in fresh.body, "the user's own value is not a problem"
    assert not painted_site.submissions, "the tap on the form's Submit button in the live view sent nothing"
    assert await refused(url), "after Done the link opens nothing"
    [closed] = [m for m in fake_telegram.messages(user.chat_id) if m.message_id == review.message_id]
    assert closed.buttons() == [] and OUTCOME_LINES[ReviewDecision.BY_HAND] in closed.body
    assert fresh.button(TAKE_OVER_BUTTON).url != url, "each review has its own link"

    await user.tap(fresh, "Submit")
    submission = await painted_site.wait_for_submission(timeout=WAIT)
    assert TYPED in submission.fields[MOTIVATION_ID] and before in submission.fields[MOTIVATION_ID]
    await fake_telegram.wait_for_message(
        lambda m: m.message_id == card.message_id and "submitted" in m.body, timeout=WAIT
    )
    assert len(painted_site.submissions) == 1


async def test_a_question_is_filled_in_by_hand_through_the_live_view(
    nyx, fake_telegram, painted_site, db, browser_options
):
    user = fake_telegram.user(ALLOWED_USER)
    await load(fake_telegram, user, BARE_PROFILE)
    await apply_to(fake_telegram, user, painted_site.posting_url)
    sponsorship = await fake_telegram.wait_for_message(
        lambda m: m.chat_id == user.chat_id and asks(m, SPONSORSHIP) and m.buttons(), timeout=WAIT
    )
    assert [b.text for b in sponsorship.buttons()] == ["Yes", "No", BY_HAND_BUTTON]
    await user.tap(sponsorship, "No")

    motivation = await fake_telegram.wait_for_message(
        lambda m: m.chat_id == user.chat_id and asks(m, MOTIVATION), timeout=WAIT
    )
    assert "Reply to this message" in motivation.body and "Fill it in myself" in motivation.body
    url = motivation.button(BY_HAND_BUTTON).url
    async with phone_at(browser_options, url) as phone:
        assert await phone.next_frame(0) >= 1
        assert await phone.tap_widget(MAGENTA), "the empty motivation box shows in the live picture"
        await phone.type(TYPED)
        await phone.tap(*await phone.centre_of("#done"))
        review = await next_review(fake_telegram, user, set())
        assert await phone.ended()

    [closed] = [m for m in fake_telegram.messages(user.chat_id) if m.message_id == motivation.message_id]
    assert closed.buttons() == [] and BY_HAND_DONE_LINE in closed.body
    assert TYPED in review.body
    await user.tap(review, "Submit")
    submission = await painted_site.wait_for_submission(timeout=WAIT)
    assert submission.fields[MOTIVATION_ID] == TYPED
    app_id = await db.fetchval("SELECT id FROM applications")
    assert (await saved_answers(db))[MOTIVATION] == (TYPED, "chat_question", app_id), "remembered for next time"


class TestParked:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        # Parked at once: the browser is put away as soon as the review is shown.
        return {"http_port": port, "live_view_base_url": f"http://127.0.0.1:{port}", "park_after_minutes": 0}

    async def test_a_parked_review_says_its_live_view_closed_and_opens_the_form_again_on_demand(
        self, nyx, fake_telegram, painted_site
    ):
        user = fake_telegram.user(ALLOWED_USER)
        await load(fake_telegram, user, PROFILE)
        card = await apply_to(fake_telegram, user, painted_site.posting_url)

        def parked_review(m, after: set[int]) -> bool:
            return (
                m.chat_id == user.chat_id
                and m.message_id not in after
                and "Review before submitting" in m.body
                and "the live view is closed" in m.body
            )

        review = await fake_telegram.wait_for_message(lambda m: parked_review(m, set()), timeout=WAIT)
        assert [b.text for b in review.buttons()] == ["Submit", "Cancel", "✏️ Fix a field", REOPEN_BUTTON]
        assert not review.button(REOPEN_BUTTON).url, "no link to a browser that is not there"

        # The form is opened and filled again, and a fresh review (with its own live view) follows.
        assert "Opening the form again" in (await user.tap(review, REOPEN_BUTTON)).text
        fresh = await fake_telegram.wait_for_message(lambda m: parked_review(m, {review.message_id}), timeout=WAIT)
        assert not painted_site.submissions
        await user.tap(fresh, "Submit")
        await painted_site.wait_for_submission(timeout=WAIT)
        await fake_telegram.wait_for_message(
            lambda m: m.message_id == card.message_id and "submitted" in m.body, timeout=WAIT
        )
        assert len(painted_site.submissions) == 1
