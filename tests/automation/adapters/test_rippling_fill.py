"""Rippling: the local copy's server checks (no browser), a person's fill of the copy in Chromium, and
the form filled from the profile, graded by the POST the copy records."""

from __future__ import annotations

import re
from pathlib import Path

import aiohttp
import pytest

from automation.browser import BrowserOptions, open_browser
from tests.fakes import ats_rippling
from tests.fakes.ats_rippling import RipplingJobSite
from tests.fakes.fill_flow import (
    applicant_with_resume,
    apply_through_the_chat,
    choose_file,
    filled_form,
    form_data,
    run_js,
    send_by_hand,
)

DECLINE = ats_rippling.DECLINE
EXPECTED = ats_rippling.EXPECTED_POST
MUST_STAY_EMPTY = ats_rippling.MUST_STAY_EMPTY
PHONE_DIGITS = ats_rippling.PHONE_DIGITS


# Where each renamed field sits on the copy's page: a text box's React id, or the list a hidden choice belongs to.
ANCHORS = {
    "first_name": 'id="field-3"',
    "last_name": 'id="field-4"',
    "email": 'id="field-5"',
    "phone_number": 'id="field-6"',
    "location": 'id="field-7"',
    "current_company": 'id="field-8"',
    "linkedin": 'id="field-9"',
    "website": 'id="field-10"',
    "phone_country": 'id="list-country"',
    "pronouns": 'id="list-pronouns"',
}


def this_loads_names(page: str) -> dict[str, str]:
    """The random name each lasting field got on this load of the form."""
    found: dict[str, str] = {}
    for key, anchor in ANCHORS.items():
        match = re.search(re.escape(anchor) + r'.*?name="(f[0-9a-f]{12})"', page, re.S)
        assert match, key
        found[key] = match.group(1)
    return found


async def test_the_copy_renames_its_boxes_on_every_load_and_reads_them_back() -> None:
    async with RipplingJobSite() as site, aiohttp.ClientSession() as http:
        async with http.get(site.form_url) as first, http.get(site.form_url) as second:
            first_page, second_page = await first.text(), await second.text()
        names = this_loads_names(first_page)
        assert names["first_name"] != this_loads_names(second_page)["first_name"]
        token = re.search(r'name="form_token" value="([0-9a-f]+)"', first_page).group(1)
        posted = {
            "form_token": token,
            **{names.get(k, k): v for k, v in EXPECTED.items()},
            names["phone_number"]: "512 555 0142",
        }
        async with http.post(site.form_url, data=form_data(posted)) as refused:
            assert refused.status == 422 and "Resume is required" in await refused.text()
        async with http.post(site.form_url, data=form_data(posted, {"resume": b"%PDF"})) as accepted:
            assert "Application submitted" in await accepted.text()
    assert site.submissions[0].fields == {**EXPECTED, "phone_number": "512 555 0142"}


def check(submission, resume: Path, content: bytes) -> None:
    assert {name: submission.fields.get(name) for name in EXPECTED} == EXPECTED
    assert re.sub(r"\D", "", str(submission.fields.get("phone_number"))).endswith(PHONE_DIGITS)
    assert submission.files["resume"] == (resume.name, content)
    assert "cover_letter" not in submission.files
    assert {name: submission.fields.get(name, "") for name in MUST_STAY_EMPTY} == dict.fromkeys(MUST_STAY_EMPTY, "")


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_the_copy_posts_what_a_person_fills_in(browser_options: BrowserOptions, tmp_path: Path) -> None:
    """The copy's comboboxes and random names work in Chromium; a failing fill test is the filler's fault."""
    _, resume, content = applicant_with_resume(tmp_path)
    beside = {
        "first_name": "First name",
        "last_name": "Last name",
        "email": "Email",
        "phone_number": "Phone number",
        "location": "Location (city only)",
        "current_company": "Current company",
        "linkedin": "LinkedIn",
    }
    values = {**EXPECTED, "phone_number": "512 555 0142"}
    picks = {
        "Search": "United States (+1)",
        "Are you legally authorized": "Yes",
        "Will you now or in the future": "No",
        "Gender": DECLINE,
        "Are you Hispanic": DECLINE,
        "Race": DECLINE,
        "Veteran status": DECLINE,
    }
    async with RipplingJobSite() as site, open_browser(browser_options) as browser:
        await browser.navigate_to(site.posting_url)
        await run_js(browser, "document.querySelector('a[href*=\"/apply\"]').click()")
        await run_js(
            browser,
            """new Promise(r => { const t = () => document.querySelector('#job-application') && document.readyState === 'complete' ? r(1) : setTimeout(t, 50); t(); })""",
        )
        for key, words in beside.items():
            await run_js(
                browser,
                f"""(() => {{ const field = [...document.querySelectorAll('.field')]
                .find(f => f.querySelector('.label-text').textContent.startsWith({words!r}));
                field.querySelector('input.input').value = {values[key]!r}; }})()""",
            )
        for words, option in picks.items():
            await run_js(
                browser,
                f"""(() => {{ const box = [...document.querySelectorAll('[role=combobox]')].find(b =>
                b.getAttribute('aria-label') === {words!r} || b.closest('.field').querySelector('.label-text').textContent.startsWith({words!r}));
                box.click(); [...box.parentElement.querySelectorAll('[role=option]')].find(o => o.textContent === {option!r}).click(); }})()""",
            )
        await choose_file(browser, "input[data-testid=input-resume]", resume)
        await send_by_hand(browser, "document.querySelector('#job-application button[type=submit]').click()")
        submission = await site.wait_for_submission(timeout=30)
    check(submission, resume, content)


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_rippling_form_is_filled_from_the_profile_and_submitted(
    browser_options: BrowserOptions, tmp_path: Path
) -> None:
    profile, resume, content = applicant_with_resume(tmp_path)
    async with RipplingJobSite() as site, filled_form(site.posting_url, browser_options, profile, resume) as filled:
        assert (site.submissions, site.rejected_posts) == ([], 0), "nothing is sent before the approval"
        await filled.submit()
        submission = await site.wait_for_submission(timeout=30)
    check(submission, resume, content)


@pytest.mark.browser
@pytest.mark.timeout(180)
async def test_looking_for_the_form_sends_nothing(browser_options: BrowserOptions) -> None:
    """Rippling's submit button reads "Apply": whatever finds the form must not click it."""
    import contextlib

    from automation.adapters import UnsupportedForm, open_application

    async with RipplingJobSite() as site, open_browser(browser_options) as browser:
        with contextlib.suppress(UnsupportedForm):
            await open_application(browser, site.posting_url)
    assert (site.submissions, site.rejected_posts) == ([], 0), "a POST arrived while the form was only being found"


@pytest.mark.browser
@pytest.mark.timeout(300)
async def test_a_rippling_job_goes_from_a_forwarded_link_to_the_submitted_form(
    nyx, fake_telegram, db, tmp_path: Path
) -> None:
    """The whole apply flow through the fake Bot API: its comboboxes picked, the review, Submit, and the POST the copy records."""
    _, resume, content = applicant_with_resume(tmp_path)
    async with RipplingJobSite() as site:
        submission = await apply_through_the_chat(
            fake_telegram, site, resume, content, ("Ada", "Lovelace", "ada.lovelace@example.org", resume.name)
        )
    check(submission, resume, content)
    assert await db.fetchval("SELECT status FROM applications") == "submitted"
