"""A company's own application form that no vendor adapter knows (German labels, a honeypot, consents,
values a browser left in it), served on 127.0.0.1; every POST is recorded."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from tests.fakes.local_site import LocalSite, Submission

PAGE = Path(__file__).resolve().parent / "sites" / "plain_form" / "apply.html"


class PlainFormSite(LocalSite):
    posting_path = "/bewerbung"

    def routes(self, app: web.Application) -> None:
        app.router.add_get(self.posting_path, self.page(PAGE.read_text(encoding="utf-8")))

        async def record_post(request: web.Request) -> web.Response:
            fields, files = await self.read_multipart(request)
            await self.record(Submission(fields, files))
            return self.html_response("<p>Danke!</p>")

        app.router.add_post("/apply", record_post)
