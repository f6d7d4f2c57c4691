"""Nothing is sent before the user approved: no click while finding or filling lands on a control
that submits, and the submit guard in every frame stops whatever else would send a form.

Real headed Chromium against tests/fakes/guarded_site.py, where every field is optional or
filled, so a submission that slipped through would arrive as a recorded POST.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from cdp_use.cdp.input.commands import DispatchKeyEventParameters

from automation import page_js, submit_guard
from automation.adapters import ApplicantFiles, SubmitOutcome, UnsupportedForm, open_application
from automation.adapters.outcome import SubmitSignals, submit_form
from automation.browser import BrowserOptions, open_browser
from storage.models import Profile
from tests.fakes.guarded_site import GuardedSite

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

EVENT_TIMEOUT_S = 10.0


@pytest_asyncio.fixture
async def site() -> AsyncIterator[GuardedSite]:
    async with GuardedSite() as running:
        yield running


@pytest.fixture
def profile() -> Profile:
    return Profile(first_name="Ada", last_name="Lovelace", email="ada.lovelace@example.org", phone="+44 20 7946 0958")


async def _still_on(browser, page_id: str) -> bool:
    """The browser still shows the page it opened: a form sent would have replaced the document."""
    return await page_js.evaluate(browser, "() => window.pageId || null") == page_id


async def _blocked(browser) -> int:
    guard = submit_guard.guard_of(browser)
    assert guard is not None, "open_browser installs the submit guard"
    return await guard.blocked(browser)


async def test_the_forms_own_apply_button_is_never_taken_as_the_way_in(
    browser_options: BrowserOptions, site: GuardedSite, profile: Profile, resume: Path
) -> None:
    async with open_browser(browser_options) as browser:
        try:
            adapter = await open_application(browser, site.url_for("/only-apply"))
        except UnsupportedForm:
            adapter = None
        if adapter is not None:  # a filler for any form: filling and reading back send nothing either
            await adapter.fill(browser, profile, ApplicantFiles(resume=resume))
            await adapter.read_back(browser)
        assert await _still_on(browser, "only-apply")
        assert await _blocked(browser) == 0, "nothing even tried to send the form"
    assert site.submissions == []


async def test_a_known_form_whose_submit_says_apply_is_filled_and_read_without_sending(
    browser_options: BrowserOptions, site: GuardedSite, profile: Profile, resume: Path
) -> None:
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, site.url_for("/known"))
        filled = await adapter.fill(browser, profile, ApplicantFiles(resume=resume))
        again = await adapter.read_back(browser)
        assert await _still_on(browser, "known")
    assert site.submissions == []
    email = next(field for field in again.fields if field.label == "Email")
    assert email.actual == "ada.lovelace@example.org", "the browser's leftover value was replaced"
    assert filled.fields


async def test_typing_and_enter_do_not_send_a_form_that_submits_on_input(
    browser_options: BrowserOptions, site: GuardedSite
) -> None:
    async with open_browser(browser_options) as browser:
        await browser.navigate_to(site.url_for("/enter"))
        assert await page_js.type_text(browser, "#name", "Ada")  # its script calls requestSubmit() on input
        session = await browser.get_or_create_cdp_session()
        for field in ("#name", "#city"):  # Enter: the first form has a button, the second none
            await page_js.evaluate(browser, "(s) => document.querySelector(s).focus()", field)
            for kind in ("keyDown", "keyUp"):
                enter: DispatchKeyEventParameters = {
                    "type": kind,
                    "key": "Enter",
                    "code": "Enter",
                    "windowsVirtualKeyCode": 13,
                }
                if kind == "keyDown":
                    enter["text"] = "\r"
                await session.cdp_client.send.Input.dispatchKeyEvent(params=enter, session_id=session.session_id)
        # The typed text's requestSubmit(), then each Enter: the default button's click, or the submit.
        assert await _blocked(browser) == 3
        assert await _still_on(browser, "enter")
        assert await page_js.evaluate(browser, "() => document.querySelector('#name').value") == "Ada"
    assert site.submissions == []


async def test_clicks_that_would_submit_are_refused_and_others_are_made(
    browser_options: BrowserOptions, site: GuardedSite
) -> None:
    async with open_browser(browser_options) as browser:
        await browser.navigate_to(site.url_for("/controls"))
        for selector in ("#plain", "#inner", "#typed", "#submit-input", "#image-input", "#typed-label", "#owned"):
            with pytest.raises(page_js.SubmitRefused):
                await page_js.click(browser, selector)
        await page_js.click(browser, "#add")
        await page_js.click(browser, "#free")
        assert await page_js.evaluate(browser, "() => window.clicked") == ["add", "free"]
        assert await _blocked(browser) == 0

        # The second line: a real click that lands on a submit button anyway (as the agent's might).
        await page_js.submit_click(browser, "#typed")
        assert await _blocked(browser) == 1
        assert await _still_on(browser, "controls")
    assert site.submissions == []


async def test_a_click_lands_where_it_was_meant_even_when_the_page_moves_under_the_mouse(
    browser_options: BrowserOptions, site: GuardedSite
) -> None:
    async with open_browser(browser_options) as browser:
        # The list moves down two rows as the mouse arrives: the press is stopped and made again.
        await browser.navigate_to(site.url_for("/moving"))
        assert await page_js.click_nth(browser, "#countries .option", 2)
        assert await page_js.evaluate(browser, "() => window.picked") == ["United Kingdom"]

        # The form's send button slides over the list as the mouse arrives: the press never reaches it,
        # and measured again the click is refused.
        await browser.navigate_to(site.url_for("/moving?onto-send"))
        with pytest.raises(page_js.SubmitRefused):
            await page_js.click_nth(browser, "#countries .option", 2)
        assert await page_js.evaluate(browser, "() => [window.picked, window.sendPressed || false]") == [[], False]
        assert await _still_on(browser, "moving")
    assert site.submissions == []


async def test_page_scripts_cannot_send_a_form_in_any_frame(browser_options: BrowserOptions, site: GuardedSite) -> None:
    # Each site in its own process, as in a desktop Chrome: the localhost frame is then a target of its own.
    isolated = dataclasses.replace(browser_options, extra_args=(*browser_options.extra_args, "--site-per-process"))
    async with open_browser(isolated) as browser:
        await browser.navigate_to(site.url_for("/frames"))
        ready = "() => window.replies.filter(r => r.ready).length === 2"
        assert await page_js.wait_until(browser, ready, timeout_s=EVENT_TIMEOUT_S)
        marker = submit_guard.guard_of(browser).marker
        await page_js.evaluate(
            browser,
            "(marker) => document.querySelectorAll('iframe').forEach(f => f.contentWindow.postMessage({marker}, '*'))",
            marker,
        )
        answered = "() => { const r = window.replies.filter(r => 'blocked' in r); return r.length === 2 ? r : null; }"
        replies = await page_js.wait_until(browser, answered, timeout_s=EVENT_TIMEOUT_S)
        assert replies is not None
        by_origin = {reply["frame"].split(":")[1].strip("/"): reply["blocked"] for reply in replies}
        # form.submit() and form.requestSubmit(), in the same-origin and in the cross-site (out-of-process) frame.
        assert by_origin == {"127.0.0.1": 2, "localhost": 2}
        targets = browser.session_manager.get_all_targets().values()
        assert any(target.target_type == "iframe" for target in targets), "the localhost frame runs out of process"

        # A page script in the top document, and its guess at the guard's name, get nowhere either.
        await page_js.evaluate(browser, "() => { window.__nyxSubmitGuard = {allowed: true}; }")
        await page_js.evaluate(
            browser, "() => { const d = document.querySelector('#same').contentDocument; d.forms[0].submit(); }"
        )
        assert await _still_on(browser, "frames")
    assert site.submissions == []


async def test_the_approved_submit_sends_the_form_exactly_once(
    browser_options: BrowserOptions, site: GuardedSite
) -> None:
    signals = SubmitSignals(ats="test", submit_candidates="form button", errors=".error", busy="form[aria-busy]")
    async with open_browser(browser_options) as browser:
        await browser.navigate_to(site.url_for("/approved"))
        with pytest.raises(page_js.SubmitRefused):
            await page_js.click(browser, "form button")
        await page_js.evaluate(browser, "() => document.forms[0].requestSubmit()")
        assert await _blocked(browser) == 1

        result = await submit_form(browser, signals)
        assert result.outcome is SubmitOutcome.CONFIRMED
        submission = await site.wait_for_submission(timeout=EVENT_TIMEOUT_S)
    assert submission.fields == {"who": "Ada Lovelace"}
    assert len(site.submissions) == 1


async def test_a_form_the_browser_would_refuse_is_reported_refused_naming_the_field_and_not_sent(
    browser_options: BrowserOptions, site: GuardedSite
) -> None:
    """Constraint validation stops the click without any submit event: that is a refusal with the
    browser's reason, never an "unknown" outcome the chat would call submitted."""
    signals = SubmitSignals(ats="test", submit_candidates="form button", errors=".error", busy="form[aria-busy]")
    async with open_browser(browser_options) as browser:
        await browser.navigate_to(site.url_for("/invalid"))
        result = await submit_form(browser, signals)
        assert await _still_on(browser, "invalid")
    assert result.outcome is SubmitOutcome.VALIDATION_ERRORS
    assert result.detail.startswith("Salary expectations: "), result.detail
    assert site.submissions == []


