"""What the profile says belongs in a field that several ATSs share in shape.

Owns the lookups adapters make before filling: the saved answer to a question worded the same
way, the profile's link for a site ("LinkedIn", "Portfolio", "Other"), the decline option of an
EEO question, whether to tick a consent box, an international phone number split into the
country of a calling-code picker and the rest of the number, and which suggested place a location means.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING

from automation.adapters.base import normalised
from automation.questions import Choice, Question, best_option, decline_option, option_key, question_key
from storage.models import DECLINE

if TYPE_CHECKING:
    from storage.models import Links, Profile

# A site's name for a link (Lever's urls[Portfolio], urls[Other]) -> Links attributes to try in order.
LINK_ATTRIBUTES = {
    "portfolio": ("portfolio", "website"),
    "other": ("website", "portfolio"),
    "website": ("website", "portfolio"),
    "personalsite": ("website", "portfolio"),
    "homepage": ("website", "portfolio"),
    "blog": ("website",),
}
LINK_LABEL = re.compile(r"\b(linked ?in|git ?hub|portfolio|website|personal site|homepage|blog|twitter)\b")
# "LinkedIn profile" is a link field; "Were you referred through LinkedIn? Explain." is a question.
MAX_LINK_LABEL_WORDS = 5

# EEO questions by what they ask (matched on the option_key of the label or field name) -> Eeo field.
EEO_TOPICS = (
    ("gender", re.compile(r"\b(gender|sex)\b")),
    ("race", re.compile(r"\b(race|ethnicity|hispanic|latino)\b")),
    ("veteran", re.compile(r"\bveteran")),
    ("disability", re.compile(r"\bdisabilit")),
)

# In a stated race: "Not Hispanic or Latino", "non-Hispanic" (the EEO-1 race categories other than Hispanic or Latino).
NOT_HISPANIC = re.compile(r"\(?\b(not|non)[\s-]+(hispanic|latin[oax])(\s+or\s+latin[oax])?\b\)?", re.IGNORECASE)
HISPANIC = re.compile(r"\b(hispanic|latin[oax])\b", re.IGNORECASE)

DIAL_CODE = re.compile(r"\+\s?(\d{1,4})(?!\d)")
# Where several countries share a calling code and the location does not say which.
PRIMARY_COUNTRY = {
    "1": "united states",
    "7": "russia",
    "39": "italy",
    "44": "united kingdom",
    "47": "norway",
    "61": "australia",
    "358": "finland",
}


def saved_answer(label: str, profile: Profile) -> str | None:
    """The profile's saved answer to a question worded like `label` (case, spacing and punctuation aside)."""
    wanted, loose = normalised(label), option_key(label)
    exact = next((answer for question, answer in profile.answers.items() if normalised(question) == wanted), None)
    if exact is not None or not loose:
        return exact
    return next((answer for question, answer in profile.answers.items() if option_key(question) == loose), None)


def link_for(site: str, links: Links, used: set[str]) -> str | None:
    """The profile's link for a site ("LinkedIn", "Portfolio", "Other"); each link is used once."""
    known = links.model_dump()
    key = option_key(site).replace(" ", "")
    for attribute in LINK_ATTRIBUTES.get(key, (key,)):
        value = known.get(attribute)
        if isinstance(value, str) and value and value not in used:
            used.add(value)
            return value
    return None


def link_for_label(label: str, links: Links, used: set[str]) -> str | None:
    """The profile's link for a short text question that asks for one ("LinkedIn profile", "GitHub URL")."""
    key = option_key(label)
    found = LINK_LABEL.search(key)
    if not found or len(key.split()) > MAX_LINK_LABEL_WORDS:
        return None
    return link_for(found.group(1), links, used)


def eeo_topic(text: str) -> str | None:
    """Which self-identification an EEO question asks (an `Eeo` field name), from its label or field name."""
    key = option_key(text.replace("_", " "))
    return next((topic for topic, pattern in EEO_TOPICS if pattern.search(key)), None)


def eeo_answer(topic: str, options: Sequence[str], profile: Profile) -> str | None:
    """The option the profile's self-identification picks ("decline" picks the decline option), or None.

    A stated answer that no option says is returned as is, so the reading shows the difference.
    """
    stated = getattr(profile.eeo, topic)
    if option_key(stated) == DECLINE:
        return decline_option(options)
    index = best_option(stated, options)
    return options[index] if index is not None else stated


def hispanic_answer(options: Sequence[str], profile: Profile) -> str | None:
    """The option of a separate "Are you Hispanic/Latino?" question that the profile's race answers, or None.

    The profile's race is one EEO-1 category, where "Hispanic or Latino" excludes the others: it answers
    "Yes", any other stated race "No" (its race question then follows), a declined race declines.
    """
    stated = profile.eeo.race
    if option_key(stated) == DECLINE:
        return decline_option(options)
    said = "Yes" if HISPANIC.search(stated) and not NOT_HISPANIC.search(stated) else "No"
    index = best_option(said, options)
    return options[index] if index is not None else said


