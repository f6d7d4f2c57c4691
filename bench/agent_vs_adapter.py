"""What the browser-use agent costs next to an adapter, on this machine, graded by the POST the site gets.

Adapter: the Lever adapter fills and submits the local Lever-style form (no model at all).
Agent: `BrowserUseBackend` fills the local unknown-ATS form and `submit()` sends it. By default
the "model" is the test suite's scripted OpenAI-compatible fake, which answers instantly, so the
agent's numbers are its own overhead (page state, screenshots, actions) per step; with
`--model-url/--model/--api-key` a real OpenAI-compatible model drives it instead (it still only
reaches the local form on 127.0.0.1). Each run prints wall time, steps, model calls, tokens and
how many of the expected fields the site received correctly. Needs Chromium and an X display:

    xvfb-run -a -s "-screen 0 1280x1024x24" .venv/bin/python -m bench.agent_vs_adapter [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from automation.adapters import ApplicantFiles, LeverAdapter, open_application
from automation.backends.browser_use_agent import BrowserUseBackend
from automation.browser import BrowserOptions, open_browser
from storage.models import Profile
from tests.fakes.ats_lever import Q_AUTHORIZED, Q_EXPERIENCE, LeverJobSite
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.unknown_site import QUESTION, UnknownJobSite

PROFILE = Profile(
    first_name="Ada",
    last_name="Lovelace",
    email="ada@example.org",
    phone="+44 20 7946 0958",
    location="London, United Kingdom",
    answers={Q_AUTHORIZED: "Yes", Q_EXPERIENCE: "5+ Years"},
)
ANSWER = "Farol de Leça, for its range."
RESUME = b"%PDF-1.4\n% bench resume\n%%EOF\n"
ELEMENT = re.compile(r"\[(\d+)\]<(\w+) ([^>]*)/>")
ANSWERED = re.compile(r"The applicant answered .*? with: (.+)")


class FixedAsker:
    async def ask(self, question: str, options: list[str] | None = None) -> str | None:
        return ANSWER


def _state(body: dict[str, Any]) -> str:
    content = next(m["content"] for m in reversed(body["messages"]) if m["role"] == "user")
    return content if isinstance(content, str) else "\n".join(p.get("text", "") for p in content)


def _index(body: dict[str, Any], element_id: str) -> int:
    return next(int(i) for i, _, attrs in ELEMENT.findall(_state(body)) if re.search(rf"\bid={element_id}\b", attrs))


def scripted_model(resume: Path):
    """The three steps a competent model takes on the unknown form."""

    def step(*actions: dict[str, Any]) -> dict[str, Any]:
        return {"evaluation_previous_goal": "", "memory": "", "next_goal": "", "action": list(actions)}

    steps = iter(
        [
            lambda b: step(
                {"input": {"index": _index(b, "who"), "text": PROFILE.full_name}},
                {"input": {"index": _index(b, "reach"), "text": "<secret>applicant_email</secret>"}},
                {"input": {"index": _index(b, "ring"), "text": "<secret>applicant_phone</secret>"}},
                {"upload_file": {"index": _index(b, "papers"), "path": str(resume)}},
                {"ask_user": {"question": QUESTION}},
            ),
            lambda b: step(
                {"input": {"index": _index(b, "puzzle"), "text": ANSWERED.search(_state(b)).group(1).strip()}}
            ),
            lambda b: step({"request_review": {"note": ""}}),
        ]
    )
    return lambda body: next(steps)(body)


def _graded(fields: dict[str, str], files: dict[str, tuple[str, bytes]], expected: dict[str, str], upload: str) -> str:
    right = sum(fields.get(name, "").strip() == value for name, value in expected.items())
    right += bool(files.get(upload, ("", b""))[1] == RESUME)
    return f"{right}/{len(expected) + 1}"


async def adapter_run(options: BrowserOptions, resume: Path) -> dict[str, Any]:
    async with LeverJobSite() as site, open_browser(options) as browser:
        started = time.perf_counter()
        adapter = await open_application(browser, site.apply_url)
        assert isinstance(adapter, LeverAdapter)
        await adapter.fill(browser, PROFILE, ApplicantFiles(resume=resume))
        filled = time.perf_counter()
        await adapter.submit(browser)
        submission = await site.wait_for_submission(timeout=60)
        done = time.perf_counter()
    expected = {"name": PROFILE.full_name, "email": str(PROFILE.email), "phone": PROFILE.phone or ""}
    return {
        "fill_s": filled - started,
        "submit_s": done - filled,
        "steps": 0,
        "calls": 0,
        "tokens": 0,
        "graded": _graded(submission.fields, submission.files, expected, "resume"),
    }


async def agent_run(options: BrowserOptions, resume: Path, model: argparse.Namespace) -> dict[str, Any]:
    async with UnknownJobSite() as site, FakeOpenAI() as fake:
        if model.model_url:
            base_url, api_key, name = model.model_url, SecretStr(model.api_key or ""), model.model
        else:
            fake.script(scripted_model(resume))
            base_url, api_key, name = fake.base_url, SecretStr(fake.api_key), "fake-model"
        async with BrowserUseBackend(options, base_url, api_key, name) as backend:
            started = time.perf_counter()
            await backend.fill(site.apply_url, PROFILE, ApplicantFiles(resume=resume), FixedAsker())
            filled = time.perf_counter()
            await backend.submit()
            post = await site.wait_for_post(timeout=60)
            done = time.perf_counter()
            usage = backend.usage
    expected = {"who": PROFILE.full_name, "reach": str(PROFILE.email), "ring": PROFILE.phone or "", "puzzle": ANSWER}
    return {
        "fill_s": filled - started,
        "submit_s": done - filled,
        "steps": usage.steps,
        "calls": usage.llm_calls,
        "tokens": usage.input_tokens + usage.output_tokens,
        "graded": _graded(post.fields, post.files, expected, "papers"),
    }


def _row(name: str, runs: list[dict[str, Any]]) -> str:
    fill = statistics.median(r["fill_s"] for r in runs)
    submit = statistics.median(r["submit_s"] for r in runs)
    last = runs[-1]
    per_step = f"{fill / last['steps']:.2f}" if last["steps"] else "-"
    return (
        f"| {name} | {fill:.2f} | {per_step} | {submit:.2f} | {last['steps']} | {last['calls']} | "
        f"{last['tokens']} | {', '.join(r['graded'] for r in runs)} |"
    )


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--model-url", help="an OpenAI-compatible base URL (default: the scripted fake)")
    parser.add_argument("--model", default="grok-4-fast")
    parser.add_argument("--api-key", default=os.environ.get("LLM_API_KEY"))
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    with tempfile.TemporaryDirectory(prefix="nyx-bench-") as tmp:
        resume = Path(tmp) / "Ada Lovelace CV.pdf"
        resume.write_bytes(RESUME)
        options = BrowserOptions(
            executable_path=os.environ.get("CHROME_PATH", "/usr/bin/chromium"),
            profiles_dir=Path(tmp) / "profiles",
            extra_args=("--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",),
        )
        adapter = [await adapter_run(options, resume) for _ in range(args.runs)]
        agent = [await agent_run(options, resume, args) for _ in range(args.runs)]
    model = args.model if args.model_url else "scripted fake (instant)"
    print(f"\n{args.runs} runs each; medians; agent model: {model}\n")
    print("| path | fill s | s/step | submit s | steps | model calls | tokens | fields right per run |")
    print("|---|---|---|---|---|---|---|---|")
    print(_row("Lever adapter", adapter))
    print(_row("browser-use agent", agent))


if __name__ == "__main__":
    asyncio.run(main())
