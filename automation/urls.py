"""Job links: the canonical form (one job, one URL, whichever way it was reached), a hint for links
that are clearly not jobs, and the guard that decides what may be opened (scheme, credentials,
look-alike host names, private and cloud-metadata addresses)."""

from __future__ import annotations

import asyncio
import ipaddress
import re
import socket
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from urllib.parse import parse_qsl, unquote_plus, urlsplit, urlunsplit

import idna
from url_normalize import url_normalize

from storage.errors import UserFacingError

TRACKING_PARAMS = frozenset(
    {
        "gh_src",
        "lever-source",
        "lever-source[]",
        "lever-origin",
        "ref",
        "referrer",
        "referer",
        "source",
        "src",
        "fbclid",
        "gclid",
        "gclsrc",
        "dclid",
        "msclkid",
        "yclid",
        "ttclid",
        "twclid",
        "li_fat_id",
        "mc_cid",
        "mc_eid",
        "mkt_tok",
        "_ga",
        "_gl",
        "_hsenc",
        "_hsmi",
        "igshid",
        "trk",
        "trkinfo",
        "trackingid",
        "refid",
        "lipi",
        "ebp",
    }
)
TRACKING_PREFIXES = ("utm_",)
MAX_URL_LENGTH = 2048

# Cloud metadata endpoints that are not covered by the private/link-local ranges.
METADATA_ADDRESSES = frozenset({ipaddress.ip_address("100.100.100.200"), ipaddress.ip_address("fd00:ec2::254")})

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnsafeUrl(UserFacingError, ValueError):
    """The link may not be opened; the message is fit to show the user."""


class Ats(StrEnum):
    """Where a posting lives: an applicant-tracking system, or LinkedIn's job board."""

    GREENHOUSE = "greenhouse"
    LEVER = "lever"
    ASHBY = "ashby"
    WORKABLE = "workable"
    SMARTRECRUITERS = "smartrecruiters"
    WORKDAY = "workday"
    TEAMTAILOR = "teamtailor"
    RECRUITEE = "recruitee"
    BAMBOOHR = "bamboohr"
    BREEZY = "breezy"
    LINKEDIN = "linkedin"


ATS_DOMAINS: Mapping[str, Ats] = {
    "greenhouse.io": Ats.GREENHOUSE,
    "lever.co": Ats.LEVER,
    "ashbyhq.com": Ats.ASHBY,
    "workable.com": Ats.WORKABLE,
    "smartrecruiters.com": Ats.SMARTRECRUITERS,
    "myworkdayjobs.com": Ats.WORKDAY,
    "teamtailor.com": Ats.TEAMTAILOR,
    "recruitee.com": Ats.RECRUITEE,
    "bamboohr.com": Ats.BAMBOOHR,
    "breezy.hr": Ats.BREEZY,
    "linkedin.com": Ats.LINKEDIN,
}


@dataclass(frozen=True)
class CheckedUrl:
    """A link that passed the guard. `addresses` are the ones checked (empty for an allowed host):
    a client that connects must use exactly these, so a DNS answer that changes cannot slip through."""

    url: str
    canonical: str
    host: str
    addresses: tuple[str, ...] = ()
    port: int = 0


# --- canonical form -------------------------------------------------------------------------------

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_SLUG = r"[^/]+"
_GREENHOUSE_HOST = r"(?:job-)?boards(?P<region>\.eu)?\.greenhouse\.io"
_LINKEDIN_HOST = r"(?:[a-z]{1,3}\.)?linkedin\.com"


@dataclass(frozen=True)
class _JobLinkShape:
    """One known shape of an ATS job link: a pattern over host+path, the query parameters that carry
    the ids (group name -> parameter and the pattern its value must match), and the canonical form."""

    pattern: str
    canonical: str
    params: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    upper_job: bool = False  # Workable short codes are upper-case; every other id is lower-case

    def canonical_for(self, host_and_path: str, query: Mapping[str, str]) -> str | None:
        match = re.fullmatch(self.pattern, host_and_path, re.IGNORECASE)
        if match is None:
            return None
        values = match.groupdict(default="")
        for group, (param, value_pattern) in self.params.items():
            value = query.get(param, "")
            if not re.fullmatch(value_pattern, value, re.IGNORECASE):
                return None
            values[group] = value
        values = {name: value.lower() for name, value in values.items()}
        if self.upper_job:
            values["job"] = values["job"].upper()
        return self.canonical.format(**values)


