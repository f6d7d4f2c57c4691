"""Workday: the local copy's server (accounts, step saves apart from the final submit), and the multi-step
application entered with a new account and filled from the profile in real headed Chromium, graded by
what each step saved; the final "Submit" (a plain button outside any form) is refused until approved."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from automation import page_js
from automation.adapters import ApplicantFiles, WorkdayAdapter, open_application
from automation.adapters.base import FillSource, SubmitOutcome
from automation.adapters.signin import EntryOutcome
from automation.browser import BrowserOptions, open_browser
from automation.submit_guard import guard_of
from storage.credentials import Account, AccountOrigin
from tests.fakes import ats_workday
from tests.fakes.ats_workday import EXPECTED_STEPS, MUST_STAY_EMPTY, PREVIOUS_WORKER, STEP_KEYS, WorkdayJobSite
from tests.fakes.fill_flow import applicant_with_resume, run_js

PASSWORD = "Gr8-Engines!x"
SUBMIT = '[data-automation-id="bottom-navigation-next-button"]'


async def test_the_copy_keeps_accounts_and_tells_step_saves_from_the_submit() -> None:
    # unsafe: the copy runs on an IP address, whose cookies aiohttp refuses by default
    async with WorkdayJobSite() as site, aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.get(site.posting_url) as posting:
            assert 'data-automation-id="adventureButton"' in await posting.text()
        auth = site.url_for(f"/wday/authgwy/{ats_workday.TENANT}")
        weak = {"email": "ada@example.org", "password": "short", "verifyPassword": "short", "accepted": True}
        async with http.post(f"{auth}/createAccount", json=weak) as refused:
            assert refused.status == 400 and ats_workday.PASSWORD_RULES in str(await refused.json())
        good = {**weak, "password": PASSWORD, "verifyPassword": PASSWORD}
        async with http.post(f"{auth}/createAccount", json=good) as created:
            assert created.status == 200
        async with http.post(f"{auth}/createAccount", json=good) as again:
            assert "already exists" in str(await again.json())
        async with http.get(site.posting_url + "/apply/applyManually") as flow:
            assert 'data-automation-id="progressBarActiveStep"' in await flow.text()
        api = site.url_for(f"/wday/cxs/{ats_workday.TENANT}/{ats_workday.SITE}/apply/R-1001")
        async with http.post(f"{api}/step/myInformation", json={}) as empty:
            assert empty.status == 400
        async with http.post(f"{api}/submit", json={}) as early:
            assert early.status == 409
        async with http.post(f"{api}/step/myInformation", json=EXPECTED_STEPS["myInformation"]) as saved:
            assert saved.status == 200
    assert site.created_accounts == ["ada@example.org"]
    assert [save.step for save in site.step_saves] == ["myInformation"]
    assert site.submissions == [], "a step save is not a submission"


@pytest.mark.browser
@pytest.mark.timeout(240)
async def test_workday_application_is_filled_step_by_step_and_submitted_once_approved(
    browser_options: BrowserOptions, tmp_path: Path
) -> None:
    profile, resume, content = applicant_with_resume(tmp_path)
    profile = profile.model_copy(update={"answers": {**profile.answers, PREVIOUS_WORKER: "No"}})
    account = Account("workday", "127.0.0.1/orbital", profile.email, PASSWORD, AccountOrigin.CREATED, False)
    async with WorkdayJobSite() as site, open_browser(browser_options) as browser:
        adapter = await open_application(browser, site.posting_url)
        assert isinstance(adapter, WorkdayAdapter), "recognised by its markup on a loopback host"
        assert await adapter.tenant(browser) == "127.0.0.1/orbital"
        entry = await adapter.enter(browser, account, create=True)
        assert entry.outcome is EntryOutcome.SIGNED_IN, entry.detail
        assert site.accounts == {profile.email: PASSWORD}

        form = await adapter.fill(browser, profile, ApplicantFiles(resume=resume))

        # Every step was saved once, in order, with what the profile says; the Review page is reached.
        assert [save.step for save in site.step_saves] == list(STEP_KEYS)
        saved = {save.step: save.values for save in site.step_saves}
        for step, expected in EXPECTED_STEPS.items():
            assert {key: saved[step].get(key) for key in expected} == expected, step
        for step, keys in MUST_STAY_EMPTY.items():
            assert {key: saved[step].get(key, "") for key in keys} == dict.fromkeys(keys, ""), step
        application = site.applications[(profile.email, "R-1001")]
        assert application.resume == (resume.name, content)
        assert application.experience == ats_workday.PARSED_EXPERIENCE, "left as Workday parsed it"

        # The review tells the truth: every required field holds what was meant, nothing is a problem.
        assert form.problems == []
        assert form.find("Family Name").actual == "Lovelace"
        assert form.find("Disability Status").actual == "I do not want to answer"
        assert form.find(PREVIOUS_WORKER).actual == "No"
        assert form.find("Phone Extension").actual == ""
        parsed = form.find("Job Title")
        assert (parsed.actual, parsed.source) == ("Senior Backend Engineer", FillSource.ADAPTER), "shown as parsed"

        # A correction at the review goes back to its step with Workday's "Back", then walks on to the Review.
        city = form.find("City")
        await adapter.answer(browser, {city.selector: "Round Rock"})
        form = await adapter.read_back(browser)
        assert form.find("City").actual == "Round Rock" and form.problems == []
        assert [save.step for save in site.step_saves].count("myInformation") == 2
        assert site.step_saves[-1].step == "selfIdentify", "back on the Review page"

        # The final Submit is a plain button outside any form: no click reaches it before the approval.
        assert await run_js(browser, f"document.querySelector('{SUBMIT}').innerText") == "Submit"
        with pytest.raises(page_js.SubmitRefused):
            await page_js.click(browser, SUBMIT)
        await run_js(browser, f"document.querySelector('{SUBMIT}').click()")  # the page's own script tries
        assert await guard_of(browser).blocked(browser) >= 1
        assert site.submissions == []

        result = await adapter.submit(browser)
        assert result.outcome is SubmitOutcome.CONFIRMED, result.detail
        submission = await site.wait_for_submission(timeout=30)
    assert len(site.submissions) == 1
    assert submission.fields["account"] == profile.email
    assert submission.fields["legalNameSection_lastName"] == "Lovelace"
    assert submission.fields["addressSection_city"] == "Round Rock"
    assert submission.files["resume"] == (resume.name, content)


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_sign_in_panel_existing_account_and_a_wrong_password(browser_options: BrowserOptions) -> None:
    """Creating an account that exists is refused with Workday's words; the sign-in panel then takes the
    right password and refuses a wrong one, with nothing typed into the honeypot."""
    existing = Account("workday", "127.0.0.1/orbital", "ada@example.org", PASSWORD, AccountOrigin.CREATED, False)
    async with WorkdayJobSite() as site:
        site.accounts["ada@example.org"] = PASSWORD
        async with open_browser(browser_options) as browser:
            adapter = await open_application(browser, site.posting_url)
            assert isinstance(adapter, WorkdayAdapter)
            refused = await adapter.enter(browser, existing, create=True)
            assert refused.outcome is EntryOutcome.REFUSED and "already exists" in refused.detail
            assert (await adapter.enter(browser, existing, create=False)).outcome is EntryOutcome.SIGNED_IN
        async with open_browser(browser_options) as browser:
            adapter = await open_application(browser, site.job_url("R-1002"))
            assert isinstance(adapter, WorkdayAdapter)
            wrong = Account("workday", "127.0.0.1/orbital", "ada@example.org", "Wr0ng!pass", AccountOrigin.USER, False)
            entry = await adapter.enter(browser, wrong, create=False)
            assert entry.outcome is EntryOutcome.REFUSED and "Wrong email address or password" in entry.detail
    assert site.sign_ins == ["ada@example.org"] and site.created_accounts == [] and site.spam == 0
