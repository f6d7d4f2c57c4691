"""Breezy HR: the local copy's server checks (no browser), and the form filled from the profile in real
headed Chromium, graded by the POST the copy records."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from automation.browser import BrowserOptions
from tests.fakes import ats_breezy
from tests.fakes.ats_breezy import BreezyJobSite
from tests.fakes.fill_flow import applicant_with_resume, apply_through_the_chat, filled_form, form_data

EXPECTED = ats_breezy.EXPECTED_POST
MUST_STAY_EMPTY = ats_breezy.MUST_STAY_EMPTY


async def test_the_copy_refuses_missing_answers_and_a_filled_honeypot_and_records_a_good_post() -> None:
    async with BreezyJobSite() as site, aiohttp.ClientSession() as http:
        form_url = site.form_url
        async with http.get(form_url) as page:
            assert page.status == 200 and 'name="cName"' in await page.text()

        async with http.post(form_url, data=form_data({"cName": "Ada Lovelace"})) as refused:
            body = await refused.text()
        assert refused.status == 422 and "Email Address is required" in body and "Resume is required" in body

        async with http.post(form_url, data=form_data({**EXPECTED, "hp_7f2b": "bot"}, {"cResume": b"%PDF"})) as spam:
            assert spam.status == 422
        assert site.spam == 1 and site.submissions == []

        async with http.post(form_url, data=form_data(EXPECTED, {"cResume": b"%PDF"})) as accepted:
            assert accepted.status == 200 and "Application submitted" in await accepted.text()
        assert str(accepted.url) == site.thanks_url
    assert site.submissions[0].fields == EXPECTED
    assert site.rejected_posts == 2


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_breezy_form_is_filled_from_the_profile_and_submitted(
    browser_options: BrowserOptions, tmp_path: Path
) -> None:
    profile, resume, content = applicant_with_resume(tmp_path)
    async with BreezyJobSite() as site, filled_form(site.posting_url, browser_options, profile, resume) as filled:
        assert (site.submissions, site.rejected_posts) == ([], 0), "nothing is sent before the approval"
        await filled.submit()
        submission = await site.wait_for_submission(timeout=30)

    assert {name: submission.fields.get(name) for name in EXPECTED} == EXPECTED
    assert submission.files["cResume"] == (resume.name, content)
    assert {name: submission.fields.get(name, "") for name in MUST_STAY_EMPTY} == dict.fromkeys(MUST_STAY_EMPTY, "")


@pytest.mark.browser
@pytest.mark.timeout(300)
async def test_a_breezy_job_goes_from_a_forwarded_link_to_the_submitted_form(
    nyx, fake_telegram, db, tmp_path: Path
) -> None:
    """The whole apply flow through the fake Bot API: profile and résumé sent in the chat, the job link,
    Apply, the review (nothing sent yet), Submit, and the POST the copy of Breezy records."""
    _, resume, content = applicant_with_resume(tmp_path)
    async with BreezyJobSite() as site:
        submission = await apply_through_the_chat(
            fake_telegram,
            site,
            resume,
            content,
            ("Ada Lovelace", "ada.lovelace@example.org", "512 555 0142", resume.name),
        )

    assert {name: submission.fields.get(name) for name in EXPECTED} == EXPECTED
    assert submission.files["cResume"] == (resume.name, content)
    assert await db.fetchval("SELECT status FROM applications") == "submitted"