# Greenhouse (classic, new and embedded), Lever, Ashby, Workable (and its older company-subdomain
# form), LinkedIn (by id, slug-id, or the job open in a collection or search).
JOB_LINK_SHAPES: tuple[_JobLinkShape, ...] = (
    _JobLinkShape(
        rf"{_GREENHOUSE_HOST}/(?P<company>{_SLUG})/jobs/(?P<job>\d+)",
        "https://boards{region}.greenhouse.io/{company}/jobs/{job}",
    ),
    _JobLinkShape(
        rf"{_GREENHOUSE_HOST}/embed/job_app",
        "https://boards{region}.greenhouse.io/{company}/jobs/{job}",
        params={"company": ("for", r"[\w.-]+"), "job": ("token", r"\d+")},
    ),
    _JobLinkShape(
        rf"jobs(?P<region>\.eu)?\.lever\.co/(?P<company>{_SLUG})/(?P<job>{_UUID})(?:/apply)?",
        "https://jobs{region}.lever.co/{company}/{job}",
    ),
    _JobLinkShape(
        rf"jobs\.ashbyhq\.com/(?P<company>{_SLUG})/(?P<job>{_UUID})(?:/application)?",
        "https://jobs.ashbyhq.com/{company}/{job}",
    ),
    _JobLinkShape(
        rf"apply\.workable\.com/(?P<company>{_SLUG})/j/(?P<job>[0-9a-z]+)(?:/apply)?",
        "https://apply.workable.com/{company}/j/{job}",
        upper_job=True,
    ),
    _JobLinkShape(
        r"(?!www\.|apply\.)(?P<company>[a-z0-9-]+)\.workable\.com/j/(?P<job>[0-9a-z]+)(?:/apply)?",
        "https://apply.workable.com/{company}/j/{job}",
        upper_job=True,
    ),
    _JobLinkShape(
        rf"{_LINKEDIN_HOST}(?:/comm)?/jobs/view/(?:[^/]*-)?(?P<job>\d+)", "https://www.linkedin.com/jobs/view/{job}"
    ),
    _JobLinkShape(
        rf"{_LINKEDIN_HOST}/jobs(?:/.*)?",
        "https://www.linkedin.com/jobs/view/{job}",
        params={"job": ("currentJobId", r"\d+")},
    ),
)

# Employer pages that embed an ATS name the job in one query parameter; everything else is noise.
EMBEDDED_JOB_PARAMS: Mapping[str, tuple[Ats, str]] = {
    "gh_jid": (Ats.GREENHOUSE, r"\d+"),
    "ashby_jid": (Ats.ASHBY, _UUID),
}


def canonicalize(url: str) -> str:
    """One job, one URL: tracking parameters, plain anchors, host case, default ports, trailing
    slashes and the several shapes of a known ATS job link all collapse to one form."""
    normalised = _normalised(url)
    try:
        parts = urlsplit(normalised)
    except ValueError:
        return normalised
    query = _first_values(parts.query)
    host_and_path = parts.netloc + parts.path
    for shape in JOB_LINK_SHAPES:
        if canonical := shape.canonical_for(host_and_path, query):
            return canonical
    for param, (_ats, value_pattern) in EMBEDDED_JOB_PARAMS.items():
        if re.fullmatch(value_pattern, query.get(param, ""), re.IGNORECASE):
            return urlunsplit((parts.scheme, parts.netloc, parts.path, f"{param}={query[param].lower()}", ""))
    return normalised


def ats_for_url(url: str) -> Ats | None:
    """The ATS a link belongs to, from its host or an employer page's embedded-job parameter."""
    try:
        parts = urlsplit(_normalised(url))
        host = parts.hostname or ""
    except ValueError:
        return None
    for domain, ats in ATS_DOMAINS.items():
        if host == domain or host.endswith("." + domain):
            return ats
    query = _first_values(parts.query)
    for param, (ats, value_pattern) in EMBEDDED_JOB_PARAMS.items():
        if re.fullmatch(value_pattern, query.get(param, ""), re.IGNORECASE):
            return ats
    return None


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered in TRACKING_PARAMS or lowered.startswith(TRACKING_PREFIXES)


