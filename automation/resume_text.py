"""Reading a résumé: its text (PDF through pypdf, DOCX through python-docx) and the contact
details on it (name, e-mail, phone, LinkedIn/GitHub/website links).

Everything here works on bytes a user sent, so every failure of the parsers becomes one
`ResumeReadError` whose message the user can act on.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
import time
import zipfile
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from storage.errors import UserFacingError

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".pdf", ".docx")
MAX_PDF_PAGES = 30  # a résumé is a few pages; the rest of a long document adds nothing
MAX_TEXT_CHARS = 20_000  # as much as Profile.summary holds
MAX_DOCX_UNPACKED_BYTES = 100 * 1024 * 1024  # refuses zip bombs before python-docx unpacks them
NAME_SEARCH_LINES = 8
PARSE_TIMEOUT_S = 20.0  # a résumé parses in well under a second; a crafted file could take forever
# Parsers run in their own few threads: a file that outlives its time limit keeps one of these busy
# (a thread cannot be killed) instead of a thread of the event loop's default pool.
_PARSERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="resume-parse")


class ResumeReadError(UserFacingError, ValueError):
    """The résumé's text cannot be read; the message says why, in words for the user."""


@dataclass(frozen=True)
class Contacts:
    """What a résumé says about how to reach its author; None (or no link) where it says nothing."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    links: Mapping[str, str] = field(default_factory=dict)  # "linkedin", "github", "website"


# --------------------------------------------------------------------------- text


def _too_slow() -> ResumeReadError:
    return ResumeReadError(
        f"Reading this file took longer than {PARSE_TIMEOUT_S:g} seconds, so I stopped. "
        "Export it again as a simple PDF or DOCX (fewer pages and images) and resend it."
    )


async def read_text(filename: str, content: bytes) -> str:
    """`extract_text` off the event loop, in a parser thread, within PARSE_TIMEOUT_S."""
    timeout = PARSE_TIMEOUT_S
    deadline = time.monotonic() + timeout
    work = asyncio.get_running_loop().run_in_executor(_PARSERS, extract_text, filename, content, deadline)
    try:
        return await asyncio.wait_for(work, timeout)
    except TimeoutError:
        log.warning("résumé %r (%d bytes) not parsed within %g s", filename, len(content), timeout)
        raise _too_slow() from None


def extract_text(filename: str, content: bytes, deadline: float | None = None) -> str:
    """The text of a PDF or DOCX résumé, one line per line, at most MAX_TEXT_CHARS characters.

    With a `deadline` (time.monotonic()), a PDF stops between pages once it has passed, so a
    parse that was given up on does not keep its thread for long."""
    suffix = Path(filename).suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ResumeReadError(f"I can read PDF and DOCX résumés; {filename!r} is neither.")
    if not content:
        raise ResumeReadError("The file is empty.")
    raw = _pdf_text(content, deadline) if suffix == ".pdf" else _docx_text(content)
    text = _tidy(raw)
    if not text:
        raise ResumeReadError("I found no text in it (a scanned image?). Export it as a PDF with text, or send a DOCX.")
    return text[:MAX_TEXT_CHARS]


def _pdf_text(content: bytes, deadline: float | None = None) -> str:
    from pypdf import PdfReader
    from pypdf.errors import FileNotDecryptedError

    if b"%PDF-" not in content[:1024]:
        raise ResumeReadError("This is not a valid PDF file.")
    try:
        reader = PdfReader(io.BytesIO(content))
        if reader.is_encrypted and not reader.decrypt(""):  # some PDFs are locked with an empty password
            raise ResumeReadError("The PDF is password-protected. Send a copy without a password.")
        parts: list[str] = []
        for page in reader.pages[:MAX_PDF_PAGES]:
            if deadline is not None and time.monotonic() > deadline:
                raise _too_slow()
            parts.append(page.extract_text() or "")
            parts.extend(_pdf_link_targets(page))
            if sum(map(len, parts)) > MAX_TEXT_CHARS:
                break
        return "\n".join(parts)
    except ResumeReadError:
        raise
    except FileNotDecryptedError:
        raise ResumeReadError("The PDF is password-protected. Send a copy without a password.") from None
    except Exception as exc:  # noqa: BLE001 - a damaged file makes pypdf fail in many ways, all meaning the same
        log.info("unreadable PDF: %r", exc)
        raise ResumeReadError("The PDF is damaged and cannot be read. Export it again and resend it.") from None


def _pdf_link_targets(page: Mapping[str, Any]) -> Iterator[str]:
    """Addresses behind clickable links ("LinkedIn" pointing to the profile), which the text lacks."""
    for annotation in page.get("/Annots") or []:
        action = annotation.get_object().get("/A") or {}
        uri = action.get("/URI") if hasattr(action, "get") else None
        if isinstance(uri, (str, bytes)):
            yield uri.decode("latin-1") if isinstance(uri, bytes) else str(uri)


def _docx_text(content: bytes) -> str:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    _check_docx_package(content)
    try:
        document = docx.Document(io.BytesIO(content))
    except (PackageNotFoundError, KeyError, ValueError, zipfile.BadZipFile) as exc:
        log.info("unreadable DOCX: %r", exc)
        raise ResumeReadError("The DOCX file is damaged and cannot be read. Save it again and resend it.") from None
    lines: list[str] = []
    for section in document.sections:
        lines.extend(p.text for p in section.header.paragraphs)
    for paragraph in document.paragraphs:
        lines.append(paragraph.text)
        lines.extend(link.url for link in paragraph.hyperlinks if link.url)
    for table in document.tables:
        for row in table.rows:
            lines.extend(cell.text for cell in row.cells)
    return "\n".join(lines)


def _check_docx_package(content: bytes) -> None:
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as package:
            entries = package.infolist()
    except zipfile.BadZipFile:
        raise ResumeReadError("This is not a valid DOCX file (an old .doc? Save it as .docx).") from None
    if not any(entry.filename == "word/document.xml" for entry in entries):
        raise ResumeReadError("This is not a Word document (no word/document.xml inside).")
    if any(entry.flag_bits & 0x1 for entry in entries):
        raise ResumeReadError("The DOCX is password-protected. Send a copy without a password.")
    if sum(entry.file_size for entry in entries) > MAX_DOCX_UNPACKED_BYTES:
        raise ResumeReadError("The DOCX unpacks to more than 100 MiB; that is not a résumé.")


def _tidy(text: str) -> str:
    """Lines stripped, runs of blank lines folded into one, NUL characters (PostgreSQL refuses them) gone."""
    lines = [line.strip() for line in text.replace("\x00", "").splitlines()]
    tidy: list[str] = []
    for line in lines:
        if line or (tidy and tidy[-1]):
            tidy.append(line)
    return "\n".join(tidy).strip()


# --------------------------------------------------------------------------- contacts

EMAIL = re.compile(r"(?<![\w.+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
PHONE = re.compile(r"(?<![\w+])\+?\(?\d[\d \t().-]{5,}\d(?!\w)")
_URL_TAIL = r"[^\s<>()\[\]{}\"'|,;]+"
# http(s):// and www. addresses, and bare linkedin.com/... or github.com/... ones as résumés often print them
URL = re.compile(rf"(?:https?://|www\.){_URL_TAIL}|(?:[\w-]+\.)*(?:linkedin|github)\.com/{_URL_TAIL}", re.IGNORECASE)
YEAR_RANGE = re.compile(r"^(19|20)\d\d\s*[-–.]\s*(19|20)\d\d$")
NAME_WORD = re.compile(r"^[^\W\d_][^\W\d_'’.-]*(?:['’.-][^\W\d_]*)*\.?$")
NAME_PARTICLES = frozenset({"van", "von", "der", "den", "de", "da", "di", "du", "del", "la", "le", "bin", "al", "ter"})
NOT_NAMES = frozenset({"curriculum vitae", "resume", "résumé", "cv", "contact", "profile", "summary"})
# Words of a headline ("Senior Software Engineer"), which is capitalised like a name.
NOT_NAME_WORDS = frozenset(
    {
        "senior",
        "junior",
        "lead",
        "principal",
        "staff",
        "head",
        "chief",
        "software",
        "engineer",
        "developer",
        "designer",
        "manager",
        "analyst",
        "consultant",
        "scientist",
        "architect",
        "director",
        "intern",
        "resume",
        "résumé",
        "curriculum",
        "vitae",
    }
)
NAME_SEPARATORS = re.compile(r"\s+[|•·–—-]\s+|[|•·,]")


def find_contacts(text: str) -> Contacts:
    """Name, e-mail, phone and links as a typical résumé shows them near its top."""
    return Contacts(
        name=_find_name(text),
        email=_first(EMAIL.findall(text)),
        phone=_find_phone(text),
        links=_find_links(text),
    )


def _first(found: list[str]) -> str | None:
    return found[0] if found else None


def _find_name(text: str) -> str | None:
    """The first of the top lines that reads like a person's name: 2-4 capitalised words, no digits."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines[:NAME_SEARCH_LINES]:
        candidate = NAME_SEPARATORS.split(line, maxsplit=1)[0].strip()
        if _looks_like_name(candidate):
            return candidate.title() if candidate.isupper() else candidate
    return None


