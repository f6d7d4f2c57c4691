"""Real vendors' application pages, saved with a browser's "save page, complete", served on 127.0.0.1.

The pages live in `tests/fixtures/ats_real/<folder>/` (see its README for each one's source and
licence). Every response carries a Content-Security-Policy that lets the page load only from its
own origin, so a saved page's scripts may run while nothing leaves the machine; `scripts=False`
blocks scripts altogether (single-page apps that wipe their saved DOM without their API).
A POST to any path is recorded, so a test can prove that nothing was submitted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from tests.fakes.local_site import LocalSite, Submission

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "ats_real"


def saved_page_folders() -> list[str]:
    """Every saved page's folder name in the corpus."""
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
            "img-src 'self' data: blob:; connect-src 'self'; frame-src 'self'; form-action 'self'"
        )

        @web.middleware
        async def confined(request: web.Request, handler):  # type: ignore[no-untyped-def]
            response = await handler(request)
            response.headers["Content-Security-Policy"] = policy
            return response

        async def record_post(request: web.Request) -> web.Response:
            self.posts.append(request.path)
            fields, files = await self.read_multipart(request) if request.content_type.startswith(
                ("multipart/", "application/x-www-form-urlencoded")) else ({}, {})
            await self.record(Submission(fields, files))
            return self.html_response("<p>recorded</p>")

        app.middlewares.append(confined)
        app.router.add_post("/{tail:.*}", record_post)
        app.router.add_static("/", root, show_index=False, append_version=False)