def _is_route(fragment: str) -> bool:
    """`#/jobs/42` and `#!/job/42` name a page of a single-page job board; `#apply` is only an anchor."""
    return fragment.startswith(("/", "!"))


def _normalised(url: str) -> str:
    """Generic clean-up: tracking parameters and anchors dropped, then url-normalize's canonical form."""
    base, _, fragment = url.strip().partition("#")
    base, _, query = base.partition("?")
    kept = [part for part in query.split("&") if part and not _is_tracking(unquote_plus(part.partition("=")[0]))]
    cleaned = base + ("?" + "&".join(kept) if kept else "")
    try:
        normalised = url_normalize(cleaned) or cleaned
    except ValueError:  # not a URL at all (bad port, broken IPv6 literal): compare it as written
        return url.strip()
    try:
        parts = urlsplit(normalised)
    except ValueError:
        return normalised
    path = parts.path.rstrip("/") or "/"
    route = fragment if _is_route(fragment) else ""
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, route))


def _first_values(query: str) -> dict[str, str]:
    values: dict[str, str] = {}
    for name, value in parse_qsl(query, keep_blank_values=True):
        values.setdefault(name, value)
    return values


# --- links that are clearly not jobs -------------------------------------------------------------

MEDIA_EXTENSIONS: Mapping[str, str] = {
    **dict.fromkeys(
        ("png", "jpg", "jpeg", "gif", "webp", "svg", "bmp", "ico", "tif", "tiff", "heic", "heif", "avif"), "an image"
    ),
    **dict.fromkeys(("mp4", "m4v", "mov", "webm", "avi", "mkv", "wmv", "flv", "3gp"), "a video"),
    **dict.fromkeys(("mp3", "m4a", "wav", "ogg", "oga", "opus", "aac", "flac"), "an audio file"),
}
VIDEO_PAGES = re.compile(r"youtube\.com/(?:watch|shorts/.+|live/.+)|youtu\.be/.+|vimeo\.com/\d+")
SEARCH_PAGES = re.compile(
    r"(?:google\.(?:[a-z]{2,3}|com?\.[a-z]{2})|bing\.com|search\.yahoo\.com|yandex\.[a-z]{2,3}|search\.brave\.com"
    r"|ecosia\.org|startpage\.com(?:/do)?)/search|baidu\.com/s|duckduckgo\.com(?:/html)?"
)
PROFILE_PREFIXES: Mapping[str, frozenset[str]] = {"linkedin.com": frozenset({"in", "pub", "company", "school"})}
HANDLE_SITES = frozenset(
    {"twitter.com", "x.com", "facebook.com", "fb.com", "instagram.com", "github.com", "tiktok.com", "threads.net"}
)
NOT_HANDLES = frozenset(
    {
        "search",
        "explore",
        "home",
        "hashtag",
        "i",
        "intent",
        "share",
        "jobs",
        "careers",
        "about",
        "login",
        "signup",
        "settings",
        "notifications",
        "messages",
        "watch",
        "groups",
        "events",
        "marketplace",
        "features",
        "pricing",
        "topics",
        "trending",
        "sponsors",
    }
)


def job_link_hint(url: str) -> str | None:
    """Why a link is clearly not a job posting (a hint to show instead of queueing it), else None.

    Conservative on purpose: unknown sites, URL shorteners and anything that might redirect to a
    posting count as jobs.
    """
    try:
        parts = urlsplit(url.strip())
        host = (parts.hostname or "").lower()
    except ValueError:
        return None  # malformed: the guard says why
    host = re.sub(r"^(?:www|m|mobile)\.", "", host)
    segments = [segment for segment in parts.path.split("/") if segment]
    return _media_hint(host, segments) or _search_hint(host, segments, parts.query) or _profile_hint(host, segments)


def looks_like_job(url: str) -> bool:
    """False only for links that are clearly not a job posting (see `job_link_hint`)."""
    return job_link_hint(url) is None


def _media_hint(host: str, segments: list[str]) -> str | None:
    last = segments[-1].lower() if segments else ""
    kind = MEDIA_EXTENSIONS.get(last.rpartition(".")[2]) if "." in last else None
    if kind is None and VIDEO_PAGES.fullmatch(f"{host}/{'/'.join(segments)}"):
        kind = "a video"
    if kind is None:
        return None
    return f"That link is {kind}, not a job posting: send me the link to the posting itself."


