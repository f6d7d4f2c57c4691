"""A fake Telegram Bot API server for end-to-end tests.

Owns an aiohttp.web server that speaks the Bot API's HTTP protocol
(`{base}/bot{token}/{method}` for methods, `{base}/file/bot{token}/{path}` for
downloads), the chat state behind it (the bot's messages in their current edited
state, the users' messages, files, the update queue for long polling) and the
simulated users who write to the bot and tap its buttons.

The bot under test points at it exactly as a user points a bot at a local Bot API
server: `AiohttpSession(api=TelegramAPIServer.from_base(fake.base_url))`.

Telegram's behaviour is copied where a bot can trip over it: formatted text is
parsed (HTML, MarkdownV2, Markdown) into plain text + entities and rejected with
Telegram's "can't parse entities" errors, text is stripped, editing a message
without `reply_markup` removes its inline keyboard, identical edits fail with
"message is not modified", callback data over 64 bytes is refused, and a second
`getUpdates` terminates the first with 409 Conflict. With `enforce_limits=True` it also
applies Telegram's flood limits (see `FloodControl`) and answers 429 with `retry_after`.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
import json
import math
import mimetypes
import re
import secrets
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

JsonObject = dict[str, Any]
Handler = Callable[[JsonObject], Any]

#: A valid 1x1 PNG, the picture simulated users send unless told otherwise.
TINY_PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


# --------------------------------------------------------------------------- records


@dataclass
class ApiCall:
    """One request the bot made: the method's canonical name and its decoded parameters."""

    method: str
    params: JsonObject
    error: str | None = None  # the error description the fake answered with, if any
    at: float = field(default_factory=time.monotonic)  # when the request arrived (monotonic clock)


@dataclass(frozen=True)
class UploadedFile:
    """A file the bot uploaded in a multipart request."""

    filename: str | None
    content_type: str | None
    content: bytes


@dataclass(frozen=True)
class InlineButton:
    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class CallbackAnswer:
    """What the bot answered to a tapped button (answerCallbackQuery)."""

    text: str | None
    show_alert: bool
    url: str | None = None
    cache_time: int = 0


@dataclass
class ChatMessage:
    """A message the bot sent, in its current state: edits update it in place."""

    chat_id: int
    message_id: int
    text: str | None = None
    caption: str | None = None
    photo: bytes | None = None
    document: bytes | None = None
    document_name: str | None = None
    reply_markup: JsonObject | None = None
    parse_mode: str | None = None
    edits: int = 0
    deleted: bool = False
    entities: list[JsonObject] = field(default_factory=list)  # of the text or the caption
    date: int = 0
    edit_date: int | None = None
    file_id: str | None = None  # of the photo or the document
    document_mime_type: str | None = None
    reply_to_message_id: int | None = None

    @property
    def body(self) -> str:
        return self.text or self.caption or ""

    def buttons(self) -> list[InlineButton]:
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [
            InlineButton(button["text"], button.get("callback_data"), button.get("url"))
            for row in rows
            for button in row
        ]

    def button(self, text_substring: str) -> InlineButton:
        """The button whose text equals (else contains) `text_substring`, ignoring case."""
        wanted = text_substring.casefold()
        buttons = self.buttons()
        exact = [b for b in buttons if b.text.casefold() == wanted]
        partial = [b for b in buttons if wanted in b.text.casefold()]
        if exact or partial:
            return (exact or partial)[0]
        labels = ", ".join(repr(b.text) for b in buttons) or "no inline buttons"
        raise LookupError(
            f"no button matching {text_substring!r} on message #{self.message_id} {_excerpt(self.body)!r}: {labels}"
        )


@dataclass(frozen=True)
class _InjectedError:
    error_code: int
    description: str
    retry_after: int | None


@dataclass(frozen=True)
class _StoredFile:
    file_id: str
    file_unique_id: str
    file_path: str
    content: bytes
    mime_type: str
    file_name: str | None = None
    width: int = 0
    height: int = 0

    def file_json(self) -> JsonObject:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "file_size": len(self.content),
            "file_path": self.file_path,
        }

    def photo_size_json(self) -> JsonObject:
        return {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "width": self.width,
            "height": self.height,
            "file_size": len(self.content),
        }

    def document_json(self) -> JsonObject:
        document = {
            "file_id": self.file_id,
            "file_unique_id": self.file_unique_id,
            "mime_type": self.mime_type,
            "file_size": len(self.content),
        }
        if self.file_name:
            document["file_name"] = self.file_name
        return document


# --------------------------------------------------------------------------- errors


class BotApiError(Exception):
    """An error response of the Bot API: `{"ok": false, "error_code": ..., ...}`."""

    def __init__(self, error_code: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.error_code = error_code
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> JsonObject:
        body: JsonObject = {"ok": False, "error_code": self.error_code, "description": self.description}
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def _bad_request(reason: str) -> BotApiError:
    return BotApiError(400, f"Bad Request: {reason}")


def _cant_parse(reason: str) -> BotApiError:
    return _bad_request(f"can't parse entities: {reason}")


WEBHOOK_CONFLICT = (
    "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"
)
POLLING_CONFLICT = "Conflict: terminated by other getUpdates request; make sure that only one bot instance is running"
NOT_MODIFIED = (
    "message is not modified: specified new message content and reply markup are exactly "
    "the same as a current content and reply markup of the message"
)


# --------------------------------------------------------------------------- flood control

#: Methods Telegram counts against a bot's sending limits.
LIMITED_METHODS = frozenset(
    [
        "sendmessage",
        "sendphoto",
        "senddocument",
        "sendvideo",
        "sendanimation",
        "sendaudio",
        "sendvoice",
        "sendvideonote",
        "sendsticker",
        "sendmediagroup",
        "sendlocation",
        "sendcontact",
        "sendpoll",
        "senddice",
        "copymessage",
        "forwardmessage",
        "editmessagetext",
        "editmessagecaption",
        "editmessagemedia",
        "editmessagereplymarkup",
    ]
)


class FloodControl:
    """Telegram's published sending limits, as sliding windows over the requests' arrival times.

    About 30 messages a second overall, 1 a second per private chat (positive id) and 20 a
    minute per group or channel (negative id or @username). Telegram publishes rates, not an
    algorithm; a sliding window is the strict reading (no burst allowance). `tolerance`
    shortens each window a little, as Telegram's "about" does, so that a client pacing itself
    exactly at the limit is not refused for a millisecond of network jitter.
    """

    def __init__(
        self,
        overall_per_second: int = 30,
        private_per_second: int = 1,
        group_per_minute: int = 20,
        tolerance: float = 0.1,
    ) -> None:
        self._overall = (overall_per_second, 1.0 * (1 - tolerance))
        self._private = (private_per_second, 1.0 * (1 - tolerance))
        self._group = (group_per_minute, 60.0 * (1 - tolerance))
        self._windows: dict[object, deque[float]] = defaultdict(deque)
        self.refused = 0  # requests answered with 429

    def admit(self, method: str, chat_id: Any, now: float) -> None:
        """Records a send at `now`, or raises 429 if it would exceed a limit."""
        if method.lower() not in LIMITED_METHODS:
            return
        limits: list[tuple[object, tuple[int, float]]] = [("overall", self._overall)]
        if isinstance(chat_id, int) and chat_id > 0:
            limits.append((chat_id, self._private))
        elif chat_id not in (None, ""):
            limits.append((chat_id, self._group))
        wait = max(self._wait(key, limit, window, now) for key, (limit, window) in limits)
        if wait > 0:
            self.refused += 1
            retry_after = max(1, math.ceil(wait))
            raise BotApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)
        for key, _ in limits:
            self._windows[key].append(now)

    def _wait(self, key: object, limit: int, window: float, now: float) -> float:
        """Seconds until `key` may send again (0 if it may send now)."""
        sent = self._windows[key]
        while sent and sent[0] <= now - window:
            sent.popleft()
        return sent[0] + window - now if len(sent) >= limit else 0.0


