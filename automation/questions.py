"""The custom questions of an application form: what they are and what they mean.

Owns the question model, the classes of question that are never guessed (legal, demographic,
salary, years of experience), reducing a label to its meaning so that the same question asked
in other words finds the user's saved answer, and fitting an answer onto a question's options
(yes/no wording, numbers in ranges, "decline to answer"). Nothing here calls an LLM; answering
is `automation.answers`.
"""

from __future__ import annotations

import enum
import functools
import math
import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

#: Share of their meaningful terms (Jaccard) two labels must have in common to be the same question.
MATCH_THRESHOLD = 0.75


# --------------------------------------------------------------------------- the records


class QuestionKind(str, enum.Enum):
    TEXT = "text"
    TEXTAREA = "textarea"
    SELECT = "select"
    RADIO = "radio"
    CHECKBOX = "checkbox"
    NUMBER = "number"
    FILE = "file"
    COMBOBOX = "combobox"  # a searchable list of options (a react-select, an Ashby location)
    LISTBOX = "listbox"  # a button or div that opens a role=listbox of options (BambooHR, Rippling)
    PHONE_COUNTRY = "phone-country"  # a calling-code picker beside a phone field
    OTHER = "other"

    @property
    def has_options(self) -> bool:
        return self in (QuestionKind.SELECT, QuestionKind.RADIO, QuestionKind.LISTBOX)


class QuestionClass(str, enum.Enum):
    LEGAL = "legal"
    DEMOGRAPHIC = "demographic"
    SALARY = "salary"
    EXPERIENCE_YEARS = "experience_years"
    GENERAL = "general"

    @property
    def sensitive(self) -> bool:
        """Never sent to the LLM nor guessed: only the user's own answer will do."""
        return self is not QuestionClass.GENERAL


class FillSource(str, enum.Enum):
    """Which step of the order of work put a value in a field or answered a question."""

    ADAPTER = "adapter"  # the vendor adapter's own handling (a widget, a vendor field)
    UNIVERSAL = "universal filler"  # the field's meaning, from the profile (a declined EEO question included)
    SAVED = "saved answer"
    LLM = "LLM"
    AGENT = "agent"
    USER = "user"  # asked in the chat, or corrected at the review


@dataclass(frozen=True)
class Choice:
    """One option of a select, or one radio/checkbox of a group, as the page shows it."""

    label: str
    value: str
    checked: bool
    selector: str = ""  # radios/checkboxes: the input itself; select options: ""


@dataclass(frozen=True)
class Question:
    """One question of a form: a text control, a select, a file input, a radio/checkbox group, or a question
    the agent or a prompt asks.

    The first five fields are what answering needs; the rest is what the page shows (`automation.page_js`
    reads them) and what tells a control's meaning (`automation.field_meaning`). `key` finds the control
    again: its selector, else `id`.
    """

    id: str  # the element's id on a page (or, for a question not read from a page, whatever finds it again)
    label: str
    kind: QuestionKind = QuestionKind.TEXT
    options: tuple[str, ...] = ()  # the answerable options, as text (a lone yes/no checkbox has none)
    required: bool = False
    selector: str = ""  # the control, or for groups the first input with the group's name
    name: str = ""
    hook: str = ""  # data-ui / data-qa / data-testid
    value: str = ""  # as shown: text, chosen option's label, checked labels joined by ", ", file names
    choices: tuple[Choice, ...] = ()
    autocomplete: str = ""
    placeholder: str = ""
    legend: str = ""
    nearby: str = ""
    input_type: str = ""
    hidden: bool = False  # aria-hidden or off-screen: a honeypot
    host: str = ""  # ids, names and test hooks of the custom elements (shadow hosts) it sits in

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", QuestionKind(self.kind))
        object.__setattr__(self, "options", tuple(option for option in self.options if option.strip()))

    @property
    def key(self) -> str:
        """What finds the control again: answers, prompts and sources are keyed by it."""
        return self.selector or self.id


# --------------------------------------------------------------------------- classifying


def _patterns(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns))


