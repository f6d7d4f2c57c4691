"""Jobvite: the local copy's server checks (no browser), a person's way through it in Chromium (data
consent, attachment popup, two steps), and the form filled from the profile, graded by its POST."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from automation.browser import BrowserOptions, open_browser
from tests.fakes import ats_jobvite
from tests.fakes.ats_jobvite import JobviteJobSite
from tests.fakes.fill_flow import applicant_with_resume, choose_file, filled_form, form_data, run_js, send_by_hand

EXPECTED = ats_jobvite.EXPECTED_POST
MUST_STAY_EMPTY = ats_jobvite.MUST_STAY_EMPTY
NOT_FILLED_YET = "no adapter knows Jobvite and there is no universal filler yet (issue 8, items 1, 2 and 7)"


async def test_the_copy_asks_for_the_data_consent_first_and_records_a_good_post() -> None:
    async with JobviteJobSite() as site, aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(site.form_url) as gate:
            assert "Data Consent" in await gate.text()
        async with http.post(site.form_url, data={"policyId": "815b0c56"}) as accepted:
            assert 'name="scopeData.applyForm"' in await accepted.text()
        async with http.post(site.url_for("/api/v2/attachments"), data=form_data({}, {"file": b"%PDF"})) as up:
            attachment = (await up.json())["id"]
        endpoint = site.url_for(ats_jobvite.JOBVITE.post_path)
        async with http.post(endpoint, data=form_data(EXPECTED)) as refused:
            assert refused.status == 422 and "Please add your resume" in await refused.text()
        async with http.post(endpoint, data=form_data({**EXPECTED, "resumeAttachmentId": attachment})) as sent:
            assert "Thank you for applying!" in await sent.text()
    assert site.consents == ["815b0c56"]
    assert site.submissions[0].fields == {**EXPECTED, "resumeAttachmentId": attachment}
    assert site.submissions[0].files == {"resumeAttachmentId": ("cv.pdf", b"%PDF")}


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_the_copy_posts_what_a_person_fills_in(browser_options: BrowserOptions, tmp_path: Path) -> None:
    """The consent gate, the popup outside the form and the two steps work in Chromium; so a failing fill
    test is the filler's fault, not the copy's."""
    _, resume, content = applicant_with_resume(tmp_path)
    async with JobviteJobSite() as site, open_browser(browser_options) as browser:
        await browser.navigate_to(site.form_url)
        # Its data-consent "I Accept" and its "Next" each send a step's form: the person approves each.
        await send_by_hand(browser, """(() => { const s = document.getElementById('jv-country-select'); s.value = '815b0c56';
            s.dispatchEvent(new Event('change')); [...document.querySelectorAll('button')].find(b => b.textContent === 'I Accept').click(); })()""")
        await run_js(browser, """new Promise(r => { const t = () => document.querySelector('form[name="scopeData.applyForm"]') && document.readyState === 'complete' ? r(1) : setTimeout(t, 50); t(); })""")
        for name in ("input-yrKSYfwL", "input-ytKSYfwN", "input-ysKSYfwM", "input-yuKSYfwP"):
            await run_js(browser, f"document.querySelector('[name=\"{name}\"]').value = {EXPECTED[name]!r}")
        await run_js(browser, "document.querySelector('#attachResume .jv-select').click()")
        await choose_file(browser, "#file-input-0", resume)
        await run_js(browser, """new Promise((r, j) => { const k = document.querySelector('[name=resumeAttachmentId]'); const d = Date.now() + 20000;
            const t = () => k.value ? r(1) : Date.now() > d ? j('no upload') : setTimeout(t, 50); t(); })""")
        await send_by_hand(browser, "document.getElementById('jv-next').click()")
        for name in (ats_jobvite.AUTHORIZED, ats_jobvite.SPONSORSHIP):
            await run_js(browser, f"document.querySelector('[name=\"{name}\"][value=\"{EXPECTED[name]}\"]').click()")
        for name in ("eeo.gender", "eeo.race", "eeo.veteran"):
            await run_js(browser, f"document.querySelector('[name=\"{name}\"]').value = {EXPECTED[name]!r}")
        await send_by_hand(browser, "document.getElementById('jv-send').click()")
        submission = await site.wait_for_submission(timeout=30)

    assert {name: submission.fields.get(name) for name in EXPECTED} == EXPECTED
    assert submission.files["resumeAttachmentId"] == (resume.name, content)
    assert {name: submission.fields.get(name, "") for name in MUST_STAY_EMPTY} == dict.fromkeys(MUST_STAY_EMPTY, "")


@pytest.mark.browser
@pytest.mark.timeout(180)
@pytest.mark.xfail(strict=True, reason=NOT_FILLED_YET)
async def test_jobvite_form_is_filled_from_the_profile_and_submitted(browser_options: BrowserOptions, tmp_path: Path) -> None:
    """With the data consent already given (the applicant's own act), the form is filled and sent."""
    profile, resume, content = applicant_with_resume(tmp_path)
    async with JobviteJobSite(consent_given=True) as site, filled_form(site.posting_url, browser_options, profile, resume) as filled:
        assert (site.submissions, site.rejected_posts, site.consents) == ([], 0, []), "nothing is sent before the approval"
        await filled.submit()
        submission = await site.wait_for_submission(timeout=30)

    assert {name: submission.fields.get(name) for name in EXPECTED} == EXPECTED
    assert submission.files["resumeAttachmentId"] == (resume.name, content)
    assert {name: submission.fields.get(name, "") for name in MUST_STAY_EMPTY} == dict.fromkeys(MUST_STAY_EMPTY, "")
