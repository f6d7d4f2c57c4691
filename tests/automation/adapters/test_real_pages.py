"""`nyx fill` on saved real vendor pages (shared/ats-real/), graded field by field.

Each page is served on 127.0.0.1 (nothing leaves the machine), filled once by exactly what
`nyx fill` runs (`automation.dry_run.dry_run`, real headed Chromium, the applicant of
tests/fixtures/real_pages/profile.yaml), and the page as it was left is checked against the page's
expected.yaml: every field the profile can fill shows the right value (one test per group of
fields), every field that must stay alone is still empty, and no form was sent or even tried.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from automation.browser import BrowserOptions
from tests.fakes.real_pages import (
    Control,
    Expected,
    ObservedFill,
    PageExpectations,
    applicant,
    corpus_pages,
    grade,
    load_expectations,
    observed_fill,
)
from tests.fakes.saved_pages import EXPECTATIONS, SavedPageSite, corpus_missing, saved_page_folders
from tests.plugins.browser import CHROMIUM, OFFLINE_ARGS

pytestmark = [pytest.mark.browser, pytest.mark.timeout(300)]

MUST_STAY_EMPTY = "must_stay_empty"
NOTHING_SENT = "nothing_sent"

# What does not work yet, per page and group of fields: (folder, group) -> why. Strict: once a group
# is filled, its test passes unexpectedly and fails the run, and its line here must go. Empty: every
# group of every saved page passes.
KNOWN_FAILURES: dict[tuple[str, str], str] = {}


def _cases() -> Iterator[object]:
    for folder in corpus_pages():
        for group in [*load_expectations(folder).groups, MUST_STAY_EMPTY, NOTHING_SENT]:
            reason = KNOWN_FAILURES.get((folder, group))
            marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
            yield pytest.param(folder, group, id=f"{folder}-{group}", marks=marks)


@pytest.fixture(scope="module")
def fills() -> dict[str, ObservedFill]:
    """One `nyx fill` per page, shared by that page's tests."""
    return {}


@pytest.mark.parametrize(("folder", "group"), list(_cases()))
async def test_real_page(
    folder: str, group: str, fills: dict[str, ObservedFill], browser_options: BrowserOptions
) -> None:
    if folder not in fills:
        fills[folder] = await observed_fill(folder, browser_options)
    observed = fills[folder]
    outcome = f"nyx fill said: {observed.error}" if observed.error else f"nyx fill used: {observed.run.ats}"

    if group == NOTHING_SENT:
        assert observed.submissions == [], f"the page sent or tried to send a form: {observed.submissions}"
        return
    assert observed.controls, f"nothing was read from the page ({outcome})"
    failures = grade(load_expectations(folder), observed.controls, applicant()[1].filename).failures(group)
    assert not failures, f"{outcome}\n" + "\n".join(failures)


@pytest.mark.skipif(corpus_missing() is not None, reason=str(corpus_missing()))
def test_every_saved_page_has_its_expectations() -> None:
    missing = [f for f in saved_page_folders() if not (EXPECTATIONS / f / "expected.yaml").is_file()]
    assert not missing, f"saved pages without expected.yaml: {missing}"
    for folder in corpus_pages():
        expectations = load_expectations(folder)
        assert expectations.fields, f"{folder}: no field the profile can fill"
        assert expectations.vendor, f"{folder}: no vendor"


def test_grading_catches_a_wrong_value_and_a_touched_honeypot() -> None:
    page = PageExpectations(
        "example",
        "example",
        True,
        fields=(Expected("identity", label="First name", value="Ada"),),
        must_stay_empty=(Expected(MUST_STAY_EMPTY, id="website_url", empty=True, why="honeypot"),),
        not_checked=(),
    )
    right = [
        Control("text", "first", "", ("First name *",), "Ada", True),
        Control("text", "website_url", "", (), "", False),
    ]
    wrong = [
        Control("text", "first", "", ("First name *",), "Ad", True),
        Control("text", "website_url", "", (), "https://github.com/ada-lovelace", False),
    ]

    assert grade(page, right, "cv.pdf").failures("identity") == []
    assert grade(page, right, "cv.pdf").failures(MUST_STAY_EMPTY) == []
    assert grade(page, wrong, "cv.pdf").failures("identity") == ["First name: shows 'Ad'"]
    assert grade(page, wrong, "cv.pdf").failures(MUST_STAY_EMPTY) == [
        "#website_url: must stay empty (honeypot) but shows 'https://github.com/ada-lovelace'"
    ]


@pytest.mark.skipif(corpus_missing() is not None, reason=str(corpus_missing()))
async def test_a_form_sent_from_a_saved_page_is_caught(tmp_path: Path) -> None:
    """The `nothing_sent` checks can fail: a saved form posts to its vendor's address, which the page's
    policy blocks and reports, so even a submission that never left the machine is counted. (A plain
    Chromium, without the submit guard every Nyx browser session carries.)"""
    async with SavedPageSite(folder="teamtailor-harper") as site:
        chromium = await asyncio.create_subprocess_exec(
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            f"--user-data-dir={tmp_path}",
            *OFFLINE_ARGS,
            "--virtual-time-budget=10000",
            "--dump-dom",
            site.url_for("/__submitting-on-load?form=%23job-application-form"),
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.DEVNULL,
        )
        try:
            target = await site.wait_for_blocked_submission(timeout=60)
        finally:
            if chromium.returncode is None:
                chromium.kill()
            await chromium.wait()

    assert target.startswith("https://harper-demo.teamtailor.com/applications")
    assert site.submission_attempts