async def test_a_step_is_taken_only_when_the_page_moves_on_by_script_and_never_sends(
    browser_options: BrowserOptions, site: GuardedSite
) -> None:
    """A multi-step form's "Next" that is its submit button: taken when the page's handler cancels the sending
    (it moves on by script), refused when the browser would post the form; in neither case is anything sent,
    whatever the handler calls, and a control that reads like the final submit is never taken as a step."""
    from automation.adapters.universal import SUBMIT_WORDS

    async with open_browser(browser_options) as browser:
        await browser.navigate_to(site.url_for("/steps"))
        guard = submit_guard.guard_of(browser)
        assert guard is not None
        await guard.take_step(browser, "#client-next", SUBMIT_WORDS)
        for refused in ("#native-next", "#sneaky-next"):
            with pytest.raises(page_js.SubmitRefused, match="would have sent its form"):
                await guard.take_step(browser, refused, SUBMIT_WORDS)
        await guard.take_step(browser, "#sends-next", SUBMIT_WORDS)  # moved on, but its form.submit() stays blocked
        with pytest.raises(page_js.SubmitRefused, match="final submit"):
            await guard.take_step(browser, "#sends-final", SUBMIT_WORDS)
        assert await page_js.evaluate(browser, "() => window.moved") == ["client", "sneaky", "sends"]
        # Disarmed after each step: a plain click on a submit button is stopped as before.
        await page_js.submit_click(browser, "#native-next")
        assert await _still_on(browser, "steps")
        assert await _blocked(browser) >= 5
    assert site.submissions == []