# Checked in this order: the first class whose pattern matches the plain label wins.
_CLASS_PATTERNS: tuple[tuple[QuestionClass, re.Pattern[str]], ...] = (
    (
        QuestionClass.EXPERIENCE_YEARS,
        _patterns(
            r"\bhow many (?:years|yrs)\b",
            r"\b(?:number|no|amount) of (?:years|yrs)\b",
            r"\b(?:years|yrs) (?:of )?(?:\w+ ){0,2}(?:experience|exp)\b",
            r"\bexperience in years\b",
            r"\bhow long have you (?:been|worked|used|had)\b",
            r"\btotal (?:\w+ )?experience\b",
        ),
    ),
    (
        QuestionClass.LEGAL,
        _patterns(
            r"\bauthori[sz](?:ed|ation)\b",
            r"\beligib",
            r"\bright to work\b",
            r"\bwork permit",
            r"\bvisas?\b",
            r"\bsponsor",
            r"\bcitizen",
            r"\bnationality\b",
            r"\bimmigration\b",
            r"\bgreen card\b",
            r"\bh ?1 ?b\b",
            r"\bpermanent resident",
            r"\bresidency\b",
            r"\bcriminal\b",
            r"\bconvict",
            r"\bfelon",
            r"\bmisdemeano",
            r"\bbackground (?:check|screen|investigation)",
            r"\bdrug (?:test|screen)",
            r"\bclearance\b",
            r"\bexport control",
            r"\bitar\b",
            r"\bnon ?compete\b",
            r"\bnon ?solicit",
            r"\brestrictive covenant",
            r"\blegally\b",
            r"\blawfully\b",
            r"\b(?:at least|over|older than|above) 18\b",
            r"\b18 (?:years|yrs)? ?(?:of age|or older|and over|or over)",
            r"\blegal (?:working )?age\b",
        ),
    ),
    (
        QuestionClass.DEMOGRAPHIC,
        _patterns(
            r"\bgender",
            r"\bsex\b",
            r"\bsexual(?:ity)?\b",
            r"\btransgender\b",
            r"\blgbt",
            r"\brace\b(?! condition)",
            r"\bracial",
            r"\bethnic",
            r"\bhispanic\b",
            r"\blatin[oax]\b",
            r"\bveteran",
            r"\bmilitary (?:service|status)",
            r"\bdisabilit",
            r"\bdisabled\b",
            r"\bpronoun",
            r"\bdate of birth\b",
            r"\bbirth ?(?:date|day)\b",
            r"\bdob\b",
            r"\bage\b",
            r"\bhow old\b",
            r"\breligio",
            r"\bmarital\b",
            r"\bself ?identify\b",
            r"\beeo\b",
            r"\bequal (?:employment )?opportunit",
            r"\bnational origin\b",
            r"\bcaste\b",
            r"\bneurodiver",
        ),
    ),
    (
        QuestionClass.SALARY,
        _patterns(
            r"\bsalar",
            r"\bcompensation\b",
            r"\bpay\b(?! attention)",
            r"\bremunerat",
            r"\bwages?\b",
            r"\bctc\b",
            r"\bote\b",
            r"\bincome\b",
            r"\bearn(?:ing|ings)?\b",
            r"\bstipend\b",
            r"\b(?:hourly|daily|day|desired|expected|target|contract|contracting|billing|minimum|your) rate\b",
            r"\brate expectations?\b",
            r"\bhow much (?:do|would|will) you (?:expect|want|charge|need|ask)",
        ),
    ),
)


def classify(label: str) -> QuestionClass:
    """Which kind of question this is; everything not legal, demographic, salary or years is general."""
    text = plain_text(label)
    for question_class, pattern in _CLASS_PATTERNS:
        if pattern.search(text):
            return question_class
    return QuestionClass.GENERAL


# --------------------------------------------------------------------------- normalising text


