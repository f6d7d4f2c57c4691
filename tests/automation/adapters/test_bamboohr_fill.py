"""BambooHR: the local copy's server checks (no browser), and the form filled from the profile in real
headed Chromium (Fabric list menus, files uploaded on choosing), graded by the POST the copy records."""

from __future__ import annotations

from pathlib import Path

import aiohttp
import pytest

from automation.browser import BrowserOptions
from tests.fakes import ats_bamboohr
from tests.fakes.ats_bamboohr import BambooHRJobSite
from tests.fakes.fill_flow import applicant_with_resume, apply_through_the_chat, filled_form, form_data

EXPECTED = ats_bamboohr.EXPECTED_POST
MUST_STAY_EMPTY = ats_bamboohr.MUST_STAY_EMPTY


async def test_the_copy_keeps_uploads_and_refuses_a_filled_honeypot() -> None:
    async with BambooHRJobSite() as site, aiohttp.ClientSession() as http:
        async with http.get(site.posting_url) as page:
            assert page.status == 200 and "Apply for This Job" in await page.text()
        async with http.post(
            site.url_for("/ajax/files/attachTemporary.php"), data=form_data({}, {"file": b"%PDF"})
        ) as up:
            file_id = (await up.json())["fileId"]
        endpoint = site.url_for(ats_bamboohr.BAMBOOHR.post_path)
        good = {**EXPECTED, "resumeFileId": file_id}
        async with http.post(endpoint, data=form_data({**good, "nickname_hpcsaf": "x"})) as spam:
            assert spam.status == 422
        async with http.post(endpoint, data=form_data({**good, "resumeFileId": "tmp-999"})) as unknown_file:
            assert unknown_file.status == 422 and "Resume is required." in await unknown_file.text()
        async with http.post(endpoint, data=form_data(good)) as accepted:
            assert "Thanks for applying!" in await accepted.text()
    assert site.spam == 1 and site.rejected_posts == 2
    assert site.submissions[0].fields == good
    assert site.submissions[0].files == {"resumeFileId": ("cv.pdf", b"%PDF")}


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_bamboohr_form_is_filled_from_the_profile_and_submitted(
    browser_options: BrowserOptions, tmp_path: Path
) -> None:
    profile, resume, content = applicant_with_resume(tmp_path)
    async with BambooHRJobSite() as site, filled_form(site.posting_url, browser_options, profile, resume) as filled:
        assert (site.submissions, site.rejected_posts) == ([], 0), "nothing is sent before the approval"
        await filled.submit()
        submission = await site.wait_for_submission(timeout=30)

    assert {name: submission.fields.get(name) for name in EXPECTED} == EXPECTED
    assert submission.files["resumeFileId"] == (resume.name, content)
    assert {name: submission.fields.get(name, "") for name in MUST_STAY_EMPTY} == dict.fromkeys(MUST_STAY_EMPTY, "")


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_the_copy_posts_what_a_person_fills_in(browser_options: BrowserOptions, tmp_path: Path) -> None:
    """The copy's widgets work in Chromium: opened by its button, lists picked from their menus, the résumé
    uploaded on choosing; so a failing fill test is the filler's fault, not the copy's."""
    from automation.browser import open_browser
    from tests.fakes.fill_flow import choose_file, run_js, send_by_hand

    _, resume, content = applicant_with_resume(tmp_path)
    typed = {
        name: value
        for name, value in EXPECTED.items()
        if name
        not in (
            "state.value",
            "countryId.value",
            "genderId.value",
            "ethnicityId.value",
            ats_bamboohr.SPONSORSHIP,
            ats_bamboohr.VETERAN,
        )
    }
    async with BambooHRJobSite() as site, open_browser(browser_options) as browser:
        await browser.navigate_to(site.posting_url)
        await run_js(browser, "document.getElementById('apply-for-this-job').click()")
        for name, value in typed.items():
            await run_js(
                browser,
                f"""(() => {{ const el = document.querySelector('[name="{name}"]');
                el.focus(); el.value = {value!r}; el.dispatchEvent(new Event('input', {{bubbles: true}})); }})()""",
            )
        for menu, item in (
            ("menu-state", "Texas"),
            ("menu-gender", "Decline to answer"),
            ("menu-ethnicity", "Decline to answer"),
        ):
            await run_js(
                browser,
                f"""(() => {{ document.querySelector('[data-menu-id="{menu}"]').click();
                [...document.querySelectorAll('#{menu} [role=menuitem]')].find(i => i.textContent === {item!r}).click(); }})()""",
            )
        await run_js(browser, f"""document.querySelector('[name="{ats_bamboohr.SPONSORSHIP}"][value="no"]').click()""")
        await run_js(browser, """document.querySelector('[name=":r7:"][value="Decline to Answer"]').click()""")
        await choose_file(browser, "input[data-file-id=resumeFileId]", resume)
        await run_js(
            browser,
            """new Promise((resolve, reject) => {
            const kept = document.querySelector('[name=resumeFileId]');
            const deadline = Date.now() + 20000;
            const check = () => kept.value ? resolve(kept.value) : Date.now() > deadline ? reject('no upload') : setTimeout(check, 50);
            check(); })""",
        )
        assert site.submissions == [], "choosing the résumé uploads it but sends no application"
        await send_by_hand(browser, "document.querySelector('#job-application-form button[type=submit]').click()")
        submission = await site.wait_for_submission(timeout=30)

    assert {name: submission.fields.get(name) for name in EXPECTED} == EXPECTED
    assert submission.files["resumeFileId"] == (resume.name, content)
    assert {name: submission.fields.get(name, "") for name in MUST_STAY_EMPTY} == dict.fromkeys(MUST_STAY_EMPTY, "")


@pytest.mark.browser
@pytest.mark.timeout(300)
async def test_a_bamboohr_job_goes_from_a_forwarded_link_to_the_submitted_form(
    nyx, fake_telegram, db, tmp_path: Path
) -> None:
    """The whole apply flow through the fake Bot API: its list menus picked, the review, Submit, and the POST the copy records."""
    _, resume, content = applicant_with_resume(tmp_path)
    async with BambooHRJobSite() as site:
        submission = await apply_through_the_chat(
            fake_telegram, site, resume, content, ("Ada", "Lovelace", "ada.lovelace@example.org", resume.name)
        )
    assert {name: submission.fields.get(name) for name in EXPECTED} == EXPECTED
    assert submission.files["resumeFileId"] == (resume.name, content)
    assert await db.fetchval("SELECT status FROM applications") == "submitted"
