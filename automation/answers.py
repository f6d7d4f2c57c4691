"""Answers to an application form's custom questions.

Owns the question model, the classes of question that are never guessed (legal, demographic,
salary, years of experience), finding the user's saved answer to a question asked in other
words, fitting an answer onto a question's options, and the single batched LLM call for the
general questions nothing else answers.

The order for each question: a saved answer that means the same question; a plain profile
field (name, e-mail, links, ...); for demographic questions the form's "decline to answer"
option; for general questions one LLM call shared by all of them. Anything left, and every
legal, salary or years-of-experience question without a saved answer, is for the user.
"""

from __future__ import annotations

import enum
import functools
import json
import logging
import math
import re
import unicodedata
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import HumanMessage, SystemMessage
from pydantic import BaseModel, Field

from automation.llm import LLMError, UsageCounter, ask_structured
from storage.models import Profile

log = logging.getLogger(__name__)

#: Share of their meaningful terms (Jaccard) two labels must have in common to be the same question.
MATCH_THRESHOLD = 0.75
#: LLM answers less sure than this go to the user instead.
MIN_LLM_CONFIDENCE = 0.5
MAX_TEXT_ANSWER = 500
MAX_TEXTAREA_ANSWER = 5000
MAX_PROMPT_SUMMARY = 6000
MAX_PROMPT_JOB = 4000
MAX_PROMPT_SAVED_ANSWERS = 30
MAX_SAVED_QUESTION = 500
MAX_SAVED_ANSWER = 5000


# --------------------------------------------------------------------------- the records


class QuestionKind(str, enum.Enum):
    TEXT = "text"
    TEXTAREA = "textarea"
    SELECT = "select"
    RADIO = "radio"
    CHECKBOX = "checkbox"
    NUMBER = "number"

    @property
    def has_options(self) -> bool:
        return self in (QuestionKind.SELECT, QuestionKind.RADIO)


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


class AnswerSource(str, enum.Enum):
    SAVED = "saved"  # the user's saved answer to this question, perhaps worded differently
    PROFILE = "profile"  # a profile field: name, e-mail, phone, location, links
    DEFAULT = "default"  # the form's "decline to answer" option of a demographic question
    LLM = "llm"
    NONE = "none"


class SavedAnswerSource(str, enum.Enum):
    USER = "user"  # answered in the chat when asked
    REVIEW_CORRECTION = "review_correction"  # corrected during the review before submitting
    PROFILE = "profile"  # came with the uploaded profile file


@dataclass(frozen=True)
class Question:
    """One custom question of a form. `id` is whatever finds the control again (an id or a selector)."""

    id: str
    label: str
    kind: QuestionKind = QuestionKind.TEXT
    options: tuple[str, ...] = ()
    required: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", QuestionKind(self.kind))
        object.__setattr__(self, "options", tuple(option for option in self.options if option.strip()))


@dataclass(frozen=True)
class Answer:
    """What to put in one question, where it came from, and whether the user must be asked."""

    question: Question
    value: str | None
    source: AnswerSource
    reason: str
    question_class: QuestionClass = QuestionClass.GENERAL

    @property
    def needs_user(self) -> bool:
        """Nothing to put there: ask the user (the worker may leave optional questions blank)."""
        return self.value is None


@dataclass
class AnswerSheet:
    """The answers to a form's questions, in the questions' order."""

    answers: list[Answer] = field(default_factory=list)

    def __iter__(self) -> Iterator[Answer]:
        return iter(self.answers)

    def __len__(self) -> int:
        return len(self.answers)

    @property
    def needs_user(self) -> list[Answer]:
        return [answer for answer in self.answers if answer.needs_user]

    @property
    def values(self) -> dict[str, str]:
        """Question id -> value, for the answered questions."""
        return {answer.question.id: answer.value for answer in self.answers if answer.value is not None}

    def for_question(self, question_id: str) -> Answer | None:
        return next((answer for answer in self.answers if answer.question.id == question_id), None)


