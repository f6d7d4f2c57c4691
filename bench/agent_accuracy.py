"""Every local ATS copy done twice, by its adapter and by the generic browser-use agent, graded by the POST.

For each fixture of bench/ats_accuracy.py (same ground truth, same grading, imported), plus the
Teamtailor copy, `--runs` times each in a fresh headed Chromium:

* adapter: `open_application` -> `fill` -> `submit` (bench/ats_accuracy.py's own `adapter_run`);
* agent: `BrowserUseBackend.fill` from the same posting address, then our `submit()`; the site's
  final POST is graded like the adapter's. Time to review runs from navigation until `fill`
  returns the filled form with its screenshot. Steps, model calls and tokens come from
  browser-use's own usage record. The applicant answers no question (the asker says nothing), as
  the adapters leave unanswered questions for the chat.

The default "model" is `tests/fakes/scripted_agent_model.FormFillingModel` behind the fake
OpenAI server: a generic, literal form filler that reads only the state text browser-use sends
(no per-form scripts, no ground truth) and answers instantly, so its numbers measure the agent
machinery (page state, screenshots, actions, our guards), not a model's judgement or latency.
Its tokens are the fake server's estimate of what the requests would cost, screenshots included.
`--model-url/--model/--api-key` drive the same runs with a real OpenAI-compatible model instead;
the pages are still only on 127.0.0.1 (Chromium resolves no other host). Needs an X display:

    xvfb-run -a -s "-screen 0 1280x1024x24" .venv/bin/python -m bench.agent_accuracy [--runs 3] [--only Lever]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import SecretStr

from automation.adapters import ApplicantFiles, TeamtailorAdapter
from automation.backends.browser_use_agent import BrowserUseBackend
from automation.browser import BrowserOptions, open_browser
from bench.ats_accuracy import (  # importing it also sets browser-use's offline environment
    ACME_LINKS,
    CHROMIUM,
    FIXTURES,
    FRIEND,
    LINKEDIN,
    OFFLINE_ARGS,
    POST_TIMEOUT_S,
    RESUME,
    RESUME_NAME,
    Fixture,
    LLMCalls,
    _profile,
    _wait,
    adapter_run,
    grade,
)
from tests.fakes import ats_teamtailor
from tests.fakes.ats_teamtailor import TeamtailorJobSite
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.scripted_agent_model import FormFillingModel

LOCAL_HOSTS = ("127.0.0.1",)  # the local copies, on any port (the browser's egress check lets nothing else through)


def _teamtailor_answer(index: int, kind: str, value: str | list[str]) -> dict[str, str | list[str]]:
    prefix = f"candidate[answers_attributes][{index}]"
    return {f"{prefix}[question_id]": ats_teamtailor.QUESTION_IDS[index], f"{prefix}{kind}": value}


# Teamtailor's ground truth, as tests/automation/adapters/test_teamtailor_fill.py asserts it (ats_accuracy.py has no row for it).
TEAMTAILOR = Fixture(
    "Teamtailor",
    TeamtailorJobSite,
    lambda s: s.posting_url,
    TeamtailorAdapter,
    _profile(
        ACME_LINKS,
        {
            "how did you hear about us": FRIEND,
            "Do you have the right to work in Sweden?": "Yes, I do",
            "Which languages do you speak?": "English, German",
        },
    ),
    {
        "authenticity_token": ats_teamtailor.TOKEN,
        "candidate[first_name]": "Ada",
        "candidate[last_name]": "Lovelace",
        "candidate[email]": "ada.lovelace@example.org",
        "candidate[phone]": "+44 20 7946 0958",
        "candidate[linkedin_url]": LINKEDIN,
        **_teamtailor_answer(0, "[text]", FRIEND),
        **_teamtailor_answer(1, "[choice_ids][]", "7001"),
        **_teamtailor_answer(2, "[choice_ids][]", ["7101", "7103"]),
        **_teamtailor_answer(3, "[text]", ""),
        "candidate[consent_given]": ["0", "1"],
    },
    {"candidate[resume]": RESUME},
)


def fixtures() -> list[Fixture]:
    return [*FIXTURES, *([TEAMTAILOR] if all(f.name != TEAMTAILOR.name for f in FIXTURES) else [])]


class SilentApplicant:
    """The chat side of the agent: counts the questions and answers none of them."""

    def __init__(self) -> None:
        self.questions: list[str] = []

    async def ask(self, question: str, options: list[str] | None = None) -> str | None:
        self.questions.append(question)
        return None


@dataclass
class Attempt:
    """One application on one path."""

    right: int
    expected: int
    wrong: list[str]
    unexpected: list[str]
    review_s: float | None  # None: no form came back to review
    steps: int = 0
    calls: int = 0
    tokens_in: int = 0
    tokens_out: int = 0
    questions: int = 0
    outcome: str = ""
    rejected_posts: int = 0  # POSTs the site's server turned away (its own validation)


@dataclass
class Row:
    form: str
    path: str
    attempts: list[Attempt] = field(default_factory=list)


async def adapter_attempt(fixture: Fixture, options: BrowserOptions, resume: Path, calls: LLMCalls) -> Attempt:
    try:
        run = await adapter_run(fixture, options, resume, calls)
    except Exception as exc:  # noqa: BLE001 - a copy mid-edit, a changed adapter: report it as a row, not a crash
        return Attempt(
            0,
            len(fixture.fields) + len(fixture.files),
            ["<failed>"],
            [],
            None,
            outcome=f"{type(exc).__name__}: {str(exc)[:100]}",
        )
    return Attempt(
        run.right, run.expected, run.wrong, run.unexpected, run.review_s, calls=run.llm_calls, outcome=run.outcome
    )


async def agent_attempt(fixture: Fixture, options: BrowserOptions, resume: Path, model: argparse.Namespace) -> Attempt:
    applicant = SilentApplicant()
    async with fixture.site() as site, FakeOpenAI(count_images=True) as fake, open_browser(options) as browser:
        if model.model_url:
            base_url, api_key, name = model.model_url, SecretStr(model.api_key or ""), model.model
        else:
            fake.script(FormFillingModel())
            base_url, api_key, name = fake.base_url, SecretStr(fake.api_key), "scripted-form-filler"
        backend = BrowserUseBackend(options, base_url, api_key, name, max_steps=model.max_steps, browser=browser)
        review_s: float | None = None
        outcome = ""
        submission = None
        try:
            async with backend:
                started = time.perf_counter()
                filled = await backend.fill(
                    fixture.url(site), fixture.profile, ApplicantFiles(resume=resume), applicant
                )
                review_s = time.perf_counter() - started
                if not filled.screenshot:
                    raise RuntimeError("the filled form came back without a screenshot")
                result = await backend.submit()
                outcome = result.outcome.value
                submission = await _wait(site, POST_TIMEOUT_S)
        except Exception as exc:  # noqa: BLE001 - a failed run is a row with what went wrong
            outcome = f"{type(exc).__name__}: {str(exc)[:100]}"
        usage = backend.usage
        rejected = getattr(site, "rejected_posts", 0)
    right, expected, unexpected, wrong = grade(submission, fixture.fields, fixture.files, fixture.ignored)
    return Attempt(
        right,
        expected,
        wrong,
        unexpected,
        review_s,
        steps=usage.steps if usage else 0,
        calls=usage.llm_calls if usage else 0,
        tokens_in=usage.input_tokens if usage else 0,
        tokens_out=usage.output_tokens if usage else 0,
        questions=len(applicant.questions),
        outcome=outcome,
        rejected_posts=rejected,
    )


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):g}" if values else "-"


def report(rows: list[Row], runs: int, model: str) -> None:
    print(
        f"\nAdapter vs browser-use agent, per ATS copy: {runs} run(s) each, headed Chromium {CHROMIUM}, "
        f"{os.cpu_count()} cores, 127.0.0.1 only; agent model: {model}\n"
    )
    print(
        "| form | path | field accuracy | time to review s, median (max) | steps | model calls | "
        "tokens in / out per application | questions asked | notes |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        right = sum(a.right for a in row.attempts)
        expected = sum(a.expected for a in row.attempts)
        times = [a.review_s for a in row.attempts if a.review_s is not None]
        review = f"{statistics.median(times):.2f} ({max(times):.2f})" if times else "-"
        notes = []
        if (outcomes := sorted({a.outcome for a in row.attempts})) != ["confirmed"]:
            notes.append("submit: " + "; ".join(outcomes))
        if rejected := sum(a.rejected_posts for a in row.attempts):
            notes.append(f"{rejected} POST(s) rejected by the site")
        if wrong := sorted({name for a in row.attempts for name in a.wrong}):
            notes.append("wrong/missing: " + ", ".join(wrong))
        if extra := sorted({name for a in row.attempts for name in a.unexpected}):
            notes.append("unexpected: " + ", ".join(extra))
        tokens = (
            f"{_median([a.tokens_in for a in row.attempts])} / {_median([a.tokens_out for a in row.attempts])}"
            if row.path != "adapter"
            else "0 / 0"
        )
        print(
            f"| {row.form} | {row.path} | {right / max(1, expected):.1%} ({right}/{expected}) | {review} | "
            f"{_median([a.steps for a in row.attempts])} | {_median([a.calls for a in row.attempts])} | {tokens} | "
            f"{_median([a.questions for a in row.attempts])} | {'; '.join(notes) or '-'} |"
        )
    for path in ("adapter", "agent"):
        every = [a for row in rows if row.path == path for a in row.attempts]
        right, expected = sum(a.right for a in every), sum(a.expected for a in every)
        times = [a.review_s for a in every if a.review_s is not None]
        print(
            f"| **all forms** | {path} | {right / max(1, expected):.1%} ({right}/{expected}) | "
            f"{statistics.median(times) if times else 0:.2f} ({max(times, default=0):.2f}) | "
            f"{_median([a.steps for a in every])} | {_median([a.calls for a in every])} | "
            f"{_median([a.tokens_in + a.tokens_out for a in every])} total | - | {len(every)} applications |"
        )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--only", action="append", help="a form's name (repeatable); default: every copy")
    parser.add_argument("--no-adapter", action="store_true", help="run only the agent path")
    parser.add_argument("--max-steps", type=int, default=40)
    parser.add_argument("--model-url", help="an OpenAI-compatible base URL (default: the scripted form filler)")
    parser.add_argument("--model", default="grok-4-fast")
    parser.add_argument("--api-key", default=os.environ.get("LLM_API_KEY"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO if os.environ.get("BENCH_VERBOSE") else logging.WARNING)
    if not os.environ.get("BENCH_VERBOSE"):
        for noisy in ("browser_use", "bubus", "cdp_use", "httpx", "automation"):
            logging.getLogger(noisy).setLevel(logging.ERROR)
    calls = LLMCalls()
    rows: list[Row] = []
    chosen = [f for f in fixtures() if not args.only or f.name in args.only]
    with tempfile.TemporaryDirectory(prefix="nyx-bench-") as tmp:
        resume = Path(tmp) / RESUME_NAME
        resume.write_bytes(RESUME)
        options = BrowserOptions(
            executable_path=CHROMIUM,
            headless=False,
            profiles_dir=Path(tmp) / "profiles",
            extra_args=OFFLINE_ARGS,
            allow_hosts=LOCAL_HOSTS,
        )
        for fixture in chosen:
            if not args.no_adapter:
                rows.append(
                    Row(
                        fixture.name,
                        "adapter",
                        [await adapter_attempt(fixture, options, resume, calls) for _ in range(args.runs)],
                    )
                )
            agent = Row(fixture.name, "agent")
            for _ in range(args.runs):
                agent.attempts.append(await agent_attempt(fixture, options, resume, args))
                print(f"{fixture.name} agent: {agent.attempts[-1]}", file=sys.stderr, flush=True)
            rows.append(agent)
    report(rows, args.runs, args.model if args.model_url else "scripted form filler (instant fake)")


if __name__ == "__main__":
    asyncio.run(main())
