"""Personio (a German form): the local copy's server checks (no browser), and the form filled from the
profile in real headed Chromium, graded by the POST the copy records."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from automation.browser import BrowserOptions
from tests.fakes import ats_personio
from tests.fakes.ats_personio import PersonioJobSite
from tests.fakes.fill_flow import applicant_with_resume, filled_form, form_data

EXPECTED = ats_personio.EXPECTED_POST
MUST_STAY_EMPTY = ats_personio.MUST_STAY_EMPTY


async def test_the_copy_refuses_missing_answers_and_records_a_good_post() -> None:
    async with PersonioJobSite() as site, aiohttp.ClientSession() as http:
        async with http.get(site.form_url) as page:
            assert page.status == 200 and "career-submit-application-btn" in await page.text()
        async with http.post(site.form_url, data=form_data(EXPECTED)) as refused:
            assert refused.status == 422 and "Bitte laden Sie Ihren Lebenslauf hoch." in await refused.text()
        async with http.post(site.form_url, data=form_data(EXPECTED, {"documents[cv]": b"%PDF"})) as accepted:
            assert "Vielen Dank für Ihre Bewerbung!" in await accepted.text()
    assert site.submissions[0].fields == EXPECTED
    assert site.rejected_posts == 1


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_personio_form_is_filled_from_the_profile_and_submitted(
    browser_options: BrowserOptions, tmp_path: Path
) -> None:
    profile, resume, content = applicant_with_resume(tmp_path)
    async with PersonioJobSite() as site, filled_form(site.posting_url, browser_options, profile, resume) as filled:
        assert (site.submissions, site.rejected_posts) == ([], 0), "nothing is sent before the approval"
        await filled.submit()
        submission = await site.wait_for_submission(timeout=30)

    assert {name: submission.fields.get(name) for name in EXPECTED} == EXPECTED
    assert submission.files["documents[cv]"] == (resume.name, content)
    assert "documents[cover-letter]" not in submission.files
    assert {name: submission.fields.get(name, "") for name in MUST_STAY_EMPTY} == dict.fromkeys(MUST_STAY_EMPTY, "")
