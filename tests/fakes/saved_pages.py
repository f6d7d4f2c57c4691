"""Real vendors' application pages, saved with a browser's "save page, complete", served on 127.0.0.1.

The pages are the steering repo's `shared/ats-real/<folder>/` (its README gives each one's source
and licence), found at `../shared/ats-real` beside the project root or at `NYX_REAL_PAGES_DIR`;
what we expect of each page is ours, in `tests/fixtures/real_pages/<folder>/expected.yaml`. Every response carries a Content-Security-Policy that lets the page load only from its
own origin, so a saved page's scripts may run while nothing leaves the machine; `scripts=False`
blocks scripts altogether (single-page apps that wipe their saved DOM without their API).
A POST to any path is recorded, so a test can prove that nothing was submitted. A saved form
usually posts to the vendor's absolute address, which the policy's `form-action 'self'` blocks:
the browser then reports the blocked submission to `/__csp-report`, recorded in `blocked_submissions`.
"""

from __future__ import annotations

import asyncio
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from tests.fakes.local_site import LocalSite, Submission

_PROJECT = Path(__file__).resolve().parents[2]
CORPUS = Path(os.environ.get("NYX_REAL_PAGES_DIR") or _PROJECT.parent / "shared" / "ats-real")
EXPECTATIONS = _PROJECT / "tests" / "fixtures" / "real_pages"


def corpus_missing() -> str | None:
    """Why the saved pages cannot be served here, or None when they can."""
    if CORPUS.is_dir():
        return None
    return f"the saved real pages are not at {CORPUS} (set NYX_REAL_PAGES_DIR to shared/ats-real)"


def saved_page_folders() -> list[str]:
    """Every saved page's folder name in the corpus (none when it is missing)."""
    if corpus_missing():
        return []
    return sorted(p.name for p in CORPUS.iterdir() if p.is_dir())


def _page_file(folder: Path) -> Path:
    pages = sorted(folder.glob("*.html")) + sorted(folder.glob("*.htm"))
    if not pages:
        raise FileNotFoundError(f"no saved page in {folder}")
    return pages[0]


@dataclass
class SavedPageSite(LocalSite):
    """One saved page at `/page.html`, its `_files` folder beside it, every POST recorded."""

    folder: str = ""
    scripts: bool = True
    posts: list[str] = field(default_factory=list)
    form_posts: list[str] = field(default_factory=list)  # POSTs that carried a form (multipart or urlencoded)
    blocked_submissions: list[str] = field(default_factory=list)  # form submissions the policy stopped: their target

    @property
    def submission_attempts(self) -> list[str]:
        """Every form the page sent or tried to send, wherever to: what must stay empty before approval."""
        return [*self.form_posts, *self.blocked_submissions]

    async def wait_for_blocked_submission(self, timeout: float) -> str:
        """The target of the first form submission the policy stopped, once the browser has reported it."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: bool(self.blocked_submissions)), timeout)
            return self.blocked_submissions[0]

    @property
    def page_path(self) -> Path:
        return _page_file(CORPUS / self.folder)

    @property
    def posting_path(self) -> str:  # type: ignore[override]
        return "/" + quote(self.page_path.name)

    def routes(self, app: web.Application) -> None:
        root = CORPUS / self.folder
        script_policy = "'self' 'unsafe-inline' 'unsafe-eval'" if self.scripts else "'none'"
        policy = (
            "default-src 'self' data: blob: 'unsafe-inline'; "
            f"script-src {script_policy}; "
            "img-src 'self' data: blob:; connect-src 'self'; frame-src 'self'; form-action 'self'; "
            "report-uri /__csp-report"
        )

        @web.middleware
        async def confined(request: web.Request, handler):
            response = await handler(request)
            response.headers["Content-Security-Policy"] = policy
            return response

        async def record_post(request: web.Request) -> web.Response:
            self.posts.append(request.path)
            is_form = request.content_type.startswith(("multipart/", "application/x-www-form-urlencoded"))
            if is_form:
                self.form_posts.append(request.path)
            fields, files = await self.read_multipart(request) if is_form else ({}, {})
            await self.record(Submission(fields, files))
            return self.html_response("<p>recorded</p>")

        async def record_violation(request: web.Request) -> web.Response:
            try:
                report = json.loads(await request.text()).get("csp-report", {})
            except ValueError:
                report = {}
            if str(report.get("effective-directive") or report.get("violated-directive", "")).startswith("form-action"):
                async with self._changed:
                    self.blocked_submissions.append(str(report.get("blocked-uri", "")))
                    self._changed.notify_all()
            return web.Response(status=204)

        async def submitting_on_load(request: web.Request) -> web.Response:
            # The saved page, plus a script that sends the form named by ?form= once loaded: how a test
            # proves that a submission is seen, in a plain browser without our submit guard.
            form = json.dumps(request.query.get("form", "form")).replace("<", "\\u003c")
            script = (
                "<script>addEventListener('load', () => HTMLFormElement.prototype.submit.call("
                f"document.querySelector({form})));</script>"
            )
            return self.html_response(self.page_path.read_text(encoding="utf-8") + script)

        app.middlewares.append(confined)
        app.router.add_get("/__submitting-on-load", submitting_on_load)
        app.router.add_post("/__csp-report", record_violation)
        app.router.add_post("/{tail:.*}", record_post)
        app.router.add_static("/", root, show_index=False, append_version=False)