# --------------------------------------------------------------------------- text and entities


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(source: str, index: int) -> int:
    return len(source[:index].encode())


def _sorted_entities(entities: Iterable[JsonObject]) -> list[JsonObject]:
    return sorted(entities, key=lambda e: (e["offset"], -e["length"]))


def _entity(kind: str, start: int, end: int) -> JsonObject:
    """A MessageEntity covering UTF-16 offsets [start, end)."""
    return {"type": kind, "offset": start, "length": end - start}


def _overlaps(a: JsonObject, b: JsonObject) -> bool:
    return a["offset"] < b["offset"] + b["length"] and b["offset"] < a["offset"] + a["length"]


class _PlainText:
    """Accumulates parsed plain text, tracking its length in UTF-16 code units as Telegram does."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self.length = 0

    def add(self, text: str) -> None:
        self._parts.append(text)
        self.length += _utf16_len(text)

    def value(self) -> str:
        return "".join(self._parts)


_COMMON_TLDS = frozenset(
    [
        "com",
        "org",
        "net",
        "io",
        "ai",
        "co",
        "dev",
        "app",
        "jobs",
        "careers",
        "work",
        "info",
        "biz",
        "edu",
        "gov",
        "tech",
        "xyz",
        "me",
        "online",
        "site",
        "page",
        "cloud",
        "so",
        "gg",
        "ly",
        "to",
        "fm",
        "tv",
        "sh",
        "team",
        "world",
        "global",
        "agency",
        "company",
        "digital",
        "solutions",
        "systems",
        "software",
        "network",
        "academy",
        "store",
        "shop",
        "blog",
        "news",
        "link",
        "live",
        "pro",
        "name",
        "mobi",
        "asia",
        "recruit",
        "studio",
        "design",
        "email",
        "services",
        "group",
        "inc",
        "ltd",
        "llc",
    ]
)
_URL = re.compile(
    r"(?<![\w@.\-/])"
    r"(?:(?P<scheme>https?|ftp)://)?"
    r"(?P<host>localhost|\d{1,3}(?:\.\d{1,3}){3}|(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?P<tld>[a-z]{2,63}))"
    r"(?::\d{1,5})?"
    r"(?:[/?#]\S*)?",
    re.IGNORECASE,
)
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@(?:[a-z0-9-]+\.)+[a-z]{2,63}(?![\w-])", re.IGNORECASE)
_BOT_COMMAND = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/])")
_MENTION = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{4,32}(?!\w)")
_HASHTAG = re.compile(r"(?<![\w#])#\w*[^\W\d]\w*")
_FORMATTING_TYPES = frozenset(
    {"bold", "italic", "underline", "strikethrough", "spoiler", "blockquote", "expandable_blockquote"}
)


def _is_link(match: re.Match[str]) -> bool:
    if match["scheme"]:
        return True
    if match["host"].lower() == "localhost":
        return False
    tld = (match["tld"] or "").lower()
    return not tld or tld in _COMMON_TLDS or len(tld) == 2


def _trim_url(url: str) -> str:
    """Drops trailing punctuation and unbalanced closing brackets, as Telegram does."""
    pairs = {")": "(", "]": "[", "}": "{"}
    while url:
        last = url[-1]
        if last in ".,;:!?'\"" or (last in pairs and url.count(pairs[last]) < url.count(last)):
            url = url[:-1]
        else:
            break
    return url


def detect_entities(text: str) -> list[JsonObject]:
    """Entities Telegram finds by itself in plain text: links, e-mails, commands, mentions, hashtags."""
    spans: list[tuple[int, int, str]] = []

    def claim(start: int, end: int, kind: str) -> None:
        if end > start and not any(start < e and s < end for s, e, _ in spans):
            spans.append((start, end, kind))

    for match in _EMAIL.finditer(text):
        claim(match.start(), match.end(), "email")
    for match in _URL.finditer(text):
        if _is_link(match):
            claim(match.start(), match.start() + len(_trim_url(match.group())), "url")
    for pattern, kind in ((_BOT_COMMAND, "bot_command"), (_MENTION, "mention"), (_HASHTAG, "hashtag")):
        for match in pattern.finditer(text):
            claim(match.start(), match.end(), kind)
    return _sorted_entities(
        {"type": kind, "offset": _utf16_len(text[:start]), "length": _utf16_len(text[start:end])}
        for start, end, kind in spans
    )


def _are_entities(value: Any) -> bool:
    return isinstance(value, list) and all(
        isinstance(e, dict) and {"type", "offset", "length"} <= e.keys() for e in value
    )


def _with_detected_entities(text: str, entities: list[JsonObject]) -> list[JsonObject]:
    """Adds the entities Telegram detects itself wherever no explicit entity claims the text."""
    claiming = [e for e in entities if e["type"] not in _FORMATTING_TYPES]
    detected = [d for d in detect_entities(text) if not any(_overlaps(d, e) for e in claiming)]
    return _sorted_entities(entities + detected)


def _strip_text(text: str, entities: list[JsonObject]) -> tuple[str, list[JsonObject]]:
    """Telegram strips leading and trailing whitespace from messages; entities follow."""
    left_stripped = text.lstrip()
    lead = _utf16_len(text) - _utf16_len(left_stripped)
    stripped = left_stripped.rstrip()
    total = _utf16_len(stripped)
    adjusted = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            adjusted.append({**entity, "offset": start, "length": end - start})
    return stripped, adjusted


# HTML ---------------------------------------------------------------------

_HTML_TAGS = {
    "b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "underline",
    "ins": "underline", "s": "strikethrough", "strike": "strikethrough", "del": "strikethrough",
    "span": "spoiler", "tg-spoiler": "spoiler", "a": "text_link", "code": "code", "pre": "pre",
    "blockquote": "blockquote", "tg-emoji": "custom_emoji",
}  # fmt: skip
_HTML_SPECIAL = re.compile("[<&]")
_HTML_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_CHAR_REF = re.compile(r"&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([a-zA-Z]+));")
_HTML_TAG_NAME = re.compile(r"[a-zA-Z0-9-]*")
_HTML_ATTRIBUTE = re.compile(r"""([a-zA-Z_][\w-]*)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+)))?""")


@dataclass
class _OpenTag:
    name: str
    offset: int  # UTF-16 offset of the tag's content in the plain text
    attributes: dict[str, str]
    language: str | None = None  # of a <pre>, from a nested <code class="language-...">


def _html_attributes(source: str) -> dict[str, str]:
    return {
        m[1].lower(): next((v for v in m.groups()[1:] if v is not None), "") for m in _HTML_ATTRIBUTE.finditer(source)
    }


class _HtmlParser:
    """Telegram's parse_mode=HTML: the supported tags become entities, anything else is an error."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0
        self.text = _PlainText()
        self.stack: list[_OpenTag] = []
        self.entities: list[JsonObject] = []

    def parse(self) -> tuple[str, list[JsonObject]]:
        while self.pos < len(self.source):
            char = self.source[self.pos]
            if char == "<":
                self._tag()
            elif char == "&":
                self._char_ref()
            else:
                special = _HTML_SPECIAL.search(self.source, self.pos)
                end = special.start() if special else len(self.source)
                self.text.add(self.source[self.pos : end])
                self.pos = end
        if self.stack:
            raise _cant_parse(f'Can\'t find end tag corresponding to start tag "{self.stack[-1].name}"')
        return self.text.value(), _sorted_entities(self.entities)

    def _char_ref(self) -> None:
        match = _HTML_CHAR_REF.match(self.source, self.pos)
        decoded = None
        if match and match[3]:
            decoded = _HTML_NAMED_ENTITIES.get(match[3].lower())
        elif match:
            code_point = int(match[1]) if match[1] else int(match[2], 16)
            decoded = chr(code_point) if 0 < code_point <= 0x10FFFF else None
        if match and decoded is not None:
            self.text.add(decoded)
            self.pos = match.end()
        else:  # a lone "&" is kept as text
            self.text.add("&")
            self.pos += 1

    def _tag(self) -> None:
        start = self.pos
        closing = self.source.startswith("</", start)
        name_match = _HTML_TAG_NAME.match(self.source, start + (2 if closing else 1))
        name = name_match.group().lower()
        end = self.source.find(">", name_match.end())
        at = _byte_offset(self.source, start)
        if closing:
            if end == -1:
                raise _cant_parse(f"Unclosed end tag at byte offset {at}")
            self.pos = end + 1
            self._close(name, at)
            return
        if name not in _HTML_TAGS:
            raise _cant_parse(f'Unsupported start tag "{name}" at byte offset {at}')
        if end == -1:
            raise _cant_parse(f"Unclosed start tag at byte offset {at}")
        attributes = _html_attributes(self.source[name_match.end() : end])
        if name == "span" and attributes.get("class") != "tg-spoiler":
            raise _cant_parse(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
        self.stack.append(_OpenTag(name, self.text.length, attributes))
        self.pos = end + 1

    def _close(self, name: str, at: int) -> None:
        if not self.stack:
            raise _cant_parse(f"Unexpected end tag at byte offset {at}")
        tag = self.stack.pop()
        if tag.name != name:
            raise _cant_parse(f'Unmatched end tag at byte offset {at}, expected "</{tag.name}>", found "</{name}>"')
        entity = self._entity_for(tag)
        if entity is not None:
            self.entities.append(entity)

    def _entity_for(self, tag: _OpenTag) -> JsonObject | None:
        length = self.text.length - tag.offset
        if length == 0:
            return None
        entity: JsonObject = {"type": _HTML_TAGS[tag.name], "offset": tag.offset, "length": length}
        if tag.name == "a":
            href = tag.attributes.get("href", "").strip()
            if not href:
                return None
            entity["url"] = href
        elif tag.name == "code" and self._is_pre_language(tag):
            self.stack[-1].language = tag.attributes["class"].removeprefix("language-")
            return None
        elif tag.name == "pre" and tag.language:
            entity["language"] = tag.language
        elif tag.name == "blockquote" and "expandable" in tag.attributes:
            entity["type"] = "expandable_blockquote"
        elif tag.name == "tg-emoji":
            entity["custom_emoji_id"] = tag.attributes.get("emoji-id", "")
        return entity

    def _is_pre_language(self, code: _OpenTag) -> bool:
        parent = self.stack[-1] if self.stack else None
        return (
            parent is not None
            and parent.name == "pre"
            and parent.offset == code.offset
            and code.attributes.get("class", "").startswith("language-")
        )


# MarkdownV2 ---------------------------------------------------------------

_MARKDOWN_V2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")
_MARKDOWN_V2_NAMES = {
    "bold": "Bold", "italic": "Italic", "underline": "Underline", "strikethrough": "Strikethrough",
    "spoiler": "Spoiler", "text_link": "TextUrl", "custom_emoji": "CustomEmoji",
}  # fmt: skip


@dataclass
class _OpenMark:
    kind: str
    offset: int  # UTF-16 offset in the plain text
    at: int  # byte offset in the source, for error messages


class _MarkdownV2Parser:
    """Telegram's parse_mode=MarkdownV2, including its demand to escape every reserved character."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.pos = 0
        self.text = _PlainText()
        self.stack: list[_OpenMark] = []
        self.entities: list[JsonObject] = []
        self.quote_start: int | None = None

    def parse(self) -> tuple[str, list[JsonObject]]:
        while self.pos < len(self.source):
            char = self.source[self.pos]
            if char == "\\" and self._escapable(self.pos + 1):
                self.text.add(self.source[self.pos + 1])
                self.pos += 2
            elif char == "\n":
                self._newline()
            elif char == ">" and (self.pos == 0 or self.source[self.pos - 1] == "\n"):
                if self.quote_start is None:
                    self.quote_start = self.text.length
                self.pos += 1
            elif char not in _MARKDOWN_V2_RESERVED:
                self.text.add(char)
                self.pos += 1
            elif char == "`":
                self._code()
            elif self._closes_top(char):
                self._close()
            else:
                self._open(char)
        self._end_quote(self.text.length)
        if self.stack:
            top = self.stack[-1]
            name = _MARKDOWN_V2_NAMES[top.kind]
            raise _cant_parse(f"Can't find end of {name} entity at byte offset {top.at}")
        return self.text.value(), _sorted_entities(self.entities)

    def _escapable(self, index: int) -> bool:
        return index < len(self.source) and 0 < ord(self.source[index]) <= 126

    def _peek(self, offset: int = 1) -> str:
        return self.source[self.pos + offset : self.pos + offset + 1]

    def _newline(self) -> None:
        self.text.add("\n")
        self.pos += 1
        if self._peek(0) != ">":
            self._end_quote(self.text.length - 1)

    def _end_quote(self, end: int) -> None:
        if self.quote_start is not None and end > self.quote_start:
            self.entities.append(_entity("blockquote", self.quote_start, end))
        self.quote_start = None

    def _closes_top(self, char: str) -> bool:
        if not self.stack:
            return False
        doubled = self._peek() == char
        return {
            "bold": char == "*",
            "italic": char == "_" and not doubled,
            "underline": char == "_" and doubled,
            "strikethrough": char == "~",
            "spoiler": char == "|" and doubled,
            "text_link": char == "]",
            "custom_emoji": char == "]",
        }[self.stack[-1].kind]

    def _open(self, char: str) -> None:
        doubled = self._peek() == char
        if char == "_":
            kind, width = ("underline", 2) if doubled else ("italic", 1)
        elif char == "|" and doubled:
            kind, width = "spoiler", 2
        elif char == "!" and self._peek() == "[":
            kind, width = "custom_emoji", 2
        else:
            kind, width = {"*": "bold", "~": "strikethrough", "[": "text_link"}.get(char, ""), 1
        if not kind:
            raise _cant_parse(f"Character '{char}' is reserved and must be escaped with the preceding '\\'")
        self.stack.append(_OpenMark(kind, self.text.length, _byte_offset(self.source, self.pos)))
        self.pos += width

    def _close(self) -> None:
        mark = self.stack.pop()
        self.pos += 2 if mark.kind in ("underline", "spoiler") else 1
        entity = _entity(mark.kind, mark.offset, self.text.length)
        if mark.kind in ("text_link", "custom_emoji"):
            target = self._link_target()
            if not target:
                return
            if mark.kind == "text_link":
                entity["url"] = target
            else:
                entity["custom_emoji_id"] = target.rpartition("id=")[2]
        if entity["length"] > 0:
            self.entities.append(entity)

    def _link_target(self) -> str | None:
        if self._peek(0) != "(":
            return None
        start = self.pos
        self.pos += 1
        target = []
        while self.pos < len(self.source) and self.source[self.pos] != ")":
            if self.source[self.pos] == "\\" and self._escapable(self.pos + 1):
                self.pos += 1
            target.append(self.source[self.pos])
            self.pos += 1
        if self.pos >= len(self.source):
            raise _cant_parse(f"Can't find end of a URL at byte offset {_byte_offset(self.source, start)}")
        self.pos += 1
        return "".join(target)

    def _code(self) -> None:
        at = _byte_offset(self.source, self.pos)
        pre = self.source.startswith("```", self.pos)
        fence = "```" if pre else "`"
        self.pos += len(fence)
        language = None
        if pre:
            line_end = self.source.find("\n", self.pos)
            first_line = self.source[self.pos : line_end] if line_end >= 0 else ""
            if line_end >= 0 and first_line and not any(c.isspace() or c == "`" for c in first_line):
                language = first_line
                self.pos = line_end + 1
        offset = self.text.length
        while not self.source.startswith(fence, self.pos):
            if self.pos >= len(self.source):
                raise _cant_parse(f"Can't find end of {'Pre' if pre else 'Code'} entity at byte offset {at}")
            if self.source[self.pos] == "\\" and self._escapable(self.pos + 1):
                self.pos += 1
            self.text.add(self.source[self.pos])
            self.pos += 1
        self.pos += len(fence)
        entity = _entity("pre" if pre else "code", offset, self.text.length)
        if language:
            entity["language"] = language
        if entity["length"] > 0:
            self.entities.append(entity)


# Markdown (legacy) --------------------------------------------------------

_LEGACY_MARKDOWN = re.compile(
    r"```(?:(?P<language>[^\s`]+)\n)?(?P<pre>.*?)```|`(?P<code>[^`]*)`|\*(?P<bold>[^*]*)\*"
    r"|_(?P<italic>[^_]*)_|\[(?P<link>[^\]]*)\]\((?P<url>[^)]*)\)",
    re.DOTALL,
)


def _parse_legacy_markdown(source: str) -> tuple[str, list[JsonObject]]:
    """Telegram's legacy parse_mode=Markdown: *bold*, _italic_, `code`, ```pre```, [text](url)."""
    text = _PlainText()
    entities: list[JsonObject] = []
    pos = 0
    while pos < len(source):
        char = source[pos]
        if char == "\\" and source[pos + 1 : pos + 2] in ("_", "*", "`", "["):
            text.add(source[pos + 1])
            pos += 2
            continue
        if char not in "*_`[":
            text.add(char)
            pos += 1
            continue
        match = _LEGACY_MARKDOWN.match(source, pos)
        if match is None:
            at = _byte_offset(source, pos)
            raise _cant_parse(f"Can't find end of the entity starting at byte offset {at}")
        kind = next(k for k in ("pre", "code", "bold", "italic", "link") if match[k] is not None)
        offset = text.length
        text.add(match[kind])
        entity = _entity("text_link" if kind == "link" else kind, offset, text.length)
        if kind == "link":
            entity["url"] = match["url"]
        if kind == "pre" and match["language"]:
            entity["language"] = match["language"]
        if entity["length"] > 0:
            entities.append(entity)
        pos = match.end()
    return text.value(), _sorted_entities(entities)


def parse_formatted(source: str, parse_mode: str | None) -> tuple[str, list[JsonObject]]:
    """Plain text and entities of `source` as Telegram parses it under `parse_mode`."""
    mode = (parse_mode or "").lower()
    if not mode:
        return source, []
    if mode == "html":
        return _HtmlParser(source).parse()
    if mode == "markdownv2":
        return _MarkdownV2Parser(source).parse()
    if mode == "markdown":
        return _parse_legacy_markdown(source)
    raise _bad_request(f"unsupported parse_mode {parse_mode!r}")


# --------------------------------------------------------------------------- request decoding

_JSON_FIELDS = frozenset(
    {"reply_markup", "entities", "caption_entities", "allowed_updates", "commands", "scope",
     "link_preview_options", "reply_parameters"}
)  # fmt: skip
_INT_FIELDS = frozenset(
    {"chat_id", "message_id", "offset", "limit", "timeout", "reply_to_message_id", "cache_time",
     "message_thread_id", "max_connections"}
)  # fmt: skip
_BOOL_FIELDS = frozenset(
    {"show_alert", "disable_notification", "protect_content", "drop_pending_updates",
     "disable_web_page_preview", "allow_sending_without_reply", "disable_content_type_detection",
     "show_caption_above_media", "has_spoiler"}
)  # fmt: skip
_JSON_FIELD_ERRORS = {
    "reply_markup": "can't parse reply keyboard markup JSON object",
    "entities": "can't parse entities JSON object",
    "caption_entities": "can't parse entities JSON object",
}


async def _read_raw_params(request: web.Request) -> JsonObject:
    """Query, urlencoded, multipart or JSON parameters, with uploads as UploadedFile."""
    params: JsonObject = dict(request.query)
    if not request.body_exists:
        return params
    if request.content_type == "application/json":
        body = await request.json()
        params.update(body if isinstance(body, dict) else {})
        return params
    for key, value in (await request.post()).items():
        params[key] = (
            UploadedFile(value.filename, value.content_type, value.file.read())
            if isinstance(value, web.FileField)
            else value
        )
    return _resolve_attachments(params)


def _resolve_attachments(params: JsonObject) -> JsonObject:
    """Replaces `attach://<part>` references by the uploaded part they name."""
    resolved = dict(params)
    for key, value in params.items():
        if isinstance(value, str) and value.startswith("attach://"):
            part = value.removeprefix("attach://")
            if isinstance(params.get(part), UploadedFile):
                resolved[key] = resolved.pop(part)
    return resolved


def _decode_params(raw: JsonObject) -> JsonObject:
    """Turns the strings of a form into the JSON values, ints and booleans they encode."""
    params = dict(raw)
    for key, value in raw.items():
        if not isinstance(value, str):
            continue
        if key in _JSON_FIELDS:
            try:
                params[key] = json.loads(value)
            except ValueError:
                raise _bad_request(_JSON_FIELD_ERRORS.get(key, f"can't parse {key} JSON object")) from None
        elif key in _INT_FIELDS:
            params[key] = int(value) if re.fullmatch(r"-?\d+", value.strip()) else value
        elif key in _BOOL_FIELDS:
            params[key] = value.strip().lower() in ("true", "1")
    return params


def _int_param(params: JsonObject, key: str, default: int) -> int:
    value = params.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool):
        raise _bad_request(f"invalid {key} specified")
    return value


