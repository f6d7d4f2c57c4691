"""What every local fake job site shares: an aiohttp server on 127.0.0.1 and its submissions.

A site subclasses `LocalSite`, adds its pages in `routes(app)` (`self.page(html)` serves a fixed
page), reads a POST with `await self.read_multipart(request)` and, once it accepts it, calls
`await self.record(Submission(fields, files))`; tests `await site.wait_for_submission(...)`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Self

from aiohttp import web

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Fields = dict[str, Any]  # field name -> str, or list[str] for a name posted more than once (see read_multipart)
Files = dict[str, tuple[str, bytes]]  # field name -> (filename, content)


@dataclass(frozen=True)
class Submission:
    """One POST a site recorded: its form fields and uploaded files."""

    fields: Fields
    files: Files


async def read_multipart(request: web.Request, *, repeated: bool = False) -> tuple[Fields, Files]:
    """A POSTed form's text fields and uploaded files.

    An empty file input (a part with no file name and no content) is left out. A name posted
    more than once keeps its last value, or with `repeated` (checkboxes) every value in a list.
    """
    fields: Fields = {}
    files: Files = {}
    for name, value in (await request.post()).items():
        if isinstance(value, web.FileField):
            content = value.file.read()
            if value.filename or content:
                files[name] = (value.filename, content)
        elif isinstance(value, (bytes, bytearray)):
            continue  # an empty file input still sends a part, with no file name
        elif repeated and name in fields:
            earlier = fields[name]
            fields[name] = [*earlier, str(value)] if isinstance(earlier, list) else [earlier, str(value)]
        else:
            fields[name] = str(value)
    return fields, files


def html_response(text: str, status: int = 200) -> web.Response:
    return web.Response(text=text, content_type="text/html", status=status)


def page(body: str):
    """A handler that always answers with the HTML `body`."""

    async def handler(request: web.Request) -> web.Response:
        return html_response(body)

    return handler


def render_template(template: Path, values: Mapping[str, str]) -> str:
    """`template` with each `{{name}}` replaced by its value (values are inserted as given)."""
    text = template.read_text(encoding="utf-8")
    for name, value in values.items():
        text = text.replace("{{" + name + "}}", value)
    return text


@dataclass
class LocalSite:
    """A fake site served on `host` at a free port between `start()` and `stop()`."""

    posting_path: ClassVar[str]  # where the job posting is, set by each site

    # The module's helpers, also as `self.…` so that a site needs to import only `LocalSite`.
    read_multipart = staticmethod(read_multipart)
    html_response = staticmethod(html_response)
    page = staticmethod(page)

    host: str = "127.0.0.1"
    submissions: list[Submission] = field(default_factory=list)
    rejected_posts: int = 0
    _runner: web.AppRunner | None = None
    _port: int | None = None
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    def routes(self, app: web.Application) -> None:
        """Add the site's pages and endpoints to `app`."""
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("the job site is not started")
        return f"http://{self.host}:{self._port}"

    def url_for(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    @property
    def posting_url(self) -> str:
        return self.url_for(self.posting_path)

    async def start(self) -> None:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, 0).start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def record(self, submission: Submission) -> None:
        async with self._changed:
            self.submissions.append(submission)
            self._changed.notify_all()

    async def accept(self, submission: Submission, errors: Mapping[str, str]) -> bool:
        """Record `submission` if the server found no `errors`, else count a rejected POST."""
        if errors:
            self.rejected_posts += 1
            return False
        await self.record(submission)
        return True

    async def wait_for_submission(self, timeout: float, count: int = 1) -> Submission:
        """The `count`-th recorded submission, once it has arrived."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.submissions) >= count), timeout)
            return self.submissions[count - 1]