def plain_text(text: str) -> str:
    """Lower case, no accents, British -ise spelt -ize, "n't" spelt " not", punctuation as spaces."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).casefold()
    text = text.replace("’", "'").replace("&", " and ")
    text = re.sub(r"\bcan't\b|\bcannot\b", "can not", text)
    text = re.sub(r"\bwon't\b", "will not", text)
    text = re.sub(r"n't\b", " not", text)
    text = re.sub(r"(?<=\w{3})is(e|ed|es|ing|ation|ations)\b", r"iz\1", text)
    text = re.sub(r"[^a-z0-9+]+", " ", text)
    return " ".join(text.split())


# (code, words in the plain text that name the country); longer names first within each.
_COUNTRIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "uk",
        (
            "united kingdom",
            "great britain",
            "northern ireland",
            "britain",
            "british",
            "england",
            "english",
            "scotland",
            "scottish",
            "wales",
            "welsh",
            "uk",
        ),
    ),
    ("us", ("united states of america", "united states", "usa", "america", "american")),
    ("eu", ("european union", "european economic area", "eea", "eu", "europe", "european")),
    ("ca", ("canada", "canadian")),
    ("de", ("germany", "german")),
    ("fr", ("france", "french")),
    ("nl", ("netherlands", "holland", "dutch")),
    ("ie", ("republic of ireland", "ireland", "irish")),
    ("es", ("spain", "spanish")),
    ("it", ("italy", "italian")),
    ("pt", ("portugal", "portuguese")),
    ("pl", ("poland",)),
    ("se", ("sweden", "swedish")),
    ("no", ("norway", "norwegian")),
    ("dk", ("denmark", "danish")),
    ("fi", ("finland", "finnish")),
    ("ch", ("switzerland", "swiss")),
    ("at", ("austria", "austrian")),
    ("be", ("belgium", "belgian")),
    ("au", ("australia", "australian")),
    ("nz", ("new zealand",)),
    ("in", ("india", "indian")),
    ("sg", ("singapore",)),
    ("jp", ("japan", "japanese")),
    ("cn", ("china", "chinese")),
    ("br", ("brazil", "brazilian")),
    ("mx", ("mexico", "mexican")),
    ("il", ("israel", "israeli")),
    ("ae", ("united arab emirates", "uae", "dubai")),
    ("za", ("south africa",)),
    ("ar", ("argentina",)),
)
_COUNTRY_WORDS = re.compile(
    r"\b("
    + "|".join(sorted((re.escape(word) for _, words in _COUNTRIES for word in words), key=len, reverse=True))
    + r")\b"
)
_COUNTRY_OF = {word: code for code, words in _COUNTRIES for word in words}
# "US" in capitals (or "U.S.") is the country; lower-case "us" only in "in/the us".
_US_IN_ORIGINAL = re.compile(r"\bU\.?S\.?(?:A\.?)?(?=\W|$)")
_US_IN_PLAIN = re.compile(r"\b(?:the|in|within|across) us\b")
_US_DOTTED = re.compile(r"\bu\.s\.(?:a\.)?", re.IGNORECASE)


def _countries(label: str, plain: str) -> tuple[frozenset[str], str]:
    """The countries a label names, and the plain text without them."""
    found = {_COUNTRY_OF[match] for match in _COUNTRY_WORDS.findall(plain)}
    capital_us = not label.isupper() and _US_IN_ORIGINAL.search(label) is not None  # not "ABOUT US?"
    if capital_us or _US_DOTTED.search(label) or _US_IN_PLAIN.search(plain):
        found.add("us")
    plain = _US_IN_PLAIN.sub(" ", _COUNTRY_WORDS.sub(" ", plain))
    if capital_us:
        plain = re.sub(r"\bus\b|\bu s(?: a)?\b", " ", plain)
    return frozenset(found), plain


# Phrases that mean one thing however they are worded, as concept tokens (upper case, unlike words).
_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), concept)
    for pattern, concept in (
        (r"\byes (?:or |/ )?no\b", " "),
        (r"\bnow or (?:in the )?future\b|\b(?:currently |now )?or (?:will you )?in the future\b", " "),
        (
            r"\b(?:18 (?:years|yrs)? ?(?:of age|or older|and over|or over|\+)|(?:at least|over|older than|above) 18"
            r"(?: years)?(?: of age| old)?|legal (?:working )?age)\b",
            " ADULT ",
        ),
        (r"\bdate of birth\b|\bbirth ?date\b|\bdob\b|\bhow old\b", " AGE "),
        (
            r"\b(?:how many|number of|no of|total) (?:years|yrs)\b|\b(?:years|yrs) of\b"
            r"|\bhow long have you (?:been|worked|used|had)\b",
            " YEARS ",
        ),
        (
            r"\b(?:(?:employment|work|immigration) )?visa sponsor\w*|\bsponsor\w*(?: for (?:an? |your )?(?:employment |work "
            r"|immigration )?(?:visa|permit)(?: status)?)?",
            " SPONSOR ",
        ),
        (
            r"\b(?:legal |unrestricted |full )*right to (?:work|live and work|be employed)\b"
            r"|\bwork (?:authoriz\w*|permit\w*)\b"
            r"|\b(?:legally |lawfully )?(?:authoriz\w*|eligible|entitled|permitted|allowed|cleared) (?:to (?:work|be employed"
            r"|take up employment)|for employment)\b|\beligibility to work\b",
            " AUTH ",
        ),
        (r"\bcriminal (?:record|conviction|convictions|offen[cs]es?|history|charges?)\b", " CONVICTION "),
        (r"\bbackground (?:check|screening|investigation)s?\b", " BACKGROUND_CHECK "),
        (r"\bdrug (?:test|testing|screen|screening)s?\b", " DRUG_TEST "),
        (r"\bsecurity clearance\b", " CLEARANCE "),
        (r"\bnon ?competes?\b|\bnon ?solicit\w*|\brestrictive covenants?\b", " NONCOMPETE "),
        (r"\bgreen card\b|\bpermanent residen\w*", " PERMANENT_RESIDENT "),
        (r"\bhispanic (?:or |and )?latin[oax]\b|\blatin[oax]\b|\bhispanic\b", " HISPANIC "),
        (r"\bsexual orientation\b", " ORIENTATION "),
        (r"\bprotected veterans?\b", " VETERAN "),
        (r"\bnotice period\b", " NOTICE "),
        (r"\b(?:work|working) (?:from home|remotely)\b|\bwfh\b", " REMOTE "),
        (
            r"\b(?:hear|heard|learn|learned|find out|found out|find|found) (?:about|of)\b|\breferral source\b"
            r"|\bhow did you (?:find|come across|discover)(?: out)?(?: about| of)?\b",
            " HEARD ",
        ),
        (r"\bcover letter\b", " COVER_LETTER "),
        (r"\bfull ?time\b", " FULL_TIME "),
        (r"\bpart ?time\b", " PART_TIME "),
        (r"\bpersonal (?:web ?site|site|homepage)\b|\bweb ?site\b|\bportfolio\b", " WEBSITE "),
    )
)

_WORD_CONCEPTS: dict[str, str] = {
    **dict.fromkeys(("require", "requires", "required", "requiring", "need", "needs", "needed", "necessitate"), "NEED"),
    **dict.fromkeys(
        (
            "salary",
            "salaries",
            "compensation",
            "pay",
            "remuneration",
            "wage",
            "wages",
            "ctc",
            "earn",
            "earnings",
            "income",
        ),
        "PAY",
    ),
    **dict.fromkeys(
        (
            "expected",
            "expect",
            "expecting",
            "expectation",
            "expectations",
            "desired",
            "target",
            "requirement",
            "requirements",
            "ask",
            "asking",
        ),
        "EXPECTED",
    ),
    **dict.fromkeys(("current", "present", "existing", "last"), "CURRENT"),
    **dict.fromkeys(("minimum", "min", "lowest"), "MINIMUM"),
    **dict.fromkeys(("maximum", "max", "highest"), "MAXIMUM"),
    **dict.fromkeys(("relocate", "relocates", "relocating", "relocation", "relocated"), "RELOCATE"),
    **dict.fromkeys(("remote", "remotely"), "REMOTE"),
    **dict.fromkeys(("convicted", "conviction", "convictions"), "CONVICTION"),
    **dict.fromkeys(("felony", "felonies"), "FELONY"),
    **dict.fromkeys(("misdemeanor", "misdemeanors", "misdemeanour", "misdemeanours"), "MISDEMEANOR"),
    **dict.fromkeys(("veteran", "veterans"), "VETERAN"),
    **dict.fromkeys(("disability", "disabilities", "disabled"), "DISABILITY"),
    **dict.fromkeys(("gender", "sex"), "GENDER"),
    **dict.fromkeys(("transgender", "trans"), "TRANSGENDER"),
    **dict.fromkeys(("race", "racial", "ethnicity", "ethnic"), "RACE"),
    **dict.fromkeys(("pronoun", "pronouns"), "PRONOUNS"),
    **dict.fromkeys(("age",), "AGE"),
    **dict.fromkeys(("citizen", "citizens", "citizenship", "nationality"), "CITIZEN"),
    **dict.fromkeys(("clearance",), "CLEARANCE"),
    **dict.fromkeys(("visa", "visas"), "VISA"),
    **dict.fromkeys(("sponsor", "sponsorship", "sponsored", "sponsoring"), "SPONSOR"),
    **dict.fromkeys(("authorized", "authorization", "eligible", "eligibility", "permit"), "AUTH"),
    **dict.fromkeys(("linkedin",), "LINKEDIN"),
    **dict.fromkeys(("github",), "GITHUB"),
    **dict.fromkeys(("available", "availability", "start", "begin", "join", "joining", "commence"), "START"),
    **dict.fromkeys(("notice",), "NOTICE"),
}
_NEGATORS = frozenset({"not", "no", "never", "without", "unable", "unwilling", "neither", "nor", "none"})
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "to",
        "in",
        "on",
        "at",
        "for",
        "with",
        "from",
        "by",
        "as",
        "into",
        "about",
        "than",
        "then",
        "so",
        "such",
        "is",
        "are",
        "was",
        "were",
        "be",
        "been",
        "being",
        "am",
        "do",
        "does",
        "did",
        "done",
        "have",
        "has",
        "had",
        "having",
        "will",
        "would",
        "shall",
        "should",
        "can",
        "could",
        "may",
        "might",
        "must",
        "you",
        "your",
        "yours",
        "yourself",
        "we",
        "our",
        "us",
        "i",
        "me",
        "my",
        "mine",
        "it",
        "its",
        "this",
        "that",
        "these",
        "those",
        "there",
        "here",
        "what",
        "which",
        "who",
        "whom",
        "whose",
        "how",
        "when",
        "where",
        "why",
        "if",
        "any",
        "ever",
        "currently",
        "now",
        "future",
        "today",
        "presently",
        "still",
        "yet",
        "also",
        "please",
        "kindly",
        "e",
        "g",
        "eg",
        "i",
        "e",
        "ie",
        "etc",
        "question",
        "answer",
        "select",
        "choose",
        "one",
        "following",
        "provide",
        "describe",
        "state",
        "indicate",
        "specify",
        "list",
        "enter",
        "tell",
        "let",
        "know",
        "job",
        "role",
        "position",
        "company",
        "employer",
        "employers",
        "organization",
        "organisation",
        "opportunity",
        "apply",
        "applying",
        "application",
        "legally",
        "lawfully",
        "work",
        "working",
        "employment",
        "able",
        "willing",
        "happy",
        "open",
        "professional",
        "relevant",
        "hands",
        "on",
        "commercial",
        "industry",
        "experience",
        "overall",
        "total",
        "earliest",
        "soonest",
        "date",
        "possible",
        "period",
        "status",
        "valid",
        "hold",
        "based",
        "h",
        "1b",
        "h1b",
        "like",
        "use",
        "used",
        "using",
        "worked",
        "old",
        "older",
        "range",
        "bracket",
        "group",
        "undergo",
        "consent",
        "agree",
        "submit",
        "pass",
        "complete",
        "take",
        "identify",
    ]
)
# Concepts that decide a question's meaning: two labels differing in one of them never match.
_DECISIVE = frozenset(
    {
        "CURRENT",
        "EXPECTED",
        "MINIMUM",
        "MAXIMUM",
        "FULL_TIME",
        "PART_TIME",
        "FELONY",
        "MISDEMEANOR",
        "CONVICTION",
        "ADULT",
        "AGE",
    }
)
# A concept that already says what another one would add ("sponsor you for a visa").
_ABSORBS = {"SPONSOR": frozenset({"VISA"})}
_EXAMPLES = re.compile(r"\((?:e\.?g\.?|i\.?e\.?|for example|such as|ex\.?)[^)]*\)", re.IGNORECASE)


@dataclass(frozen=True)
class QuestionKey:
    """What a question asks, reduced to comparable parts."""

    terms: frozenset[str]
    countries: frozenset[str]
    negated: bool
    question_class: QuestionClass


@functools.lru_cache(maxsize=4096)
def question_key(label: str) -> QuestionKey:
    """Reduce a label to its meaning: concept tokens, stemmed content words, countries and negation."""
    without_examples = _EXAMPLES.sub(" ", label)
    countries, text = _countries(label, plain_text(without_examples))
    for pattern, concept in _PHRASES:
        text = pattern.sub(concept, text)
    negations = 0
    terms: set[str] = set()
    for word in text.split():
        if word in _NEGATORS:
            negations += 1
        elif word.isupper():
            terms.add(word)
        elif word not in _STOPWORDS and (term := _WORD_CONCEPTS.get(word) or _stem(word)) not in _STOPWORDS:
            terms.add(term)
    for concept, absorbed in _ABSORBS.items():
        if concept in terms:
            terms -= absorbed
    return QuestionKey(frozenset(terms), countries, negations % 2 == 1, classify(label))


def _stem(word: str) -> str:
    """Light stemming: plurals, -ing, -ed and a final -e, so "licenses", "licensed" and "license" meet."""
    for suffix, replacement in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", ""), ("e", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            return word[: len(word) - len(suffix)] + replacement
    return word


def similarity(first: QuestionKey, second: QuestionKey) -> float:
    """How alike two questions are, 0..1; 0 whenever they differ in country, negation, class or a decisive concept."""
    if (
        first.countries != second.countries
        or first.negated != second.negated
        or first.question_class != second.question_class
        or (first.terms ^ second.terms) & _DECISIVE
        or not first.terms
        or not second.terms
    ):
        return 0.0
    return len(first.terms & second.terms) / len(first.terms | second.terms)


@dataclass(frozen=True)
class SavedMatch:
    question: str
    answer: str
    similarity: float
    exact: bool  # the same words, not only the same meaning


def find_saved_answer(label: str, saved: Mapping[str, str]) -> SavedMatch | None:
    """The saved answer to the same question, however it was worded, or None.

    The same words (ignoring case, spacing and punctuation) always match; otherwise the best
    saved question at or above MATCH_THRESHOLD does, as long as no other one ties with it.
    """
    wanted = plain_text(label)
    for question, answer in saved.items():
        if plain_text(question) == wanted and answer.strip():
            return SavedMatch(question, answer.strip(), 1.0, exact=True)
    key = question_key(label)
    scored = sorted(
        (
            (similarity(key, question_key(question)), question, answer)
            for question, answer in saved.items()
            if answer.strip()
        ),
        key=lambda item: item[0],
        reverse=True,
    )
    if not scored or scored[0][0] < MATCH_THRESHOLD:
        return None
    best, question, answer = scored[0]
    if len(scored) > 1 and scored[1][0] == best and scored[1][2].strip() != answer.strip():
        return None  # two different answers fit equally well: not ours to choose
    return SavedMatch(question, answer.strip(), best, exact=False)


# --------------------------------------------------------------------------- fitting answers to options


# Yes and no in English, German, French and Spanish, as a text's first word or as the whole text
# ("non" only whole: "Non-binary" says nothing about yes or no).
_YES = frozenset(
    {
        "yes",
        "y",
        "yeah",
        "yep",
        "true",
        "correct",
        "affirmative",
        "sure",
        "definitely",
        "agree",
        "accept",
        "ja",
        "oui",
        "si",
    }
)
_NO = frozenset({"no", "n", "nope", "false", "negative", "disagree", "nein"})
_YES_WHOLE = _YES | {"i agree"}
_NO_WHOLE = _NO | {"non"}
_ANSWER_SEPARATORS = re.compile(r"[,;\n]")
_YES_PHRASES = re.compile(r"^i (?:am|do|will|have|can|would)\b(?! not)")
_NO_PHRASES = re.compile(r"^(?:i (?:am|do|will|have|can|would) not|never)\b")
# "Decline To Self Identify", "I don't wish to answer", the U.S. disability form's "I do not want to answer".
_DECLINE = re.compile(
    r"decline|prefer not|rather not|do not wish|not wish|choose not|not to (?:answer|say|disclose|self ?identify"
    r"|specify|respond)|not (?:disclose|specified|answer)|wish to not|do not want to (?:answer|say|disclose)"
)
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?\s*k?\b", re.IGNORECASE)


def _yes_no(text: str, *, phrases: bool) -> bool | None:
    plain = plain_text(text)
    first = plain.split(" ", 1)[0] if plain else ""
    if plain in _YES_WHOLE or first in _YES:
        return True
    if plain in _NO_WHOLE or first in _NO:
        return False
    if phrases and _NO_PHRASES.search(plain):
        return False
    if phrases and _YES_PHRASES.search(plain):
        return True
    return None


def decline_option(options: Sequence[str]) -> str | None:
    """The "decline to answer" / "prefer not to say" option, if the question offers one."""
    return next((option for option in options if _DECLINE.search(plain_text(option))), None)


def option_key(text: str) -> str:
    """Text as a matcher compares it: any case, no accents, punctuation or repeated whitespace."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(re.sub(r"[\W_]+", " ", plain).split())


