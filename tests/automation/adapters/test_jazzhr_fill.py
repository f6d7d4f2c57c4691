"""JazzHR: the local copy's server checks (no browser), and the form filled from the profile in real
headed Chromium, graded by the POST the copy records."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from automation.browser import BrowserOptions
from tests.fakes import ats_jazzhr
from tests.fakes.ats_jazzhr import JazzHRJobSite
from tests.fakes.fill_flow import applicant_with_resume, filled_form, form_data

EXPECTED = ats_jazzhr.EXPECTED_POST
MUST_STAY_EMPTY = ats_jazzhr.MUST_STAY_EMPTY


async def test_the_copy_counts_no_answer_as_unanswered_and_records_a_good_post() -> None:
    async with JazzHRJobSite() as site, aiohttp.ClientSession() as http:
        async with http.get(site.posting_url) as page:
            assert page.status == 200 and 'id="form_submit_new_resume"' in await page.text()
        unanswered = {**EXPECTED, ats_jazzhr.SPONSORSHIP: ats_jazzhr.NO_ANSWER}
        async with http.post(
            site.posting_url, data=form_data(unanswered, {"resumator-resume-value": b"%PDF"})
        ) as refused:
            assert refused.status == 422 and "This question is required." in await refused.text()
        async with http.post(site.posting_url, data=form_data(EXPECTED)) as no_resume:
            assert no_resume.status == 422 and "Please attach or paste your resume." in await no_resume.text()
        async with http.post(
            site.posting_url, data=form_data(EXPECTED, {"resumator-resume-value": b"%PDF"})
        ) as accepted:
            assert "Your application for" in await accepted.text()
    assert site.submissions[0].fields == EXPECTED
    assert site.rejected_posts == 2


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_jazzhr_form_is_filled_from_the_profile_and_submitted(
    browser_options: BrowserOptions, tmp_path: Path
) -> None:
    profile, resume, content = applicant_with_resume(tmp_path)
    async with JazzHRJobSite() as site, filled_form(site.posting_url, browser_options, profile, resume) as filled:
        assert (site.submissions, site.rejected_posts) == ([], 0), "nothing is sent before the approval"
        await filled.submit()
        submission = await site.wait_for_submission(timeout=30)

    assert {name: submission.fields.get(name) for name in EXPECTED} == EXPECTED
    assert submission.files["resumator-resume-value"] == (resume.name, content)
    assert {name: submission.fields.get(name, "") for name in MUST_STAY_EMPTY} == dict.fromkeys(MUST_STAY_EMPTY, "")


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_the_copy_posts_what_a_person_fills_in(browser_options: BrowserOptions, tmp_path: Path) -> None:
    """The copy works in Chromium: "Attach resume" shows the file input, "Submit Application" (a link)
    sends the form from script; so a failing fill test is the filler's fault, not the copy's."""
    from automation.browser import open_browser
    from tests.fakes.fill_flow import choose_file, run_js, send_by_hand

    _, resume, content = applicant_with_resume(tmp_path)
    typed = {
        name: value
        for name, value in EXPECTED.items()
        if name.startswith("resumator-")
        and name not in ats_jazzhr.BOOKKEEPING
        and "questionnaire" not in name
        and "eeo" not in name
    }
    async with JazzHRJobSite() as site, open_browser(browser_options) as browser:
        await browser.navigate_to(site.posting_url)
        for name, value in typed.items():
            await run_js(browser, f"document.querySelector('[name=\"{name}\"]').value = {value!r}")
        for name in (ats_jazzhr.AUTHORIZED, ats_jazzhr.SPONSORSHIP):
            await run_js(browser, f"document.querySelector('[name=\"{name}\"]').value = {EXPECTED[name]!r}")
        await run_js(browser, "document.getElementById('resumator-choose-upload').click()")
        await choose_file(browser, "#resumator-resume-value", resume)
        await send_by_hand(browser, "document.getElementById('resumator-submit-resume').click()")
        submission = await site.wait_for_submission(timeout=30)

    assert {name: submission.fields.get(name) for name in EXPECTED} == EXPECTED
    assert submission.files["resumator-resume-value"] == (resume.name, content)
