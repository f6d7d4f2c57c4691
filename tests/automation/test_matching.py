"""Job scoring, with the LLM over real HTTP (FakeOpenAI through langchain-openai) and without it.

Run alone: `.venv/bin/pytest tests/automation/test_matching.py -p tests.fakes.openai_api --noconftest`.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel, SecretStr

from automation.llm import LLMConfig, LLMError, UsageCounter, ask_structured, make_chat_model
from automation.matching import Effort, JobMatch, MatchSource, effort_for, keyword_match, score_job
from storage.models import Profile
from tests.fakes.openai_api import FakeOpenAI, InvalidJSON, Reply

POSTING = """Senior Backend Engineer
We are hiring a backend engineer to build our payments platform. You will design APIs in Python,
store data in PostgreSQL and run services on Kubernetes. Experience with Kafka is a plus.
Backend engineers here own their services end to end."""
SUMMARY = "Backend engineer, seven years of Python and Postgres. Built a payments platform and its APIs."
THRESHOLDS = {"skip_below": 30, "tailored_above": 75}


@pytest.fixture
def profile() -> Profile:
    return Profile(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.org",
        phone="+44 20 7946 0000",
        location="London, UK",
        answers={
            "Do you have Kubernetes experience?": "No",
            "Gender": "Female",
            "Are you legally authorized to work in the UK?": "Yes",
        },
    )


def llm_config(fake: FakeOpenAI, *, max_retries: int = 0) -> LLMConfig:
    return LLMConfig(
        base_url=fake.base_url,
        api_key=SecretStr(fake.api_key),
        model="grok-4-fast",
        timeout_s=10,
        max_retries=max_retries,
    )


@pytest.fixture
def chat_model(fake_openai: FakeOpenAI) -> ChatOpenAI:
    model = make_chat_model(llm_config(fake_openai))
    assert model is not None
    return model


async def score(profile: Profile, *, model: BaseChatModel | None = None, usage: UsageCounter | None = None) -> JobMatch:
    return await score_job(
        POSTING, "Senior Backend Engineer", profile, model=model, profile_summary=SUMMARY, usage=usage, **THRESHOLDS
    )


# --------------------------------------------------------------------------- with the LLM


async def test_llm_score_is_parsed_from_one_structured_request(fake_openai, chat_model, profile):
    fake_openai.script(
        lambda body: {
            "score": 82,
            "reasons": ["Python and Postgres backend work", "payments"],
            "missing": ["kubernetes"],
        }
    )
    usage = UsageCounter()

    match = await score(profile, model=chat_model, usage=usage)

    assert match == JobMatch(
        82, ["Python and Postgres backend work", "payments"], ["kubernetes"], Effort.TAILORED, MatchSource.LLM
    )
    [request] = fake_openai.requests
    assert request.structured_output == "json_schema"
    assert set(request.schema["properties"]) == {"score", "reasons", "missing"}
    assert "Senior Backend Engineer" in request.prompt and "payments platform" in request.prompt
    assert SUMMARY in request.prompt
    reported = request.response["usage"]
    assert (usage.calls, usage.input_tokens, usage.output_tokens) == (
        1,
        reported["prompt_tokens"],
        reported["completion_tokens"],
    )
    assert usage.total_tokens == reported["total_tokens"] > 0


async def test_prompt_carries_no_contact_details_nor_demographics(fake_openai, chat_model, profile):
    fake_openai.queue({"score": 50, "reasons": ["ok"], "missing": []})
    await score(profile, model=chat_model)
    prompt = fake_openai.requests[0].prompt
    assert "ada@example.org" not in prompt and "7946" not in prompt
    assert "Female" not in prompt
    assert "authorized to work in the UK" in prompt


@pytest.mark.parametrize(("given_score", "expected"), [(150, 100), (-12, 0), (64.6, 65), (0, 0), (100, 100)])
async def test_llm_score_is_clamped_to_0_100(fake_openai, chat_model, profile, given_score, expected):
    fake_openai.queue({"score": given_score, "reasons": ["  a  ", "A", ""], "missing": ["x" * 100]})
    match = await score(profile, model=chat_model)
    assert match.score == expected and match.source is MatchSource.LLM
    assert match.reasons == ["a"]
    assert len(match.missing[0]) == 60


async def test_llm_without_reasons_still_says_so(fake_openai, chat_model, profile):
    fake_openai.queue({"score": 40, "reasons": [], "missing": []})
    match = await score(profile, model=chat_model)
    assert match.reasons == ["the LLM gave no reasons"] and match.effort is Effort.QUICK


@pytest.mark.parametrize(
    "garbage",
    [
        InvalidJSON('{"score": 87, "reasons": ["unterminated'),
        "I think this is a great fit!",
        {"rating": "high"},
        {"score": "very good", "reasons": [], "missing": []},
    ],
    ids=["malformed-json", "prose", "wrong-fields", "score-not-a-number"],
)
async def test_garbage_from_the_llm_falls_back_to_the_keyword_score(fake_openai, chat_model, profile, garbage):
    fake_openai.queue(garbage)
    usage = UsageCounter()

    match = await score(profile, model=chat_model, usage=usage)

    assert match.source is MatchSource.KEYWORDS
    assert match.reasons[0].startswith("LLM unavailable (")
    assert "matches: python, postgres" in match.reasons
    assert match.score == keyword_match(POSTING, "Senior Backend Engineer", profile, profile_summary=SUMMARY).score
    assert len(fake_openai.requests) == 1
    assert usage.calls == 1 and usage.total_tokens > 0  # the answer was useless, the tokens were still spent


@pytest.mark.parametrize("status", [500, 429, 401])
async def test_http_errors_fall_back_to_the_keyword_score(fake_openai, chat_model, profile, status):
    fake_openai.fail_next(status)
    usage = UsageCounter()
    match = await score(profile, model=chat_model, usage=usage)
    assert match.source is MatchSource.KEYWORDS
    assert match.reasons[0] == f"LLM unavailable (the LLM endpoint answered HTTP {status}): keyword score"
    assert (usage.calls, usage.failed_calls, usage.total_tokens) == (1, 1, 0)


async def test_a_refusal_falls_back(fake_openai, chat_model, profile):
    fake_openai.queue(Reply(content=None, refusal="I can't help with that."))
    match = await score(profile, model=chat_model)
    assert match.source is MatchSource.KEYWORDS


async def test_a_transient_error_is_retried_by_the_client(fake_openai, profile):
    model = make_chat_model(llm_config(fake_openai, max_retries=1))
    fake_openai.fail_next(500, retry_after=0.01)
    fake_openai.queue({"score": 70, "reasons": ["fine"], "missing": []})
    usage = UsageCounter()
    match = await score(profile, model=model, usage=usage)
    assert match.score == 70 and match.source is MatchSource.LLM
    assert [request.status for request in fake_openai.requests] == [500, 200]
    assert usage.calls == 1 and usage.failed_calls == 0


async def test_nothing_to_compare_costs_no_llm_call(fake_openai, chat_model):
    bare = Profile(first_name="Ada", last_name="Lovelace", email="ada@example.org")
    match = await score_job(POSTING, None, bare, model=chat_model, **THRESHOLDS)
    assert match.score == 50 and match.effort is Effort.QUICK
    assert "missing: " not in " ".join(match.reasons)
    assert "kubernetes" in match.missing
    assert fake_openai.requests == []


# --------------------------------------------------------------------------- without the LLM


async def test_keyword_score_without_llm_explains_itself(profile):
    match = await score(profile)
    assert match.source is MatchSource.KEYWORDS
    assert match.reasons[0] == "keyword score (no LLM configured)"
    assert "matches: python, postgres" in match.reasons
    # "Do you have Kubernetes experience? No" does not count as knowing Kubernetes.
    assert "missing: kubernetes, kafka" in match.reasons
    assert match.missing == ["kubernetes", "kafka"]
    assert 40 <= match.score <= 80
    assert match == await score(profile)  # deterministic


async def test_keyword_score_rises_with_the_overlap(profile):
    weak = await score_job(
        POSTING, "Senior Backend Engineer", profile, profile_summary="Pastry chef, Paris.", **THRESHOLDS
    )
    strong = await score_job(
        POSTING,
        "Senior Backend Engineer",
        profile,
        **THRESHOLDS,
        profile_summary=SUMMARY + " Kubernetes, Kafka. Senior engineer, services owner.",
    )
    assert weak.score < 30 <= strong.score and strong.score > 75
    assert weak.effort is Effort.SKIP and strong.effort is Effort.TAILORED
    assert strong.missing == []


def test_go_the_language_is_not_go_the_verb(profile):
    text = "Go further with us. We write services in Go, Rust and TypeScript."
    match = keyword_match(text, None, profile, profile_summary="Go and Rust developer")
    assert match.matched_skills == ["go", "rust"] and match.missing_skills == ["typescript"]


def test_empty_posting_is_neutral(profile):
    match = keyword_match("   ", None, profile, profile_summary=SUMMARY)
    assert match.score == 50 and not match.comparable


@pytest.mark.parametrize(
    ("score_value", "effort"),
    [
        (0, Effort.SKIP),
        (29, Effort.SKIP),
        (30, Effort.QUICK),
        (75, Effort.QUICK),
        (76, Effort.TAILORED),
        (100, Effort.TAILORED),
    ],
)
def test_effort_from_thresholds(score_value, effort):
    assert effort_for(score_value, **THRESHOLDS) is effort


@pytest.mark.parametrize("thresholds", [(80, 20), (-1, 50), (10, 101)])
async def test_bad_thresholds_are_refused(profile, thresholds):
    with pytest.raises(ValueError, match="skip_below"):
        await score_job(POSTING, None, profile, skip_below=thresholds[0], tailored_above=thresholds[1])


@settings(max_examples=60, deadline=None)
@given(posting=st.text(max_size=400), title=st.none() | st.text(max_size=40), summary=st.text(max_size=300))
def test_keyword_score_is_always_a_deterministic_percentage(posting, title, summary):
    profile = Profile(first_name="A", last_name="B", email="a@example.org")
    first = keyword_match(posting, title, profile, profile_summary=summary)
    assert 0 <= first.score <= 100
    assert first == keyword_match(posting, title, profile, profile_summary=summary)


# --------------------------------------------------------------------------- automation/llm.py


def test_no_key_means_no_model():
    assert make_chat_model(LLMConfig("https://api.x.ai/v1", None, "grok-4-fast")) is None
    assert make_chat_model(LLMConfig("https://api.x.ai/v1", SecretStr(""), "grok-4-fast")) is None


def test_model_points_at_the_configured_endpoint(fake_openai):
    model = make_chat_model(llm_config(fake_openai))
    assert model.openai_api_base == fake_openai.base_url and model.model_name == "grok-4-fast"
    assert fake_openai.api_key not in repr(model)


class Verdict(BaseModel):
    """A yes/no verdict."""

    verdict: bool
    why: str


async def test_function_calling_structured_output_works_too(fake_openai, chat_model):
    fake_openai.queue({"verdict": True, "why": "because"})
    usage = UsageCounter()
    result = await ask_structured(chat_model, Verdict, [HumanMessage("Is it?")], usage=usage, method="function_calling")
    assert result == Verdict(verdict=True, why="because")
    request = fake_openai.requests[0]
    assert request.structured_output == "function_calling"
    assert request.body["tool_choice"]["function"]["name"] == "Verdict"
    assert usage.calls == 1 and usage.output_tokens > 0


async def test_wrong_api_key_is_reported_without_the_key(fake_openai):
    config = LLMConfig(fake_openai.base_url, SecretStr("sk-not-the-right-key-123456"), "grok-4-fast", max_retries=0)
    with pytest.raises(LLMError) as raised:
        await ask_structured(make_chat_model(config), Verdict, [HumanMessage("Is it?")])
    assert str(raised.value) == "the LLM endpoint answered HTTP 401"
    assert fake_openai.requests[0].status == 401


async def test_streaming_reports_usage(fake_openai, chat_model):
    fake_openai.queue("Hello there, this reply is streamed in pieces.")
    chunks = [chunk async for chunk in chat_model.astream("hi", stream_usage=True)]
    message = sum(chunks[1:], chunks[0])
    assert message.content == "Hello there, this reply is streamed in pieces."
    assert message.usage_metadata["total_tokens"] == fake_openai.requests[0].response["usage"]["total_tokens"]
