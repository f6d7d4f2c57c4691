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
async def filled_form(url: str, options: BrowserOptions, profile: Profile, resume: Path) -> AsyncIterator[FilledApplication]:
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
        params={"expression": expression, "returnByValue": True, "awaitPromise": True}, session_id=session.session_id)
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
    found = await dom.querySelector(params={"nodeId": root["root"]["nodeId"], "selector": selector},
                                    session_id=session.session_id)
    await dom.setFileInputFiles(params={"files": [str(path)], "nodeId": found["nodeId"]}, session_id=session.session_id)
