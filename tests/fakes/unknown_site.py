"""A company's own job application page on 127.0.0.1: a plain HTML form no adapter knows.

`GET /jobs/42/apply` is a multipart form with no ATS markers (odd field names, no ATS ids or
classes): name, e-mail, phone, a résumé upload, one custom question and a "Submit application"
button. The browser posts it natively to the same address; the server records every POST it
receives (valid or not) and, when the required fields are there, redirects to `/jobs/42/thanks`
("Thank you for applying"), else re-renders the form with a 422.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from tests.fakes.local_site import LocalSite, Submission, render_template

TEMPLATE = Path(__file__).parent / "sites" / "unknown_ats" / "apply.html"

COMPANY = "Lighthouse Cartography"
TITLE = "Backend Engineer (Maps)"
LOCATION = "Porto, Portugal"
QUESTION = "Which lighthouse would you most like to map, and why?"
APPLY_PATH = "/jobs/42/apply"
THANKS_PATH = "/jobs/42/thanks"
REQUIRED_FIELDS = ("who", "reach", "puzzle")

THANKS_PAGE = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Thanks | {COMPANY}</title></head>
<body><h1>Thank you for applying!</h1><p>We will read every word.</p></body></html>"""


Post = Submission  # one POST of the application form, as the server received it


@dataclass
class UnknownJobSite(LocalSite):
    """Records every POST, valid or not: `posts` is `submissions` under this site's own name."""

    posting_path = APPLY_PATH

    @property
    def posts(self) -> list[Post]:
        return self.submissions

    @property
    def apply_url(self) -> str:
        return self.posting_url

    def routes(self, app: web.Application) -> None:
        app.router.add_get(APPLY_PATH, self._form)
        app.router.add_post(APPLY_PATH, self._apply)
        app.router.add_get(THANKS_PATH, self.page(THANKS_PAGE))

    async def wait_for_post(self, timeout: float, count: int = 1) -> Post:
        """The `count`-th POST, once it has arrived."""
        return await self.wait_for_submission(timeout, count)

    async def _form(self, request: web.Request) -> web.Response:
        return self.html_response(render_form())

    async def _apply(self, request: web.Request) -> web.Response:
        fields, files = await self.read_multipart(request)
        await self.record(Post(fields, files))
        missing = [name for name in REQUIRED_FIELDS if not fields.get(name, "").strip()]
        if missing or not files.get("papers", ("", b""))[1]:
            return self.html_response(render_form(), status=422)
        raise web.HTTPSeeOther(THANKS_PATH)


def render_form() -> str:
    values = {
        "company": COMPANY,
        "title": TITLE,
        "location": LOCATION,
        "question": QUESTION,
        "action": APPLY_PATH,
    }
    return render_template(TEMPLATE, {name: html.escape(value) for name, value in values.items()})
