"""Known ATS adapters and finding the one that serves a page.

`open_application` is the entry point: it opens a job link, follows the posting's
"Apply" link or button (never a form's own submit button) or an embedded ATS frame to the form,
and picks the adapter. Which adapter serves a page is decided by the page's content against
each adapter's `VendorSignature` (automation/adapters/vendors.py), on any host; the URL is a
fast path only.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal
from urllib.parse import urlsplit

from automation import page_js, submit_guard
from automation.adapters.ashby import AshbyAdapter
from automation.adapters.base import (
    ApplicantFiles,
    FieldReading,
    FilledForm,
    FormAdapter,
    SubmitOutcome,
    SubmitResult,
    UnsupportedForm,
)
from automation.adapters.greenhouse import GreenhouseAdapter
from automation.adapters.greenhouse_classic import ClassicGreenhouseAdapter
from automation.adapters.lever import LeverAdapter
from automation.adapters.smartrecruiters import SmartRecruitersAdapter
from automation.adapters.teamtailor import TeamtailorAdapter
from automation.adapters.universal import UniversalAdapter, shows_application_form
from automation.adapters.vendor_forms import SIGNATURES as UNIVERSAL_VENDORS
from automation.adapters.vendors import PageVendors, VendorSignature, recognise
from automation.adapters.workable import WorkableAdapter
from automation.adapters.workday import WorkdayAdapter

if TYPE_CHECKING:
    from browser_use import BrowserSession

__all__ = [
    "ADAPTERS",
    "ApplicantFiles",
    "AshbyAdapter",
    "ClassicGreenhouseAdapter",
    "FieldReading",
    "FilledForm",
    "FormAdapter",
    "GreenhouseAdapter",
    "LeverAdapter",
    "SmartRecruitersAdapter",
    "SubmitOutcome",
    "SubmitResult",
    "TeamtailorAdapter",
    "UniversalAdapter",
    "UnsupportedForm",
    "WorkableAdapter",
    "WorkdayAdapter",
    "detect_adapter",
    "open_application",
]

# The classic Greenhouse form before the new one: both claim boards.greenhouse.io.
ADAPTERS: tuple[type[FormAdapter], ...] = (
    ClassicGreenhouseAdapter,
    GreenhouseAdapter,
    AshbyAdapter,
    SmartRecruitersAdapter,
    LeverAdapter,
    WorkableAdapter,
    TeamtailorAdapter,
    WorkdayAdapter,
)

FORM_APPEAR_TIMEOUT_S = 3.0
MAX_STEPS = 3  # e.g. careers page -> "Apply" button -> embedded ATS frame
POLL_INTERVAL_S = 0.2

APPLY_CANDIDATES = "a[href], button, [role='button'], input[type='button']"
APPLY_TEXT = (
    r"^\s*(apply(\s+now|\s+here|\s+(for|to)\s+(this\s+)?(job|position|role))?"
    r"|(jetzt\s+)?bewerben|postuler(\s+maintenant)?|(aplicar|solicitar)(\s+ahora)?)\s*[!.]?\s*$"
)
APPLY_MARKER = "data-nyx-apply"


def _signatures() -> list[VendorSignature]:
    own = [adapter.signature for adapter in ADAPTERS if adapter.signature is not None]
    return [*own, *UNIVERSAL_VENDORS]


async def _recognise(browser: BrowserSession) -> PageVendors:
    return await recognise(browser, _signatures())


async def detect_adapter(browser: BrowserSession, url: str) -> FormAdapter:
    """The adapter for the page the browser is on (reached from `url`); raises UnsupportedForm."""
    on_page = (await _recognise(browser)).forms
    for adapter in ADAPTERS:
        if adapter.matches_url(url) or (adapter.signature is not None and adapter.signature.name in on_page):
            return adapter()
    for vendor in UNIVERSAL_VENDORS:  # vendors whose forms the universal filler fills alone
        if vendor.matches_url(url) or vendor.name in on_page:
            return UniversalAdapter(vendor)
    if await UniversalAdapter.matches_page(browser):
        return UniversalAdapter()  # no vendor claims it: filled by the meaning of its controls
    host = urlsplit(url).hostname or url
    raise UnsupportedForm(f"{host} is not a job application form: the page shows no form to fill.")


async def open_application(
    browser: BrowserSession, url: str, *, guard: Callable[[str], Awaitable[object]] | None = None
) -> FormAdapter:
    """Open a job link and get to its application form; returns the adapter that fills it.

    `guard` vets every address on the way (the link, each followed link or frame, and wherever
    the page ended up after redirects) and raises to stop there.
    """
    _require_web_address(url)
    if guard is not None:
        await guard(url)
    await browser.navigate_to(url)
    for _ in range(MAX_STEPS):
        await _guard_new_frames(browser)
        if guard is not None:
            await guard(await page_js.current_url(browser))
        way_in = await _wait_for_way_in(browser, accept=frozenset({"form", "frame", "link", "button"}))
        if way_in is None or way_in.kind == "form":
            break
        if guard is not None and way_in.url:
            await guard(way_in.url)
        await _take(browser, way_in)
    here = await page_js.current_url(browser)
    if guard is not None:
        await guard(here)
    return await detect_adapter(browser, here)


@dataclass(frozen=True)
class _WayIn:
    kind: Literal["form", "frame", "link", "button"]
    url: str | None = None


async def _way_in(browser: BrowserSession) -> _WayIn | None:
    """What the page offers: a known form, a frame holding one, a link to one, or an "Apply" link or button."""
    found = await _recognise(browser)
    if found.forms:
        return _WayIn("form")
    if embedded := found.frame or found.link:
        return _WayIn("frame", embedded)
    if await shows_application_form(browser):
        return _WayIn("form")  # no vendor's, but an application form all the same: the universal filler's
    # Only a link or button outside every form: the form's own "Apply" button would send it.
    apply = await page_js.mark_way_in(browser, APPLY_CANDIDATES, APPLY_TEXT, APPLY_MARKER)
    if not apply:
        return None
    href = apply.get("href")
    if href and urlsplit(href).scheme in ("http", "https") and not _same_document(href, apply["here"]):
        return _WayIn("link", href)
    return _WayIn("button")


async def _wait_for_way_in(browser: BrowserSession, accept: frozenset[str]) -> _WayIn | None:
    """Pages that render with JavaScript get FORM_APPEAR_TIMEOUT_S to show their form or way in."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + FORM_APPEAR_TIMEOUT_S
    while True:
        try:
            way_in = await _way_in(browser)
        except Exception:  # noqa: BLE001 - between documents there is briefly no page to ask
            way_in = None
        if way_in is not None and way_in.kind in accept:
            return way_in
        if loop.time() >= deadline:
            return None
        await asyncio.sleep(POLL_INTERVAL_S)


async def _take(browser: BrowserSession, way_in: _WayIn) -> None:
    if way_in.kind == "button":
        await page_js.click(browser, f"[{APPLY_MARKER}]")
        # Give the click time to reveal the form (or its frame) before looking for other ways.
        await _wait_for_way_in(browser, accept=frozenset({"form", "frame"}))
    elif way_in.url:
        await browser.navigate_to(way_in.url)


async def _guard_new_frames(browser: BrowserSession) -> None:
    """The session's submit guard follows new tabs and frames itself; this also covers any it missed."""
    if (session_guard := submit_guard.guard_of(browser)) is not None:
        await session_guard.cover(browser)


def _same_document(href: str, here: str) -> bool:
    """An in-page anchor ("#application"): following it scrolls or reveals, it does not navigate."""
    return href.split("#", 1)[0] == here.split("#", 1)[0]


def _require_web_address(url: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsupportedForm(f"Only web links (http or https) can be opened, not {url[:100]!r}.")