def best_option(answer: str, options: Sequence[str]) -> int | None:
    """Index of the option that says what `answer` says, or None when none (or several equally) do.

    Exact text first (ignoring case, whitespace and punctuation), then one option that starts
    with the answer's words or whose words start the answer ("Yes" for "Yes, I am"), then the
    option whose words contain the answer's words (or the reverse) with the fewest left over
    ("London, England, United Kingdom" for "London, United Kingdom").
    """
    wanted = option_key(answer)
    if not wanted:
        return None
    keys = [option_key(option) for option in options]
    if wanted in keys:
        return keys.index(wanted)
    prefixed = [
        i for i, key in enumerate(keys) if key and (key.startswith(wanted + " ") or wanted.startswith(key + " "))
    ]
    if len(prefixed) == 1:
        return prefixed[0]
    words = set(wanted.split())
    overlapping = sorted(
        (len(words ^ option_words), i)
        for i, key in enumerate(keys)
        if (option_words := set(key.split())) and (words <= option_words or option_words <= words)
    )
    if overlapping and (len(overlapping) == 1 or overlapping[0][0] < overlapping[1][0]):
        return overlapping[0][1]
    return None


def polarity(text: str) -> bool | None:
    """True for "Yes", "Y", "yes, I am", "true", "I agree"; False for "No", "no, I do not"; None otherwise."""
    return _yes_no(text, phrases=False)


