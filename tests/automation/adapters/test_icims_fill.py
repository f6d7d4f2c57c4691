"""iCIMS: the local copy's server checks (no browser), the portal's iframe, login step and candidate profile
filled from the profile in real headed Chromium, and the whole apply flow through the fake Bot API, graded
by the POST the copy records."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from automation.adapters import open_application
from automation.browser import BrowserOptions, open_browser
from tests.fakes import ats_icims
from tests.fakes.ats_icims import IcimsJobSite
from tests.fakes.fill_flow import applicant_with_resume, apply_through_the_chat, filled_form, form_data

EXPECTED = ats_icims.EXPECTED_POST
MUST_STAY_EMPTY = ats_icims.MUST_STAY_EMPTY
RESUME = ats_icims.RESUME_FIELD


async def test_the_copy_wants_the_login_step_first_and_records_a_good_post() -> None:
    async with IcimsJobSite() as site, aiohttp.ClientSession() as http:
        async with http.get(site.posting_url) as portal:
            assert "icims_content_iframe" in await portal.text()
        async with http.get(site.job_url) as job:
            assert "Apply for this job online" in await job.text()
        async with http.get(site.form_url, allow_redirects=False) as no_login:
            assert no_login.status == 303, "the profile is reached through the login step"
        async with http.post(
            site.url_for(f"{ats_icims.JOB}/login/check"), data={"loginOnly.email": "ada@example.org"}
        ) as check:
            token = (await check.json())["redirect"].split("eem=")[1].split("&")[0]
        async with http.get(f"{site.form_url}?eem={token}") as profile:
            assert 'value="ada@example.org"' in await profile.text()
        endpoint = site.url_for(ats_icims.ICIMS.post_path)
        async with http.post(endpoint, data=form_data({**EXPECTED, "eem": token})) as refused:
            assert refused.status == 422 and "Resume is required." in await refused.text()
        async with http.post(endpoint, data=form_data({**EXPECTED, "eem": "forged"}, {RESUME: b"%PDF"})) as forged:
            assert forged.status == 422
        async with http.post(endpoint, data=form_data({**EXPECTED, "eem": token}, {RESUME: b"%PDF"})) as sent:
            assert "Thank you for applying!" in await sent.text()
    assert site.rejected_posts == 2 and site.submissions[0].files == {RESUME: ("cv.pdf", b"%PDF")}


def check(site: IcimsJobSite, resume: Path, content: bytes) -> None:
    submission = site.submissions[0]
    assert {name: submission.fields.get(name) for name in EXPECTED} == EXPECTED
    assert submission.files[RESUME] == (resume.name, content)
    assert {name: submission.fields.get(name, "") for name in MUST_STAY_EMPTY} == dict.fromkeys(MUST_STAY_EMPTY, "")
    # The login step got the applicant's address, and no job alerts were asked for.
    assert site.logins == [{"loginOnly.email": "ada.lovelace@example.org"}]


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_icims_portal_job_is_recognised_and_filled_through_its_login_step(
    browser_options: BrowserOptions,
    tmp_path: Path,
) -> None:
    profile, resume, content = applicant_with_resume(tmp_path)
    async with IcimsJobSite() as site, filled_form(site.posting_url, browser_options, profile, resume) as filled:
        assert filled.adapter.name == "icims", "recognised by its content on 127.0.0.1, not by its host"
        assert (site.submissions, site.rejected_posts) == ([], 0), "nothing is sent before the approval"
        shown = {field.label: field.actual for field in filled.form.fields}
        assert shown["Email Address"] == "ada.lovelace@example.org", "the login step's field is in the review"
        assert not [field for field in filled.form.fields if field.intended is not None and not field.ok]
        await filled.submit()
        await site.wait_for_submission(timeout=30)
    check(site, resume, content)


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_finding_the_icims_form_sends_nothing(browser_options: BrowserOptions) -> None:
    """From the portal page through its iframe to the login step: no click sends a form on the way."""
    async with IcimsJobSite() as site, open_browser(browser_options) as browser:
        adapter = await open_application(browser, site.posting_url)
        assert adapter.name == "icims"
    assert (site.logins, site.submissions, site.rejected_posts) == ([], [], 0)


@pytest.mark.browser
@pytest.mark.timeout(300)
async def test_an_icims_job_goes_from_a_forwarded_link_to_the_submitted_form(
    nyx, fake_telegram, db, tmp_path: Path
) -> None:
    """The whole apply flow through the fake Bot API, from the portal's link to the POST the copy records."""
    _, resume, content = applicant_with_resume(tmp_path)
    async with IcimsJobSite() as site:
        await apply_through_the_chat(
            fake_telegram,
            site,
            resume,
            content,
            ("Ada", "Lovelace", "ada.lovelace@example.org", "512 555 0142", resume.name),
        )
    check(site, resume, content)
    assert await db.fetchval("SELECT status FROM applications") == "submitted"
