"""Jobvite: the local copy's server checks (no browser), a person's way through it in Chromium (data
consent, attachment popup, two steps), and the form filled from the profile, graded by its POST."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from automation.adapters import ApplicantFiles, open_application
from automation.adapters.universal import SUBMIT_WORDS
from automation.browser import BrowserOptions, open_browser
from automation.page_js import SubmitRefused, wait_until
from automation.submit_guard import guard_of
from tests.fakes import ats_jobvite
from tests.fakes.ats_jobvite import JobviteJobSite
from tests.fakes.fill_flow import (
    applicant_with_resume,
    apply_through_the_chat,
    choose_file,
    filled_form,
    form_data,
    run_js,
    send_by_hand,
)

EXPECTED = ats_jobvite.EXPECTED_POST
MUST_STAY_EMPTY = ats_jobvite.MUST_STAY_EMPTY
DECLINE = ats_jobvite.DECLINE


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
        await send_by_hand(
            browser,
            """(() => { const s = document.getElementById('jv-country-select'); s.value = '815b0c56';
            s.dispatchEvent(new Event('change')); [...document.querySelectorAll('button')].find(b => b.textContent === 'I Accept').click(); })()""",
        )
        # The consent is sent by the page's script, which then loads the form: a new document.
        assert await wait_until(
            browser,
            """() => !!document.querySelector('form[name="scopeData.applyForm"]')
            && document.readyState === 'complete'""",
            timeout_s=30,
        )
        for name in ("input-yrKSYfwL", "input-ytKSYfwN", "input-ysKSYfwM", "input-yuKSYfwP"):
            await run_js(browser, f"document.querySelector('[name=\"{name}\"]').value = {EXPECTED[name]!r}")
        await run_js(browser, "document.querySelector('#attachResume .jv-select').click()")
        await choose_file(browser, "#file-input-0", resume)
        await run_js(
            browser,
            """new Promise((r, j) => { const k = document.querySelector('[name=resumeAttachmentId]'); const d = Date.now() + 20000;
            const t = () => k.value ? r(1) : Date.now() > d ? j('no upload') : setTimeout(t, 50); t(); })""",
        )
        await send_by_hand(browser, "document.getElementById('jv-next').click()")
        for name in (ats_jobvite.AUTHORIZED, ats_jobvite.SPONSORSHIP):
            await run_js(browser, f'document.querySelector(\'[name="{name}"][value="{EXPECTED[name]}"]\').click()')
        for name in ("eeo.gender", "eeo.race", "eeo.veteran"):
            await run_js(browser, f"document.querySelector('[name=\"{name}\"]').value = {EXPECTED[name]!r}")
        await send_by_hand(browser, "document.getElementById('jv-send').click()")
        submission = await site.wait_for_submission(timeout=30)

    assert {name: submission.fields.get(name) for name in EXPECTED} == EXPECTED
    assert submission.files["resumeAttachmentId"] == (resume.name, content)
    assert {name: submission.fields.get(name, "") for name in MUST_STAY_EMPTY} == dict.fromkeys(MUST_STAY_EMPTY, "")


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_jobvite_form_is_filled_through_its_consent_and_steps_and_submitted(
    browser_options: BrowserOptions,
    tmp_path: Path,
) -> None:
    """The data consent's "I Accept" and "Next" are the forms' submit buttons; the page's own handlers move on
    by script, so the filler takes them as steps, reaches the last step, and sends only when approved."""
    profile, resume, content = applicant_with_resume(tmp_path)
    async with JobviteJobSite() as site, filled_form(site.posting_url, browser_options, profile, resume) as filled:
        assert (site.submissions, site.rejected_posts) == ([], 0), "nothing is sent before the approval"
        assert site.consents == ["815b0c56"], "the consent required to apply was given, once"
        shown = {field.label: field.actual for field in filled.form.fields}
        # The review shows the consent given on the first page and the fields of both steps.
        assert "PRIVACY POLICY" in (shown["Location of Residence and Language:"] or "")
        assert shown["First Name"] == "Ada" and shown["Gender"] == DECLINE
        assert await run_js(filled.browser, "!document.getElementById('jv-send').classList.contains('ng-hide')")
        await filled.submit()
        submission = await site.wait_for_submission(timeout=30)

    assert {name: submission.fields.get(name) for name in EXPECTED} == EXPECTED
    assert submission.files["resumeAttachmentId"] == (resume.name, content)
    assert {name: submission.fields.get(name, "") for name in MUST_STAY_EMPTY} == dict.fromkeys(MUST_STAY_EMPTY, "")


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_a_step_control_that_would_post_its_form_is_refused_and_nothing_is_sent(
    browser_options: BrowserOptions,
    tmp_path: Path,
) -> None:
    """The same consent page, but its form posts natively (no script of the page cancels the sending):
    clicking "I Accept" would POST it, so the step is refused and the server hears nothing."""
    profile, resume, _ = applicant_with_resume(tmp_path)
    async with JobviteJobSite(consent_by_script=False) as site, open_browser(browser_options) as browser:
        adapter = await open_application(browser, site.posting_url)
        assert adapter.name == "jobvite"
        with pytest.raises(SubmitRefused, match="would have sent its form"):
            await adapter.fill(browser, profile, ApplicantFiles(resume=resume))
        assert await run_js(browser, "document.forms.consentForm !== undefined && location.pathname.endsWith('/apply')")
    assert (site.consents, site.submissions, site.rejected_posts) == ([], [], 0)


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_the_final_submit_never_fires_before_approval(browser_options: BrowserOptions, tmp_path: Path) -> None:
    """On the last step: the final submit is never taken as a step (by its words, and, were its words
    not known, because the page would send the form), Enter and the form's own submit calls send nothing;
    then the approved submit sends it once."""
    profile, resume, _ = applicant_with_resume(tmp_path)
    async with JobviteJobSite() as site, filled_form(site.posting_url, browser_options, profile, resume) as filled:
        guard = guard_of(filled.browser)
        assert guard is not None
        with pytest.raises(SubmitRefused, match="final submit"):
            await guard.take_step(filled.browser, "#jv-send", SUBMIT_WORDS)
        with pytest.raises(SubmitRefused, match="would have sent its form"):
            await guard.take_step(filled.browser, "#jv-send", r"(?!)")  # a vendor whose final words we did not know
        await press_enter(filled.browser, "#jv-field-yrKSYfwL")
        await run_js(
            filled.browser,
            "(() => { const f = document.forms['scopeData.applyForm']; f.requestSubmit(); f.submit(); })()",
        )
        await run_js(filled.browser, "new Promise(r => setTimeout(r, 500))")  # any navigation would have begun
        assert (site.submissions, site.rejected_posts) == ([], 0), "nothing is sent before the approval"
        assert await run_js(filled.browser, "location.pathname.endsWith('/apply')")
        await filled.submit()
        await site.wait_for_submission(timeout=30)
    assert len(site.submissions) == 1


async def press_enter(browser: object, selector: str) -> None:
    """A person's Enter in a field (trusted key events): the form's default button would send it."""
    await run_js(browser, f"document.querySelector({selector!r}).focus()")
    session = await browser.get_or_create_cdp_session()  # type: ignore[attr-defined]
    for kind in ("keyDown", "keyUp"):
        await session.cdp_client.send.Input.dispatchKeyEvent(
            params={"type": kind, "key": "Enter", "code": "Enter", "windowsVirtualKeyCode": 13, "text": "\r"},
            session_id=session.session_id,
        )


@pytest.mark.browser
@pytest.mark.timeout(300)
async def test_a_jobvite_job_goes_from_a_forwarded_link_to_the_submitted_form(
    nyx, fake_telegram, db, tmp_path: Path
) -> None:
    """The whole apply flow through the fake Bot API: through its data consent and two steps, the review, Submit, and the POST the copy records."""
    _, resume, content = applicant_with_resume(tmp_path)
    async with JobviteJobSite() as site:
        submission = await apply_through_the_chat(
            fake_telegram, site, resume, content, ("Ada", "Lovelace", "ada.lovelace@example.org", resume.name)
        )
    assert {name: submission.fields.get(name) for name in EXPECTED} == EXPECTED
    assert submission.files["resumeAttachmentId"] == (resume.name, content)
    assert site.consents == ["815b0c56"]
    assert await db.fetchval("SELECT status FROM applications") == "submitted"
