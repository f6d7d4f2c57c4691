"""FALLBACK_BACKEND=vibesurf through Telegram: a form no adapter knows goes to the VibeSurf service,
whose question comes to the chat; nothing is sent before the review's Submit; the worker's log lines
carry the application's id."""

from __future__ import annotations

import json
import logging

import pytest
import pytest_asyncio

from bot.logs import configure_logging
from tests.fakes.unknown_site import UnknownJobSite
from tests.fakes.vibesurf_api import FakeVibeSurf, Question, Scenario
from tests.support import ALLOWED_USER
from tests.support.chat import PROFILE, WAIT, card_for, load_profile

pytestmark = pytest.mark.browser
SALARY = "What are your salary expectations?"


@pytest_asyncio.fixture
async def vibesurf():
    async with FakeVibeSurf() as fake:
        yield fake


@pytest_asyncio.fixture
async def site():
    async with UnknownJobSite() as unknown:
        yield unknown


@pytest.fixture
def settings_overrides(vibesurf):
    return {"fallback_backend": "vibesurf", "vibesurf_url": vibesurf.base_url, "vibesurf_api_key": vibesurf.api_key}


def filled(task, answers):
    return [
        {
            "label": "Your name *",
            "kind": "text",
            "value": f"{PROFILE['first_name']} {PROFILE['last_name']}",
            "required": True,
        },
        {"label": "E-mail", "kind": "text", "value": task.sensitive_data["applicant_email"], "required": True},
        {"label": SALARY, "kind": "text", "value": answers.get(SALARY) or "", "required": True},
    ]


@pytest.fixture
def json_logs(capsys):
    """Switches to JSON logs (inside the test, where capsys captures stderr) and reads them back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level

    def read() -> list[dict]:
        return [json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")]

    yield read
    root.handlers[:] = handlers
    root.setLevel(level)


async def test_an_unknown_form_is_filled_by_vibesurf_and_sent_only_after_the_review(
    nyx, fake_telegram, vibesurf, site, db, json_logs
):
    configure_logging("INFO", json=True)
    vibesurf.scenario = Scenario(questions=[Question(SALARY)], fields=filled)
    user = fake_telegram.user(ALLOWED_USER)
    await load_profile(fake_telegram, user)
    await user.send(site.apply_url)
    card = await card_for(fake_telegram, user, site.apply_url)
    await user.tap(card, "Apply")

    question = await fake_telegram.wait_for_message(lambda m: SALARY in m.body, timeout=WAIT)
    await user.reply(question, "EUR 80k")
    review = await fake_telegram.wait_for_message(lambda m: "Review before submitting" in m.body, timeout=WAIT)
    assert "EUR 80k" in review.body
    task = vibesurf.task
    assert task.answers == {SALARY: "EUR 80k"} and task.status == "awaiting_review" and not task.approved
    assert site.apply_url in task.description and task.review_before_submit

    await user.tap(review, "Submit")
    await fake_telegram.wait_for_message(
        lambda m: m.message_id == card.message_id and "✅ submitted" in m.body, timeout=WAIT
    )
    assert task.approved and task.status == "submitted"
    assert site.posts == [], "VibeSurf sent it, not our browser"
    app_id = await db.fetchval("SELECT id FROM applications")
    started = [r for r in json_logs() if r["event"].startswith("VibeSurf task")]
    assert started and started[0]["application_id"] == app_id
