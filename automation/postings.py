"""Reading a job posting from the web.

`fetch_posting` downloads the page one hop at a time: every redirect goes back through the URL
guard, and the connection is pinned to the addresses the guard checked, so a DNS answer that
changes in between cannot reach a private address. Size, time and content type are bounded.
`parse_posting` reads title, company, location and description from the page's JSON-LD
`JobPosting` (via extruct), else from its Open Graph title, `<title>` or `<h1>`.
"""

from __future__ import annotations

import asyncio
import html
import logging
import re
import socket
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import aiohttp
import html_text
import lxml.etree
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver
from extruct.jsonld import JsonLdExtractor
from extruct.opengraph import OpenGraphExtractor
from extruct.utils import parse_html
from lxml.html import HtmlElement
from w3lib.encoding import html_to_unicode

from automation.urls import Ats, CheckedUrl, UnsafeUrl, ats_for_url, check_url
from storage.errors import UserFacingError

log = logging.getLogger(__name__)

MAX_REDIRECTS = 5
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
UNTYPED = "application/octet-stream"  # no type, or none the server knew: look at the bytes instead
CHUNK_BYTES = 64 * 1024
MAX_DESCRIPTION_CHARS = 4000
MAX_FIELD_CHARS = 300
MAX_JSON_DEPTH = 12
TAG = re.compile(r"<[^>]*>")
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
REQUEST_HEADERS = {
    "User-Agent": "Mozilla/5.0 (compatible; NyxVenatrix/0.1; self-hosted job-application assistant)",
    "Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1",
}

# Traces an ATS leaves in an employer's page (embedded boards, apply links, their scripts).
PAGE_MARKERS: tuple[tuple[Ats, re.Pattern[str]], ...] = (
    (Ats.GREENHOUSE, re.compile(r"(?:job-)?boards(?:\.eu)?\.greenhouse\.io|grnhse_app|gh_jid=")),
    (Ats.LEVER, re.compile(r"jobs(?:\.eu)?\.lever\.co")),
    (Ats.ASHBY, re.compile(r"jobs\.ashbyhq\.com|ashby_jid=")),
    (Ats.WORKABLE, re.compile(r"apply\.workable\.com")),
    (Ats.SMARTRECRUITERS, re.compile(r"jobs\.smartrecruiters\.com")),
    (Ats.WORKDAY, re.compile(r"\.myworkdayjobs\.com")),
)


class PostingFetchError(UserFacingError):
    """The posting could not be read; the message is fit to show the user."""


@dataclass(frozen=True)
class Posting:
    """What a posting page says about itself; any field the page does not state is None."""

    title: str | None
    company: str | None
    location: str | None
    description: str  # plain text, at most MAX_DESCRIPTION_CHARS
    ats: Ats | None
    final_url: str


# --- fetching -------------------------------------------------------------------------------------


class PinnedResolver(AbstractResolver):
    """Answers only for hosts that passed `check_url`, with exactly the addresses it checked.

    Hosts allowed without an address check (`allow_hosts`) are resolved normally; any other host
    is refused, so nothing the guard did not see can be connected to.
    """

    def __init__(self) -> None:
        self._pins: dict[str, tuple[str, ...]] = {}
        self._trusted: set[str] = set()
        self._system: ThreadedResolver | None = None

    def pin(self, checked: CheckedUrl) -> None:
        if checked.addresses:
            self._pins[checked.host] = checked.addresses
        else:
            self._trusted.add(checked.host)

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        host = host.lower().rstrip(".")
        if host in self._trusted:
            self._system = self._system or ThreadedResolver()
            return await self._system.resolve(host, port, family)
        results = [
            _resolved(host, address, port)
            for address in self._pins.get(host, ())
            if family == socket.AF_UNSPEC or family == _family(address)
        ]
        if not results:
            raise OSError(f"{host} was not checked before connecting")
        return results

    async def close(self) -> None:
        if self._system is not None:
            await self._system.close()


