"""Cutting formatted text into parts that fit Telegram's limits, each valid markup on its own.

Text longer than the limit (4096 visible characters for a message, 1024 for a caption) is cut at
a paragraph, else a line, else a word boundary, else anywhere between characters, but never
inside an HTML tag or character reference. A cut inside formatting closes the open tags at the
end of one part and reopens them (with their attributes) at the start of the next, so every part
is valid HTML and keeps its formatting; there is no plain-text fallback. Markdown is cut at the
same boundaries without markup awareness (`html_markup=False`; the bot uses HTML). Lengths are
counted as Telegram counts them, in UTF-16 code units of the visible text.

Plain string work, no Bot API: `bot/sending.py` decides how the parts are sent.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

MESSAGE_LIMIT = 4096  # visible characters of a text message
CAPTION_LIMIT = 1024  # visible characters of a media caption


def _utf16_len(text: str) -> int:
    """Telegram measures text in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


_HTML_MARKUP = re.compile(r"<(/?)([a-zA-Z][\w-]*)[^>]*>|&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);")
_WHITESPACE = frozenset(" \t\n")


@dataclass(frozen=True, slots=True)
class _Atom:
    """The smallest piece text may be cut around: a character, a character reference or a tag."""

    raw: str
    width: int  # visible UTF-16 code units
    opens: str | None = None  # tag name of an opening tag
    closes: str | None = None  # tag name of a closing tag


def _atoms(source: str, *, html_markup: bool) -> list[_Atom]:
    atoms: list[_Atom] = []
    pos = 0
    while pos < len(source):
        match = _HTML_MARKUP.match(source, pos) if html_markup and source[pos] in "<&" else None
        if match is None:
            atoms.append(_Atom(source[pos], _utf16_len(source[pos])))
            pos += 1
            continue
        if not match[2]:  # a character reference such as &amp;
            atoms.append(_Atom(match[0], _utf16_len(html.unescape(match[0]))))
        elif match[1]:
            atoms.append(_Atom(match[0], 0, closes=match[2].lower()))
        else:
            atoms.append(_Atom(match[0], 0, opens=match[2].lower()))
        pos = match.end()
    return atoms


def _still_open(open_tags: list[_Atom], atoms: list[_Atom]) -> list[_Atom]:
    """The opening tags still open after `atoms` (mismatched closing tags are Telegram's to refuse)."""
    stack = list(open_tags)
    for atom in atoms:
        if atom.opens:
            stack.append(atom)
        elif atom.closes and stack and stack[-1].opens == atom.closes:
            stack.pop()
    return stack


def _break_kind(run: list[_Atom]) -> int:
    """How good a place a whitespace run is to cut: 2 paragraph, 1 line, 0 word."""
    return min(sum(atom.raw == "\n" for atom in run), 2)


class _Splitter:
    """Takes parts of formatted text off the front, each at most `limit` visible characters."""

    def __init__(self, source: str, *, html_markup: bool) -> None:
        self._atoms = _atoms(source, html_markup=html_markup)
        self._pos = 0
        self._open: list[_Atom] = []  # tags open at self._pos, to reopen in the next part

    def done(self) -> bool:
        return self._pos >= len(self._atoms)

    def take(self, limit: int) -> str:
        start = self._pos
        end = self._reach(start, limit)
        cut, resume = (end, end) if end >= len(self._atoms) else self._best_break(start, end)
        body = self._atoms[start:cut]
        reopened = "".join(tag.raw for tag in self._open)
        self._open = _still_open(self._open, body)
        closed = "".join(f"</{tag.opens}>" for tag in reversed(self._open))
        self._pos = resume
        return reopened + "".join(atom.raw for atom in body) + closed

    def rest(self) -> str:
        """Everything not yet taken, as valid markup on its own."""
        return "".join(tag.raw for tag in self._open) + "".join(a.raw for a in self._atoms[self._pos :])

    def _reach(self, start: int, limit: int) -> int:
        """The end of the longest run of atoms from `start` that fits in `limit`."""
        width, end = 0, start
        while end < len(self._atoms) and width + self._atoms[end].width <= limit:
            width += self._atoms[end].width
            end += 1
        return max(end, start + 1)  # an atom wider than `limit` goes alone rather than never

    def _best_break(self, start: int, end: int) -> tuple[int, int]:
        """(cut, resume): the part ends at `cut`; the whitespace up to `resume` is dropped.

        The latest paragraph break wins, else the latest line break, else the latest space;
        with no whitespace at all the text is cut hard at `end`.
        """
        best: dict[int, tuple[int, int]] = {}
        i = min(end, len(self._atoms) - 1)
        while i > start and 2 not in best:
            if self._atoms[i].raw not in _WHITESPACE:
                i -= 1
                continue
            first, after = self._whitespace_run(i, start)
            if first > start:
                best.setdefault(_break_kind(self._atoms[first:after]), (first, after))
            i = first - 1
        return best[max(best)] if best else (end, end)

    def _whitespace_run(self, i: int, start: int) -> tuple[int, int]:
        first, after = i, i + 1
        while first - 1 > start and self._atoms[first - 1].raw in _WHITESPACE:
            first -= 1
        while after < len(self._atoms) and self._atoms[after].raw in _WHITESPACE:
            after += 1
        return first, after


def visible_text(text: str, *, html_markup: bool = True) -> str:
    """What Telegram shows for `text`: tags removed and character references decoded."""
    if not html_markup:
        return text
    return html.unescape(re.sub(r"<[^>]*>", "", text))


def visible_length(text: str, *, html_markup: bool = True) -> int:
    """Visible length in UTF-16 code units, the unit of Telegram's limits."""
    return _utf16_len(visible_text(text, html_markup=html_markup))


def is_blank(part: str, *, html_markup: bool = True) -> bool:
    """Whether Telegram would see nothing in `part` but whitespace."""
    return not visible_text(part, html_markup=html_markup).strip()


def split_text(text: str, limit: int = MESSAGE_LIMIT, *, html_markup: bool = True) -> list[str]:
    """`text` as parts of at most `limit` visible characters, each valid markup on its own."""
    splitter = _Splitter(text, html_markup=html_markup)
    parts: list[str] = []
    while not splitter.done():
        part = splitter.take(limit)
        if not is_blank(part, html_markup=html_markup):
            parts.append(part)
    return parts


def split_off(text: str, limit: int, *, html_markup: bool = True) -> tuple[str, str]:
    """The first part of `text` (at most `limit` visible characters) and the rest, both valid markup."""
    splitter = _Splitter(text, html_markup=html_markup)
    head = splitter.take(limit)
    return head, splitter.rest()
