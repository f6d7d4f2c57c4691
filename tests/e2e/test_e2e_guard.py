"""A page that leads the browser towards a private address is stopped before the browser goes there."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
import pytest_asyncio
from aiohttp import web

from tests.support import ALLOWED_USER
from tests.support.chat import WAIT, card_for, load_profile

pytestmark = pytest.mark.browser

LURE = """<!doctype html><html><head><title>Backend Engineer</title></head><body>
<h1>Backend Engineer</h1><p>Great job.</p>
<a href="http://169.254.169.254/latest/meta-data/apply">Apply now</a>
</body></html>"""


@pytest_asyncio.fixture
async def lure_site() -> AsyncIterator[tuple[str, list[str]]]:
    """The lure page's URL, and the paths it was asked for."""
    visits: list[str] = []

    async def page(request: web.Request) -> web.Response:
        visits.append(request.path)
        return web.Response(text=LURE, content_type="text/html")

    app = web.Application()
    app.router.add_get("/jobs/lure", page)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}/jobs/lure", visits
    await runner.cleanup()


async def test_apply_link_to_a_metadata_address_is_refused(nyx, fake_telegram, lure_site, db):
    url, visits = lure_site
    user = fake_telegram.user(ALLOWED_USER)
    await load_profile(fake_telegram, user)
    await user.send(url)
    card = await card_for(fake_telegram, user, url)
    await user.tap(card, "Apply")
    failed = await fake_telegram.wait_for_message(
        lambda m: m.message_id == card.message_id and "failed" in m.body, timeout=WAIT
    )
    assert "link-local or cloud-metadata" in failed.body
    # Once to read the posting for the card, once by the browser; nothing after it.
    assert visits == ["/jobs/lure", "/jobs/lure"]
    assert await db.fetchval("SELECT submit_started_at FROM applications") is None