def choose(answer: str, choices: Sequence[Choice]) -> int | None:
    """Index of the option that says what `answer` says (see best_option), else a lone yes/no match."""
    index = best_option(answer, [choice.label for choice in choices])
    if index is not None:
        return index
    side = polarity(answer)
    if side is None:
        return None
    sides = [polarity(choice.label) for choice in choices]
    sides = [label if label is not None else polarity(choice.value) for label, choice in zip(sides, choices)]
    same = [i for i, choice_side in enumerate(sides) if choice_side is side]
    return same[0] if len(same) == 1 else None


def choose_many(answer: str, choices: Sequence[Choice]) -> list[int] | None:
    """Indices of the options a list answer ("Python, PostgreSQL") names; None if any part matches nothing."""
    whole = option_key(answer)
    exact = [i for i, choice in enumerate(choices) if whole and option_key(choice.label) == whole]
    if exact:
        return exact[:1]
    parts = [part for part in _ANSWER_SEPARATORS.split(answer) if part.strip()]
    picked = [choose(part, choices) for part in parts]
    if not picked or any(index is None for index in picked):
        return None
    return sorted({index for index in picked if index is not None})


def choose_option(value: str, options: Sequence[str]) -> str | None:
    """The option a free-text answer means (case, punctuation, yes/no wording, numbers in ranges), or None."""
    wanted = plain_text(value)
    if not wanted or not options:
        return None
    for chooser in (same_option, _same_yes_no, _number_in_range, _contained, _closest_words):
        if (option := chooser(value, options)) is not None:
            return option
    return None


