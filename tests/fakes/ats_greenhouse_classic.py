"""A local classic Greenhouse job board (boards.greenhouse.io page shape) on 127.0.0.1.

`GET /acme/jobs/4098765` is the posting with `form#application_form`, a server-rendered form
posted natively as multipart to the same address: `job_application[...]` fields, custom
answers as `job_application[answers_attributes][N][...]` and EEO selects. The page's script
checks required fields before posting; the server checks again and either re-renders the form
with `#error_flash` and field errors or redirects to `/acme/jobs/4098765/confirmation`.
"""

from __future__ import annotations

import asyncio
import html
import re
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from tests.fakes.job_site import CONFIRMATION_PAGE, Submission

TEMPLATE = Path(__file__).parent / "sites" / "greenhouse_classic" / "posting.html"

BOARD = "acme"
JOB_ID = 4098765
COMPANY = "Acme Rockets"
TITLE = "Flight Software Engineer"
LOCATION = "Berlin, Germany"

# answers_attributes index -> Greenhouse question id
QUESTION_IDS = {0: "4401", 1: "4402", 2: "4403", 3: "4404", 4: "4405", 5: "4406"}
WORK_PERMIT = "job_application[answers_attributes][2][boolean_value]"

REQUIRED_FIELDS = {
    "job_application[first_name]": "First Name can't be blank",
    "job_application[last_name]": "Last Name can't be blank",
    "job_application[email]": "Email can't be blank",
    "job_application[location]": "Location can't be blank",
    WORK_PERMIT: "Are you legally authorized to work in Germany? can't be blank",
}
RESUME = "job_application[resume]"
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
ERROR_FLASH = "There were errors with your submission. Please correct the fields below and resubmit."


@dataclass
class ClassicGreenhouseJobSite:
    host: str = "127.0.0.1"
    submissions: list[Submission] = field(default_factory=list)
    rejected_posts: int = 0
    _runner: web.AppRunner | None = None
    _port: int | None = None
    _changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("the job site is not started")
        return f"http://{self.host}:{self._port}"

    def url_for(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    @property
    def posting_url(self) -> str:
        return self.url_for(f"/{BOARD}/jobs/{JOB_ID}")

    @property
    def confirmation_url(self) -> str:
        return self.url_for(f"/{BOARD}/jobs/{JOB_ID}/confirmation")

    async def start(self) -> None:
        app = web.Application()
        posting = f"/{BOARD}/jobs/{JOB_ID}"
        app.router.add_get(posting, self._posting)
        app.router.add_post(posting, self._apply)
        app.router.add_get(f"{posting}/confirmation", self._confirmation)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, 0).start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> ClassicGreenhouseJobSite:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def wait_for_submission(self, timeout: float, count: int = 1) -> Submission:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.submissions) >= count), timeout)
            return self.submissions[count - 1]

    async def _posting(self, request: web.Request) -> web.Response:
        return web.Response(text=render_posting(), content_type="text/html")

    async def _confirmation(self, request: web.Request) -> web.Response:
        return web.Response(text=CONFIRMATION_PAGE, content_type="text/html")

    async def _apply(self, request: web.Request) -> web.Response:
        fields: dict[str, str] = {}
        files: dict[str, tuple[str, bytes]] = {}
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                files[name] = (value.filename, value.file.read())
            elif isinstance(value, (bytes, bytearray)):
                continue  # an empty file input still sends a part, with no file name
            else:
                fields[name] = str(value)
        errors = validate(fields, files)
        if errors:
            self.rejected_posts += 1
            return web.Response(text=render_posting(errors), content_type="text/html")
        async with self._changed:
            self.submissions.append(Submission(fields, files))
            self._changed.notify_all()
        raise web.HTTPSeeOther(f"/{BOARD}/jobs/{JOB_ID}/confirmation")


def validate(fields: dict[str, str], files: dict[str, tuple[str, bytes]]) -> dict[str, str]:
    """Server-side checks, keyed by field name."""
    errors = {name: message for name, message in REQUIRED_FIELDS.items() if not fields.get(name, "").strip()}
    email = "job_application[email]"
    if email not in errors and not EMAIL.match(fields[email].strip()):
        errors[email] = "Email is not a valid email address"
    if RESUME not in files or not files[RESUME][1]:
        errors[RESUME] = "Resume/CV can't be blank"
    return errors


def render_posting(errors: dict[str, str] | None = None) -> str:
    """The posting page; after a rejected POST, with the flash and each field's error."""
    errors = errors or {}
    values = {
        "title": html.escape(TITLE),
        "company": html.escape(COMPANY),
        "location": html.escape(LOCATION),
        "action": f"/{BOARD}/jobs/{JOB_ID}",
        "flash": html.escape(ERROR_FLASH) if errors else "",
        "flash_hidden": "" if errors else "hidden",
    }
    page = TEMPLATE.read_text(encoding="utf-8")
    for name, value in values.items():
        page = page.replace("{{" + name + "}}", value)

    def field_error(match: re.Match[str]) -> str:
        message = errors.get(match.group(1))
        return f'<span class="field-error-msg">{html.escape(message)}</span>' if message else ""

    return re.sub(r"\{\{error:([^}]+)\}\}", field_error, page)