_CHAT_ACTIONS = frozenset(
    [
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    ]
)


# --------------------------------------------------------------------------- keyboards

_BUTTON_ACTIONS = (
    "url", "callback_data", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)  # fmt: skip


def _validate_inline_keyboard(markup: JsonObject) -> None:
    rows = markup.get("inline_keyboard")
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise _bad_request("can't parse inline keyboard markup JSON object")
    for button in itertools.chain.from_iterable(rows):
        if not isinstance(button, dict) or not button.get("text"):
            raise _bad_request("can't parse inline keyboard button: Text must be non-empty")
        if not any(action in button for action in _BUTTON_ACTIONS):
            raise _bad_request("can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard")
        data = button.get("callback_data")
        if data is not None and not 1 <= len(str(data).encode()) <= 64:
            raise _bad_request("BUTTON_DATA_INVALID")
        url = button.get("url")
        if url is not None and not re.match(r"(?:https?|tg)://\S+$", str(url)):
            raise _bad_request(f"inline keyboard button URL '{url}' is invalid: Wrong HTTP URL")


def _inline_part(markup: JsonObject | None) -> JsonObject | None:
    """The part of a reply markup that a Message carries: only inline keyboards are."""
    return markup if markup and "inline_keyboard" in markup else None


# --------------------------------------------------------------------------- pictures

