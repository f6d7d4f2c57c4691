"""An unknown site through Telegram: the universal filler and one batched LLM call first, then the generic
browser-use agent for the required question still empty, which it asks in the chat; the same
review-then-submit rule applies."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import pytest_asyncio

from tests.fakes.unknown_site import QUESTION, UnknownJobSite
from tests.support import ALLOWED_USER
from tests.support.agent_model import ANSWERED, agent_step, index_of, state_text
from tests.support.chat import PROFILE, RESUME, WAIT, card_for, load_profile

pytestmark = pytest.mark.browser
ANSWER = "Because rockets."


@pytest_asyncio.fixture
async def site():
    async with UnknownJobSite() as unknown:
        yield unknown


@pytest.fixture
def settings_overrides(fake_openai, request):
    # A test that takes `park_now` parks every prompt at once (PARK_AFTER_MINUTES=0).
    park = {"park_after_minutes": 0} if "park_now" in request.fixturenames else {}
    return {
        "llm_base_url": fake_openai.base_url,
        "llm_api_key": fake_openai.api_key or "sk-test",
        "llm_model": "fake-model",
        **park,
    }


def _schema(body: dict[str, Any]) -> str | None:
    return ((body.get("response_format") or {}).get("json_schema") or {}).get("name")


def _unknown_to_the_llm(body: dict[str, Any]) -> dict[str, Any]:
    """The batched questions: the candidate's information does not say (the agent then asks the user)."""
    questions = json.loads(body["messages"][-1]["content"].split("Questions:\n", 1)[1])
    return {"answers": [{"question_id": q["question_id"], "answer": None, "confidence": 0.0} for q in questions]}


def model():
    """Scores the job; knows no answer to the form's question; plays the agent step by step otherwise.

    The universal filler put the name, e-mail, phone and résumé in before the agent took over: what is left
    for it is the question, which it asks in the chat and then types.
    """

    def ask(body: dict[str, Any]) -> dict[str, Any]:
        return agent_step({"ask_user": {"question": QUESTION, "options": None}})

    def type_answer(body: dict[str, Any]) -> dict[str, Any]:
        answered = ANSWERED.search(state_text(body))
        return agent_step({"input": {"index": index_of(body, "puzzle"), "text": answered.group(1).strip()}})

    steps = iter([ask, type_answer, lambda body: agent_step({"request_review": {"note": "Done."}})])

    def respond(body: dict[str, Any]) -> Any:
        if _schema(body) == "agent_output":
            return next(steps)(body)
        if _schema(body) == "AnsweredQuestions":
            return _unknown_to_the_llm(body)
        return {"score": 70, "reasons": ["Fits"], "missing": []}

    return respond


async def test_unknown_site_is_filled_by_the_agent_and_submitted_after_review(
    nyx, fake_telegram, fake_openai, site, db
):
    fake_openai.script(model())
    user = fake_telegram.user(ALLOWED_USER)
    await load_profile(fake_telegram, user)
    await user.send(site.apply_url)
    card = await card_for(fake_telegram, user, site.apply_url)
    await user.tap(card, "Apply")

    question = await fake_telegram.wait_for_message(lambda m: QUESTION in m.body, timeout=WAIT)
    await user.reply(question, ANSWER)
    review = await fake_telegram.wait_for_message(lambda m: "Review before submitting" in m.body, timeout=WAIT)
    assert site.posts == [], "the agent never submits on its own"
    assert ANSWER in review.body
    await user.tap(review, "Submit")

    post = await site.wait_for_post(timeout=WAIT)
    assert post.fields["puzzle"] == ANSWER and post.fields["reach"] == PROFILE["email"]
    assert post.files["papers"] == ("ada-lovelace.pdf", RESUME)
    await fake_telegram.wait_for_message(
        lambda m: m.message_id == card.message_id and "✅ submitted" in m.body, timeout=WAIT
    )
    row = await db.fetchrow("SELECT llm_calls, llm_tokens FROM applications")
    assert row["llm_calls"] >= 3 and row["llm_tokens"] > 0
    # The order of work: one batched request for the open question first, then the agent for what it left.
    schemas = [
        _schema(r.body) for r in fake_openai.requests if _schema(r.body) in ("AnsweredQuestions", "agent_output")
    ]
    assert schemas[0] == "AnsweredQuestions" and schemas[1:] == ["agent_output"] * (len(schemas) - 1)
    saved = await db.fetchrow("SELECT answer, source FROM saved_answers WHERE question = $1", QUESTION)
    assert saved["answer"] == ANSWER and saved["source"] == "chat_question"


def filling_model():
    """Scores the job; as the agent, answers what the earlier steps left in one step and hands over for review."""

    def fill(body: dict[str, Any]) -> dict[str, Any]:
        return agent_step({"input": {"index": index_of(body, "puzzle"), "text": ANSWER}})

    steps = iter([fill, lambda body: agent_step({"request_review": {"note": "Done."}})])

    def respond(body: dict[str, Any]) -> Any:
        if _schema(body) == "agent_output":
            return next(steps)(body)
        if _schema(body) == "AnsweredQuestions":
            return _unknown_to_the_llm(body)
        return {"score": 70, "reasons": ["Fits"], "missing": []}

    return respond


@pytest.mark.parametrize("park_now", [True])
async def test_parked_agent_review_is_replayed_without_the_llm_and_submitted(
    nyx, fake_telegram, fake_openai, site, db, park_now
):
    fake_openai.script(filling_model())
    user = fake_telegram.user(ALLOWED_USER)
    await load_profile(fake_telegram, user)
    await user.send(site.apply_url)
    card = await card_for(fake_telegram, user, site.apply_url)
    await user.tap(card, "Apply")
    review = await fake_telegram.wait_for_message(
        lambda m: "Review before submitting" in m.body and m.buttons(), timeout=WAIT
    )
    while await db.fetchval("SELECT parked_at IS NULL FROM prompts WHERE status = 'pending'"):
        await asyncio.sleep(0.05)  # polling the row until the worker parked the review and closed its browser
    model_calls = len(fake_openai.completions)

    await user.tap(review, "Submit")
    post = await site.wait_for_post(timeout=WAIT)
    assert post.fields["puzzle"] == ANSWER and post.fields["reach"] == PROFILE["email"]
    assert post.fields["who"] == "Ada Lovelace"
    assert post.files["papers"] == ("ada-lovelace.pdf", RESUME)
    await fake_telegram.wait_for_message(
        lambda m: m.message_id == card.message_id and "✅ submitted" in m.body, timeout=WAIT
    )
    assert len(fake_openai.completions) == model_calls, "the refill replayed the recorded steps: no LLM call"
    assert len(site.posts) == 1
