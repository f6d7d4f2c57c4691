"""Which adapter serves a page is decided by the page's content, on any host.

Real vendors' pages saved in tests/fixtures/ats_real/ and our local copies of the vendors' forms,
all served on 127.0.0.1 (an address no vendor's host rule matches), opened in real headed
Chromium through `open_application`, as the apply flow and `nyx fill` do.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from automation.adapters import (
    ADAPTERS,
    ApplicantFiles,
    AshbyAdapter,
    ClassicGreenhouseAdapter,
    FormAdapter,
    GreenhouseAdapter,
    LeverAdapter,
    SmartRecruitersAdapter,
    TeamtailorAdapter,
    UnsupportedForm,
    WorkableAdapter,
    detect_adapter,
    open_application,
)
from automation.browser import BrowserOptions, open_browser
from storage.models import Profile
from tests.fakes.ats_ashby import AshbyJobSite
from tests.fakes.ats_greenhouse_classic import ClassicGreenhouseJobSite
from tests.fakes.ats_lever import LeverJobSite
from tests.fakes.ats_smartrecruiters import SmartRecruitersJobSite
from tests.fakes.ats_teamtailor import TeamtailorJobSite
from tests.fakes.ats_workable import WorkableJobSite
from tests.fakes.guarded_site import GuardedSite
from tests.fakes.job_site import GreenhouseJobSite
from tests.fakes.saved_pages import SavedPageSite

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]


def _claimed_by_url(url: str) -> list[str]:
    return [adapter.name for adapter in ADAPTERS if adapter.matches_url(url)]


@pytest.mark.parametrize(
    ("folder", "scripts", "expected", "fields"),
    [
        # The form inside the job page, on a teamtailor.com host and on a company's own domain.
        ("teamtailor-harper", True, TeamtailorAdapter, {"candidate[first_name]", "candidate[email]"}),
        ("teamtailor-noon-academy", True, TeamtailorAdapter, {"candidate[first_name]", "candidate[email]"}),
        # The one-click app saved with its shadow roots: no <form> round the fields.
        ("smartrecruiters-wise", False, SmartRecruitersAdapter, {"first-name-input", "email-input", "linkedin-input"}),
        ("greenhouse-axon", True, GreenhouseAdapter, {"first_name", "email", "resume"}),
    ],
)
async def test_real_vendor_pages_are_recognised_by_their_content(
    browser_options: BrowserOptions,
    folder: str,
    scripts: bool,
    expected: type[FormAdapter],
    fields: set[str],
    resume: Path,
) -> None:
    async with SavedPageSite(folder=folder, scripts=scripts) as site, open_browser(browser_options) as browser:
        assert _claimed_by_url(site.posting_url) == []
        adapter = await open_application(browser, site.posting_url)
        assert type(adapter) is expected
        # The adapter finds the form's fields on that page, whatever holds them.
        questions = await adapter.page_questions(browser)  # type: ignore[attr-defined]
        found = {question.name for question in questions} | {question.id for question in questions}
        found |= {part.strip("#") for question in questions for part in question.selector.split() if "#" in part}
        assert fields <= found, sorted(found)
        # Filling and reading back reach those fields, and send nothing.
        profile = Profile(first_name="Ada", last_name="Lovelace", email="ada.lovelace@example.org")
        await adapter.fill(browser, profile, ApplicantFiles(resume=resume))
        shown = {field.actual for field in (await adapter.read_back(browser)).fields}
        assert {"Ada", "Lovelace", "ada.lovelace@example.org"} <= shown
    # The pages' own scripts may post analytics (Teamtailor's /pageview, its cookie-policy JSON); no form was sent.
    assert [submission for submission in site.submissions if submission.fields or submission.files] == []
    assert not [path for path in site.posts if path.rstrip("/").endswith(("/applications", "/apply"))]


def _local_copies() -> list[tuple[str, Callable[[], Any], Callable[[Any], str], type[FormAdapter]]]:
    return [
        ("greenhouse", GreenhouseJobSite, lambda site: site.posting_url, GreenhouseAdapter),
        ("greenhouse embedded", GreenhouseJobSite, lambda site: site.embedding_url, GreenhouseAdapter),
        ("greenhouse classic", ClassicGreenhouseJobSite, lambda site: site.posting_url, ClassicGreenhouseAdapter),
        ("lever", LeverJobSite, lambda site: site.apply_url, LeverAdapter),
        ("workable", WorkableJobSite, lambda site: site.apply_url, WorkableAdapter),
        ("ashby", AshbyJobSite, lambda site: site.application_url, AshbyAdapter),
        ("ashby embedded", AshbyJobSite, lambda site: site.embedding_url, AshbyAdapter),
        ("smartrecruiters posting", SmartRecruitersJobSite, lambda site: site.posting_url, SmartRecruitersAdapter),
        ("teamtailor", TeamtailorJobSite, lambda site: site.application_url, TeamtailorAdapter),
    ]


@pytest.mark.parametrize(
    ("make_site", "url_of", "expected"),
    [pytest.param(make, url_of, expected, id=name) for name, make, url_of, expected in _local_copies()],
)
async def test_local_copies_on_a_non_vendor_host_are_recognised_by_content(
    browser_options: BrowserOptions,
    make_site: Callable[[], Any],
    url_of: Callable[[Any], str],
    expected: type[FormAdapter],
) -> None:
    async with make_site() as site, open_browser(browser_options) as browser:
        url = url_of(site)
        assert _claimed_by_url(url) == [], "127.0.0.1 is no vendor's host: the page itself must decide"
        adapter = await open_application(browser, url)
        assert type(adapter) is expected
    assert site.submissions == []


async def test_a_look_alike_form_without_the_vendors_markup_is_not_claimed(
    browser_options: BrowserOptions,
) -> None:
    # `candidate[email]` is any Rails app's naming; without Teamtailor's markup the page is not Teamtailor's.
    async with GuardedSite() as site, open_browser(browser_options) as browser:
        await browser.navigate_to(site.url_for("/known"))
        assert type(await detect_adapter(browser, site.url_for("/known"))) is TeamtailorAdapter
        await browser.navigate_to(site.url_for("/look-alike"))
        with pytest.raises(UnsupportedForm):
            await detect_adapter(browser, site.url_for("/look-alike"))


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://job-boards.greenhouse.io/axon/jobs/6641960003", ["greenhouse"]),
        ("https://boards.greenhouse.io/acme/jobs/123", ["greenhouse classic", "greenhouse"]),
        ("https://www.acme.com/careers?gh_jid=123", ["greenhouse"]),
        ("https://jobs.lever.co/acme/6f1c7a9e-1b2c-4d3e-8f90-123456789abc/apply", ["lever"]),
        ("https://jobs.lever.co/acme", []),
        ("https://jobs.ashbyhq.com/acme/0f1e2d3c", ["ashby"]),
        ("https://apply.workable.com/acme/j/ABC123DEF/", ["workable"]),
        ("https://jobs.smartrecruiters.com/oneclick-ui/company/Acme/publication/1", ["smartrecruiters"]),
        ("https://acme.teamtailor.com/jobs/6340420-senior-software-engineer", ["teamtailor"]),
        ("https://careers.learnatnoon.com/jobs/4903406-software-engineer-backend", []),
        ("https://evil.example/jobs.lever.co/acme", []),
    ],
)
def test_the_url_is_only_a_fast_path_for_the_vendors_own_hosts(url: str, expected: list[str]) -> None:
    assert _claimed_by_url(url) == expected


def _copies_the_universal_filler_serves() -> list[tuple[str, Callable[[], Any]]]:
    from tests.fakes.ats_bamboohr import BambooHRJobSite
    from tests.fakes.ats_icims import IcimsJobSite
    from tests.fakes.ats_jobvite import JobviteJobSite
    from tests.fakes.ats_rippling import RipplingJobSite

    return [
        ("bamboohr", BambooHRJobSite),
        ("jobvite", JobviteJobSite),
        ("rippling", RipplingJobSite),
        ("icims", IcimsJobSite),
    ]


@pytest.mark.parametrize(
    ("vendor", "make_site"),
    _copies_the_universal_filler_serves(),
    ids=[name for name, _ in _copies_the_universal_filler_serves()],
)
async def test_vendors_the_universal_filler_serves_are_recognised_by_content(
    browser_options: BrowserOptions,
    vendor: str,
    make_site: Callable[[], Any],
) -> None:
    """BambooHR (not SmartRecruiters, whose field names it shares), Jobvite's consent page, Rippling and an
    iCIMS portal's iframe: each is its vendor's by the page itself, filled by the universal filler."""
    from automation.adapters import UniversalAdapter
    from automation.adapters.vendor_forms import SIGNATURES

    async with make_site() as site, open_browser(browser_options) as browser:
        assert not [s.name for s in SIGNATURES if s.matches_url(site.posting_url)] and not _claimed_by_url(
            site.posting_url
        )
        adapter = await open_application(browser, site.posting_url)
        assert isinstance(adapter, UniversalAdapter) and adapter.name == vendor
    assert (site.submissions, site.rejected_posts) == ([], 0)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://acme.bamboohr.com/careers/74", "bamboohr"),
        ("https://jobs.jobvite.com/acme/job/oK3m9PqR/apply", "jobvite"),
        ("https://ats.rippling.com/acme/jobs/8d2c6a51-0f3e-4b7a-9a61-2f5d7c4e9b13", "rippling"),
        ("https://careers-acme.icims.com/jobs/1234/senior-backend-engineer/job", "icims"),
        ("https://careers-acme.icims.com/jobs/search", None),
        ("https://evil.example/careers-acme.icims.com/jobs/1234/x/job", None),
    ],
)
def test_the_universal_filler_vendors_hosts_are_a_fast_path(url: str, expected: str | None) -> None:
    from automation.adapters.vendor_forms import SIGNATURES

    claimed = [signature.name for signature in SIGNATURES if signature.matches_url(url)]
    assert claimed == ([expected] if expected else [])
