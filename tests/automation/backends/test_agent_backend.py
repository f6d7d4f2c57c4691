"""The browser-use backend on a form no adapter knows: the real Agent in real headed Chromium,
the "model" a local OpenAI-compatible server scripted step by step, graded by what the site received."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from pydantic import SecretStr

from automation.adapters import UniversalAdapter, open_application
from automation.adapters.base import ApplicantFiles, SubmitOutcome
from automation.backends import BackendError, make_backend
from automation.backends.browser_use_agent import (
    BrowserUseBackend,
    sensitive_data,
    task_text,
)
from automation.browser import BrowserOptions, open_browser
from storage.models import Links, Profile
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.unknown_site import QUESTION, UnknownJobSite
from tests.plugins.browser import PNG_SIGNATURE
from tests.support.agent_model import ANSWERED, agent_step, index_of, state_text

pytestmark = pytest.mark.browser

EMAIL = "ada.lovelace@example.org"
PHONE = "+44 20 7946 0958"
ANSWER = "Farol de Leça: its light reaches 28 nautical miles and nobody has mapped its keepers' paths."


@pytest.fixture
def profile() -> Profile:
    return Profile(
        first_name="Ada",
        last_name="Lovelace",
        email=EMAIL,
        phone=PHONE,
        location="London, United Kingdom",
        links=Links(github="https://github.com/ada"),
        answers={"Are you authorised to work in Portugal?": "Yes"},
    )


@pytest_asyncio.fixture
async def site() -> AsyncIterator[UnknownJobSite]:
    async with UnknownJobSite() as job_site:
        yield job_site


class RecordingAsker:
    """Stands in for the chat: answers every question with `answer` and remembers what was asked."""

    def __init__(self, answer: str | None) -> None:
        self.answer = answer
        self.asked: list[tuple[str, list[str] | None]] = []

    async def ask(self, question: str, options: list[str] | None = None) -> str | None:
        self.asked.append((question, options))
        return self.answer


# --------------------------------------------------------------------------- the scripted model


def scripted_agent(steps: list[Callable[[dict[str, Any]], dict[str, Any]]]) -> Callable[[dict[str, Any]], Any]:
    """A model that answers the n-th agent step with `steps[n](request)`."""
    calls = iter(steps)

    def respond(body: dict[str, Any]) -> Any:
        schema = (body.get("response_format") or {}).get("json_schema") or {}
        assert schema.get("name") == "agent_output", f"unexpected model call: {json.dumps(body)[:300]}"
        return next(calls)(body)

    return respond


def prompts(fake: FakeOpenAI) -> str:
    return "\n".join(request.prompt for request in fake.requests)


# --------------------------------------------------------------------------- tests


async def test_agent_fills_unknown_form_asks_the_user_and_only_submit_sends_it(
    fake_openai: FakeOpenAI, browser_options: BrowserOptions, site: UnknownJobSite, profile: Profile, resume: Path
) -> None:
    def fill_standard_fields(body: dict[str, Any]) -> dict[str, Any]:
        return agent_step(
            {"input": {"index": index_of(body, "who"), "text": profile.full_name}},
            {"input": {"index": index_of(body, "reach"), "text": "<secret>applicant_email</secret>"}},
            {"input": {"index": index_of(body, "ring"), "text": "<secret>applicant_phone</secret>"}},
            {"upload_file": {"index": index_of(body, "papers"), "path": str(resume.resolve())}},
            {"ask_user": {"question": QUESTION, "options": None}},
            goal="fill the standard fields, upload the résumé, ask the custom question",
        )

    def type_the_answer(body: dict[str, Any]) -> dict[str, Any]:
        answered = ANSWERED.search(state_text(body))
        assert answered, "the applicant's answer did not reach the model"
        return agent_step({"input": {"index": index_of(body, "puzzle"), "text": answered.group(1).strip()}})

    def hand_over(body: dict[str, Any]) -> dict[str, Any]:
        return agent_step({"request_review": {"note": "All fields filled."}}, goal="hand over for review")

    fake_openai.script(scripted_agent([fill_standard_fields, type_the_answer, hand_over]))
    asker = RecordingAsker(ANSWER)
    files = ApplicantFiles(resume=resume)

    # The lead's path: no vendor adapter knows the page and the universal filler cannot tell what its
    # required question means, so the agent fills it in the same browser.
    async with open_browser(browser_options) as browser:
        assert isinstance(await open_application(browser, site.apply_url), UniversalAdapter)
        backend = BrowserUseBackend(
            browser_options, fake_openai.base_url, SecretStr(fake_openai.api_key), "fake-model", browser=browser
        )
        async with backend:
            form = await backend.fill(site.apply_url, profile, files, asker)

            assert site.posts == [], "the agent sent the form during filling"
            assert form.ats == "agent:browser-use"
            assert form.url == site.apply_url
            assert form.screenshot.startswith(PNG_SIGNATURE)
            shown = {field.label: field.actual for field in form.fields}
            assert shown == {
                "Your name": "Ada Lovelace",
                "E-mail address": EMAIL,
                "Phone number": PHONE,
                "Résumé / CV": resume.name,
                QUESTION: ANSWER,
            }
            assert form.problems == []
            assert form.find(QUESTION).intended == ANSWER
            assert asker.asked == [(QUESTION, None)]
            assert backend.review_note == "All fields filled."
            assert backend.usage is not None
            assert (backend.usage.steps, backend.usage.llm_calls) == (3, 3)
            assert backend.usage.input_tokens > 0 and backend.usage.output_tokens > 0
            assert backend.blocked_submits == 0
            # The model never saw the e-mail address or phone number as text, only their placeholders.
            said = prompts(fake_openai)
            assert EMAIL not in said and PHONE not in said
            assert "<secret>applicant_email</secret>" in said

            result = await backend.submit()

            assert result.outcome is SubmitOutcome.CONFIRMED
            post = await site.wait_for_post(timeout=30)
            assert len(site.posts) == 1
            assert post.fields == {"who": "Ada Lovelace", "reach": EMAIL, "ring": PHONE, "puzzle": ANSWER}
            assert post.files["papers"] == (resume.name, resume.read_bytes())
            with pytest.raises(BackendError):
                await backend.submit()


async def test_agent_that_tries_to_submit_is_stopped_and_nothing_is_posted(
    fake_openai: FakeOpenAI, browser_options: BrowserOptions, site: UnknownJobSite, profile: Profile, resume: Path
) -> None:
    def fill_all_then_click_submit(body: dict[str, Any]) -> dict[str, Any]:
        return agent_step(
            {"input": {"index": index_of(body, "who"), "text": profile.full_name}},
            {"input": {"index": index_of(body, "reach"), "text": "<secret>applicant_email</secret>"}},
            {"input": {"index": index_of(body, "puzzle"), "text": "Any of them."}},
            {"upload_file": {"index": index_of(body, "papers"), "path": str(resume.resolve())}},
            {"click": {"index": index_of(body, "send-it")}},
            goal="send the application",
        )

    def press_enter_in_a_field(body: dict[str, Any]) -> dict[str, Any]:
        assert "would send the application" in state_text(body), "the refusal did not reach the model"
        # Enter in a text field of a valid form is the browser's implicit submission.
        return agent_step(
            {"input": {"index": index_of(body, "ring"), "text": "<secret>applicant_phone</secret>"}},
            {"send_keys": {"keys": "Enter"}},
            goal="send it with the keyboard instead",
        )

    def hand_over(body: dict[str, Any]) -> dict[str, Any]:
        return agent_step({"request_review": {"note": ""}})

    fake_openai.script(scripted_agent([fill_all_then_click_submit, press_enter_in_a_field, hand_over]))
    backend = make_backend(
        "browser-use",
        browser_options=browser_options,
        llm_base_url=fake_openai.base_url,
        llm_api_key=SecretStr(fake_openai.api_key),
        llm_model="fake-model",
    )
    assert isinstance(backend, BrowserUseBackend)
    try:
        form = await backend.fill(site.apply_url, profile, ApplicantFiles(resume=resume), RecordingAsker(None))
    finally:
        await backend.close()

    assert site.posts == []
    assert form.url == site.apply_url
    assert form.find("Phone number").actual == PHONE
    assert form.find("Résumé / CV").actual == resume.name
    assert form.problems == []
    # One click refused by the action guard, one Enter-submission cancelled in the page.
    assert backend.blocked_submits == 2


async def test_agent_with_a_wrong_llm_key_fails_with_a_clear_message(
    fake_openai: FakeOpenAI, browser_options: BrowserOptions, site: UnknownJobSite, profile: Profile
) -> None:
    fake_openai.script(scripted_agent([]))
    wrong_key = "sk-wrong-key-000000000000"
    backend = BrowserUseBackend(browser_options, fake_openai.base_url, SecretStr(wrong_key), "fake-model", max_steps=3)
    try:
        with pytest.raises(BackendError, match="LLM_API_KEY") as raised:
            await backend.fill(site.apply_url, profile, ApplicantFiles(resume=None), RecordingAsker(None))
    finally:
        await backend.close()

    assert wrong_key not in str(raised.value)
    assert fake_openai.requests and all(request.status == 401 for request in fake_openai.requests)
    assert site.posts == []


def test_contact_details_reach_the_agent_only_as_placeholders_for_the_forms_origin(
    profile: Profile, resume: Path
) -> None:
    task = task_text(profile, ApplicantFiles(resume=resume))

    assert EMAIL not in task and PHONE not in task
    assert "<secret>applicant_email</secret>" in task and "<secret>applicant_phone</secret>" in task
    assert "Ada Lovelace" in task and str(resume.resolve()) in task
    assert "Are you authorised to work in Portugal?: Yes" in task
    assert sensitive_data("https://careers.example.com/jobs/1?ref=x", profile) == {
        "https://careers.example.com": {"applicant_email": EMAIL, "applicant_phone": PHONE}
    }


def test_make_backend_says_what_is_missing() -> None:
    with pytest.raises(ValueError, match="API key"):
        make_backend("browser-use", browser_options=BrowserOptions(), llm_base_url="http://x/v1", llm_model="m")
    with pytest.raises(ValueError, match="VibeSurf"):
        make_backend("vibesurf", vibesurf_url="http://127.0.0.1:9335")
    with pytest.raises(ValueError, match="Unknown automation backend"):
        make_backend("selenium")  # type: ignore[arg-type]