_IMAGE_SIGNATURES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"BM")


def _is_image(content: bytes) -> bool:
    return content.startswith(_IMAGE_SIGNATURES) or (content[:4] == b"RIFF" and content[8:12] == b"WEBP")


def _image_size(content: bytes) -> tuple[int, int]:
    if content.startswith(b"\x89PNG") and len(content) >= 24:
        return int.from_bytes(content[16:20], "big"), int.from_bytes(content[20:24], "big")
    if content.startswith(b"GIF") and len(content) >= 10:
        return int.from_bytes(content[6:8], "little"), int.from_bytes(content[8:10], "little")
    return 1280, 720


def _file_extension(file_name: str | None, mime_type: str) -> str:
    if file_name and "." in file_name:
        return "." + file_name.rsplit(".", 1)[1]
    return mimetypes.guess_extension(mime_type) or ""


def _excerpt(text: str, limit: int = 80) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _describe(message: ChatMessage) -> str:
    """One line for a failure report: where the message is, what state it is in, what it says."""
    flags = [
        f"edited {message.edits}x" if message.edits else "",
        "deleted" if message.deleted else "",
        "photo" if message.photo is not None else "",
        f"document {message.document_name}" if message.document is not None else "",
    ]
    labels = "".join(f" [{flag}]" for flag in flags if flag)
    buttons = " | ".join(b.text for b in message.buttons())
    line = f"chat {message.chat_id} #{message.message_id}{labels}: {_excerpt(message.body)!r}"
    return line + (f"  buttons: [{buttons}]" if buttons else "")