def _only(candidates: list[str]) -> str | None:
    unique = list(dict.fromkeys(candidates))
    return unique[0] if len(unique) == 1 else None


def same_option(value: str, options: Sequence[str]) -> str | None:
    return _only([option for option in options if plain_text(option) == plain_text(value)])


def _same_yes_no(value: str, options: Sequence[str]) -> str | None:
    polarity = _yes_no(value, phrases=True)
    if polarity is None:
        return None
    return _only([option for option in options if _yes_no(option, phrases=False) is polarity])


def _contained(value: str, options: Sequence[str]) -> str | None:
    wanted = f" {plain_text(value)} "
    inside = [option for option in options if plain_text(option) and f" {plain_text(option)} " in wanted]
    around = [option for option in options if wanted in f" {plain_text(option)} "]
    return _only(around) or _only(inside)


def _closest_words(value: str, options: Sequence[str]) -> str | None:
    wanted = {_stem(word) for word in plain_text(value).split()}
    scored = sorted(
        ((_jaccard(wanted, {_stem(word) for word in plain_text(option).split()}), option) for option in options),
        reverse=True,
    )
    if scored[0][0] >= 0.5 and (len(scored) == 1 or scored[1][0] < scored[0][0]):
        return scored[0][1]
    return None


def _jaccard(first: set[str], second: set[str]) -> float:
    return len(first & second) / len(first | second) if first | second else 0.0