def _search_hint(host: str, segments: list[str], query: str) -> str | None:
    if not SEARCH_PAGES.fullmatch(f"{host}/{'/'.join(segments)}".rstrip("/")):
        return None
    if host.startswith("duckduckgo.") and "q" not in _first_values(query):
        return None
    return "That is a page of search results: open the job you want and send me its own link."


def _profile_hint(host: str, segments: list[str]) -> str | None:
    first = segments[0].lower() if segments else ""
    is_profile = (
        first in PROFILE_PREFIXES.get(host, ())
        or (host in HANDLE_SITES and len(segments) == 1 and first not in NOT_HANDLES)
        or (host in ("facebook.com", "fb.com") and first == "profile.php")
    )
    if not is_profile:
        return None
    return "That is a profile page, not a job posting: send me the link to the job itself."


# --- host names: IDN and look-alikes -------------------------------------------------------------

# Letters of other scripts that pass for Latin ones (after Chromium's IDN spoof checker).
LATIN_LOOKALIKES: Mapping[str, frozenset[str]] = {
    "CYRILLIC": frozenset("асԁеһіјӏорԛѕԝхуъьҽпгѵѡ"),
    "GREEK": frozenset("αεηικνορτυχϲ"),
}
# Scripts that legitimately share a label (Unicode TS 39, "highly restrictive").
MIXABLE_SCRIPTS = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
_SCRIPT_ALIASES = {"CJK": "HAN", "IDEOGRAPHIC": "HAN"}


def _script(char: str) -> str | None:
    """The character's script, from the first word of its Unicode name; None for digits, hyphens
    and combining marks, which belong to every script."""
    if char.isascii() and not char.isalpha():
        return None
    if unicodedata.category(char)[0] in "MNPZ" or char == "\u30fc":  # marks, digits, punctuation; 'ー'
        return None
    first_word = unicodedata.name(char, "UNKNOWN").split(" ", 1)[0]
    return _SCRIPT_ALIASES.get(first_word, first_word)


def _refuse_look_alike(label: str, tld: str) -> None:
    scripts = {script for char in label if (script := _script(char))}
    if len(scripts) > 1 and not any(scripts <= allowed for allowed in MIXABLE_SCRIPTS):
        names = " and ".join(sorted(script.title() for script in scripts))
        raise UnsafeUrl(
            f"The host name mixes {names} letters ({label}), a common trick to imitate another site; "
            "Nyx will not open it."
        )
    if len(scripts) == 1:
        script = next(iter(scripts))
        lookalikes = LATIN_LOOKALIKES.get(script, frozenset())
        tld_is_native = any(_script(char) == script and char not in lookalikes for char in tld)
        if lookalikes and not tld_is_native and all(char in lookalikes for char in label if _script(char)):
            raise UnsafeUrl(
                f"The host name {label} is written in {script.title()} letters that look like Latin ones, "
                "a common trick to imitate another site; Nyx will not open it."
            )


def _ascii_host(host: str) -> str:
    """The host as DNS sees it (IDNA 2008 / UTS 46 punycode), refusing mixed-script and look-alike labels."""
    host = host.lower()
    if host.isascii() and "xn--" not in host:
        return host
    try:
        labels = idna.uts46_remap(host, std3_rules=False, transitional=False).split(".")
        ascii_labels = [label if label.isascii() else idna.alabel(label).decode("ascii") for label in labels]
        unicode_labels = [idna.ulabel(label) if label.startswith("xn--") else label for label in ascii_labels]
    except (idna.IDNAError, UnicodeError):
        raise UnsafeUrl("That link's host name is not valid.") from None
    for label in unicode_labels:
        _refuse_look_alike(label, tld=unicode_labels[-1])
    return ".".join(ascii_labels)


# --- the guard ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    url: str  # as given, except that a non-ASCII host is written in punycode
    host: str
    port: int


def host_name(host: str) -> str:
    """A host as the guard names it (lower case, punycode, no trailing dot); UnsafeUrl for look-alikes."""
    return _ascii_host(host.strip().rstrip("."))


