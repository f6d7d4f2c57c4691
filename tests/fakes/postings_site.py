"""A local site of job-posting pages on 127.0.0.1, for reading postings over real HTTP.

Pages: a Greenhouse-style JSON-LD posting (`/jsonld`), a Yoast-style `@graph` with an
organisation reference and a broken JSON-LD block before it (`/graph`), a top-level JSON-LD
list with the company as a plain string (`/list`), pages without JSON-LD (`/og`, `/title`,
`/h1`), an employer page embedding a Greenhouse board (`/embedded`) and a windows-1252 page
(`/latin1`). Misbehaviour: `/redirect?to=URL` (any Location, relative or not), `/chain/N`
(N redirects, then `/jsonld`), `/loop`, `/big?bytes=N` (declared length), `/big-stream?bytes=N`
(chunked), `/slow` (headers and a first chunk, then waits on `release`, which only `stop` sets),
`/pdf`, `/json`, `/untyped` (HTML sent as application/octet-stream, the type aiohttp and
many servers give a body they know nothing about), `/empty`.

Every request's path and query lands in `requests`. `ConnectionTrap` is a bare listener that
counts the TCP connections it accepts: bind it where nothing may connect.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field

from aiohttp import web

TITLE = "Senior Backend Engineer"
COMPANY = "Acme Rockets"

JSONLD_POSTING = {
    "@context": "https://schema.org/",
    "@type": "JobPosting",
    "title": TITLE,
    "datePosted": "2026-01-05",
    # Greenhouse writes the description as entity-escaped HTML.
    "description": "&lt;p&gt;Build &lt;strong&gt;rockets&lt;/strong&gt; &amp;amp; ground systems.&lt;/p&gt;"
    "&lt;ul&gt;&lt;li&gt;Python&lt;/li&gt;&lt;li&gt;PostgreSQL&lt;/li&gt;&lt;/ul&gt;",
    "hiringOrganization": {"@type": "Organization", "name": COMPANY, "sameAs": "https://acme.example"},
    "jobLocation": {
        "@type": "Place",
        "address": {
            "@type": "PostalAddress",
            "addressLocality": "Berlin",
            "addressRegion": "Berlin",
            "addressCountry": "DE",
        },
    },
}

GRAPH = {
    "@context": "https://schema.org",
    "@graph": [
        {"@type": "WebPage", "@id": "https://globex.example/jobs/data-engineer", "name": "Data Engineer - Globex"},
        {"@type": "Organization", "@id": "https://globex.example/#org", "name": "Globex Corporation"},
        {
            "@type": ["JobPosting"],
            "title": "Data Engineer",
            "hiringOrganization": {"@id": "https://globex.example/#org"},
            "jobLocation": [
                {
                    "@type": "Place",
                    "address": {
                        "@type": "PostalAddress",
                        "addressLocality": "Lisbon",
                        "addressCountry": {"@type": "Country", "name": "Portugal"},
                    },
                },
                {"@type": "Place", "address": "Porto, Portugal"},
            ],
            "jobLocationType": "TELECOMMUTE",
            "applicantLocationRequirements": {"@type": "Country", "name": "Portugal"},
            "description": "<p>Own our <em>pipelines</em>.</p>",
        },
    ],
}

LIST = [
    {"@context": "https://schema.org", "@type": "BreadcrumbList", "itemListElement": []},
    {
        "@context": "https://schema.org",
        "@type": "http://schema.org/JobPosting",
        "name": "Site Reliability Engineer",
        "hiringOrganization": "Initech",
        "jobLocation": {"@type": "Place", "name": "Austin, TX"},
        "description": "Keep the TPS reports flowing.",
    },
]


def _json_ld(data: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(data)}</script>'


def _page(head: str, body: str) -> str:
    return f'<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">{head}</head><body>{body}</body></html>'


PAGES: dict[str, str] = {
    "/jsonld": _page(
        f"<title>Job Application for {TITLE} at {COMPANY}</title>{_json_ld(JSONLD_POSTING)}",
        f"<h1>{TITLE}</h1><p>Posting body.</p>",
    ),
    "/graph": _page(
        '<title>Data Engineer | Globex</title><script type="application/ld+json">{"@type": "Job'
        f"</script>{_json_ld(GRAPH)}",
        "<h1>Data Engineer</h1>",
    ),
    "/list": _page(f"<title>SRE</title>{_json_ld(LIST)}", "<h1>SRE</h1>"),
    "/og": _page(
        '<title>Careers | Hooli</title><meta property="og:title" content="Platform Engineer at Hooli">'
        '<meta property="og:site_name" content="Hooli">'
        '<meta property="og:description" content="Build the platform everyone builds on.">',
        "<nav>Home</nav><h1>Platform Engineer</h1><main><p>Details</p></main>",
    ),
    "/title": _page(
        "<title>Office Manager &amp; Events Lead</title>",
        "<nav>Menu</nav><main><h2>About the role</h2><p>Keep the office running.</p></main>",
    ),
    "/h1": _page("", "<header>Logo</header><h1>  Barista\n (part-time) </h1><p>Coffee, lots of it.</p>"),
    "/embedded": _page(
        "<title>Careers at Acme</title>",
        '<div id="grnhse_app"></div><script src="https://boards.greenhouse.io/embed/job_board/js?for=acme"></script>',
    ),
}


@dataclass
class PostingsSite:
    host: str = "127.0.0.1"
    requests: list[str] = field(default_factory=list)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    _runner: web.AppRunner | None = None
    _port: int | None = None

    @property
    def base_url(self) -> str:
        if self._port is None:
            raise RuntimeError("the postings site is not started")
        return f"http://{self.host}:{self._port}"

    def url_for(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    async def start(self) -> None:
        app = web.Application(middlewares=[self._record])
        for path, page in PAGES.items():
            app.router.add_get(path, _html(page))
        app.router.add_get("/latin1", _latin1)
        app.router.add_get("/redirect", _redirect)
        app.router.add_get("/chain/{hops:\\d+}", _chain)
        app.router.add_get("/loop", _loop)
        app.router.add_get("/big", _big)
        app.router.add_get("/big-stream", _big_stream)
        app.router.add_get("/slow", self._slow)
        app.router.add_get("/pdf", _typed(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "application/pdf"))
        app.router.add_get("/json", _typed(b'{"title": "not a page"}', "application/json"))
        app.router.add_get("/untyped", _untyped)
        app.router.add_get("/empty", _typed(b"", "text/html"))
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, 0).start()
        self._port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        self.release.set()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> PostingsSite:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @web.middleware
    async def _record(self, request: web.Request, handler) -> web.StreamResponse:
        self.requests.append(request.path_qs)
        return await handler(request)

    async def _slow(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html; charset=utf-8"})
        await response.prepare(request)
        await response.write(b"<!DOCTYPE html><html><head><title>Slow</title>")
        await self.release.wait()
        await response.write(b"</head><body></body></html>")
        return response


@dataclass
class ConnectionTrap:
    """A TCP listener that only counts (and drops) the connections it accepts."""

    host: str = "127.0.0.2"
    connections: int = 0
    _server: asyncio.Server | None = None
    _port: int | None = None

    @property
    def url(self) -> str:
        if self._port is None:
            raise RuntimeError("the trap is not listening")
        return f"http://{self.host}:{self._port}/latest/meta-data/"

    async def __aenter__(self) -> ConnectionTrap:
        self._server = await asyncio.start_server(self._accept, self.host, 0)
        self._port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _accept(self, _reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        writer.close()


def _html(page: str):
    async def handler(_request: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html")

    return handler


def _typed(body: bytes, content_type: str):
    async def handler(_request: web.Request) -> web.Response:
        return web.Response(body=body, content_type=content_type)

    return handler


async def _latin1(_request: web.Request) -> web.Response:
    page = _page("<title>Entwickler (m/w/d) in Zürich – Grüezi AG</title>", "<h1>Entwickler</h1>")
    body = page.replace('<meta charset="utf-8">', "").encode("windows-1252")
    return web.Response(body=body, headers={"Content-Type": "text/html; charset=windows-1252"})


async def _redirect(request: web.Request) -> web.Response:
    raise web.HTTPFound(request.query["to"])


async def _chain(request: web.Request) -> web.Response:
    hops = int(request.match_info["hops"])
    if hops <= 1:
        raise web.HTTPMovedPermanently("/jsonld")  # relative, as many servers send it
    raise web.HTTPFound(str(request.url.with_path(f"/chain/{hops - 1}")))


async def _loop(_request: web.Request) -> web.Response:
    raise web.HTTPFound("/loop")


async def _big(request: web.Request) -> web.Response:
    return web.Response(body=_filler(int(request.query["bytes"])), content_type="text/html")


async def _big_stream(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse(headers={"Content-Type": "text/html"})
    response.enable_chunked_encoding()
    await response.prepare(request)
    remaining = int(request.query["bytes"])
    while remaining > 0:
        chunk = _filler(min(remaining, 16 * 1024))
        await response.write(chunk)
        remaining -= len(chunk)
    await response.write_eof()
    return response


async def _untyped(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    await response.prepare(request)
    await response.write(PAGES["/h1"].encode())
    await response.write_eof()
    return response


def _filler(size: int) -> bytes:
    return (b"<p>" + b"x" * 93 + b"</p>\n") * (size // 100) + b" " * (size % 100)
