"""The machinery bench/agent_accuracy.py relies on: the real browser-use Agent, driven by the generic
scripted model (tests/fakes/scripted_agent_model.py) through the fake OpenAI server, fills a local
ATS copy it has no script for, and our `submit()` sends it: the site gets the candidate's name and e-mail."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from automation.adapters.base import ApplicantFiles, SubmitOutcome
from automation.backends.browser_use_agent import BrowserUseBackend
from automation.browser import BrowserOptions, open_browser
from storage.models import Profile
from tests.fakes import ats_workable
from tests.fakes.ats_greenhouse_classic import ClassicGreenhouseJobSite
from tests.fakes.openai_api import FakeOpenAI
from tests.fakes.scripted_agent_model import FormFillingModel

pytestmark = [pytest.mark.browser, pytest.mark.timeout(240)]


class SilentApplicant:
    async def ask(self, question: str, options: list[str] | None = None) -> str | None:
        return None


async def test_scripted_model_drives_the_agent_through_an_ats_copy_to_its_post(
    browser_options: BrowserOptions, resume: Path
) -> None:
    profile = Profile(
        first_name="Ada",
        last_name="Lovelace",
        email="ada.lovelace@example.org",
        phone="+44 20 7946 0958",
        location="London, United Kingdom",
        answers={"Are you legally authorized to work in Germany?": "Yes"},
    )  # a required question
    async with ClassicGreenhouseJobSite() as site, FakeOpenAI(count_images=True) as model:
        model.script(FormFillingModel())
        async with open_browser(browser_options) as browser:
            backend = BrowserUseBackend(
                browser_options, model.base_url, SecretStr(model.api_key), "fake-model", browser=browser
            )
            async with backend:
                await backend.fill(site.posting_url, profile, ApplicantFiles(resume=resume), SilentApplicant())
                assert site.submissions == [], "the agent sent the form before submit()"
                result = await backend.submit()
        assert result.outcome is SubmitOutcome.CONFIRMED, result.detail
        submission = await site.wait_for_submission(timeout=30)

    assert submission.fields["job_application[first_name]"] == "Ada"
    assert submission.fields["job_application[last_name]"] == "Lovelace"
    assert submission.fields["job_application[email]"] == "ada.lovelace@example.org"
    assert submission.files["job_application[resume]"][1] == resume.read_bytes()
    assert backend.usage is not None and backend.usage.llm_calls == backend.usage.steps > 1
    assert all(request.structured_output == "json_schema" for request in model.completions)


async def test_a_select_the_agent_chose_reaches_a_react_tracked_form(
    browser_options: BrowserOptions, resume: Path
) -> None:
    """browser-use's select_dropdown goes unseen by React's value tracker; the choice is committed again."""
    q = ats_workable.QUESTIONS
    profile = Profile(
        first_name="Ada",
        last_name="Lovelace",
        email="ada.lovelace@example.org",
        phone="+44 20 7946 0958",
        location="London, United Kingdom",
        answers={
            q["authorized"]: "Yes",
            q["why"]: "Freight that arrives.",
            q["source"]: "Company website",
            q["languages"]: "English",
            q["salary"]: "EUR 70,000",
        },
    )
    async with ats_workable.WorkableJobSite() as site, FakeOpenAI(count_images=True) as model:
        model.script(FormFillingModel())
        async with open_browser(browser_options) as browser:
            backend = BrowserUseBackend(
                browser_options, model.base_url, SecretStr(model.api_key), "fake-model", browser=browser
            )
            async with backend:
                await backend.fill(site.job_url, profile, ApplicantFiles(resume=resume), SilentApplicant())
                result = await backend.submit()
        assert result.outcome is SubmitOutcome.CONFIRMED, result.detail
        submission = await site.wait_for_submission(timeout=30)

    assert submission.fields["3482017"] == "2", "Company website, as chosen by the agent"
