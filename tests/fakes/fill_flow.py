"""One application through the public adapter API, for the tests of the vendors' local copies.

`filled_form` does what the apply flow does between "Apply" and the review, minus the chat: open
the posting, let `open_application` find the form and the adapter that fills it, and fill it from
the profile; the test checks that nothing was sent yet, then calls `submit()` once (the approval)
and grades what the copy's server records.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from automation.adapters import ApplicantFiles, FilledForm, FormAdapter, SubmitResult, open_application
from automation.browser import BrowserOptions, open_browser
from storage.models import Profile
from tests.fakes.real_pages import applicant


@dataclass
class FilledApplication:
    browser: Any
    adapter: FormAdapter
    form: FilledForm

    async def submit(self) -> SubmitResult:
        return await self.adapter.submit(self.browser)


@contextlib.asynccontextmanager
async def filled_form(
    url: str, options: BrowserOptions, profile: Profile, resume: Path
) -> AsyncIterator[FilledApplication]:
    async with open_browser(options) as browser:
        adapter = await open_application(browser, url)
        form = await adapter.fill(browser, profile, ApplicantFiles(resume=resume))
        yield FilledApplication(browser, adapter, form)


def applicant_with_resume(folder: Path) -> tuple[Profile, Path, bytes]:
    """The applicant of tests/fixtures/real_pages/profile.yaml (United States, EEO declined) and its résumé,
    written into `folder` under its own name."""
    profile, resume = applicant()
    path = folder / resume.filename
    path.write_bytes(resume.content)
    return profile, path, resume.content


def form_data(fields: dict[str, str], files: dict[str, bytes] | None = None) -> Any:
    """A multipart body as a browser posts it: the fields, then each file as `cv.pdf`."""
    import aiohttp

    data = aiohttp.FormData()
    for name, value in fields.items():
        data.add_field(name, value)
    for name, content in (files or {}).items():
        data.add_field(name, content, filename="cv.pdf", content_type="application/pdf")
    return data


async def run_js(browser: Any, expression: str) -> Any:
    """Evaluate `expression` in the current tab (awaiting a promise) and return its JSON value: how the
    by-hand tests act as a person would, without going through the adapters."""
    session = await browser.get_or_create_cdp_session()
    result = await session.cdp_client.send.Runtime.evaluate(
        params={"expression": expression, "returnByValue": True, "awaitPromise": True}, session_id=session.session_id
    )
    if "exceptionDetails" in result:
        raise RuntimeError(str(result["exceptionDetails"])[:500])
    return result.get("result", {}).get("value")


async def send_by_hand(browser: Any, expression: str) -> Any:
    """The by-hand tests' own submit: the person filling the form approves it, so the session's
    submit guard is lifted (as the approved submit does) before `expression` clicks send."""
    from automation.submit_guard import guard_of

    guard = guard_of(browser)
    assert guard is not None, "every browser session has a submit guard"
    await guard.lift(browser)
    return await run_js(browser, expression)


async def choose_file(browser: Any, selector: str, path: Path) -> None:
    """Choose `path` in the file input `selector`, as the browser's file dialog would (change event included)."""
    session = await browser.get_or_create_cdp_session()
    dom = session.cdp_client.send.DOM
    root = await dom.getDocument(params={"depth": 0}, session_id=session.session_id)
    found = await dom.querySelector(
        params={"nodeId": root["root"]["nodeId"], "selector": selector}, session_id=session.session_id
    )
    await dom.setFileInputFiles(params={"files": [str(path)], "nodeId": found["nodeId"]}, session_id=session.session_id)


WAIT_IN_CHAT = 120  # a cold headed Chromium on a busy 2-core machine


async def apply_through_the_chat(
    fake_telegram: Any, site: Any, resume: Path, content: bytes, shown: tuple[str, ...]
) -> Any:
    """The whole apply flow as a user lives it through the fake Bot API: the profile of
    tests/fixtures/real_pages/profile.yaml and the résumé sent in the chat, the job link, Apply, the review
    (which must show `shown`, with nothing sent yet), Submit; returns the submission the copy records."""
    from tests.fakes.real_pages import PROFILE_FILE
    from tests.support import ALLOWED_USER

    profile_text = "\n".join(
        line for line in PROFILE_FILE.read_text().splitlines() if not line.startswith("resume_path")
    )
    user = fake_telegram.user(ALLOWED_USER)
    await user.send_document("profile.yaml", profile_text.encode(), "application/x-yaml")
    await fake_telegram.wait_for_message(lambda m: m.chat_id == user.chat_id and "Profile saved" in m.body)
    await user.send_document(resume.name, content, "application/pdf")
    await fake_telegram.wait_for_message(lambda m: m.chat_id == user.chat_id and "Résumé saved" in m.body)

    await user.send(f"Orbital Freight is hiring: {site.posting_url}")
    card = await fake_telegram.wait_for_message(
        lambda m: (
            m.chat_id == user.chat_id and site.posting_url in m.body and any(b.text == "Apply" for b in m.buttons())
        )
    )
    await user.tap(card, "Apply")
    outcome = await fake_telegram.wait_for_message(
        lambda m: (
            m.chat_id == user.chat_id and ("Review before submitting" in m.body or "could not recognise" in m.body)
        ),
        timeout=WAIT_IN_CHAT,
    )
    assert "Review before submitting" in outcome.body, outcome.body
    for value in shown:
        assert value in outcome.body, value
    assert (site.submissions, site.rejected_posts) == ([], 0), "nothing is sent before the approval"

    await user.tap(outcome, "Submit")
    submission = await site.wait_for_submission(timeout=WAIT_IN_CHAT)
    await fake_telegram.wait_for_message(
        lambda m: m.message_id == card.message_id and "submitted" in m.body, timeout=WAIT_IN_CHAT
    )
    return submission
