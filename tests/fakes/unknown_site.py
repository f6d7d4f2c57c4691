"""A company's own job application page on 127.0.0.1: a plain HTML form no adapter knows.

`GET /jobs/42/apply` is a multipart form with no ATS markers (odd field names, no ATS ids or
classes): name, e-mail, phone, a résumé upload, one custom question and a "Submit application"
button. The browser posts it natively to the same address; the server records every POST it
receives (valid or not) and, when the required fields are there, redirects to `/jobs/42/thanks`
("Thank you for applying"), else re-renders the form with a 422.
"""

from __future__ import annotations

import asyncio
import html
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

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


@dataclass(frozen=True)
class Post:
    """One POST of the application form, as the server received it."""

    fields: dict[str, str]
    files: dict[str, tuple[str, bytes]]  # field name -> (filename, content)


@dataclass
class UnknownJobSite:
    host: str = "127.0.0.1"
    posts: list[Post] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    _port: int | None = None
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("the job site is not started")
        return f"http://{self.host}:{self._port}"

    @property
    def apply_url(self) -> str:
        return f"{self.base_url}{APPLY_PATH}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get(APPLY_PATH, self._form)
        app.router.add_post(APPLY_PATH, self._apply)
        app.router.add_get(THANKS_PATH, self._thanks)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, 0).start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> UnknownJobSite:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def wait_for_post(self, timeout: float, count: int = 1) -> Post:
        """The `count`-th POST, once it has arrived."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.posts) >= count), timeout)
            return self.posts[count - 1]

    async def _form(self, request: web.Request) -> web.Response:
        return web.Response(text=render_form(), content_type="text/html")

    async def _thanks(self, request: web.Request) -> web.Response:
        return web.Response(text=THANKS_PAGE, content_type="text/html")

    async def _apply(self, request: web.Request) -> web.Response:
        fields: dict[str, str] = {}
        files: dict[str, tuple[str, bytes]] = {}
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                files[name] = (value.filename, value.file.read())
            else:
                fields[name] = str(value)
        async with self._changed:
            self.posts.append(Post(fields, files))
            self._changed.notify_all()
        missing = [name for name in REQUIRED_FIELDS if not fields.get(name, "").strip()]
        if missing or not files.get("papers", ("", b""))[1]:
            return web.Response(text=render_form(), content_type="text/html", status=422)
        raise web.HTTPSeeOther(THANKS_PATH)


def render_form() -> str:
    values = {
        "company": COMPANY,
        "title": TITLE,
        "location": LOCATION,
        "question": QUESTION,
        "action": APPLY_PATH,
    }
    page = TEMPLATE.read_text(encoding="utf-8")
    for name, value in values.items():
        page = page.replace("{{" + name + "}}", html.escape(value))
    return page
