"""Two workers' browsers share one X display: a second browser taking the focus must not blur the page
the first one is filling (an open dropdown would close and the pick would miss)."""

from __future__ import annotations

import pytest

from automation import page_js
from automation.browser import BrowserOptions, open_browser

pytestmark = pytest.mark.browser

EVENT_TIMEOUT_S = 30.0
MENU_OPEN_JS = "() => !!document.querySelector('#gender') && !!document.querySelector('.select-shell .select__menu')"


async def test_an_open_dropdown_stays_open_while_another_browser_takes_the_focus(
    browser_options: BrowserOptions, job_site
):
    async with open_browser(browser_options) as filling:
        await filling.navigate_to(job_site.posting_url)
        assert await page_js.wait_until(filling, "() => !!document.querySelector('#gender')", timeout_s=EVENT_TIMEOUT_S)
        await page_js.click(filling, "#gender")
        assert await page_js.wait_until(filling, MENU_OPEN_JS, timeout_s=EVENT_TIMEOUT_S)

        async with open_browser(browser_options) as other:
            await other.navigate_to(job_site.posting_url)
            # This one's page tells when its window really has the X focus: without emulation, it does
            # once the window manager-less display gave it the focus, i.e. the first window lost it.
            session = await other.get_or_create_cdp_session()
            await session.cdp_client.send.Emulation.setFocusEmulationEnabled(
                params={"enabled": False}, session_id=session.session_id
            )
            assert await page_js.wait_until(other, "() => document.hasFocus()", timeout_s=EVENT_TIMEOUT_S)

            state = await page_js.evaluate(
                filling, "() => ({menu: !!document.querySelector('.select__menu'), active: document.activeElement.id})"
            )
            assert state == {"menu": True, "active": "gender"}
            picked = await page_js.pick_listed_option(
                filling,
                ".select-shell:has(#gender) [role='option']",
                "Decline To Self Identify",
                timeout_s=EVENT_TIMEOUT_S,
            )
            assert picked == "Decline To Self Identify"
            shown = await page_js.evaluate(
                filling, "() => document.querySelector('.select-shell:has(#gender) .select__single-value').innerText"
            )
            assert shown == "Decline To Self Identify"