@dataclass(frozen=True)
class SavedAnswer:
    """An answer worth keeping for the next form that asks the same thing, with where it came from."""

    question: str
    answer: str
    source: SavedAnswerSource
    saved_at: datetime


def remember_answer(
    question: Question | str, answer: str, source: SavedAnswerSource | str, *, now: datetime | None = None
) -> SavedAnswer:
    """The record to store for a user's answer; raises ValueError with a user-facing message when unfit."""
    label = (question.label if isinstance(question, Question) else question).strip()
    text = answer.strip()
    if not label or not text:
        raise ValueError("An empty question or answer cannot be saved.")
    if len(label) > MAX_SAVED_QUESTION or len(text) > MAX_SAVED_ANSWER:
        raise ValueError(
            f"Answers are saved up to {MAX_SAVED_ANSWER} characters, questions up to {MAX_SAVED_QUESTION}."
        )
    return SavedAnswer(label, text, SavedAnswerSource(source), now or datetime.now(timezone.utc))


# --------------------------------------------------------------------------- classifying


def _patterns(*patterns: str) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{pattern})" for pattern in patterns))


# Checked in this order: the first class whose pattern matches the plain label wins.
_CLASS_PATTERNS: tuple[tuple[QuestionClass, re.Pattern[str]], ...] = (
    (QuestionClass.EXPERIENCE_YEARS, _patterns(
        r"\bhow many (?:years|yrs)\b",
        r"\b(?:number|no|amount) of (?:years|yrs)\b",
        r"\b(?:years|yrs) (?:of )?(?:\w+ ){0,2}(?:experience|exp)\b",
        r"\bexperience in years\b",
        r"\bhow long have you (?:been|worked|used|had)\b",
        r"\btotal (?:\w+ )?experience\b",
    )),
    (QuestionClass.LEGAL, _patterns(
        r"\bauthori[sz](?:ed|ation)\b", r"\beligib", r"\bright to work\b", r"\bwork permit", r"\bvisas?\b",
        r"\bsponsor", r"\bcitizen", r"\bnationality\b", r"\bimmigration\b", r"\bgreen card\b", r"\bh ?1 ?b\b",
        r"\bpermanent resident", r"\bresidency\b", r"\bcriminal\b", r"\bconvict", r"\bfelon", r"\bmisdemeano",
        r"\bbackground (?:check|screen|investigation)", r"\bdrug (?:test|screen)", r"\bclearance\b",
        r"\bexport control", r"\bitar\b", r"\bnon ?compete\b", r"\bnon ?solicit", r"\brestrictive covenant",
        r"\blegally\b", r"\blawfully\b", r"\b(?:at least|over|older than|above) 18\b",
        r"\b18 (?:years|yrs)? ?(?:of age|or older|and over|or over)", r"\blegal (?:working )?age\b",
    )),
    (QuestionClass.DEMOGRAPHIC, _patterns(
        r"\bgender", r"\bsex\b", r"\bsexual(?:ity)?\b", r"\btransgender\b", r"\blgbt", r"\brace\b(?! condition)",
        r"\bracial", r"\bethnic", r"\bhispanic\b", r"\blatin[oax]\b", r"\bveteran", r"\bmilitary (?:service|status)",
        r"\bdisabilit", r"\bdisabled\b", r"\bpronoun", r"\bdate of birth\b", r"\bbirth ?(?:date|day)\b", r"\bdob\b",
        r"\bage\b", r"\bhow old\b", r"\breligio", r"\bmarital\b", r"\bself ?identify\b", r"\beeo\b",
        r"\bequal (?:employment )?opportunit", r"\bnational origin\b", r"\bcaste\b", r"\bneurodiver",
    )),
    (QuestionClass.SALARY, _patterns(
        r"\bsalar", r"\bcompensation\b", r"\bpay\b(?! attention)", r"\bremunerat", r"\bwages?\b", r"\bctc\b",
        r"\bote\b", r"\bincome\b", r"\bearn(?:ing|ings)?\b", r"\bstipend\b",
        r"\b(?:hourly|daily|day|desired|expected|target|contract|contracting|billing|minimum|your) rate\b",
        r"\brate expectations?\b", r"\bhow much (?:do|would|will) you (?:expect|want|charge|need|ask)",
    )),
)


