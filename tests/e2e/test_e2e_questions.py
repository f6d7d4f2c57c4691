"""The form's own questions end to end: answered from saved answers or one LLM call, asked in the chat
when nobody else may answer them, remembered for the next form; and corrections during the review.

Real path: the fake Bot API, real Chromium on the local Greenhouse-style form (a required legal Yes/No
select and a required free-text question), real PostgreSQL, and the fake OpenAI-compatible server.
"""

from __future__ import annotations

import json

import pytest

from tests.fakes.job_site import MOTIVATION, MOTIVATION_ID, SPONSORSHIP, SPONSORSHIP_ID, SPONSORSHIP_VALUES
from tests.fakes.openai_api import ChatRequest
from tests.support import ALLOWED_USER
from tests.support.chat import (
    BARE_PROFILE,
    PROFILE,
    WAIT,
    apply_to,
    asks,
    forces_reply,
    load,
    next_review,
    saved_answers,
)

pytestmark = pytest.mark.browser

WHY_ME = "Launch scheduling is the queueing problem I most want to work on."
WHY_LLM = "I have built schedulers in Python and PostgreSQL and would like to build yours."
FIX_BUTTON = "✏️ Fix a field"


async def test_questions_nobody_may_answer_are_asked_in_the_chat_and_remembered(nyx, fake_telegram, job_site, db):
    user = fake_telegram.user(ALLOWED_USER)
    await load(fake_telegram, user, BARE_PROFILE)
    card = await apply_to(fake_telegram, user, job_site.posting_url)

    # The legal question, as buttons with the form's own options.
    sponsorship = await fake_telegram.wait_for_message(
        lambda m: m.chat_id == user.chat_id and asks(m, SPONSORSHIP) and m.buttons(), timeout=WAIT
    )
    assert [b.text for b in sponsorship.buttons()] == ["Yes", "No"]
    assert await db.fetchval("SELECT status FROM applications") == "waiting_user"
    yes_data = sponsorship.button("Yes").callback_data
    assert "Saved: No" in (await user.tap(sponsorship, "No")).text

    # The free-text question, as a force-reply answered by replying to it.
    motivation = await fake_telegram.wait_for_message(
        lambda m: m.chat_id == user.chat_id and asks(m, MOTIVATION), timeout=WAIT
    )
    assert forces_reply(motivation) and motivation.buttons() == []
    # A second tap on the answered question changes nothing.
    assert "Already answered" in (await user.tap_data(sponsorship, yes_data)).text
    await user.reply(motivation, WHY_ME)
    await fake_telegram.wait_for_message(lambda m: m.chat_id == user.chat_id and m.body.startswith("✅ Thanks"))

    review = await next_review(fake_telegram, user, set())
    assert "No" in review.body and WHY_ME in review.body
    # A late reply to the answered question is refused and changes nothing.
    await user.reply(motivation, "something else entirely")
    await fake_telegram.wait_for_message(lambda m: m.chat_id == user.chat_id and "question is closed" in m.body)

    await user.tap(review, "Submit")
    first = await job_site.wait_for_submission(timeout=WAIT)
    assert first.fields[SPONSORSHIP_ID] == SPONSORSHIP_VALUES["No"]
    assert first.fields[MOTIVATION_ID] == WHY_ME
    await fake_telegram.wait_for_message(
        lambda m: m.message_id == card.message_id and "submitted" in m.body, timeout=WAIT
    )
    app_id = await db.fetchval("SELECT id FROM applications")
    assert await saved_answers(db) == {
        SPONSORSHIP: ("No", "chat_question", app_id),
        MOTIVATION: (WHY_ME, "chat_question", app_id),
    }
    answers = [r["answer"] for r in await db.fetch("SELECT answer FROM prompts WHERE kind = 'question' ORDER BY id")]
    assert [json.loads(a) for a in answers] == [{"value": "No"}, {"value": WHY_ME}]
    trail = [
        r[0]
        for r in await db.fetch(
            "SELECT to_status FROM application_events WHERE application_id = $1 ORDER BY id", app_id
        )
    ]
    assert trail[-7:] == ["waiting_user", "running", "waiting_user", "running", "waiting_user", "running", "submitted"]

    # Another application to the same form asks nothing: the answers are remembered.
    before = {m.message_id for m in fake_telegram.messages(user.chat_id)}
    await apply_to(fake_telegram, user, job_site.careers_url)
    second_review = await next_review(fake_telegram, user, before)
    assert not any(asks(m, "") for m in fake_telegram.messages(user.chat_id) if m.message_id not in before)
    await user.tap(second_review, "Submit")
    second = await job_site.wait_for_submission(timeout=WAIT, count=2)
    assert second.fields[SPONSORSHIP_ID] == SPONSORSHIP_VALUES["No"] and second.fields[MOTIVATION_ID] == WHY_ME
    assert await db.fetchval("SELECT count(*) FROM prompts WHERE kind = 'question'") == 2