def _family(address: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in address else socket.AF_INET


def _resolved(host: str, address: str, port: int) -> ResolveResult:
    return ResolveResult(
        hostname=host,
        host=address,
        port=port,
        family=_family(address),
        proto=0,
        flags=socket.AI_NUMERICHOST | socket.AI_NUMERICSERV,
    )


async def fetch_posting(
    url: str, *, allow_hosts: Iterable[str] = (), timeout_s: float = 10, max_bytes: int = 2_000_000
) -> Posting:
    """Download a posting page through the guard and read it; raises only PostingFetchError."""
    try:
        async with asyncio.timeout(timeout_s):
            final_url, page = await _download(url, tuple(allow_hosts), max_bytes)
    except TimeoutError:
        raise PostingFetchError(f"The page took longer than {timeout_s:g} s to load; try again later.") from None
    return parse_posting(page, final_url)


async def _download(url: str, allow_hosts: tuple[str, ...], max_bytes: int) -> tuple[str, str]:
    """The final URL and the decoded HTML, following at most MAX_REDIRECTS redirects by hand."""
    resolver = PinnedResolver()
    # One connection per request: a kept-alive socket must not outlive the check that allowed it.
    connector = aiohttp.TCPConnector(resolver=resolver, use_dns_cache=False, force_close=True)
    timeout = aiohttp.ClientTimeout(total=None)  # fetch_posting's own deadline covers every hop
    async with aiohttp.ClientSession(connector=connector, headers=REQUEST_HEADERS, timeout=timeout) as session:
        for hop in range(MAX_REDIRECTS + 1):
            checked = await _checked(url, allow_hosts, redirected=hop > 0)
            resolver.pin(checked)
            try:
                async with session.get(checked.url, allow_redirects=False) as response:
                    if response.status in REDIRECT_STATUSES and "Location" in response.headers:
                        url = _redirect_target(checked.url, response.headers["Location"])
                        continue
                    return checked.url, await _read_page(response, max_bytes)
            except aiohttp.ClientConnectorError:
                raise PostingFetchError(f"I could not connect to {checked.host}.") from None
            except (aiohttp.ClientError, OSError) as exc:
                log.info("fetching %s failed: %r", checked.url, exc)
                raise PostingFetchError(f"The connection to {checked.host} failed while loading the page.") from None
    raise PostingFetchError(f"That link redirected more than {MAX_REDIRECTS} times, so I stopped following it.")


async def _checked(url: str, allow_hosts: tuple[str, ...], *, redirected: bool) -> CheckedUrl:
    try:
        return await check_url(url, allow_hosts=allow_hosts)
    except UnsafeUrl as exc:
        message = f"The page redirects to a link that was refused. {exc}" if redirected else str(exc)
        raise PostingFetchError(message) from None


def _redirect_target(here: str, location: str) -> str:
    try:
        return urljoin(here, location.strip())
    except ValueError:
        raise PostingFetchError("The page redirects to a malformed link.") from None


async def _read_page(response: aiohttp.ClientResponse, max_bytes: int) -> str:
    if response.status >= 300:
        raise PostingFetchError(f"The page answered {response.status} {response.reason or ''}".rstrip() + ".")
    declared_type = response.headers.get("Content-Type")
    untyped = response.content_type == UNTYPED  # aiohttp reports a missing header as this too
    if not untyped and response.content_type not in HTML_TYPES:
        raise PostingFetchError(f"That link leads to {response.content_type}, not a web page with a job posting.")
    if response.content_length is not None and response.content_length > max_bytes:
        raise _too_large(max_bytes)
    body = bytearray()
    async for chunk in response.content.iter_chunked(CHUNK_BYTES):
        body += chunk
        if len(body) > max_bytes:
            raise _too_large(max_bytes)
    if untyped and not _sniffs_as_html(bytes(body[:1024])):
        raise PostingFetchError("That link does not lead to a web page with a job posting.")
    _encoding, text = html_to_unicode(declared_type, bytes(body))
    return text


def _too_large(max_bytes: int) -> PostingFetchError:
    size = f"{max_bytes / 1_000_000:g} MB" if max_bytes >= 1_000_000 else f"{max_bytes / 1000:g} kB"
    return PostingFetchError(f"The page is larger than {size}, too big to be a job posting.")


def _sniffs_as_html(head: bytes) -> bool:
    lowered = head.lower()
    return b"<html" in lowered or b"<!doctype html" in lowered


# --- reading --------------------------------------------------------------------------------------


def parse_posting(page: str, url: str) -> Posting:
    """Title, company, location and description of a posting page; raises PostingFetchError only
    for a page with no document in it."""
    tree = _document(page)
    items = _json_ld_items(tree)
    graph = {node["@id"]: node for node in _nodes(items) if isinstance(node.get("@id"), str) and len(node) > 1}
    job = next((node for node in _nodes(items) if "JobPosting" in _types(node)), {})
    og = _open_graph(tree)
    return Posting(
        title=_text(job.get("title")) or _text(job.get("name")) or _text(og.get("og:title")) or _page_title(tree),
        company=_company(job.get("hiringOrganization"), graph) or _text(og.get("og:site_name")),
        location=_location(job, graph),
        description=_description(job, og, tree),
        ats=ats_for_url(url) or _ats_from_markers(page),
        final_url=url,
    )


def _document(page: str) -> HtmlElement:
    try:
        return parse_html(page.encode("utf-8", "replace"), encoding="utf-8")
    except (lxml.etree.ParserError, ValueError):
        raise PostingFetchError("The page is empty.") from None


def _json_ld_items(tree: HtmlElement) -> list[Any]:
    extractor = JsonLdExtractor()
    items: list[Any] = []
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:  # one broken block must not hide the others
            items.extend(extractor.extract_items(script))
        except (ValueError, RecursionError):
            continue
    return items


def _nodes(value: Any) -> Iterator[dict[str, Any]]:
    """Every JSON object in the JSON-LD, depth first (so `@graph`s and nested entities are seen)."""
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        current, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            continue
        if isinstance(current, dict):
            yield current
            children = list(current.values())
        elif isinstance(current, list):
            children = current
        else:
            continue
        stack.extend((child, depth + 1) for child in reversed(children))


def _types(node: Mapping[str, Any]) -> set[str]:
    """`@type` as local names: "JobPosting", ["JobPosting"], "schema:JobPosting" and
    "http://schema.org/JobPosting" are all "JobPosting"."""
    declared = node.get("@type")
    names = declared if isinstance(declared, list) else [declared]
    return {re.split(r"[/#:]", name)[-1] for name in names if isinstance(name, str)}


def _resolve(value: Any, graph: Mapping[str, dict[str, Any]]) -> Any:
    """A `{"@id": ...}` reference replaced by the node it names in the same page."""
    if isinstance(value, dict) and isinstance(value.get("@id"), str) and len(value) == 1:
        return graph.get(value["@id"], value)
    return value


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _text(value: Any) -> str | None:
    """A short plain string from a JSON-LD value (a string, a number, a named object or a list of them)."""
    for item in _as_list(value):
        if isinstance(item, dict):
            item = item.get("name") or item.get("@value")
        if isinstance(item, (int, float)) and not isinstance(item, bool):
            item = str(item)
        if isinstance(item, str) and (cleaned := " ".join(html.unescape(item).split())):
            return cleaned[:MAX_FIELD_CHARS]
    return None


def _company(value: Any, graph: Mapping[str, dict[str, Any]]) -> str | None:
    for organisation in _as_list(value):
        if name := _text(_resolve(organisation, graph)):
            return name
    return None


def _location(job: Mapping[str, Any], graph: Mapping[str, dict[str, Any]]) -> str | None:
    places = [_place(_resolve(place, graph)) for place in _as_list(job.get("jobLocation"))]
    if any("TELECOMMUTE" in str(kind).upper() for kind in _as_list(job.get("jobLocationType"))):
        regions = [_place(_resolve(region, graph)) for region in _as_list(job.get("applicantLocationRequirements"))]
        regions_text = ", ".join(dict.fromkeys(region for region in regions if region))
        places.append(f"Remote ({regions_text})" if regions_text else "Remote")
    unique = list(dict.fromkeys(place for place in places if place))
    return "; ".join(unique)[:MAX_FIELD_CHARS] if unique else None


def _place(place: Any) -> str | None:
    """ "Berlin, Germany" from a Place, its PostalAddress, a Country or a plain string."""
    if not isinstance(place, dict):
        return _text(place)
    address = place.get("address")
    if isinstance(address, dict):
        fields = ("addressLocality", "addressRegion", "addressCountry")
        parts = [_text(address.get(name)) for name in fields]
        if joined := ", ".join(dict.fromkeys(part for part in parts if part)):
            return joined
    return _text(address) or _text(place.get("name"))


def _description(job: Mapping[str, Any], og: Mapping[str, str], tree: HtmlElement) -> str:
    described = job.get("description")
    if isinstance(described, str) and described.strip():
        # Many boards put entity-escaped HTML in JSON-LD ("&lt;p&gt;..."): unescape it, then drop the tags.
        text = _plain_text(html.unescape(described) if "&lt;" in described else described)
    else:
        text = og.get("og:description") or _meta_description(tree) or _plain_text(_main_content(tree))
    return _truncate(text.strip(), MAX_DESCRIPTION_CHARS)


def _plain_text(markup: str | HtmlElement) -> str:
    """Visible text of an HTML fragment or element, with paragraphs kept as line breaks."""
    try:
        return html_text.extract_text(markup)
    except (lxml.etree.ParserError, ValueError):  # not HTML after all (empty, control characters)
        return CONTROL_CHARACTERS.sub("", TAG.sub(" ", markup)) if isinstance(markup, str) else ""


def _truncate(text: str, limit: int) -> str:
    """At most `limit` characters, cut at a word boundary and marked with an ellipsis."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    cut = re.sub(r"\s+\S*$", "", head) or head  # drop the word the limit cut through
    return cut + "…"


def _open_graph(tree: HtmlElement) -> dict[str, str]:
    properties: dict[str, str] = {}
    for item in OpenGraphExtractor().extract_items(tree):
        for name, value in item["properties"]:
            properties.setdefault(name, value)
    return properties


def _meta_description(tree: HtmlElement) -> str | None:
    contents = tree.xpath('//meta[@name="description"]/@content')
    return str(contents[0]) if contents and str(contents[0]).strip() else None


def _page_title(tree: HtmlElement) -> str | None:
    for element in tree.xpath("//title | //h1"):
        if text := _text(element.text_content()):
            return text
    return None


def _main_content(tree: HtmlElement) -> HtmlElement:
    for path in ("//main", "//article", "//body"):
        if found := tree.xpath(path):
            return found[0]
    return tree


def _ats_from_markers(page: str) -> Ats | None:
    for ats, marker in PAGE_MARKERS:
        if marker.search(page):
            return ats
    return None