def race_answer(options: Sequence[str], profile: Profile) -> str | None:
    """The option of a race question asked apart from Hispanic/Latino: the profile's race without "not
    Hispanic or Latino" ("White (Not Hispanic or Latino)" is "White"); as `eeo_answer` otherwise."""
    stated = NOT_HISPANIC.sub(" ", profile.eeo.race).strip(" ,;-")
    if option_key(stated) in ("", DECLINE):
        return decline_option(options)
    index = best_option(stated, options)
    return options[index] if index is not None else stated


def consent_answer(question: Question, profile: Profile) -> str | None:
    """Consent is given where the form requires it, and otherwise only if the profile says so."""
    return saved_answer(question.label, profile) or ("Yes" if question.required else None)


def dial_code_select(questions: Sequence[Question]) -> Question | None:
    """A select whose options are countries with calling codes ("United Kingdom (+44)")."""
    for question in questions:
        coded = sum(1 for choice in question.choices if _dial_code(choice))
        if question.kind in ("select", "listbox") and len(question.choices) >= 2 and coded * 2 >= len(question.choices):
            return question
    return None


def country_for_phone(phone: str, location: str | None, choices: Sequence[Choice]) -> tuple[int, str] | None:
    """The option for an international number's calling code, and the number without that code.

    Of countries sharing a code (+1, +44, +7) the one named in `location` wins, else the main one.
    """
    if not phone.strip().startswith("+"):
        return None
    digits = re.sub(r"\D", "", phone)
    coded = [(i, code) for i, choice in enumerate(choices) if (code := _dial_code(choice)) and digits.startswith(code)]
    if not coded:
        return None
    code = max((code for _, code in coded), key=len)
    candidates = [i for i, candidate in coded if candidate == code]
    place = f" {option_key(location or '')} "

    def country(i: int) -> str:
        return option_key(DIAL_CODE.sub(" ", choices[i].label))

    chosen = next((i for i in candidates if country(i) and f" {country(i)} " in place), None)
    if chosen is None:
        primary = PRIMARY_COUNTRY.get(code, "")
        # "United States" is also listed as "United States of America" (Workday's phone codes).
        chosen = next(
            (i for i in candidates if primary and (country(i) == primary or country(i).startswith(primary + " "))),
            candidates[0],
        )
    return chosen, _without_code(phone, code)


def phone_country(phone: str, location: str | None, labels: Sequence[str]) -> tuple[int | None, str]:
    """The country option (by its label, "United Kingdom +44") for a phone number, and the number to type
    after it: the calling code's country (see `country_for_phone`), else for a number without one the
    country `location` names; (None, the number as given) when no option says either."""
    choices = [Choice(label, "", False, "") for label in labels]
    coded = country_for_phone(phone, location, choices)
    if coded is not None:
        return coded
    if phone.strip().startswith("+") or not location:
        return None, phone.strip()
    place = f" {option_key(location)} "
    names = [option_key(DIAL_CODE.sub(" ", label)) for label in labels]
    named = next((i for i, name in enumerate(names) if name and f" {name} " in place), None)
    if named is None:
        countries = question_key(location).countries
        named = next((i for i, name in enumerate(names) if countries & question_key(name).countries), None)
    return named, phone.strip()


def unmatched_country(phone: str) -> str | None:
    """What a phone country picker should show when no option has the number's calling code: the code
    ("+999"), so the review shows the difference; None for a number without one."""
    found = re.match(r"\s*(\+\s?\d{1,4})", phone)
    return found.group(1).replace(" ", "") if found else None


def international_number(national: str, country: str) -> str:
    """The number as the form sends it: "+44 20 7946 0958" for "20 7946 0958" in "United Kingdom +44"."""
    code = DIAL_CODE.search(country or "")
    if not national.strip() or national.strip().startswith("+") or code is None:
        return national
    return f"+{code.group(1)} {national.strip()}"


def best_place(location: str, places: Sequence[str]) -> int | None:
    """Index of the suggested place the profile's location means ("London, UK" is "London, England,
    United Kingdom", not "London, Ontario, Canada"), or None."""
    parts = [part for part in (option_key(part) for part in location.split(",")) if part]
    if not parts or not places:
        return None
    same_city = [i for i, place in enumerate(places) if option_key(place.split(",", 1)[0]) == parts[0]]
    countries = question_key(location).countries
    if countries:
        same_city = [i for i in same_city if question_key(places[i]).countries & countries]
    if not same_city:
        return best_option(location, places)
    if len(parts) > 1:
        best = best_option(location, [places[i] for i in same_city])
        if best is not None:
            return same_city[best]
    return same_city[0]  # the place search ranks the likeliest first


def _dial_code(choice: Choice) -> str | None:
    found = DIAL_CODE.search(choice.label) or DIAL_CODE.search(choice.value)
    return found.group(1) if found else None


def _without_code(phone: str, code: str) -> str:
    rest = phone.strip()[1:]
    seen = 0
    position = 0
    while position < len(rest) and seen < len(code):
        seen += rest[position].isdigit()
        position += 1
    return rest[position:].lstrip(" -.")
