"""Recruitee: the local copy's server checks (no browser), and the form filled from the profile in real
headed Chromium, graded by the POST the copy records."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from automation.browser import BrowserOptions
from tests.fakes import ats_recruitee
from tests.fakes.ats_recruitee import RecruiteeJobSite
from tests.fakes.fill_flow import applicant_with_resume, filled_form, form_data

EXPECTED = ats_recruitee.EXPECTED_POST
MUST_STAY_EMPTY = ats_recruitee.MUST_STAY_EMPTY


async def test_the_copy_refuses_missing_answers_and_records_a_good_post() -> None:
    async with RecruiteeJobSite() as site, aiohttp.ClientSession() as http:
        async with http.get(site.form_url) as page:
            assert page.status == 200 and 'id="offer-application-form"' in await page.text()
        endpoint = site.url_for(ats_recruitee.RECRUITEE.post_path)
        missing_consent = {k: v for k, v in EXPECTED.items() if k != ats_recruitee.PRIVACY}
        async with http.post(endpoint, data=form_data(missing_consent, {"candidate.cv": b"%PDF"})) as refused:
            assert refused.status == 422 and "required" in await refused.text()
        async with http.post(endpoint, data=form_data(EXPECTED, {"candidate.cv": b"%PDF"})) as accepted:
            assert "Thank you for applying!" in await accepted.text()
    assert site.submissions[0].fields == EXPECTED
    assert site.rejected_posts == 1


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_recruitee_form_is_filled_from_the_profile_and_submitted(
    browser_options: BrowserOptions, tmp_path: Path
) -> None:
    profile, resume, content = applicant_with_resume(tmp_path)
    async with RecruiteeJobSite() as site, filled_form(site.posting_url, browser_options, profile, resume) as filled:
        assert (site.submissions, site.rejected_posts) == ([], 0), "nothing is sent before the approval"
        await filled.submit()
        submission = await site.wait_for_submission(timeout=30)

    assert {name: submission.fields.get(name) for name in EXPECTED} == EXPECTED
    assert submission.files["candidate.cv"] == (resume.name, content)
    assert "candidate.coverLetterFile" not in submission.files
    assert {name: submission.fields.get(name, "") for name in MUST_STAY_EMPTY} == dict.fromkeys(MUST_STAY_EMPTY, "")
