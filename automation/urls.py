"""Job links: canonical form (one job, one URL) and the guard that decides what the browser may open."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import parse_qsl, urlsplit

from url_normalize import url_normalize
from w3lib.url import url_query_cleaner

TRACKING_PARAMS = frozenset(
    {"gh_src", "lever-source", "lever-origin", "ref", "referrer", "source", "src", "fbclid", "gclid",
     "mc_cid", "mc_eid", "trk", "trackingid", "refid", "_hsenc", "_hsmi", "igshid"}
)
TRACKING_PREFIXES = ("utm_",)
MAX_URL_LENGTH = 2048

# Cloud metadata endpoints that are not covered by the private/link-local ranges.
METADATA_ADDRESSES = frozenset({ipaddress.ip_address("100.100.100.200"), ipaddress.ip_address("fd00:ec2::254")})


class UnsafeUrl(ValueError):
    """The link may not be opened; the message is fit to show the user."""


@dataclass(frozen=True)
class CheckedUrl:
    url: str
    canonical: str
    host: str


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def canonicalize(url: str) -> str:
    """The same job reached with different tracking parameters, case or fragments is one URL."""
    query = urlsplit(url).query
    tracking = sorted({name for name, _ in parse_qsl(query, keep_blank_values=True) if _is_tracking(name)})
    cleaned = url_query_cleaner(url, tracking, remove=True, keep_fragments=False) if tracking else url
    cleaned = cleaned.split("#", 1)[0]
    normalized = url_normalize(cleaned) or cleaned
    return normalized.rstrip("/") if urlsplit(normalized).path not in ("", "/") else normalized


def _blocked_reason(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    if address in METADATA_ADDRESSES or address.is_link_local:
        return "a link-local or cloud-metadata address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_private or address.is_reserved or address.is_multicast or address.is_unspecified:
        return "a private or reserved address"
    return None


def _parse(url: str) -> tuple[str, str, int]:
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl("That link is too long to be a job posting.")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise UnsafeUrl("That link is malformed.") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise UnsafeUrl("Only http and https links can be opened.")
    if parts.username or parts.password:
        raise UnsafeUrl("Links with a user name or password in them are not opened.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeUrl("That link has no host name.")
    try:
        ascii_host = host.encode("idna").decode("ascii") if not host.isascii() else host.lower()
    except UnicodeError:
        raise UnsafeUrl("That link's host name is not valid.") from None
    return ascii_host, parts.scheme.lower(), port or (443 if parts.scheme.lower() == "https" else 80)


async def _resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise UnsafeUrl(f"The host {host} could not be found.") from None
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


async def check_url(url: str, *, allow_hosts: Iterable[str] = ()) -> CheckedUrl:
    """Refuse anything but public http(s) before any connection is made.

    Hosts in `allow_hosts` skip the address check (a local test site, an intranet job board).
    """
    host, _scheme, port = _parse(url)
    if host not in {h.lower() for h in allow_hosts}:
        try:
            addresses = [ipaddress.ip_address(host.strip("[]"))]
        except ValueError:
            addresses = await _resolve(host, port)
        for address in addresses:
            reason = _blocked_reason(address)
            if reason:
                raise UnsafeUrl(f"That link points to {reason}, which Nyx will not open.")
    return CheckedUrl(url=url.strip(), canonical=canonicalize(url.strip()), host=host)
