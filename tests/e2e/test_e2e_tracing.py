"""LLM tracing and cost end to end: with LANGFUSE_* set every LLM call of an application reaches a (fake)
Langfuse as OTLP spans carrying the application's id; its tokens and their price (LLM_PRICES) are stored
and shown in /job N and /stats; `nyx doctor` says whether tracing is on and its host answers.

Real path: the fake Bot API, real Chromium on the local Greenhouse-style form, real PostgreSQL, the fake
OpenAI-compatible server (which reports usage tokens) and a fake Langfuse speaking OTLP/HTTP protobuf.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from pydantic import SecretStr

from automation import tracing
from bot.config import load_settings
from bot.doctor import check_langfuse
from tests.fakes.job_site import MOTIVATION, SPONSORSHIP
from tests.fakes.langfuse_api import FakeLangfuse
from tests.fakes.openai_api import ChatRequest
from tests.support import ALLOWED_USER
from tests.support.chat import BARE_PROFILE, WAIT, apply_to, asks, load, next_review

PRICES = {"fake-model": [2, 8]}  # USD per million tokens, in and out
WHY_LLM = "Schedulers in Python and PostgreSQL are what I build."


def _model(body: dict) -> dict:
    """Scores the job, and answers the motivation question of the form."""
    request = ChatRequest(body, None)
    if ((body.get("response_format") or {}).get("json_schema") or {}).get("name") != "AnsweredQuestions":
        return {"score": 70, "reasons": ["Python and PostgreSQL"], "missing": []}
    questions = json.loads(request.prompt.split("Questions:\n", 1)[1])
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


class TestTracedApplication:
    @pytest.fixture
    def settings_overrides(self, fake_openai, fake_langfuse: FakeLangfuse):
        return {
            "llm_base_url": fake_openai.base_url,
            "llm_api_key": fake_openai.api_key,
            "llm_model": "fake-model",
            "llm_prices": PRICES,
            "langfuse_public_key": fake_langfuse.public_key,
            "langfuse_secret_key": fake_langfuse.secret_key,
            "langfuse_host": fake_langfuse.base_url,
        }

    @pytest.mark.browser
    async def test_every_llm_call_is_traced_with_the_application_and_its_cost_shows_in_job_and_stats(
        self, nyx, fake_telegram, fake_openai, fake_langfuse, job_site, db
    ):
        fake_openai.script(_model)
        user = fake_telegram.user(ALLOWED_USER)
        await load(fake_telegram, user, BARE_PROFILE)
        await apply_to(fake_telegram, user, job_site.posting_url)
        sponsorship = await fake_telegram.wait_for_message(
            lambda m: m.chat_id == user.chat_id and asks(m, SPONSORSHIP) and m.buttons(), timeout=WAIT
        )
        await user.tap(sponsorship, "No")
        review = await next_review(fake_telegram, user, set())
        await user.tap(review, "Submit")
        await job_site.wait_for_submission(timeout=WAIT)
        app_id = await db.fetchval("SELECT id FROM applications")

        calls = [r for r in fake_openai.requests if r.status == 200]
        assert len(calls) == 2, "the job's score and the form's questions"
        # The SDK exports from its own thread; the fake server runs on this loop.
        await asyncio.to_thread(tracing.flush)

        def generations(spans):
            return [s for s in spans if s.attributes.get("langfuse.observation.type") == "generation"]

        spans = await fake_langfuse.wait_for(lambda spans: len(generations(spans)) >= len(calls), timeout=WAIT)
        traced = generations(spans)
        assert len(traced) == len(calls)
        for span in traced:
            assert span.attributes["session.id"] == f"application-{app_id}"
            assert span.attributes["user.id"] == str(ALLOWED_USER)
            assert span.metadata["application_id"] == str(app_id)
        assert {s.attributes["langfuse.trace.name"] for s in traced} == {"score", "apply"}
        assert fake_langfuse.refused == 0 and set(fake_langfuse.encodings) == {"gzip"}, "OTLP protobuf, gzipped"

        tokens_in = sum(r.response["usage"]["prompt_tokens"] for r in calls)
        tokens_out = sum(r.response["usage"]["completion_tokens"] for r in calls)
        cost = (Decimal(2) * tokens_in + Decimal(8) * tokens_out) / Decimal(1_000_000)
        expected = f"LLM: 2 call(s), {tokens_in + tokens_out:,} tokens, ${cost:.4f}"

        await user.send(f"/job {app_id}")
        details = await fake_telegram.wait_for_message(
            lambda m: m.chat_id == user.chat_id and m.body.startswith(f"#{app_id} "), timeout=WAIT
        )
        assert expected in details.body
        await user.send("/stats")
        stats = await fake_telegram.wait_for_message(
            lambda m: m.chat_id == user.chat_id and "Your numbers" in m.body, timeout=WAIT
        )
        assert f"LLM in all: {expected.removeprefix('LLM: ')}" in stats.body
        # The digest reads the same rows.
        assert await db.fetchval("SELECT sum(money_usd) FROM spending") == cost


async def test_doctor_says_whether_tracing_is_on_and_its_host_answers(fake_langfuse: FakeLangfuse):
    off = load_settings(need_token=False, _env_file=None)
    assert (await check_langfuse(off)).startswith("off")
    on = load_settings(
        need_token=False,
        _env_file=None,
        langfuse_public_key=fake_langfuse.public_key,
        langfuse_secret_key=fake_langfuse.secret_key,
        langfuse_host=fake_langfuse.base_url,
    )
    assert (await check_langfuse(on)).startswith(f"on: LLM calls are traced to {fake_langfuse.base_url}")
    wrong = load_settings(
        need_token=False,
        _env_file=None,
        langfuse_public_key=fake_langfuse.public_key,
        langfuse_secret_key="sk-lf-wrong",
        langfuse_host=fake_langfuse.base_url,
    )
    with pytest.raises(RuntimeError, match="refuses the LANGFUSE_\\* keys"):
        await check_langfuse(wrong)


def test_without_langfuse_settings_nothing_of_langfuse_is_loaded():
    """The app's modules, the chat model and an application's tracing block import no Langfuse at all."""
    code = (
        "import sys\n"
        "import automation.apply, automation.llm, bot.app, automation.backends.browser_use_agent\n"
        "from automation import tracing\n"
        "with tracing.for_application(1, 2, 'apply'):\n"
        "    assert tracing.run_config() == {}\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'langfuse'))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
        timeout=120,
    )
    assert done.stdout.strip() == "[]"


def test_prices_are_read_from_the_environment_as_json(monkeypatch):
    monkeypatch.setenv("LLM_PRICES", '{"grok-4-fast": [0.2, 0.5]}')
    assert load_settings(need_token=False, _env_file=None).llm_prices == {
        "grok-4-fast": (Decimal("0.2"), Decimal("0.5"))
    }
    monkeypatch.setenv("LLM_PRICES", '{"grok-4-fast": [-1, 0.5]}')
    with pytest.raises(Exception, match="LLM_PRICES prices cannot be negative"):
        load_settings(need_token=False, _env_file=None)


def test_half_the_langfuse_settings_is_refused_in_one_line():
    with pytest.raises(Exception, match="LANGFUSE_PUBLIC_KEY, LANGFUSE_SECRET_KEY and LANGFUSE_HOST"):
        load_settings(need_token=False, _env_file=None, langfuse_public_key="pk-lf-1")


async def test_the_agents_steps_are_traced_with_the_application(fake_openai, fake_langfuse: FakeLangfuse):
    """browser-use's own chat model, as the generic agent builds it: each call is an `agent step` generation."""
    from browser_use.llm.messages import UserMessage

    fake_openai.queue("Next I fill in the e-mail field.")
    tracing.enable(
        tracing.LangfuseConfig(fake_langfuse.public_key, SecretStr(fake_langfuse.secret_key), fake_langfuse.base_url)
    )
    try:
        async with tracing.agent_chat_model(
            model="fake-model", base_url=fake_openai.base_url, api_key=fake_openai.api_key, max_retries=0
        ) as llm:
            with tracing.for_application(31, 7, "apply"):
                await llm.ainvoke([UserMessage(content="Fill the form.")])
        await asyncio.to_thread(tracing.flush)
        spans = await fake_langfuse.wait_for(lambda spans: any(s.name == "agent step" for s in spans), timeout=WAIT)
    finally:
        await asyncio.to_thread(tracing.disable)
    [step] = [s for s in spans if s.name == "agent step"]
    usage = fake_openai.requests[0].response["usage"]
    assert step.attributes["session.id"] == "application-31" and step.attributes["user.id"] == "7"
    assert step.attributes["langfuse.observation.model.name"] == "fake-model"
    assert json.loads(step.attributes["langfuse.observation.usage_details"]) == {
        "input": usage["prompt_tokens"],
        "output": usage["completion_tokens"],
    }
    assert not tracing.enabled()