def classify(label: str) -> QuestionClass:
    """Which kind of question this is; everything not legal, demographic, salary or years is general."""
    text = _plain(label)
    for question_class, pattern in _CLASS_PATTERNS:
        if pattern.search(text):
            return question_class
    return QuestionClass.GENERAL


# --------------------------------------------------------------------------- normalising text


def _plain(text: str) -> str:
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
    ("uk", ("united kingdom", "great britain", "northern ireland", "britain", "british", "england", "english",
            "scotland", "scottish", "wales", "welsh", "uk")),
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
    r"\b(" + "|".join(sorted((re.escape(word) for _, words in _COUNTRIES for word in words), key=len, reverse=True))
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
_PHRASES: tuple[tuple[re.Pattern[str], str], ...] = tuple((re.compile(pattern), concept) for pattern, concept in (
    (r"\byes (?:or |/ )?no\b", " "),
    (r"\bnow or (?:in the )?future\b|\b(?:currently |now )?or (?:will you )?in the future\b", " "),
    (r"\b(?:18 (?:years|yrs)? ?(?:of age|or older|and over|or over|\+)|(?:at least|over|older than|above) 18"
     r"(?: years)?(?: of age| old)?|legal (?:working )?age)\b", " ADULT "),
    (r"\bdate of birth\b|\bbirth ?date\b|\bdob\b|\bhow old\b", " AGE "),
    (r"\b(?:how many|number of|no of|total) (?:years|yrs)\b|\b(?:years|yrs) of\b"
     r"|\bhow long have you (?:been|worked|used|had)\b", " YEARS "),
    (r"\b(?:(?:employment|work|immigration) )?visa sponsor\w*|\bsponsor\w*(?: for (?:an? |your )?(?:employment |work "
     r"|immigration )?(?:visa|permit)(?: status)?)?", " SPONSOR "),
    (r"\b(?:legal |unrestricted |full )*right to (?:work|live and work|be employed)\b"
     r"|\bwork (?:authoriz\w*|permit\w*)\b"
     r"|\b(?:legally |lawfully )?(?:authoriz\w*|eligible|entitled|permitted|allowed|cleared) (?:to (?:work|be employed"
     r"|take up employment)|for employment)\b|\beligibility to work\b", " AUTH "),
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
    (r"\b(?:hear|heard|learn|learned|find out|found out|find|found) (?:about|of)\b|\breferral source\b"
     r"|\bhow did you (?:find|come across|discover)(?: out)?(?: about| of)?\b", " HEARD "),
    (r"\bcover letter\b", " COVER_LETTER "),
    (r"\bfull ?time\b", " FULL_TIME "),
    (r"\bpart ?time\b", " PART_TIME "),
    (r"\bpersonal (?:web ?site|site|homepage)\b|\bweb ?site\b|\bportfolio\b", " WEBSITE "),
))