def _parse_number(text: str) -> float | None:
    match = _NUMBER.search(text)
    if match is None:
        return None
    raw = match.group().strip().lower()
    scale = 1000 if raw.endswith("k") else 1
    try:
        return float(raw.rstrip("k").strip().replace(",", "")) * scale
    except ValueError:
        return None


def _option_range(option: str) -> tuple[float, float] | None:
    """The numbers an option like "3-5 years", "10+", "Less than 1", "$100k - $120k" covers."""
    plain = option.lower().replace("–", "-").replace("—", "-")
    numbers = [value for match in _NUMBER.finditer(plain) if (value := _parse_number(match.group())) is not None]
    if not numbers:
        return None
    if re.search(r"less than|under|fewer than|below|up to|<", plain):
        return (-math.inf, numbers[0] - (0 if "up to" in plain else 1e-9))
    if re.search(r"\+|or more|and above|and up|plus|more than|over|greater than|at least|>", plain):
        return (numbers[0] + (1e-9 if re.search(r"more than|over|greater than|>", plain) else 0), math.inf)
    if len(numbers) >= 2 and re.search(r"\d\s*k?\s*(?:-|to)\s*\$?\s*\d", plain):
        return (numbers[0], numbers[1])
    return (numbers[0], numbers[0]) if len(numbers) == 1 else None


