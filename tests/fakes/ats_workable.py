"""A local copy of a Workable job and its application form (apply.workable.com shape) on 127.0.0.1.

Every page under `/<account>/j/<shortcode>/` is the same single-page app: it fetches the job
from `/api/v2/accounts/<account>/jobs/<shortcode>` and renders the overview, the application
form (`.../apply/`) or the thank-you (`.../apply/success`). The form's own script validates,
posts multipart to `/api/v1/jobs/<shortcode>/apply` by fetch and, once accepted, shows
"Thank you for applying!" and moves the address to `.../apply/success` with history.pushState.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

APP_PAGE = Path(__file__).parent / "sites" / "workable" / "app.html"

ACCOUNT = "orbital-freight"
SHORTCODE = "7C1A2B9E4D"
COMPANY = "Orbital Freight"
TITLE = "Site Reliability Engineer"
LOCATION = "Lisbon, Portugal"

QUESTIONS = {
    "linkedin": "LinkedIn profile",
    "salary": "What are your salary expectations?",
    "why": f"Why do you want to join {COMPANY}?",
    "authorized": "Are you authorized to work in the European Union?",
    "source": "How did you hear about this job?",
    "languages": "Which languages do you speak fluently?",
}
REQUIRED_FIELDS = {
    "firstname": "First name is required",
    "lastname": "Last name is required",
    "email": "Email is required",
    "CA_18444": "This question is required",
}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class Submission:
    """One accepted application POST."""

    fields: dict[str, str | list[str]]  # a name posted more than once (checkboxes) keeps every value
    files: dict[str, tuple[str, bytes]]  # field name -> (filename, content)


@dataclass
class WorkableJobSite:
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
    def job_url(self) -> str:
        return self.url_for(f"/{ACCOUNT}/j/{SHORTCODE}/")

    @property
    def apply_url(self) -> str:
        return self.url_for(f"/{ACCOUNT}/j/{SHORTCODE}/apply/")

    @property
    def success_url(self) -> str:
        return self.url_for(f"/{ACCOUNT}/j/{SHORTCODE}/apply/success")

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get(f"/{ACCOUNT}/j/{SHORTCODE}/{{route:.*}}", self._app)
        app.router.add_get(f"/api/v2/accounts/{ACCOUNT}/jobs/{SHORTCODE}", self._job)
        app.router.add_post(f"/api/v1/jobs/{SHORTCODE}/apply", self._apply)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, 0).start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> WorkableJobSite:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    async def wait_for_submission(self, timeout: float, count: int = 1) -> Submission:
        """The `count`-th accepted submission, once it has arrived."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: len(self.submissions) >= count), timeout)
            return self.submissions[count - 1]

    async def _app(self, request: web.Request) -> web.Response:
        return web.Response(text=APP_PAGE.read_text(encoding="utf-8"), content_type="text/html")

    async def _job(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "shortcode": SHORTCODE,
                "title": TITLE,
                "company": COMPANY,
                "location": LOCATION,
                "description": f"{COMPANY} moves containers by rocket. Keep our launch schedulers up.",
                "questions": QUESTIONS,
            }
        )

    async def _apply(self, request: web.Request) -> web.Response:
        fields: dict[str, str | list[str]] = {}
        files: dict[str, tuple[str, bytes]] = {}
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):
                files[name] = (value.filename, value.file.read())
            elif name in fields:
                earlier = fields[name]
                fields[name] = [*earlier, str(value)] if isinstance(earlier, list) else [earlier, str(value)]
            else:
                fields[name] = str(value)
        errors = validate(fields, files)
        if errors:
            self.rejected_posts += 1
            return web.json_response({"errors": errors}, status=422)
        async with self._changed:
            self.submissions.append(Submission(fields, files))
            self._changed.notify_all()
        return web.json_response({"status": "applied"}, status=201)


def validate(fields: dict[str, str | list[str]], files: dict[str, tuple[str, bytes]]) -> dict[str, str]:
    """Server-side checks, keyed by field name like the page's own."""
    errors = {name: message for name, message in REQUIRED_FIELDS.items() if not str(fields.get(name, "")).strip()}
    if "email" not in errors and not EMAIL.match(str(fields["email"]).strip()):
        errors["email"] = "Enter a valid email address"
    if fields.get("gdpr") != "true":
        errors["gdpr"] = "Please accept the privacy notice to continue"
    if "resume" not in files or not files["resume"][1]:
        errors["resume"] = "Resume is required"
    return errors