async def test_a_correction_during_review_lands_in_the_form_and_is_remembered(nyx, fake_telegram, job_site, db):
    user = fake_telegram.user(ALLOWED_USER)
    await load(fake_telegram, user, PROFILE)  # answers in advance: nothing is asked before the review
    await apply_to(fake_telegram, user, job_site.posting_url)
    review = await next_review(fake_telegram, user, set())

    # "Fix a field", then the correction as the next message.
    await user.tap(review, FIX_BUTTON)
    how = await fake_telegram.wait_for_message(
        lambda m: m.chat_id == user.chat_id and "Label: new value" in m.body and forces_reply(m)
    )
    await user.reply(how, f"{MOTIVATION}: {WHY_ME}")
    second = await next_review(fake_telegram, user, {review.message_id})
    assert WHY_ME in second.body
    assert job_site.submissions == [], "a correction submits nothing"

    # A reply to the review itself works too; a standard field is changed but not saved as an answer.
    await user.reply(second, "phone: +44 20 7946 1111")
    third = await next_review(fake_telegram, user, {review.message_id, second.message_id})
    assert "+44 20 7946 1111" in third.body

    await user.tap(third, "Submit")
    submission = await job_site.wait_for_submission(timeout=WAIT)
    assert submission.fields[MOTIVATION_ID] == WHY_ME
    assert submission.fields["phone"] == "+44 20 7946 1111"
    app_id = await db.fetchval("SELECT id FROM applications")
    saved = await saved_answers(db)
    assert saved[MOTIVATION] == (WHY_ME, "review_correction", app_id)
    assert "Phone" not in saved and "phone" not in saved
    assert len(job_site.submissions) == 1


class TestWithAnLLM:
    @pytest.fixture
    def settings_overrides(self, fake_openai):
        return {"llm_base_url": fake_openai.base_url, "llm_api_key": fake_openai.api_key, "llm_model": "fake-model"}

    async def test_general_questions_go_to_one_llm_call_and_legal_ones_to_the_user(
        self, nyx, fake_telegram, fake_openai, job_site, db
    ):
        fake_openai.script(_scripted_model)
        user = fake_telegram.user(ALLOWED_USER)
        await load(fake_telegram, user, BARE_PROFILE)
        await apply_to(fake_telegram, user, job_site.posting_url)

        sponsorship = await fake_telegram.wait_for_message(
            lambda m: m.chat_id == user.chat_id and asks(m, SPONSORSHIP) and m.buttons(), timeout=WAIT
        )
        await user.tap(sponsorship, "Yes")
        review = await next_review(fake_telegram, user, set())
        assert WHY_LLM in review.body
        assert not any(asks(m, MOTIVATION) for m in fake_telegram.messages(user.chat_id))
        await user.tap(review, "Submit")
        submission = await job_site.wait_for_submission(timeout=WAIT)
        assert submission.fields[SPONSORSHIP_ID] == SPONSORSHIP_VALUES["Yes"]
        assert submission.fields[MOTIVATION_ID] == WHY_LLM

        question_calls = [r for r in fake_openai.requests if _schema_name(r) == "AnsweredQuestions"]
        assert len(question_calls) == 1 and MOTIVATION in question_calls[0].prompt
        assert all(SPONSORSHIP not in json.dumps(r.body) for r in fake_openai.requests), "legal questions stay here"
        row = await db.fetchrow("SELECT llm_calls, llm_tokens FROM applications")
        assert row["llm_calls"] == len(fake_openai.requests) == 2, "the job's score and the form's questions"
        assert row["llm_tokens"] == sum(r.response["usage"]["total_tokens"] for r in fake_openai.requests) > 0
        # The user's own answer, and the LLM's answer the user let stand in the review, for next time.
        app_id = await db.fetchval("SELECT id FROM applications")
        assert await saved_answers(db) == {
            SPONSORSHIP: ("Yes", "chat_question", app_id),
            MOTIVATION: (WHY_LLM, "llm", app_id),
        }


class TestTimeouts:
    @pytest.fixture
    def settings_overrides(self) -> dict[str, object]:
        return {"review_timeout_minutes": 0.05}  # three seconds

    async def test_an_unanswered_question_times_out_the_application(self, nyx, fake_telegram, job_site, db):
        user = fake_telegram.user(ALLOWED_USER)
        await load(fake_telegram, user, BARE_PROFILE)
        card = await apply_to(fake_telegram, user, job_site.posting_url)
        question = await fake_telegram.wait_for_message(
            lambda m: m.chat_id == user.chat_id and asks(m, SPONSORSHIP), timeout=WAIT
        )
        await fake_telegram.wait_for_message(
            lambda m: m.message_id == card.message_id and "timed out" in m.body, timeout=WAIT
        )
        assert question.buttons() == [] and "expired" in question.body
        assert "closed" in (await user.tap_data(question, f"qa:{await _question_prompt(db)}:0")).text
        assert await db.fetchval("SELECT status FROM prompts") == "expired"
        assert await db.fetchval("SELECT count(*) FROM saved_answers") == 0
        assert job_site.submissions == []