def address_refusal(address: str | Address) -> str | None:
    """Why the guard will not open `address` (loopback, private, link-local, metadata, …), or None."""
    return _blocked_reason(ipaddress.ip_address(address) if isinstance(address, str) else address)


def allowed_hosts(entries: Iterable[str]) -> frozenset[str]:
    """URL_ALLOW_HOSTS entries named as `host_name` names hosts, so that the two compare."""
    allowed = set()
    for entry in entries:
        try:
            allowed.add(host_name(entry))
        except UnsafeUrl:
            allowed.add(entry.strip().lower())
    return frozenset(allowed)


# IPv6 prefixes that carry an IPv4 address in their low 32 bits (NAT64 well-known prefix): a gateway
# would forward them to that IPv4 address, so that address is the one to judge.
NAT64_PREFIX = ipaddress.ip_network("64:ff9b::/96")
WEB_PORTS = frozenset({80, 443})


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, NAT64), if any."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address in NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def _blocked_reason(address: Address) -> str | None:
    if (
        isinstance(address, ipaddress.IPv6Address)
        and (embedded := _embedded_ipv4(address)) is not None
        and (reason := _blocked_reason(embedded))
    ):
        return reason
    if address in METADATA_ADDRESSES or address.is_link_local:
        return "a link-local or cloud-metadata address"
    if address.is_loopback:
        return "a loopback address"
    if address.is_private or address.is_reserved or address.is_multicast or address.is_unspecified:
        return "a private or reserved address"
    # Everything the IANA registries do not mark as globally reachable: carrier-grade NAT
    # (100.64.0.0/10, is_private is False for it), benchmarking, documentation, Teredo, ….
    if not address.is_global:
        return "a non-public address"
    return None


def port_refusal(port: int, *, allowed: bool) -> str | None:
    """The one port policy of both guards: 80 and 443, any port only for URL_ALLOW_HOSTS hosts."""
    if not 0 < port < 65536:
        return f"Port {port} is not valid."
    if not allowed and port not in WEB_PORTS:
        return f"Port {port} is not a web port; only 80 and 443 are opened outside URL_ALLOW_HOSTS."
    return None


def _parse(url: str) -> _Target:
    if len(url) > MAX_URL_LENGTH:
        raise UnsafeUrl("That link is too long to be a job posting.")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        raise UnsafeUrl("That link is malformed.") from None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise UnsafeUrl("Only http and https links can be opened.")
    if parts.username or parts.password:
        raise UnsafeUrl("Links with a user name or password in them are not opened.")
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise UnsafeUrl("That link has no host name.")
    ascii_host = _ascii_host(host)
    target_url = url.strip()
    if not host.isascii():
        netloc = ascii_host + (f":{port}" if port is not None else "")
        target_url = urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return _Target(target_url, ascii_host, port or (443 if scheme == "https" else 80))


async def _resolve(host: str, port: int) -> list[Address]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise UnsafeUrl(f"The host {host} could not be found.") from None
    return list(dict.fromkeys(ipaddress.ip_address(str(info[4][0]).split("%", 1)[0]) for info in infos))


async def check_url(url: str, *, allow_hosts: Iterable[str] = ()) -> CheckedUrl:
    """Refuse anything but public http(s) before any connection is made.

    Hosts in `allow_hosts` skip the address and port checks (a local test site, an intranet job
    board); the scheme, credential and look-alike checks apply to every host.
    """
    target = _parse(url)
    allowed = target.host in allowed_hosts(allow_hosts)
    if allowed:
        return CheckedUrl(url=target.url, canonical=canonicalize(target.url), host=target.host, port=target.port)
    try:
        addresses = [ipaddress.ip_address(target.host)]
    except ValueError:
        addresses = await _resolve(target.host, target.port)
    for address in addresses:
        if reason := _blocked_reason(address):
            raise UnsafeUrl(f"That link points to {reason}, which Nyx will not open.")
    if reason := port_refusal(target.port, allowed=False):
        raise UnsafeUrl(f"That link uses a port Nyx will not open. {reason}")
    return CheckedUrl(
        url=target.url,
        canonical=canonicalize(target.url),
        host=target.host,
        addresses=tuple(str(address) for address in addresses),
        port=target.port,
    )
