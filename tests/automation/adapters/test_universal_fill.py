"""The universal filler in real Chromium: a form no vendor adapter knows, the real saved Greenhouse page,
and the vendor adapters' standard fields settled by meaning (Lever's current company, a disability select)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from automation.adapters import LeverAdapter, UniversalAdapter, open_application
from automation.adapters.base import ApplicantFiles, EmptyReason, FillSource
from automation.browser import BrowserOptions, open_browser
from storage.models import Links, Profile
from tests.fakes.ats_lever import LeverJobSite
from tests.fakes.plain_form_site import PlainFormSite
from tests.fakes.saved_pages import SavedPageSite, corpus_missing
from tests.plugins.browser import readings_by_label

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

DISABILITY_DECLINED = "I do not want to answer"


@pytest.fixture
def profile() -> Profile:
    return Profile(
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.org",
        phone="+1 415 555 0134",
        location="San Francisco, California, United States",
        current_company="Analytical Engines Ltd",
        links=Links(linkedin="https://www.linkedin.com/in/ada-lovelace", github="https://github.com/ada"),
        work_authorization=["US", "EU"],
        needs_sponsorship=False,
    )


@pytest_asyncio.fixture
async def plain_site() -> AsyncIterator[PlainFormSite]:
    async with PlainFormSite() as site:
        yield site


async def test_a_form_nobody_knows_is_filled_by_meaning(
    browser_options: BrowserOptions, plain_site: PlainFormSite, profile: Profile, resume: Path
) -> None:
    async with open_browser(browser_options) as browser:
        adapter = await open_application(browser, plain_site.posting_url)
        assert isinstance(adapter, UniversalAdapter)

        filled = await adapter.fill(browser, profile, ApplicantFiles(resume=resume))
        questions = await adapter.questions(browser)

    readings = readings_by_label(filled)
    # What a browser's autofill left there is replaced, not appended to.
    assert readings["Vorname"] == ("Ada", "Ada")
    assert readings["Nachname"] == ("Lovelace", "Lovelace")
    assert readings["E-Mail-Adresse"] == ("ada@example.org",) * 2
    assert readings["E-Mail wiederholen"] == ("ada@example.org",) * 2
    assert readings["Ländervorwahl"] == ("Vereinigte Staaten (+1)",) * 2
    assert readings["Telefonnummer"] == ("415 555 0134",) * 2
    assert readings["Aktueller Arbeitgeber"] == ("Analytical Engines Ltd",) * 2
    assert readings["Wohnort"] == ("San Francisco, California, United States",) * 2
    assert readings["LinkedIn-Profil"] == ("https://www.linkedin.com/in/ada-lovelace",) * 2
    assert readings["Lebenslauf hochladen"] == (resume.name,) * 2  # a hidden file input behind a button
    # Germany is in the EU, where the profile may work: no sponsorship needed.
    assert readings["Benötigen Sie ein Visum-Sponsoring für die Arbeit in Deutschland?"] == ("Nein",) * 2
    assert readings["Disability Status"] == (DISABILITY_DECLINED,) * 2
    assert readings["Ich habe die Datenschutzerklärung gelesen und bin einverstanden."] == ("Yes", "Yes")
    # Left alone: the marketing consent and the off-screen honeypot; the motivation is the user's to give.
    assert readings["Ich möchte über zukünftige Stellen und Newsletter informiert werden."] == (None, "")
    assert readings["Website"] == (None, "")
    assert readings["Warum möchten Sie bei uns arbeiten?"] == (None, "")

    by_label = {field.label: field for field in filled.fields}
    assert by_label["Vorname"].source is FillSource.UNIVERSAL
    assert by_label["Warum möchten Sie bei uns arbeiten?"].reason is EmptyReason.ASKED
    assert by_label["Ich möchte über zukünftige Stellen und Newsletter informiert werden."].reason is (
        EmptyReason.LEFT_ALONE
    )
    assert by_label["Website"].reason is EmptyReason.LEFT_ALONE
    assert [q.label for q in questions] == ["Warum möchten Sie bei uns arbeiten?"]
    assert plain_site.submissions == [], "filling sent the form"


@pytest.mark.skipif(corpus_missing() is not None, reason=str(corpus_missing()))
async def test_the_real_greenhouse_page_has_its_leftover_values_replaced(
    browser_options: BrowserOptions, profile: Profile, resume: Path
) -> None:
    async with SavedPageSite(folder="greenhouse-axon") as site, open_browser(browser_options) as browser:
        adapter = await open_application(browser, site.posting_url)
        filled = await adapter.fill(browser, profile, ApplicantFiles(resume=resume))
        posts = list(site.posts)

    readings = readings_by_label(filled)
    assert readings["First Name"] == ("Ada", "Ada")  # the saver's extension had typed "Johnfdafadafd"
    assert readings["Email"] == ("ada@example.org",) * 2
    assert readings["LinkedIn Profile"] == ("https://www.linkedin.com/in/ada-lovelace",) * 2
    assert readings["What city do you currently reside in?"] == ("San Francisco",) * 2
    assert readings["Privacy Policy"] == ("Yes", "Yes")  # required to apply
    assert posts == []


async def test_lever_current_company_comes_from_the_profile(
    browser_options: BrowserOptions, profile: Profile, resume: Path
) -> None:
    async with LeverJobSite() as site, open_browser(browser_options) as browser:
        adapter = await open_application(browser, site.posting_url)
        assert isinstance(adapter, LeverAdapter)
        filled = await adapter.fill(browser, profile, ApplicantFiles(resume=resume))

    readings = readings_by_label(filled)
    assert readings["Current company"] == ("Analytical Engines Ltd",) * 2
    assert readings["Disability status"] == ("I don't wish to answer",) * 2
    assert site.submissions == []