async def _question_prompt(db) -> int:
    return await db.fetchval("SELECT id FROM prompts WHERE kind = 'question'")


def _schema_name(request: ChatRequest) -> str | None:
    return ((request.body.get("response_format") or {}).get("json_schema") or {}).get("name")


def _scripted_model(body: dict) -> dict:
    """Answers the custom questions (only the motivation is known) and scores the job."""
    if _schema_name(ChatRequest(body, None)) != "AnsweredQuestions":
        return {"score": 70, "reasons": ["Python and PostgreSQL"], "missing": []}
    prompt = ChatRequest(body, None).prompt
    questions = json.loads(prompt.split("Questions:\n", 1)[1])
    return {
        "answers": [
            {
                "question_id": q["question_id"],
                "answer": WHY_LLM if q["question"] == MOTIVATION else None,
                "confidence": 0.9 if q["question"] == MOTIVATION else 0.0,
            }
            for q in questions
        ]
    }


ORDER_PROFILE = {
    **BARE_PROFILE,
    "location": "San Francisco, United States",
    "work_authorization": ["US"],
    "needs_sponsorship": False,
    "eeo": {"gender": "decline", "race": "decline", "veteran": "decline", "disability": "decline"},
}
SALARY_ANSWER = "150000"


def _order_model(batched: list[ChatRequest]):
    """Scores the job; answers the batched general questions; plays the agent (which asks what it cannot know)."""
    from tests.fakes.questions_form_site import GENERAL
    from tests.fakes.scripted_agent_model import FormFillingModel

    agent = FormFillingModel()

    def respond(body: dict) -> object:
        request = ChatRequest(body, None)
        if _schema_name(request) == "agent_output":
            return agent(body)
        if _schema_name(request) != "AnsweredQuestions":
            return {"score": 70, "reasons": ["Python and PostgreSQL"], "missing": []}
        batched.append(request)
        questions = json.loads(request.prompt.split("Questions:\n", 1)[1])
        return {
            "answers": [
                {
                    "question_id": q["question_id"],
                    "answer": f"LLM: {q['question']}" if q["question"] in GENERAL else None,
                    "confidence": 0.9 if q["question"] in GENERAL else 0.0,
                }
                for q in questions
            ]
        }

    return respond


class TestOrderOfWork:
    """On a form nobody recognises: the universal filler, one LLM call for every general question, the agent
    for the required field still empty, and only what nobody else may answer reaches the user."""

    @pytest.fixture
    def settings_overrides(self, fake_openai):
        return {
            "llm_base_url": fake_openai.base_url,
            "llm_api_key": fake_openai.api_key or "sk-test",
            "llm_model": "fake-model",
            "agent_max_steps": 10,
        }

    async def test_one_llm_request_for_the_general_questions_and_only_the_salary_for_the_user(
        self, nyx, fake_telegram, fake_openai, db
    ) -> None:
        from tests.fakes.questions_form_site import GENERAL, SALARY, QuestionsFormSite

        batched: list[ChatRequest] = []
        fake_openai.script(_order_model(batched))
        user = fake_telegram.user(ALLOWED_USER)
        await load(fake_telegram, user, ORDER_PROFILE)
        async with QuestionsFormSite() as site:
            await apply_to(fake_telegram, user, site.posting_url)
            salary = await fake_telegram.wait_for_message(
                lambda m: m.chat_id == user.chat_id and asks(m, SALARY), timeout=WAIT
            )
            await user.reply(salary, SALARY_ANSWER)
            review = await next_review(fake_telegram, user, set())
            assert site.submissions == []
            await user.tap(review, "Submit")
            posted = await site.wait_for_submission(timeout=WAIT)

        # Exactly one request carried all the general questions, and nothing the profile settles.
        assert len(batched) == 1
        sent = json.loads(batched[0].prompt.split("Questions:\n", 1)[1])
        assert [question["question"] for question in sent] == list(GENERAL)
        # Only the salary reached the user, as a question in the chat.
        asked = [m for m in fake_telegram.messages(user.chat_id) if "A question from the form" in m.body]
        assert [SALARY in m.body for m in asked] == [True]
        assert [
            r["q"] for r in await db.fetch("SELECT payload->>'question' AS q FROM prompts WHERE kind = 'question'")
        ] == [SALARY]
        # What was sent: the profile's, the LLM's and the user's answers, each in its place.
        assert posted.fields["full_name"] == "Ada Lovelace" and posted.fields["email"] == "ada@example.org"
        assert posted.fields["sponsorship"] == "no" and posted.fields["gender"] == "Decline to self-identify"
        assert posted.fields["why"] == f"LLM: {GENERAL[0]}" and posted.fields["language"] == f"LLM: {GENERAL[1]}"
        assert posted.fields["proud"] == f"LLM: {GENERAL[2]}"
        assert posted.fields["salary"] == SALARY_ANSWER
        assert posted.files["resume"][0] == "ada-lovelace.pdf"
