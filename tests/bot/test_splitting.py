"""The splitter (bot/splitting.py): cuts at the best boundary, never inside markup, and every part is
valid HTML within the limit with nothing lost, checked against the fake's copy of Telegram's HTML parser."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.splitting import MESSAGE_LIMIT, is_blank, split_off, split_text, visible_length
from tests.fakes.telegram_api import parse_formatted


def test_length_is_counted_as_telegram_counts_it() -> None:
    # Tags are invisible, a character reference is one character, an emoji is two UTF-16 units.
    assert visible_length("a&amp;🙂<b>x</b>") == 5
    assert visible_length("<b>x</b>", html_markup=False) == 8


def test_a_paragraph_break_beats_a_later_line_break() -> None:
    assert split_text("para one\nline two\n\npara three words", 20) == ["para one\nline two", "para three words"]


def test_the_head_of_a_caption_and_the_rest_both_keep_their_formatting() -> None:
    assert split_off("<b>one two three</b> four", 8) == ("<b>one two</b>", "<b>three</b> four")


def test_parts_with_nothing_visible_are_dropped() -> None:
    assert split_text("   \n\n  ", 3) == []
    assert is_blank("<b> </b>") and not is_blank("<b>x</b>")


def test_text_without_whitespace_is_cut_between_characters() -> None:
    assert split_text("a" * 5000, html_markup=False) == ["a" * MESSAGE_LIMIT, "a" * 904]
    assert split_text("&amp;" * 5000) == ["&amp;" * MESSAGE_LIMIT, "&amp;" * 904]


_WORDS = st.sampled_from(["job", "Acme", "R&amp;D", "&lt;3", "naïve", "🙂", "a" * 25, "x"])
_GAPS = st.sampled_from([" ", " ", "\n", "\n\n", ""])
_TAGS = [
    ("<b>", "</b>"),
    ("<i>", "</i>"),
    ('<a href="https://acme.io/jobs?a=1&amp;b=2">', "</a>"),
    ("<code>", "</code>"),
    ('<pre><code class="language-python">', "</code></pre>"),
    ('<span class="tg-spoiler">', "</span>"),
    ("<blockquote>", "</blockquote>"),
]
_PLAIN = st.lists(st.tuples(_WORDS, _GAPS), min_size=1, max_size=10).map(
    lambda pairs: "".join(word + gap for word, gap in pairs)
)
_HTML = st.recursive(
    _PLAIN,
    lambda inner: st.one_of(
        st.tuples(st.sampled_from(_TAGS), inner).map(lambda t: t[0][0] + t[1] + t[0][1]),
        st.lists(st.tuples(inner, _GAPS), min_size=2, max_size=4).map(
            lambda pairs: "".join(html + gap for html, gap in pairs)
        ),
    ),
    max_leaves=12,
)


def _styled_units(source: str) -> list[tuple[str, frozenset[tuple[str, str | None]]]]:
    """Each visible non-whitespace UTF-16 unit with the formatting Telegram gives it."""
    text, entities = parse_formatted(source, "HTML")
    encoded = text.encode("utf-16-le")
    units = [encoded[i : i + 2].decode("utf-16-le", "surrogatepass") for i in range(0, len(encoded), 2)]
    styles: list[set[tuple[str, str | None]]] = [set() for _ in units]
    for entity in entities:
        for index in range(entity["offset"], entity["offset"] + entity["length"]):
            styles[index].add((entity["type"], entity.get("url") or entity.get("language")))
    return [(unit, frozenset(style)) for unit, style in zip(units, styles) if not unit.isspace()]


@settings(max_examples=300, deadline=None, database=None)
@given(source=_HTML, limit=st.integers(min_value=6, max_value=200))
def test_every_part_is_valid_html_within_the_limit_and_nothing_is_lost(source: str, limit: int) -> None:
    parts = split_text(source, limit)

    for part in parts:
        text, _ = parse_formatted(part, "HTML")  # raises as Telegram would on broken markup
        assert 0 < len(text.strip().encode("utf-16-le")) // 2 <= limit
    assert [unit for part in parts for unit in _styled_units(part)] == _styled_units(source)
