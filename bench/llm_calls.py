"""Time scoring a job and answering a form's custom questions, with and without the LLM.

The LLM is the test suite's FakeOpenAI on 127.0.0.1 (real HTTP through langchain-openai), so the
numbers are this code's overhead plus one local round trip, not a real model's latency. Also
prints the calls and tokens each path spends:

    .venv/bin/python -m bench.llm_calls [--runs 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable

from pydantic import SecretStr

from automation.answers import answer_questions
from automation.llm import LLMConfig, UsageCounter, make_chat_model
from automation.matching import score_job
from automation.questions import Question, QuestionKind
from storage.models import Profile
from tests.fakes.openai_api import FakeOpenAI

POSTING = (
    """Senior Backend Engineer. We build a payments platform in Python and Go on PostgreSQL, Kafka and
Kubernetes. You will design APIs, own services end to end and mentor engineers. """
    * 20
)
SUMMARY = "Backend engineer, seven years of Python, Django, FastAPI and Postgres; built a payments platform."
PROFILE = Profile(
    first_name="Ada",
    last_name="Lovelace",
    email="ada@example.org",
    location="London, UK",
    answers={f"Saved question number {n} about topic {n}?": f"answer {n}" for n in range(40)}
    | {
        "Are you legally authorized to work in the United States?": "Yes",
        "Will you now or in the future require visa sponsorship?": "No",
        "How many years of experience do you have with Python?": "7",
    },
)
QUESTIONS = [
    Question("q_auth", "Do you have the right to work in the United States?", QuestionKind.SELECT, ("Yes", "No")),
    Question(
        "q_visa", "Will you require the company to sponsor you for a work visa?", QuestionKind.RADIO, ("Yes", "No")
    ),
    Question("q_years", "Years of experience in Python", QuestionKind.SELECT, ("0-2", "3-5", "6-10", "10+")),
    Question("q_gender", "Gender", QuestionKind.SELECT, ("Male", "Female", "Decline to self-identify")),
    Question("q_why", "Why do you want to work here?", QuestionKind.TEXTAREA),
    Question("q_office", "Which office would you prefer?", QuestionKind.SELECT, ("London", "Remote")),
]


def canned(body: dict) -> dict:
    if "Questions:" in body["messages"][-1]["content"]:
        return {
            "answers": [
                {"question_id": "q1", "answer": "The payments work.", "confidence": 0.9},
                {"question_id": "q2", "answer": "London", "confidence": 0.9},
            ]
        }
    return {"score": 78, "reasons": ["Python and Postgres backend work"], "missing": ["kubernetes"]}


async def timed(runs: int, action: Callable[[], Awaitable[object]]) -> list[float]:
    durations = []
    for _ in range(runs):
        started = time.perf_counter()
        await action()
        durations.append((time.perf_counter() - started) * 1000)
    return durations


async def main(runs: int) -> None:
    async with FakeOpenAI() as fake:
        fake.script(canned)
        model = make_chat_model(LLMConfig(fake.base_url, SecretStr(fake.api_key), "grok-4-fast", max_retries=0))
        usage = {"score, LLM": UsageCounter(), "answers, LLM": UsageCounter()}
        cases: dict[str, Callable[[], Awaitable[object]]] = {
            "score, keywords": lambda: score_job(
                POSTING, "Senior Backend Engineer", PROFILE, profile_summary=SUMMARY, skip_below=30, tailored_above=75
            ),
            "score, LLM": lambda: score_job(
                POSTING,
                "Senior Backend Engineer",
                PROFILE,
                profile_summary=SUMMARY,
                skip_below=30,
                tailored_above=75,
                model=model,
                usage=usage["score, LLM"],
            ),
            "answers, no LLM": lambda: answer_questions(QUESTIONS, PROFILE),
            "answers, LLM": lambda: answer_questions(QUESTIONS, PROFILE, model=model, usage=usage["answers, LLM"]),
        }
        print(f"{runs} run(s) each; LLM = FakeOpenAI on 127.0.0.1")
        print(f"{'case':<18}{'first ms':>10}{'median ms':>11}{'max ms':>9}{'calls/run':>11}{'tokens/run':>12}")
        for name, action in cases.items():
            durations = await timed(runs, action)
            counter = usage.get(name, UsageCounter())
            print(
                f"{name:<18}{durations[0]:>10.2f}{statistics.median(durations):>11.2f}{max(durations):>9.2f}"
                f"{counter.calls / runs:>11.1f}{counter.total_tokens / runs:>12.0f}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    asyncio.run(main(parser.parse_args().runs))
