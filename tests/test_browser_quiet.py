"""Chromium stays quiet: a session on a local page asks Google (and the search engine) for nothing
that a switch or a preference can stop; the egress proxy's refusals are the record."""

from __future__ import annotations

import asyncio

import pytest

from automation.browser import BrowserOptions, open_browser
from automation.egress import EgressProxy

pytestmark = pytest.mark.browser

WAIT = 60.0
# No Chromium switch or preference stops these two (see QUIET_PREFERENCES in automation/browser.py);
# the proxy refuses them before any connection. Waiting for them is how the test knows Chromium's
# start-up chatter has happened, instead of sleeping.
UNSWITCHABLE = ("accounts.google.com", "update.googleapis.com")


async def test_a_session_on_a_local_page_asks_nothing_else_of_google(browser_options: BrowserOptions, job_site):
    egress = EgressProxy(allow_hosts=browser_options.allow_hosts, resolver=browser_options.resolver)
    async with open_browser(browser_options, egress=egress) as browser:
        await browser.navigate_to(job_site.posting_url)
        page = await browser.get_current_page()
        assert "Backend" in await page.evaluate("() => document.title + document.body.innerText")
        async with asyncio.timeout(WAIT):
            for host in UNSWITCHABLE:
                await egress.refusal_of(host)
    refused = sorted({refusal.host for refusal in egress.refusals})
    assert set(refused) <= set(UNSWITCHABLE), f"background traffic the switches should have stopped: {refused}"