def _now() -> int:
    return int(time.time())


# --------------------------------------------------------------------------- the simulated user


class SimulatedUser:
    """A Telegram user in a private chat with the bot. Everything they do becomes an update."""

    def __init__(self, telegram: FakeTelegram, user_id: int, first_name: str, username: str | None) -> None:
        self._telegram = telegram
        self.user_id = user_id
        self.first_name = first_name
        self.username = username
        self.blocked = False

    @property
    def chat_id(self) -> int:
        return self.user_id

    def telegram_user(self) -> JsonObject:
        user: JsonObject = {
            "id": self.user_id,
            "is_bot": False,
            "first_name": self.first_name,
            "language_code": "en",
        }
        if self.username:
            user["username"] = self.username
        return user

    def telegram_chat(self) -> JsonObject:
        chat: JsonObject = {"id": self.chat_id, "type": "private", "first_name": self.first_name}
        if self.username:
            chat["username"] = self.username
        return chat

    def messages(self) -> list[ChatMessage]:
        """The bot's messages in this user's chat."""
        return self._telegram.messages(self.chat_id)

    def block(self) -> None:
        """Blocks the bot: its sends to this user fail with 403 Forbidden."""
        self.blocked = True

    async def send(self, text: str) -> int:
        """A plain text message; links, commands, mentions get entities as Telegram adds them."""
        return await self.send_message(text)

    async def send_message(self, text: str, entities: list[JsonObject] | None = None, **fields: Any) -> int:
        """A text message with explicit entities (e.g. text_link); extra Message fields are merged in."""
        return await self._telegram._receive(self, _text_content(text, entities) | fields)

    async def send_command(self, command: str) -> int:
        """A command such as "/start" or "/start payload", with its bot_command entity."""
        if not _BOT_COMMAND.match(command):
            raise ValueError(f"{command!r} does not start with a bot command")
        return await self.send_message(command)

    async def reply(self, to: ChatMessage, text: str) -> int:
        """A text reply to one of the bot's messages (answers a force-reply prompt)."""
        reply_to = self._telegram._bot_message_json(to, with_reply=False)
        return await self.send_message(text, reply_to_message=reply_to)

    async def forward_from_channel(
        self,
        text: str,
        channel_title: str = "Jobs Channel",
        entities: list[JsonObject] | None = None,
        channel_id: int = -100123,
        channel_username: str | None = None,
        channel_message_id: int = 77,
    ) -> int:
        """A channel post forwarded into the private chat (forward_origin of type "channel")."""
        channel: JsonObject = {"id": channel_id, "type": "channel", "title": channel_title}
        if channel_username:
            channel["username"] = channel_username
        date = _now() - 3600
        origin = {"type": "channel", "chat": channel, "message_id": channel_message_id, "date": date}
        legacy = {
            "forward_from_chat": channel,
            "forward_from_message_id": channel_message_id,
            "forward_date": date,
        }
        return await self._receive_forward(text, entities, origin, legacy)

    async def forward_from_user(
        self,
        text: str,
        sender_name: str = "Bob",
        sender_id: int = 555_000_111,
        *,
        hidden: bool = False,
        entities: list[JsonObject] | None = None,
    ) -> int:
        """A message forwarded from another user; `hidden` mimics their forward privacy setting."""
        date = _now() - 3600
        if hidden:
            origin: JsonObject = {"type": "hidden_user", "sender_user_name": sender_name, "date": date}
            legacy: JsonObject = {"forward_sender_name": sender_name, "forward_date": date}
        else:
            sender = {"id": sender_id, "is_bot": False, "first_name": sender_name}
            origin = {"type": "user", "sender_user": sender, "date": date}
            legacy = {"forward_from": sender, "forward_date": date}
        return await self._receive_forward(text, entities, origin, legacy)

    async def _receive_forward(
        self, text: str, entities: list[JsonObject] | None, origin: JsonObject, legacy: JsonObject
    ) -> int:
        # Bot API 7.0 replaced forward_from* by forward_origin; both are sent, as Telegram did for a while
        content = _text_content(text, entities) | {"forward_origin": origin} | legacy
        return await self._telegram._receive(self, content)

    async def send_photo_with_caption(
        self, caption: str, caption_entities: list[JsonObject] | None = None, image: bytes = TINY_PNG
    ) -> int:
        stored = self._telegram._store_file(image, folder="photos", mime_type="image/png")
        content = {"photo": [stored.photo_size_json()]} | _caption_content(caption, caption_entities)
        return await self._telegram._receive(self, content)

    async def send_document(self, filename: str, content: bytes, mime_type: str, caption: str | None = None) -> int:
        """A document the bot can fetch with getFile and download."""
        stored = self._telegram._store_file(content, folder="documents", mime_type=mime_type, file_name=filename)
        message = {"document": stored.document_json()}
        if caption:
            message |= _caption_content(caption, None)
        return await self._telegram._receive(self, message)

    async def tap(self, message: ChatMessage, button_text: str, timeout: float = 30) -> CallbackAnswer:
        """Taps an inline button; returns once the bot answers the callback query."""
        button = message.button(button_text)
        if button.callback_data is None:
            raise ValueError(f"button {button.text!r} has no callback_data (url={button.url!r})")
        return await self.tap_data(message, button.callback_data, timeout)

    async def tap_data(self, message: ChatMessage, callback_data: str, timeout: float = 30) -> CallbackAnswer:
        """A callback query with arbitrary (forged or stale) data on `message`."""
        return await self._telegram._tap(self, message, callback_data, timeout)


def _text_content(text: str, entities: list[JsonObject] | None) -> JsonObject:
    found = detect_entities(text) if entities is None else entities
    return {"text": text} | ({"entities": found} if found else {})


def _caption_content(caption: str, entities: list[JsonObject] | None) -> JsonObject:
    found = detect_entities(caption) if entities is None else entities
    return {"caption": caption} | ({"caption_entities": found} if found else {})


# --------------------------------------------------------------------------- the server