def _looks_like_name(candidate: str) -> bool:
    if candidate.casefold() in NOT_NAMES or len(candidate) > 60:
        return False
    words = candidate.split()
    if not 2 <= len(words) <= 4 or not all(NAME_WORD.match(word) for word in words):
        return False
    if any(word.casefold() in NOT_NAME_WORDS for word in words):
        return False
    capitalised = [w for w in words if w.casefold() not in NAME_PARTICLES]
    return len(capitalised) >= 2 and all(w[0].isupper() for w in capitalised)


def _find_phone(text: str) -> str | None:
    for match in PHONE.finditer(text):
        candidate = match.group().strip()
        digits = sum(ch.isdigit() for ch in candidate)
        if 7 <= digits <= 15 and not YEAR_RANGE.match(candidate) and not _is_date(candidate):
            return candidate
    return None


def _is_date(candidate: str) -> bool:
    """12.03.2020, 2020-03-12 and the like are dates, not phone numbers."""
    return bool(re.fullmatch(r"\d{1,4}[./-]\d{1,2}[./-]\d{1,4}", candidate))


def _find_links(text: str) -> dict[str, str]:
    links: dict[str, str] = {}
    for match in URL.finditer(text):
        url = _as_url(match.group())
        host = (urlsplit(url).hostname or "").casefold().removeprefix("www.")
        if not host or "." not in host:
            continue
        if host.endswith("linkedin.com"):
            kind = "linkedin"
        elif host == "github.com":
            kind = "github"
        else:
            kind = "website"
        links.setdefault(kind, url)
    return links


def _as_url(found: str) -> str:
    url = found.rstrip(".:!?")
    return url if url.lower().startswith(("http://", "https://")) else "https://" + url


def split_name(full_name: str) -> tuple[str, str] | None:
    """First and last name ("Ludwig van Beethoven" → "Ludwig", "van Beethoven"); None for a single word."""
    words = full_name.split()
    if len(words) < 2:
        return None
    cut = next((i for i in range(1, len(words) - 1) if words[i].casefold() in NAME_PARTICLES), len(words) - 1)
    return " ".join(words[:cut]), " ".join(words[cut:])