_WORD_CONCEPTS: dict[str, str] = {
    **dict.fromkeys(("require", "requires", "required", "requiring", "need", "needs", "needed", "necessitate"), "NEED"),
    **dict.fromkeys(("salary", "salaries", "compensation", "pay", "remuneration", "wage", "wages", "ctc", "earn",
                     "earnings", "income"), "PAY"),
    **dict.fromkeys(("expected", "expect", "expecting", "expectation", "expectations", "desired", "target",
                     "requirement", "requirements", "ask", "asking"), "EXPECTED"),
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
_STOPWORDS = frozenset("""
    a an the and or of to in on at for with from by as into about than then so such
    is are was were be been being am do does did done have has had having will would shall should can could may
    might must you your yours yourself we our us i me my mine it its this that these those there here
    what which who whom whose how when where why if any ever currently now future today presently still yet also
    please kindly e g eg i e ie etc question answer select choose one following provide describe state indicate
    specify list enter tell let know job role position company employer employers organization organisation
    opportunity apply applying application legally lawfully work working employment able willing happy open
    professional relevant hands on commercial industry experience overall total earliest soonest date possible
    period status valid hold based h 1b h1b like use used using worked old older range bracket group
    undergo consent agree submit pass complete take identify
""".split())
# Concepts that decide a question's meaning: two labels differing in one of them never match.
_DECISIVE = frozenset({"CURRENT", "EXPECTED", "MINIMUM", "MAXIMUM", "FULL_TIME", "PART_TIME", "FELONY",
                       "MISDEMEANOR", "CONVICTION", "ADULT", "AGE"})
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
    countries, text = _countries(label, _plain(without_examples))
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
    wanted = _plain(label)
    for question, answer in saved.items():
        if _plain(question) == wanted and answer.strip():
            return SavedMatch(question, answer.strip(), 1.0, exact=True)
    key = question_key(label)
    scored = sorted(
        ((similarity(key, question_key(question)), question, answer) for question, answer in saved.items()
         if answer.strip()),
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


_YES = frozenset({"yes", "y", "yeah", "yep", "true", "correct", "affirmative", "sure", "definitely"})
_NO = frozenset({"no", "n", "nope", "false", "negative"})
_YES_PHRASES = re.compile(r"^i (?:am|do|will|have|can|would)\b(?! not)")
_NO_PHRASES = re.compile(r"^(?:i (?:am|do|will|have|can|would) not|never)\b")
_DECLINE = re.compile(
    r"decline|prefer not|rather not|do not wish|not wish|choose not|not to (?:answer|say|disclose|self ?identify"
    r"|specify|respond)|not (?:disclose|specified|answer)|wish to not"
)
_NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?\s*k?\b", re.IGNORECASE)


def _yes_no(text: str, *, phrases: bool) -> bool | None:
    plain = _plain(text)
    first = plain.split(" ", 1)[0] if plain else ""
    if first in _YES:
        return True
    if first in _NO:
        return False
    if phrases and _NO_PHRASES.search(plain):
        return False
    if phrases and _YES_PHRASES.search(plain):
        return True
    return None


def decline_option(options: Sequence[str]) -> str | None:
    """The "decline to answer" / "prefer not to say" option, if the question offers one."""
    return next((option for option in options if _DECLINE.search(_plain(option))), None)


def choose_option(value: str, options: Sequence[str]) -> str | None:
    """The option a free-text answer means (case, punctuation, yes/no wording, numbers in ranges), or None."""
    wanted = _plain(value)
    if not wanted or not options:
        return None
    for chooser in (_same_text, _same_yes_no, _number_in_range, _contained, _closest_words):
        if (option := chooser(value, options)) is not None:
            return option
    return None


def _only(candidates: list[str]) -> str | None:
    unique = list(dict.fromkeys(candidates))
    return unique[0] if len(unique) == 1 else None


def _same_text(value: str, options: Sequence[str]) -> str | None:
    return _only([option for option in options if _plain(option) == _plain(value)])


def _same_yes_no(value: str, options: Sequence[str]) -> str | None:
    polarity = _yes_no(value, phrases=True)
    if polarity is None:
        return None
    return _only([option for option in options if _yes_no(option, phrases=False) is polarity])


def _contained(value: str, options: Sequence[str]) -> str | None:
    wanted = f" {_plain(value)} "
    inside = [option for option in options if _plain(option) and f" {_plain(option)} " in wanted]
    around = [option for option in options if wanted in f" {_plain(option)} "]
    return _only(around) or _only(inside)


def _closest_words(value: str, options: Sequence[str]) -> str | None:
    wanted = {_stem(word) for word in _plain(value).split()}
    scored = sorted(
        ((_jaccard(wanted, {_stem(word) for word in _plain(option).split()}), option) for option in options),
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
    if number is None or _plain(value).replace(" ", "").strip("0123456789.,k+") not in ("", "years", "year", "yrs"):
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


# --------------------------------------------------------------------------- profile fields

def _field_label(name: str) -> re.Pattern[str]:
    """A label that is nothing but the field's name, perhaps politely asked ("What is your LinkedIn URL?")."""
    ask = r"(?:(?:what is|what s|please (?:provide|enter|share)|provide|enter|share) )?(?:your )?"
    return re.compile(rf"^{ask}(?:{name})(?: (?:url|link|address|number|profile|handle))*$")


# Whole-label matches only: "LinkedIn profile" is a field, "Were you referred through LinkedIn?" is a question.
_PROFILE_FIELDS: tuple[tuple[str, re.Pattern[str], Callable[[Profile], str | None]], ...] = (
    ("LinkedIn profile", _field_label(r"linked ?in"), lambda profile: profile.links.linkedin),
    ("GitHub profile", _field_label(r"git ?hub"), lambda profile: profile.links.github),
    ("portfolio", _field_label(r"portfolio(?: web ?site)?"),
     lambda profile: profile.links.portfolio or profile.links.website),
    ("website", _field_label(r"(?:personal )?(?:web ?site|site|homepage|blog)"),
     lambda profile: profile.links.website or profile.links.portfolio),
    ("first name", _field_label(r"(?:first|given|fore) ?name"), lambda profile: profile.first_name),
    ("last name", _field_label(r"(?:last|family|sur) ?name"), lambda profile: profile.last_name),
    ("name", _field_label(r"(?:full |legal )?name"), lambda profile: profile.full_name),
    ("e-mail", _field_label(r"e ?mail"), lambda profile: str(profile.email)),
    ("phone", _field_label(r"(?:phone|mobile|telephone|cell)(?: phone)?"), lambda profile: profile.phone),
    ("location", _field_label(r"(?:current )?(?:location(?: city)?|city(?: of residence)?)|where are you "
                              r"(?:currently )?(?:based|located)"), lambda profile: profile.location),
)


def profile_field(label: str, profile: Profile) -> tuple[str, str | None] | None:
    """(field name, value) when the label asks for a profile field (name, e-mail, phone, location, links)."""
    plain = _plain(label)
    for name, pattern, read in _PROFILE_FIELDS:
        if pattern.match(plain):
            return name, read(profile)
    return None


# --------------------------------------------------------------------------- answering


async def answer_questions(
    questions: Sequence[Question],
    profile: Profile,
    *,
    model: BaseChatModel | None = None,
    usage: UsageCounter | None = None,
    profile_summary: str | None = None,
    job_context: str | None = None,
) -> AnswerSheet:
    """Answer what can be answered; at most one LLM call, for general questions only.

    `profile_summary` (résumé text) and `job_context` (the posting) help the LLM; neither is required.
    """
    answers: list[Answer | None] = []
    for_llm: list[tuple[int, Question]] = []
    for index, question in enumerate(questions):
        answer = _answer_without_llm(question, profile)
        if answer is None and model is not None:
            for_llm.append((index, question))
        elif answer is None:
            answer = _unanswered(question, QuestionClass.GENERAL, "no saved answer and no LLM configured")
        answers.append(answer)
    if for_llm:
        assert model is not None
        for index, answer in _llm_answers(for_llm, await _llm_batch(for_llm, profile, model, usage, profile_summary,
                                                                 job_context)):
            answers[index] = answer
    return AnswerSheet([answer for answer in answers if answer is not None])


def _answer_without_llm(question: Question, profile: Profile) -> Answer | None:
    """The answer from saved answers, the profile or the EEO default; None when only the LLM could help."""
    question_class = classify(question.label)
    saved = find_saved_answer(question.label, profile.answers)
    if saved is not None:
        return _from_saved(question, question_class, saved)
    if (field_value := profile_field(question.label, profile)) is not None:
        return _from_profile(question, question_class, *field_value)
    if question_class is QuestionClass.DEMOGRAPHIC and (decline := decline_option(question.options)):
        return Answer(question, decline, AnswerSource.DEFAULT,
                      "demographic question with no saved answer: declined to answer", question_class)
    if question_class.sensitive:
        return _unanswered(question, question_class,
                           f"{question_class.value.replace('_', ' ')} question with no saved answer: never guessed")
    return None


def _from_saved(question: Question, question_class: QuestionClass, saved: SavedMatch) -> Answer:
    fitted = fit_answer(saved.answer, question)
    if fitted is None:
        return _unanswered(question, question_class,
                           f'your saved answer "{_short(saved.answer)}" fits none of the options')
    how = "saved answer" if saved.exact else f'saved answer to "{_short(saved.question)}"'
    return Answer(question, fitted, AnswerSource.SAVED, how, question_class)


def _from_profile(question: Question, question_class: QuestionClass, name: str, value: str | None) -> Answer:
    """A profile field; when the profile lacks it the LLM would not know it either."""
    if not value:
        return _unanswered(question, question_class, f"your profile has no {name}")
    fitted = fit_answer(value, question)
    if fitted is None:
        return _unanswered(question, question_class, f"your profile's {name} fits none of the options")
    return Answer(question, fitted, AnswerSource.PROFILE, f"your profile's {name}", question_class)


def _unanswered(question: Question, question_class: QuestionClass, reason: str) -> Answer:
    return Answer(question, None, AnswerSource.NONE, reason, question_class)


def _short(text: str, limit: int = 80) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


# --------------------------------------------------------------------------- the one LLM call


class _LLMAnswer(BaseModel):
    question_id: str = Field(description="The id of the question answered, e.g. q1")
    answer: str | None = Field(description="The answer, or null when the candidate's information does not say")
    confidence: float = Field(description="0 to 1: how sure you are this is right for this candidate")


class AnsweredQuestions(BaseModel):
    """Answers to the application form's questions, one per question."""

    answers: list[_LLMAnswer]


_SYSTEM_PROMPT = (
    "You fill in custom questions on a job application on behalf of a candidate. Answer in the candidate's "
    "voice, using only facts from the candidate's information and the job description. When they do not "
    "answer a question, give answer null and confidence 0: never invent employers, dates, numbers, "
    "qualifications or personal facts. For questions with options, answer with exactly one option, copied "
    "verbatim. Keep short-text answers under 30 words and long-text answers under 150 words. Answer every "
    "question, using its question_id."
)


async def _llm_batch(
    batch: list[tuple[int, Question]], profile: Profile, model: BaseChatModel, usage: UsageCounter | None,
    profile_summary: str | None, job_context: str | None,
) -> dict[str, _LLMAnswer] | LLMError:
    questions = [question for _, question in batch]
    messages = [
        SystemMessage(_SYSTEM_PROMPT),
        HumanMessage(_llm_prompt(questions, profile, profile_summary, job_context)),
    ]
    try:
        reply = await ask_structured(model, AnsweredQuestions, messages, usage=usage)
    except LLMError as exc:
        log.info("custom questions: %s", exc)
        return exc
    answers: dict[str, _LLMAnswer] = {}
    for item in reply.answers:
        answers.setdefault(item.question_id.strip(), item)
    return answers


def _llm_answers(
    batch: list[tuple[int, Question]], reply: dict[str, _LLMAnswer] | LLMError
) -> Iterator[tuple[int, Answer]]:
    for number, (index, question) in enumerate(batch, start=1):
        if isinstance(reply, LLMError):
            yield index, _unanswered(question, QuestionClass.GENERAL, f"no answer: {reply}")
        else:
            yield index, _checked_llm_answer(question, reply.get(f"q{number}"))


def _checked_llm_answer(question: Question, item: _LLMAnswer | None) -> Answer:
    """The LLM's answer if it is sure, fits the question's options and is of a sensible length."""
    general = QuestionClass.GENERAL
    if item is None or item.answer is None or not item.answer.strip():
        return _unanswered(question, general, "the LLM could not answer it from your profile")
    text = item.answer.strip()
    confidence = min(max(item.confidence, 0.0), 1.0) if math.isfinite(item.confidence) else 0.0
    if confidence < MIN_LLM_CONFIDENCE:
        return _unanswered(question, general, f'the LLM was unsure ({confidence:.0%}): "{_short(text)}"')
    value = _fit_llm_answer(text, question)
    if value is None:
        return _unanswered(question, general, f'the LLM\'s answer "{_short(text)}" does not fit the question')
    return Answer(question, value, AnswerSource.LLM, f"suggested by the LLM ({confidence:.0%} sure)", general)


def _fit_llm_answer(text: str, question: Question) -> str | None:
    if question.kind.has_options or (question.kind is QuestionKind.CHECKBOX and question.options):
        # Only an option the model copied; no fuzzy guessing on its behalf.
        if (exact := _same_text(text, question.options)) is not None:
            return exact
        if question.kind is QuestionKind.CHECKBOX:
            parts = [_same_text(part, question.options) for part in re.split(r"[;,]", text) if part.strip()]
            return ", ".join(parts) if parts and all(parts) else None  # type: ignore[arg-type]
        return None
    limit = MAX_TEXTAREA_ANSWER if question.kind is QuestionKind.TEXTAREA else MAX_TEXT_ANSWER
    return fit_answer(text, question) if len(text) <= limit else None


def _llm_prompt(
    questions: Sequence[Question], profile: Profile, profile_summary: str | None, job_context: str | None
) -> str:
    """The candidate, the job and the questions; contact details only when a question asks for them."""
    labels = " ".join(_plain(question.label) for question in questions)
    lines = ["Candidate:", f"- Name: {profile.full_name}"]
    if profile.location:
        lines.append(f"- Location: {profile.location}")
    links = {name: value for name, value in profile.links.model_dump().items() if value}
    if links:
        lines.append("- Links: " + ", ".join(f"{name}: {value}" for name, value in links.items()))
    if re.search(r"\be ?mail\b|\bcontact\b", labels):
        lines.append(f"- E-mail: {profile.email}")
    if profile.phone and re.search(r"\bphone\b|\bmobile\b|\bcontact\b", labels):
        lines.append(f"- Phone: {profile.phone}")
    if profile_summary and profile_summary.strip():
        lines += ["- Résumé:", profile_summary.strip()[:MAX_PROMPT_SUMMARY]]
    general_saved = [
        (question, answer) for question, answer in profile.answers.items()
        if classify(question) is QuestionClass.GENERAL and answer.strip()
    ][:MAX_PROMPT_SAVED_ANSWERS]
    if general_saved:
        lines.append("- Answers the candidate gave before:")
        lines += [f"  - {_short(question, 200)}: {_short(answer, 300)}" for question, answer in general_saved]
    if job_context and job_context.strip():
        lines += ["", "Job:", job_context.strip()[:MAX_PROMPT_JOB]]
    listed = [
        {"question_id": f"q{number}", "question": question.label, "type": question.kind.value,
         **({"options": list(question.options)} if question.options else {}), "required": question.required}
        for number, question in enumerate(questions, start=1)
    ]
    lines += ["", "Questions:", json.dumps(listed, ensure_ascii=False, indent=1)]
    return "\n".join(lines)