class FakeTelegram:
    """The Bot API server plus the chats behind it. Start it, point a bot at `base_url`."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",
        bot_username: str = "nyx_test_bot",
        *,
        bot_name: str = "Nyx Venatrix",
        enforce_limits: bool = False,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user: JsonObject = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
        }
        self.base_url = ""
        self.calls: list[ApiCall] = []
        self.downloads: list[str] = []  # file paths the bot downloaded
        self.webhook: JsonObject = {}
        # Telegram's flood limits, applied when enforce_limits (tests may also assign one)
        self.flood_control: FloodControl | None = FloodControl() if enforce_limits else None
        self._users: dict[int, SimulatedUser] = {}
        self._message_ids: dict[int, itertools.count[int]] = defaultdict(lambda: itertools.count(1))
        self._bot_messages: dict[tuple[int, int], ChatMessage] = {}
        self._user_messages: dict[tuple[int, int], JsonObject] = {}
        self._deleted_user_messages: set[tuple[int, int]] = set()
        self._files: dict[str, _StoredFile] = {}
        self._file_seq = itertools.count(1)
        self._commands: dict[tuple[str, str], list[JsonObject]] = {}
        self._updates: list[JsonObject] = []
        self._update_ids = itertools.count(1)
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._query_ids = itertools.count(4_200_000_000_000_000_001)
        self._pending_answers: dict[str, asyncio.Future[CallbackAnswer]] = {}
        self._failures: dict[str, deque[_InjectedError]] = defaultdict(deque)
        self._stalls: Counter[str] = Counter()  # calls still to hold without an answer, per method
        self._stalled = asyncio.Condition()
        self.stalled = 0  # requests held now
        self._stall_generation = 0
        self._updates_changed = asyncio.Condition()
        self._messages_changed = asyncio.Condition()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._methods: dict[str, tuple[str, Handler]] = {
            name.lower(): (name, handler) for name, handler in self._method_table().items()
        }

    # lifecycle -------------------------------------------------------------

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_download)
        # handler_cancellation: a long poll whose client hung up stops waiting at once
        self._runner = web.AppRunner(app, handler_cancellation=True, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        host, port = self._runner.addresses[0][:2]
        self.base_url = f"http://{host}:{port}"

    async def stop(self) -> None:
        self._closing = True
        async with self._updates_changed:
            self._updates_changed.notify_all()
        async with self._stalled:
            self._stalled.notify_all()
        for query_id in list(self._pending_answers):
            self._fail_callback(query_id, "the fake Telegram server stopped")
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # the test's view -------------------------------------------------------

    def user(self, user_id: int, first_name: str = "Ada", username: str | None = None) -> SimulatedUser:
        """The user with this id (created on first use); the bot may message them from now on."""
        if user_id not in self._users:
            self._users[user_id] = SimulatedUser(self, user_id, first_name, username)
        return self._users[user_id]

    def messages(self, chat_id: int | None = None) -> list[ChatMessage]:
        """The bot's messages in send order, current state (deleted ones are flagged, not dropped)."""
        return [m for m in self._bot_messages.values() if chat_id is None or m.chat_id == chat_id]

    def calls_of(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def bot_commands(self, scope: JsonObject | None = None, language_code: str = "") -> list[JsonObject]:
        """The commands set with setMyCommands for this scope and language."""
        return self._commands.get(self._commands_key(scope, language_code), [])

    async def wait_for_message(self, predicate: Callable[[ChatMessage], object], timeout: float = 30) -> ChatMessage:
        """The first bot message (already sent, or sent or edited later) that matches `predicate`.

        Deleted messages are matched too (they are flagged): check `m.deleted` if it matters.
        """
        found: ChatMessage | None = None

        def matched() -> bool:
            nonlocal found
            found = next((m for m in self._bot_messages.values() if predicate(m)), None)
            return found is not None

        try:
            async with asyncio.timeout(timeout):
                async with self._messages_changed:
                    await self._messages_changed.wait_for(matched)
        except TimeoutError:
            raise TimeoutError(self._describe_wait_failure(timeout)) from None
        assert found is not None
        return found

    def fail_next(self, method: str, error_code: int, description: str, retry_after: int | None = None) -> None:
        """The next call of `method` fails with this error (queued: call again for more)."""
        self._failures[method.lower()].append(_InjectedError(error_code, description, retry_after))

    def stall_next(self, method: str, times: int = 1) -> None:
        """The next `times` calls of `method` get no answer and do nothing, until the client gives up
        (a timeout) or `release_stalls` is called (then they fail with 502)."""
        self._stalls[method.lower()] += times

    async def release_stalls(self) -> None:
        self._stalls.clear()
        self._stall_generation += 1
        async with self._stalled:
            self._stalled.notify_all()

    async def wait_stalled(self, count: int, timeout: float = 30) -> None:
        """Until `count` requests are held at once."""
        async with asyncio.timeout(timeout), self._stalled:
            await self._stalled.wait_for(lambda: self.stalled >= count)

    async def _stall(self) -> None:
        generation = self._stall_generation
        async with self._stalled:
            self.stalled += 1
            self._stalled.notify_all()
        try:
            async with self._stalled:
                await self._stalled.wait_for(lambda: generation != self._stall_generation or self._closing)
        finally:
            self.stalled -= 1
        raise BotApiError(502, "Bad Gateway")

    def _describe_wait_failure(self, timeout: float) -> str:
        lines = [f"no bot message matched within {timeout}s; recent bot messages (oldest first):"]
        lines += [f"  {_describe(message)}" for message in self.messages()[-10:]]
        if len(lines) == 1:
            lines.append("  (none: the bot has sent nothing)")
        failures = [call for call in self.calls if call.error][-5:]
        if failures:
            lines.append("recent failed API calls:")
            lines += [f"  {call.method}: {call.error}" for call in failures]
        return "\n".join(lines)

    # simulated users' side -------------------------------------------------

    async def _receive(self, user: SimulatedUser, content: JsonObject) -> int:
        """Stores a message from `user` and queues it as an update; returns its message_id."""
        message_id = next(self._message_ids[user.chat_id])
        message = {
            "message_id": message_id,
            "from": user.telegram_user(),
            "chat": user.telegram_chat(),
            "date": _now(),
        } | content
        self._user_messages[(user.chat_id, message_id)] = message
        await self._enqueue("message", message)
        return message_id

    async def _tap(self, user: SimulatedUser, message: ChatMessage, data: str, timeout: float) -> CallbackAnswer:
        if message.chat_id != user.chat_id:
            raise ValueError(f"message #{message.message_id} is in chat {message.chat_id}, not {user.chat_id}")
        if message.deleted:
            raise ValueError(f"message #{message.message_id} was deleted; nobody can tap its buttons")
        query_id = str(next(self._query_ids))
        answer = asyncio.get_running_loop().create_future()
        self._pending_answers[query_id] = answer
        query = {
            "id": query_id,
            "from": user.telegram_user(),
            "message": self._bot_message_json(message),
            "chat_instance": str(-user.chat_id * 7919),
            "data": data,
        }
        await self._enqueue("callback_query", query)
        try:
            # shielded so a late answerCallbackQuery still finds its query alive
            return await asyncio.wait_for(asyncio.shield(answer), timeout)
        except TimeoutError:
            raise TimeoutError(
                f"the bot did not answer the callback query {data!r} on message #{message.message_id} "
                f"within {timeout}s (does a handler call callback.answer()?)"
            ) from None

    def _fail_callback(self, query_id: str, reason: str) -> None:
        answer = self._pending_answers.pop(query_id, None)
        if answer is not None and not answer.done():
            answer.set_exception(RuntimeError(reason))
            answer.exception()  # mark retrieved: nobody may be awaiting it any more

    async def _enqueue(self, kind: str, payload: JsonObject) -> None:
        update = {"update_id": next(self._update_ids), kind: payload}
        if not self._wants(kind):
            reason = f"the bot does not receive {kind} updates (allowed_updates={self._allowed_updates})"
            self._discard(update, reason)
            return
        async with self._updates_changed:
            self._updates.append(update)
            self._updates_changed.notify_all()

    def _wants(self, kind: str) -> bool:
        if self._allowed_updates:
            return kind in self._allowed_updates
        return kind not in ("chat_member", "message_reaction", "message_reaction_count")

    def _discard(self, update: JsonObject, reason: str) -> None:
        if "callback_query" in update:
            self._fail_callback(update["callback_query"]["id"], reason)

    # files -----------------------------------------------------------------

    def _store_file(self, content: bytes, *, folder: str, mime_type: str, file_name: str | None = None) -> _StoredFile:
        seq = next(self._file_seq)
        extension = _file_extension(file_name, mime_type)
        width, height = _image_size(content) if folder == "photos" else (0, 0)
        stored = _StoredFile(
            file_id=f"{folder[:3].upper()}AgADfake{seq:06d}{secrets.token_hex(4)}",
            file_unique_id=f"AQADfake{seq:06d}",
            file_path=f"{folder}/file_{seq}{extension}",
            content=content,
            mime_type=mime_type,
            file_name=file_name,
            width=width,
            height=height,
        )
        self._files[stored.file_id] = stored
        return stored

    def _input_file(self, params: JsonObject, key: str) -> tuple[bytes, str | None, _StoredFile | None]:
        """Content and filename of an uploaded file, or of a file_id sent again."""
        value = params.get(key)
        if isinstance(value, UploadedFile):
            if not value.content:
                raise _bad_request("file must be non-empty")
            return value.content, value.filename, None
        if isinstance(value, str) and value in self._files:
            stored = self._files[value]
            return stored.content, stored.file_name, stored
        if isinstance(value, str) and value.startswith(("http://", "https://")):
            raise _bad_request("failed to get HTTP URL content")
        if value:
            raise _bad_request("wrong file identifier/HTTP URL specified")
        raise _bad_request(f"there is no {key} in the request")

    # HTTP ------------------------------------------------------------------

    async def _handle_method(self, request: web.Request) -> web.Response:
        raw = await _read_raw_params(request)
        name = request.match_info["method"]
        canonical, handler = self._methods.get(name.lower(), (name, None))
        call = ApiCall(canonical, raw)
        self.calls.append(call)
        try:
            if request.match_info["token"] != self.token:
                raise BotApiError(401, "Unauthorized")
            if handler is None:
                raise BotApiError(404, "Not Found")
            call.params = params = _decode_params(raw)
            if self._stalls[canonical.lower()] > 0:
                self._stalls[canonical.lower()] -= 1
                await self._stall()
            self._raise_injected_failure(canonical)
            if self.flood_control is not None:
                self.flood_control.admit(canonical, params.get("chat_id"), call.at)
            result = await handler(params)
        except BotApiError as error:
            call.error = error.description
            return web.json_response(error.payload(), status=error.error_code)
        return web.json_response({"ok": True, "result": result})

    async def _handle_download(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response(BotApiError(401, "Unauthorized").payload(), status=401)
        path = request.match_info["path"]
        stored = next((f for f in self._files.values() if f.file_path == path), None)
        if stored is None:
            return web.json_response(BotApiError(404, "Not Found").payload(), status=404)
        self.downloads.append(path)
        return web.Response(body=stored.content, content_type=stored.mime_type)

    def _raise_injected_failure(self, method: str) -> None:
        queued = self._failures.get(method.lower())
        if queued:
            failure = queued.popleft()
            raise BotApiError(failure.error_code, failure.description, failure.retry_after)

    def _method_table(self) -> dict[str, Handler]:
        return {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "sendMessage": self._send_message,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "editMessageText": self._edit_message_text,
            "editMessageCaption": self._edit_message_caption,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "getFile": self._get_file,
        }

    # methods: bot and updates ---------------------------------------------

    async def _get_me(self, params: JsonObject) -> JsonObject:
        capabilities = {
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        return self.bot_user | capabilities

    async def _get_updates(self, params: JsonObject) -> list[JsonObject]:
        if self.webhook.get("url"):
            raise BotApiError(409, WEBHOOK_CONFLICT)
        offset = _int_param(params, "offset", 0)
        limit = min(max(_int_param(params, "limit", 100), 1), 100)
        timeout = max(_int_param(params, "timeout", 0), 0)
        if "allowed_updates" in params:
            self._set_allowed_updates(params["allowed_updates"])
        self._confirm_updates(offset)
        self._poll_generation += 1
        generation = self._poll_generation
        async with self._updates_changed:
            self._updates_changed.notify_all()  # an older long poll is terminated (409)
            if not self._updates and timeout:
                try:
                    async with asyncio.timeout(timeout):
                        await self._updates_changed.wait_for(lambda: self._poll_may_return(generation))
                except TimeoutError:
                    pass
        if generation != self._poll_generation:
            raise BotApiError(409, POLLING_CONFLICT)
        return self._updates[:limit]

    def _poll_may_return(self, generation: int) -> bool:
        return bool(self._updates) or self._closing or generation != self._poll_generation

    def _set_allowed_updates(self, allowed: Any) -> None:
        self._allowed_updates = [str(kind) for kind in allowed] if isinstance(allowed, list) else []
        for update in [u for u in self._updates if not self._wants(next(k for k in u if k != "update_id"))]:
            self._updates.remove(update)
            self._discard(update, f"allowed_updates={self._allowed_updates} filters this update out")

    def _confirm_updates(self, offset: int) -> None:
        """Updates below a positive offset are confirmed; a negative offset keeps only the last ones."""
        if offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif offset < 0:
            self._updates = self._updates[offset:]

    async def _set_webhook(self, params: JsonObject) -> bool:
        self.webhook = {key: value for key, value in params.items() if key != "certificate"}
        if params.get("drop_pending_updates"):
            self._drop_pending_updates()
        return True

    async def _delete_webhook(self, params: JsonObject) -> bool:
        self.webhook = {}
        if params.get("drop_pending_updates"):
            self._drop_pending_updates()
        return True

    def _drop_pending_updates(self) -> None:
        for update in self._updates:
            self._discard(update, "the bot dropped pending updates")
        self._updates.clear()

    async def _get_webhook_info(self, params: JsonObject) -> JsonObject:
        info: JsonObject = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._allowed_updates:
            info["allowed_updates"] = self._allowed_updates
        return info

    @staticmethod
    def _commands_key(scope: JsonObject | None, language_code: str | None) -> tuple[str, str]:
        return json.dumps(scope or {"type": "default"}, sort_keys=True), language_code or ""

    async def _set_my_commands(self, params: JsonObject) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad_request("can't parse commands JSON object")
        for command in commands:
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(command.get("command", ""))):
                raise _bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise _bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self._commands[self._commands_key(params.get("scope"), params.get("language_code"))] = commands
        return True

    async def _get_my_commands(self, params: JsonObject) -> list[JsonObject]:
        return self.bot_commands(params.get("scope"), params.get("language_code") or "")

    async def _delete_my_commands(self, params: JsonObject) -> bool:
        self._commands.pop(self._commands_key(params.get("scope"), params.get("language_code")), None)
        return True

    # methods: sending ------------------------------------------------------

    def _chat(self, params: JsonObject) -> SimulatedUser:
        """The private chat a method addresses; only users created with `user()` exist."""
        chat_id = params.get("chat_id")
        if chat_id in (None, ""):
            raise _bad_request("chat_id is empty")
        user = self._users.get(chat_id) if isinstance(chat_id, int) else None
        if user is None:
            raise _bad_request("chat not found")
        if user.blocked:
            raise BotApiError(403, "Forbidden: bot was blocked by the user")
        return user

    @staticmethod
    def _formatted(params: JsonObject, text_key: str, entities_key: str) -> tuple[str, list[JsonObject]]:
        """Plain text and entities as Telegram stores them: parsed, stripped, links detected."""
        source = str(params.get(text_key) or "")
        explicit = params.get(entities_key)
        if explicit is not None:
            if not _are_entities(explicit):
                raise _bad_request("can't parse entities JSON object")
            text, entities = source, explicit
        else:
            text, entities = parse_formatted(source, params.get("parse_mode"))
        text, entities = _strip_text(text, entities)
        return text, _with_detected_entities(text, entities)

    def _message_text(self, params: JsonObject) -> tuple[str, list[JsonObject]]:
        text, entities = self._formatted(params, "text", "entities")
        if not text:
            raise _bad_request("message text is empty")
        if len(text) > 4096:
            raise _bad_request("message is too long")
        return text, entities

    def _caption(self, params: JsonObject) -> tuple[str | None, list[JsonObject]]:
        caption, entities = self._formatted(params, "caption", "caption_entities")
        if len(caption) > 1024:
            raise _bad_request("message caption is too long")
        return caption or None, entities

    @staticmethod
    def _reply_markup(params: JsonObject, *, inline_only: bool = False) -> JsonObject | None:
        markup = params.get("reply_markup")
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" in markup:
            _validate_inline_keyboard(markup)
        elif inline_only:
            raise _bad_request("inline keyboard expected")
        return markup

    def _reply_target(self, chat_id: int, params: JsonObject) -> int | None:
        reply = params.get("reply_parameters")
        reply = reply if isinstance(reply, dict) else {}
        message_id = reply.get("message_id") or params.get("reply_to_message_id")
        if not message_id:
            return None
        if self._message_json(chat_id, message_id) is not None:
            return int(message_id)
        if reply.get("allow_sending_without_reply") or params.get("allow_sending_without_reply"):
            return None
        raise _bad_request("message to be replied not found")

    async def _send(self, chat: SimulatedUser, params: JsonObject, **content: Any) -> JsonObject:
        message = ChatMessage(
            chat_id=chat.chat_id,
            message_id=next(self._message_ids[chat.chat_id]),
            reply_markup=self._reply_markup(params),
            parse_mode=params.get("parse_mode"),
            date=_now(),
            reply_to_message_id=self._reply_target(chat.chat_id, params),
            **content,
        )
        self._bot_messages[(message.chat_id, message.message_id)] = message
        await self._messages_changed_notify()
        return self._bot_message_json(message)

    async def _send_message(self, params: JsonObject) -> JsonObject:
        chat = self._chat(params)
        text, entities = self._message_text(params)
        return await self._send(chat, params, text=text, entities=entities)

    async def _send_photo(self, params: JsonObject) -> JsonObject:
        chat = self._chat(params)
        content, _, reused = self._input_file(params, "photo")
        if not _is_image(content):
            raise _bad_request("IMAGE_PROCESS_FAILED")
        caption, entities = self._caption(params)
        stored = reused or self._store_file(content, folder="photos", mime_type="image/jpeg")
        return await self._send(chat, params, photo=content, caption=caption, entities=entities, file_id=stored.file_id)

    async def _send_document(self, params: JsonObject) -> JsonObject:
        chat = self._chat(params)
        content, filename, reused = self._input_file(params, "document")
        caption, entities = self._caption(params)
        mime_type = mimetypes.guess_type(filename or "")[0] or "application/octet-stream"
        stored = reused or self._store_file(content, folder="documents", mime_type=mime_type, file_name=filename)
        return await self._send(
            chat,
            params,
            document=content,
            document_name=stored.file_name,
            document_mime_type=stored.mime_type,
            caption=caption,
            entities=entities,
            file_id=stored.file_id,
        )

    async def _send_chat_action(self, params: JsonObject) -> bool:
        self._chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad_request("wrong parameter action in request")
        return True

    # methods: editing ------------------------------------------------------

    def _editable(self, params: JsonObject) -> ChatMessage:
        if params.get("inline_message_id"):
            raise _bad_request("message to edit not found")
        chat = self._chat(params)
        key = (chat.chat_id, params.get("message_id"))
        if key in self._user_messages:
            raise _bad_request("message can't be edited")
        message = self._bot_messages.get(key)  # type: ignore[arg-type]
        if message is None or message.deleted:
            raise _bad_request("message to edit not found")
        return message

    async def _apply_edit(self, message: ChatMessage, params: JsonObject, **changes: Any) -> JsonObject:
        """Applies an edit unless it changes nothing; editing without reply_markup drops the keyboard."""
        markup = self._reply_markup(params, inline_only=True)
        unchanged = all(getattr(message, name) == value for name, value in changes.items())
        if unchanged and _inline_part(markup) == _inline_part(message.reply_markup):
            raise _bad_request(NOT_MODIFIED)
        for name, value in changes.items():
            setattr(message, name, value)
        message.reply_markup = markup
        message.edits += 1
        message.edit_date = _now()
        await self._messages_changed_notify()
        return self._bot_message_json(message)

    async def _edit_message_text(self, params: JsonObject) -> JsonObject:
        message = self._editable(params)
        if message.text is None:
            raise _bad_request("there is no text in the message to edit")
        text, entities = self._message_text(params)
        edited = await self._apply_edit(message, params, text=text, entities=entities)
        message.parse_mode = params.get("parse_mode")
        return edited

    async def _edit_message_caption(self, params: JsonObject) -> JsonObject:
        message = self._editable(params)
        if message.photo is None and message.document is None:
            raise _bad_request("there is no caption in the message to edit")
        caption, entities = self._caption(params)
        return await self._apply_edit(message, params, caption=caption, entities=entities)

    async def _edit_message_reply_markup(self, params: JsonObject) -> JsonObject:
        return await self._apply_edit(self._editable(params), params)

    async def _delete_message(self, params: JsonObject) -> bool:
        chat = self._chat(params)
        key = (chat.chat_id, params.get("message_id"))
        message = self._bot_messages.get(key)  # type: ignore[arg-type]
        if message is not None and not message.deleted:
            message.deleted = True
            await self._messages_changed_notify()
            return True
        if key in self._user_messages and key not in self._deleted_user_messages:
            self._deleted_user_messages.add(key)
            return True
        raise _bad_request("message to delete not found")

    def user_message_deleted(self, chat_id: int, message_id: int) -> bool:
        """The bot deleted this message the user sent (e.g. one holding a password)."""
        return (chat_id, message_id) in self._deleted_user_messages

    async def _messages_changed_notify(self) -> None:
        async with self._messages_changed:
            self._messages_changed.notify_all()

    # methods: callbacks and files -----------------------------------------

    async def _answer_callback_query(self, params: JsonObject) -> bool:
        answer = self._pending_answers.pop(str(params.get("callback_query_id", "")), None)
        if answer is None or answer.done():
            raise _bad_request("query is too old and response timeout expired or query ID is invalid")
        answer.set_result(
            CallbackAnswer(
                text=params.get("text"),
                show_alert=bool(params.get("show_alert", False)),
                url=params.get("url"),
                cache_time=_int_param(params, "cache_time", 0),
            )
        )
        return True

    async def _get_file(self, params: JsonObject) -> JsonObject:
        stored = self._files.get(str(params.get("file_id", "")))
        if stored is None:
            raise _bad_request("invalid file_id")
        return stored.file_json()

    # messages as Telegram objects -----------------------------------------

    def _message_json(self, chat_id: int, message_id: Any) -> JsonObject | None:
        """Any live message of the chat, the bot's or the user's, as a Message object."""
        bot_message = self._bot_messages.get((chat_id, message_id))
        if bot_message is not None and not bot_message.deleted:
            return self._bot_message_json(bot_message, with_reply=False)
        key = (chat_id, message_id)
        if key in self._user_messages and key not in self._deleted_user_messages:
            return {k: v for k, v in self._user_messages[key].items() if k != "reply_to_message"}
        return None

    def _bot_message_json(self, message: ChatMessage, *, with_reply: bool = True) -> JsonObject:
        data: JsonObject = {
            "message_id": message.message_id,
            "from": self.bot_user,
            "chat": self._users[message.chat_id].telegram_chat(),
            "date": message.date,
        }
        if message.edit_date:
            data["edit_date"] = message.edit_date
        if message.photo is not None and message.file_id:
            data["photo"] = [self._files[message.file_id].photo_size_json()]
        if message.document is not None and message.file_id:
            data["document"] = self._files[message.file_id].document_json()
        if message.text is not None:
            data["text"] = message.text
        if message.caption:
            data["caption"] = message.caption
        if message.entities:
            data["entities" if message.text is not None else "caption_entities"] = message.entities
        if inline := _inline_part(message.reply_markup):
            data["reply_markup"] = inline
        if with_reply and message.reply_to_message_id:
            replied = self._message_json(message.chat_id, message.reply_to_message_id)
            if replied is not None:
                data["reply_to_message"] = replied
        return data