def _number_in_range(value: str, options: Sequence[str]) -> str | None:
    number = _parse_number(value)
    if number is None or plain_text(value).replace(" ", "").strip("0123456789.,k+") not in ("", "years", "year", "yrs"):
        return None  # "5" or "5 years", not a sentence that happens to contain a number
    for option in options:
        bounds = _option_range(option)
        if bounds is not None and bounds[0] <= number <= bounds[1]:
            return option  # the first range that holds it: "3-5" before "5+"
    return None


def fit_answer(value: str, question: Question) -> str | None:
    """The answer in the shape the question takes, or None when it does not fit (ask the user)."""
    value = value.strip()
    if not value:
        return None
    if question.kind.has_options or (question.kind is QuestionKind.CHECKBOX and question.options):
        return _fit_choice(value, question)
    if question.kind is QuestionKind.CHECKBOX:
        polarity = _yes_no(value, phrases=True)
        return None if polarity is None else ("Yes" if polarity else "No")
    if question.kind is QuestionKind.NUMBER:
        number = _parse_number(value)
        return None if number is None else format(number, "f").rstrip("0").rstrip(".")
    return value


def _fit_choice(value: str, question: Question) -> str | None:
    chosen = choose_option(value, question.options)
    if chosen is not None or question.kind is not QuestionKind.CHECKBOX:
        return chosen
    parts = [choose_option(part, question.options) for part in re.split(r"[;,]", value) if part.strip()]
    return ", ".join(parts) if parts and all(parts) else None  # type: ignore[arg-type]
